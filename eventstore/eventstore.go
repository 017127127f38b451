// Package eventstore defines the ledger's storage contract: append-only streams of
// immutable events and one global log that orders every event of every stream.
//
// The drivers live in subpackages (eventstore/postgres, eventstore/esdb) and are held to
// one contract suite, eventstore/storetest. This package imports no driver.
//
// Conventions every implementation keeps:
//   - A stream is named "<category>-<id>" (see ValidateStream). Its first event has
//     version 1; a stream with no events has version 0.
//   - Events are never updated or deleted.
//   - Event ids make appends idempotent: appending events whose ids are already stored at
//     exactly those versions of that stream succeeds without writing anything; the same
//     ids anywhere else is ErrDuplicateEvent.
//   - The global log is totally ordered by Position. A reader of the log never sees an
//     event appear behind a position it has already passed, so a subscriber that
//     checkpoints positions never skips an event.
package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Store is the event store. Implementations are safe for concurrent use.
type Store interface {
	// Append writes events to the end of one stream, atomically, if the stream's current
	// version satisfies expected. On a mismatch it writes nothing and returns an error
	// that errors.Is ErrWrongExpectedVersion (a *WrongVersionError says what was found).
	Append(ctx context.Context, stream string, expected Expected, events ...NewEvent) (AppendResult, error)

	// AppendMulti appends to several streams in one all-or-nothing step: either every
	// append's expectation holds and all events are written, or nothing is. A stream may
	// appear only once.
	AppendMulti(ctx context.Context, appends ...StreamAppend) ([]AppendResult, error)

	// ReadStream returns up to limit events of stream with version >= from, in version
	// order. A stream that does not exist reads as empty.
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]Recorded, error)

	// ReadAll returns up to limit events of the global log after the position after, in
	// log order. Only events that no later commit can precede are returned, so reading
	// again from the last returned position never misses an event.
	ReadAll(ctx context.Context, after Position, limit int) ([]Recorded, error)

	// Subscribe delivers the global log after the position after to fn in batches, in log
	// order, each event exactly once: first what is stored, then live as events commit.
	// It returns when ctx is done (with ctx's error) or when fn returns an error (that
	// error, wrapped). A batch is never empty.
	Subscribe(ctx context.Context, after Position, fn func(context.Context, []Recorded) error) error

	// Head is the position of the newest committed event (Start when the log is
	// empty). ReadAll may hold it back for a moment while an older transaction is still
	// open, but will return it; so a reader that has reached Head has seen every event
	// committed before Head was asked for.
	Head(ctx context.Context) (Position, error)
}

// NewEvent is an event about to be appended.
type NewEvent struct {
	// ID identifies the event for idempotent retries. Required; UUIDv7 is recommended.
	ID uuid.UUID
	// Type is the stored event type, e.g. "StockItemMoved". It is a contract: renaming a
	// type breaks history, so types are constants, never Go type names.
	Type string
	// Schema is the version of Data's shape, starting at 1; older shapes are upcast on
	// read, never rewritten. Zero means 1.
	Schema int
	// Data is the event's JSON payload (an object).
	Data json.RawMessage
	// Metadata says who did it and why.
	Metadata Metadata
}

// Metadata is the envelope's context: who caused an event, from which request, and as a
// consequence of what.
type Metadata struct {
	// User is the username of whoever caused the event, empty for the system.
	User string `json:"user,omitempty"`
	// UserID is that user's primary key, zero for the system.
	UserID int64 `json:"user_id,omitempty"`
	// RequestID is the id of the HTTP request (or CLI run) the event came from.
	RequestID string `json:"request_id,omitempty"`
	// CorrelationID groups every event caused by one user action.
	CorrelationID string `json:"correlation_id,omitempty"`
	// CausationID is the id of the event or command that caused this one.
	CausationID string `json:"causation_id,omitempty"`
}

// StreamAppend is one stream's part of an AppendMulti.
type StreamAppend struct {
	Stream   string
	Expected Expected
	Events   []NewEvent
}

// AppendResult says where an append landed.
type AppendResult struct {
	// Version is the stream's version after the append: the version of its last event.
	Version uint64
	// Position is the global position of the append's last event.
	Position Position
}

// Recorded is a stored event.
type Recorded struct {
	ID       uuid.UUID
	Stream   string
	Version  uint64
	Position Position
	Type     string
	Schema   int
	Data     json.RawMessage
	Metadata Metadata
	// RecordedAt is when the store accepted the event. It is the ledger's clock for
	// "as of" questions, so the store sets it, never the caller.
	RecordedAt time.Time
}

