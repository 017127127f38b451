// Package domain holds Stockledger's aggregates, their events and their rules. It is
// pure: no I/O, no SQL, no HTTP, no clock. Command handlers load an aggregate by folding
// its events with Apply, call a decision method that returns new events or a rule
// error, and append those events.
package domain

// Event is a fact that happened to an aggregate. EventType is the stored type name: a
// constant, never derived from the Go type, because renaming a Go type must not break
// history.
type Event interface {
	EventType() string
}
