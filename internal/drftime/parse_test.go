package drftime

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, us int) time.Time {
		return time.Date(y, mo, d, h, mi, s, us*1000, time.UTC)
	}
	for _, tc := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-06-01", utc(2024, 6, 1, 0, 0, 0, 0), true},
		{"2024-06-01T12:30", utc(2024, 6, 1, 12, 30, 0, 0), true},
		{"2024-06-01 12:30:15", utc(2024, 6, 1, 12, 30, 15, 0), true},
		{"2024-06-01T12:30:15.123456Z", utc(2024, 6, 1, 12, 30, 15, 123456), true},
		{"2024-06-01T12:30:15.1234567Z", utc(2024, 6, 1, 12, 30, 15, 123456), true},
		{"2024-06-01T12:30:15.5", utc(2024, 6, 1, 12, 30, 15, 500000), true},
		{"2024-06-01T12:30:15+02:00", utc(2024, 6, 1, 10, 30, 15, 0), true},
		{"2024-06-01T12:30:15-0130", utc(2024, 6, 1, 14, 0, 15, 0), true},
		{"2024-06-01T12:30:15 02:00", utc(2024, 6, 1, 10, 30, 15, 0), true}, // "+" unescaped in a URL
		{"2024-06-01T12:30:15+02", utc(2024, 6, 1, 10, 30, 15, 0), true},
		{"2024-02-30", time.Time{}, false},
		{"2024-13-01", time.Time{}, false},
		{"2024-06-01T25:00", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"1717243815", time.Time{}, false},
		{"2024-06-01T12", time.Time{}, false},
	} {
		got, ok := Parse(tc.in)
		if ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
