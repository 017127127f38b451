package eventstore

import (
	"errors"
	"testing"
)

func TestValidateStream(t *testing.T) {
	valid := []string{"stockitem-42", "part-1", "purchase_order-7", "t-a", "x1-Z.b:c-d_e", "a-0"}
	invalid := []string{"", "-1", "a-", "A-1", "1a-1", "a b-1", "a--1", "a-_1", "a-1 2", "$all-1", "stock-é", "nodash"}
	for _, s := range valid {
		if err := ValidateStream(s); err != nil {
			t.Errorf("ValidateStream(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range invalid {
		if err := ValidateStream(s); !errors.Is(err, ErrInvalidStream) {
			t.Errorf("ValidateStream(%q) = %v, want ErrInvalidStream", s, err)
		}
	}
}

func TestPositionRoundTripAndOrder(t *testing.T) {
	p := Position{Commit: 12, Prepare: 40}
	q, err := ParsePosition(p.String())
	if err != nil || q != p {
		t.Fatalf("ParsePosition(%q) = %v, %v", p.String(), q, err)
	}
	if !(Position{1, 9}).Before(Position{2, 1}) || !(Position{2, 1}).Before(Position{2, 2}) || p.Before(p) {
		t.Fatal("positions order by commit, then prepare")
	}
	for _, bad := range []string{"", "1", "a/1", "1/b", "-1/2"} {
		if _, err := ParsePosition(bad); err == nil {
			t.Errorf("ParsePosition(%q) succeeded", bad)
		}
	}
}

func TestExpectedAllows(t *testing.T) {
	tests := []struct {
		e       Expected
		current uint64
		want    bool
	}{
		{Any, 0, true}, {Any, 5, true},
		{NoStream, 0, true}, {NoStream, 1, false},
		{StreamExists, 0, false}, {StreamExists, 3, true},
		{Exact(3), 3, true}, {Exact(3), 2, false}, {Exact(0), 0, true},
	}
	for _, tc := range tests {
		if got := tc.e.Allows(tc.current); got != tc.want {
			t.Errorf("%s.Allows(%d) = %v, want %v", tc.e, tc.current, got, tc.want)
		}
	}
}