// Category is the part of the stream name before the first '-', e.g. "stockitem".
func (r Recorded) Category() string {
	c, _, _ := strings.Cut(r.Stream, "-")
	return c
}

// Position is a place in the global log. Positions are ordered by Commit, then Prepare.
// What the two numbers mean is the driver's business (PostgreSQL: the appending
// transaction's id and the row's sequence number; EventStoreDB: its commit and prepare
// positions); callers only compare, store and print them.
type Position struct {
	Commit  uint64
	Prepare uint64
}

// Start is the position before the first event.
var Start = Position{}

// Compare returns -1, 0 or +1 as p is before, at or after q.
func (p Position) Compare(q Position) int {
	switch {
	case p.Commit < q.Commit:
		return -1
	case p.Commit > q.Commit:
		return 1
	case p.Prepare < q.Prepare:
		return -1
	case p.Prepare > q.Prepare:
		return 1
	}
	return 0
}

// Before reports whether p comes before q.
func (p Position) Before(q Position) bool { return p.Compare(q) < 0 }

// String formats p as "commit/prepare"; ParsePosition reads it back.
func (p Position) String() string { return fmt.Sprintf("%d/%d", p.Commit, p.Prepare) }

// ParsePosition parses the form written by Position.String.
func ParsePosition(s string) (Position, error) {
	c, pr, ok := strings.Cut(s, "/")
	if !ok {
		return Position{}, fmt.Errorf("parse position %q: want commit/prepare", s)
	}
	commit, err := strconv.ParseUint(c, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("parse position %q: %w", s, err)
	}
	prepare, err := strconv.ParseUint(pr, 10, 64)
	if err != nil {
		return Position{}, fmt.Errorf("parse position %q: %w", s, err)
	}
	return Position{Commit: commit, Prepare: prepare}, nil
}

// Expected is what an append expects of the stream's current version.
type Expected struct {
	kind    expectKind
	version uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectExists
	expectExact
)

var (
	// Any accepts the stream in any state.
	Any = Expected{kind: expectAny}
	// NoStream requires that the stream has no events.
	NoStream = Expected{kind: expectNoStream}
	// StreamExists requires that the stream has at least one event.
	StreamExists = Expected{kind: expectExists}
)

// Exact requires that the stream's version is v. Exact(0) is NoStream.
func Exact(v uint64) Expected {
	if v == 0 {
		return NoStream
	}
	return Expected{kind: expectExact, version: v}
}

// IsAny, IsNoStream and IsStreamExists tell drivers which expectation this is; Version
// reports the exact version expected, ok false when the expectation is not exact.
func (e Expected) IsAny() bool          { return e.kind == expectAny }
func (e Expected) IsNoStream() bool     { return e.kind == expectNoStream }
func (e Expected) IsStreamExists() bool { return e.kind == expectExists }
func (e Expected) Version() (v uint64, ok bool) {
	return e.version, e.kind == expectExact
}

// Allows reports whether a stream at version current satisfies e.
func (e Expected) Allows(current uint64) bool {
	switch e.kind {
	case expectNoStream:
		return current == 0
	case expectExists:
		return current > 0
	case expectExact:
		return current == e.version
	}
	return true
}

func (e Expected) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectExists:
		return "stream exists"
	case expectExact:
		return strconv.FormatUint(e.version, 10)
	}
	return "any"
}

var (
	// ErrWrongExpectedVersion is a concurrency conflict: the stream was not at the
	// expected version. Reload and decide again.
	ErrWrongExpectedVersion = errors.New("wrong expected version")
	// ErrDuplicateEvent means an event id is already stored somewhere other than the
	// place it is being appended to.
	ErrDuplicateEvent = errors.New("duplicate event id")
	// ErrInvalidStream is a malformed stream name.
	ErrInvalidStream = errors.New("invalid stream name")
	// ErrInvalidEvent is an event that cannot be stored (no id, no type, data that is not
	// a JSON object, ...).
	ErrInvalidEvent = errors.New("invalid event")
)

// WrongVersionError details an ErrWrongExpectedVersion.
type WrongVersionError struct {
	Stream   string
	Expected Expected
	// Actual is the stream's version when the append was refused.
	Actual uint64
}

