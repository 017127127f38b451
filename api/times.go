package api

import (
	"time"

	"github.com/stockledger/stockledger/internal/drftime"
)

// msgEnterValidDateTime is Django's message for a date/time filter it cannot read
// (drftime.Parse says which it reads).
const msgEnterValidDateTime = "Enter a valid date/time."

// dateTime reads a date/time filter, recording Django's error when it is no date/time.
func (q *query) dateTime(name string) (time.Time, bool) {
	v, ok := q.str(name)
	if !ok {
		return time.Time{}, false
	}
	t, ok := drftime.Parse(v)
	if !ok {
		q.errs.Add(name, msgEnterValidDateTime)
	}
	return t, ok
}

// optDateTime is dateTime as a pointer, nil when absent or bad.
func (q *query) optDateTime(name string) *time.Time {
	if t, ok := q.dateTime(name); ok {
		return &t
	}
	return nil
}
