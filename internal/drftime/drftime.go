// Package drftime reads and writes instants as Django and Django REST Framework do: the
// date/time parameters of the API (as_of, at, from, to, min_date, ...) and the fields
// that carry a ledger instant a client may send back (an audit entry's date, a stock
// history's period bounds) to ask about that exact moment.
package drftime

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Format writes t in ISO 8601, in UTC with "Z", with microseconds when there are any
// (DRF's isoformat). Microseconds are PostgreSQL's precision, so a time read back from
// it is the instant itself.
func Format(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}

// reDateTime is Django's parse_datetime (the ISO 8601 forms its DateTimeField reads),
// with a date alone accepted too, as the field's input formats do.
var reDateTime = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})` +
	`(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$`)

// Parse reads a date/time as Django's forms.DateTimeField does: ISO 8601 with
// a "T" or a space, seconds and fractions optional, an offset or "Z" optional (none
// means the server's zone, UTC), or a date alone for its midnight. In a URL an
// unescaped "+" of an offset arrives as a space; a space followed by digits after a
// time is read as that "+".
func Parse(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, ' '); i > 10 && len(s)-i >= 3 && s[i+1] >= '0' && s[i+1] <= '9' && strings.Count(s[i+1:], ":") <= 1 && strings.Contains(s[:i], ":") {
		s = s[:i] + "+" + s[i+1:]
	}
	m := reDateTime.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	n := func(i int) int {
		v, _ := strconv.Atoi(m[i])
		return v
	}
	frac := 0
	if m[7] != "" {
		frac, _ = strconv.Atoi((m[7] + "00000")[:6])
	}
	loc := time.UTC
	if tz := m[8]; tz != "" && tz != "Z" {
		digits := strings.ReplaceAll(tz[1:], ":", "")
		h, _ := strconv.Atoi(digits[:2])
		mins := 0
		if len(digits) == 4 {
			mins, _ = strconv.Atoi(digits[2:])
		}
		off := (h*60 + mins) * 60
		if tz[0] == '-' {
			off = -off
		}
		loc = time.FixedZone("", off)
	}
	y, mo, d, h, mi, sec := n(1), n(2), n(3), n(4), n(5), n(6)
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, frac*1000, loc)
	if t.Day() != d { // 2024-02-30
		return time.Time{}, false
	}
	return t.UTC(), true
}
