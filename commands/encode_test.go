package commands

import "testing"

func TestHasNullCharacter(t *testing.T) {
	for _, tc := range []struct {
		json string
		want bool
	}{
		{`{"name":"a\u0000b"}`, true},
		{`{"name":"\u0000"}`, true},
		{`{"name":"a\\u0000b"}`, false},   // a backslash, then the text u0000
		{`{"name":"a\\\u0000b"}`, true},   // a backslash, then a NUL
		{`{"name":"a\\\\u0000b"}`, false}, // two backslashes, then the text
		{`{"name":"plain"}`, false},
	} {
		if got := hasNullCharacter([]byte(tc.json)); got != tc.want {
			t.Errorf("hasNullCharacter(%s) = %v, want %v", tc.json, got, tc.want)
		}
	}
}