func (e *WrongVersionError) Error() string {
	return fmt.Sprintf("append %s: expected version %s, stream is at %d", e.Stream, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrWrongExpectedVersion) true.
func (e *WrongVersionError) Is(target error) bool { return target == ErrWrongExpectedVersion }

// MaxStreamLength is the longest stream name accepted.
const MaxStreamLength = 200

// ValidateStream checks that name has the form "<category>-<id>": a lower-case category
// of letters, digits and '_', a '-', then an id of letters, digits, '_', '.', ':' or '-'.
func ValidateStream(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrInvalidStream)
	}
	if len(name) > MaxStreamLength {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidStream, MaxStreamLength)
	}
	if !wellFormed(name) {
		return fmt.Errorf("%w: %q is not <category>-<id>", ErrInvalidStream, name)
	}
	return nil
}

// wellFormed matches ^[a-z][a-z0-9_]*-[A-Za-z0-9][A-Za-z0-9_.:-]*$ without a regexp:
// every append checks its stream name.
func wellFormed(name string) bool {
	dash := strings.IndexByte(name, '-')
	if dash < 1 || dash == len(name)-1 || name[0] < 'a' || name[0] > 'z' {
		return false
	}
	for i := 1; i < dash; i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	if c := name[dash+1]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
		return false
	}
	for i := dash + 2; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// Stream builds a stream name from a category and a primary key, e.g. ("stockitem", 42)
// is "stockitem-42".
func Stream(category string, pk int64) string {
	return category + "-" + strconv.FormatInt(pk, 10)
}

// ValidateAppend checks a stream name and the events for it, as every driver must before
// writing anything.
func ValidateAppend(stream string, events []NewEvent) error {
	if err := ValidateStream(stream); err != nil {
		return err
	}
	if len(events) == 0 {
		return fmt.Errorf("%w: append to %s has no events", ErrInvalidEvent, stream)
	}
	if len(events) == 1 {
		if err := validateEvent(events[0]); err != nil {
			return fmt.Errorf("append %s: %w", stream, err)
		}
		return nil
	}
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, e := range events {
		if err := validateEvent(e); err != nil {
			return fmt.Errorf("append %s: event %d: %w", stream, i, err)
		}
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("append %s: event %d: %w: id %s repeated in one append", stream, i, ErrInvalidEvent, e.ID)
		}
		seen[e.ID] = struct{}{}
	}
	return nil
}

// ValidateMulti checks an AppendMulti request as every driver must before writing.
func ValidateMulti(appends []StreamAppend) error {
	if len(appends) == 0 {
		return fmt.Errorf("%w: nothing to append", ErrInvalidEvent)
	}
	streams := make(map[string]struct{}, len(appends))
	ids := make(map[uuid.UUID]struct{})
	for _, a := range appends {
		if err := ValidateAppend(a.Stream, a.Events); err != nil {
			return err
		}
		if _, dup := streams[a.Stream]; dup {
			return fmt.Errorf("%w: stream %s appears twice in one append", ErrInvalidStream, a.Stream)
		}
		streams[a.Stream] = struct{}{}
		for _, e := range a.Events {
			if _, dup := ids[e.ID]; dup {
				return fmt.Errorf("%w: id %s repeated in one append", ErrInvalidEvent, e.ID)
			}
			ids[e.ID] = struct{}{}
		}
	}
	return nil
}

func validateEvent(e NewEvent) error {
	if e.ID == uuid.Nil {
		return fmt.Errorf("%w: no id", ErrInvalidEvent)
	}
	if e.Type == "" || len(e.Type) > 100 {
		return fmt.Errorf("%w: type must have 1 to 100 characters", ErrInvalidEvent)
	}
	if e.Type[0] == '$' {
		// EventStoreDB reserves '$' types for its own events and hides them from $all.
		return fmt.Errorf("%w: type %q: a leading '$' is reserved", ErrInvalidEvent, e.Type)
	}
	if e.Schema < 0 {
		return fmt.Errorf("%w: negative schema version", ErrInvalidEvent)
	}
	if !json.Valid(e.Data) {
		return fmt.Errorf("%w: %s data is not valid JSON", ErrInvalidEvent, e.Type)
	}
	if t := firstByte(e.Data); t != '{' {
		return fmt.Errorf("%w: %s data must be a JSON object", ErrInvalidEvent, e.Type)
	}
	return nil
}

func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}

// SchemaOrDefault is e's schema version, 1 when unset.
func (e NewEvent) SchemaOrDefault() int {
	if e.Schema == 0 {
		return 1
	}
	return e.Schema
}
