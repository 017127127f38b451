package drftime

import (
	"testing"
	"time"
)

func TestFormat(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 6, 1, 12, 30, 0, 0, time.UTC), "2024-06-01T12:30:00Z"},
		{time.Date(2024, 6, 1, 14, 30, 0, 0, paris), "2024-06-01T12:30:00Z"},
		{time.Date(2024, 6, 1, 12, 30, 0, 1500, time.UTC), "2024-06-01T12:30:00.000001Z"},
		{time.Date(2024, 6, 1, 12, 30, 0, 120000000, time.UTC), "2024-06-01T12:30:00.120000Z"},
		{time.Date(2024, 6, 1, 12, 30, 0, 999, time.UTC), "2024-06-01T12:30:00Z"},
	} {
		if got := Format(tc.in); got != tc.want {
			t.Errorf("Format(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
