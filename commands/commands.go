// Package commands runs the ledger's write side: load an aggregate from its stream,
// let the domain decide, append the decision with the version it was made on.
//
// A concurrency conflict means someone else appended between our read and our append;
// the decision may no longer hold, so it is made again on the fresh state, a bounded
// number of times. Domain rule errors are returned as they are, for api/ to map.
package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
)

// Aggregate is a domain aggregate as the command helper sees it: a state that folds
// events. Apply must not fail: events are facts.
type Aggregate interface {
	Apply(domain.Event)
}

// Codec turns stored events into domain events and back.
type Codec interface {
	// Decode reads a stored event, upcasting older schema versions.
	Decode(typ string, schema int, data []byte) (domain.Event, error)
	// Schema is the current schema version of an event type.
	Schema(typ string) int
}

// Stream is the part of the event store that commands need.
type Stream interface {
	Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.NewEvent) (eventstore.AppendResult, error)
	AppendMulti(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.AppendResult, error)
	ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Recorded, error)
}

// StreamsReader is what a store may offer besides Stream: the events of several
// streams in one read, which Tx.Prefetch uses.
type StreamsReader interface {
	// ReadStreams returns up to limit events of the streams, grouped by stream and in
	// version order within each. A stream that does not exist reads as empty.
	ReadStreams(ctx context.Context, streams []string, limit int) ([]eventstore.Recorded, error)
}

// ErrTooManyConflicts means the stream kept changing under the command.
var ErrTooManyConflicts = errors.New("too many concurrent changes")

// Config configures an Executor.
type Config struct {
	// Store holds the streams. Required.
	Store Stream
	// Codec encodes and decodes domain events. Required.
	Codec Codec
	// Keys allocates primary keys for new aggregates. Required by commands that create.
	Keys Keys
	// MaxAttempts bounds how often a decision is retried after a conflict. Default: 10.
	MaxAttempts int
}

// Keys hands out the integer primary keys InvenTree clients use, one sequence per
// stream category. A key is taken before the creating event is appended and carried in
// it.
type Keys interface {
	Next(ctx context.Context, category string) (int64, error)
}

// Executor runs commands against the event store.
type Executor struct {
	store       Stream
	codec       Codec
	keys        Keys
	maxAttempts int
}

// New returns an Executor.
func New(cfg Config) (*Executor, error) {
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no store"))
	}
	if cfg.Codec == nil {
		errs = append(errs, errors.New("no codec"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	return &Executor{store: cfg.Store, codec: cfg.Codec, keys: cfg.Keys, maxAttempts: cfg.MaxAttempts}, nil
}

// NextKey allocates a primary key for a new aggregate of category.
func (x *Executor) NextKey(ctx context.Context, category string) (int64, error) {
	if x.keys == nil {
		return 0, fmt.Errorf("next key for %s: no key allocator configured", category)
	}
	return x.keys.Next(ctx, category)
}

// Result is where a command's events landed.
type Result struct {
	// Version is the stream's version after the command.
	Version uint64
	// Position is the global position of the last appended event; zero if the decision
	// appended nothing.
	Position eventstore.Position
	// Appended is how many events the decision produced.
	Appended int
}

// Load folds a stream into a fresh aggregate and returns it with the stream's version.
func Load[A Aggregate](ctx context.Context, x *Executor, stream string, fresh func() A) (A, uint64, error) {
	agg := fresh()
	version, err := loadInto(ctx, x, stream, agg)
	return agg, version, err
}

func loadInto(ctx context.Context, x *Executor, stream string, agg Aggregate) (uint64, error) {
	var version uint64
	for {
		page, err := x.store.ReadStream(ctx, stream, version+1, 1000)
		if err != nil {
			return 0, fmt.Errorf("load %s: %w", stream, err)
		}
		if len(page) > 0 {
			if version, err = fold(x, stream, agg, page); err != nil {
				return 0, err
			}
		}
		if len(page) < 1000 {
			return version, nil
		}
	}
}

// fold applies a stream's events, in version order, to agg and returns the version of
// the last (0 for none).
func fold(x *Executor, stream string, agg Aggregate, evs []eventstore.Recorded) (uint64, error) {
	var version uint64
	for _, rec := range evs {
		ev, err := x.codec.Decode(rec.Type, rec.Schema, rec.Data)
		if err != nil {
			return 0, fmt.Errorf("load %s: event %d: %w", stream, rec.Version, err)
		}
		agg.Apply(ev)
		version = rec.Version
	}
	return version, nil
}

// Execute loads the aggregate of stream, calls decide on it and appends the events it
// returns, expecting the version it loaded. On a conflict it starts again, up to the
// configured number of attempts. decide must be free of side effects: it may run more
// than once.
func Execute[A Aggregate](ctx context.Context, x *Executor, stream string, fresh func() A, decide func(A) ([]domain.Event, error)) (Result, error) {
	for attempt := 1; ; attempt++ {
		agg, version, err := Load(ctx, x, stream, fresh)
		if err != nil {
			return Result{}, err
		}
		evs, err := decide(agg)
		if err != nil {
			return Result{}, err
		}
		if len(evs) == 0 {
			return Result{Version: version}, nil
		}
		newEvents, err := x.encode(ctx, stream, evs)
		if err != nil {
			return Result{}, fmt.Errorf("execute on %s: %w", stream, err)
		}
		res, err := x.store.Append(ctx, stream, eventstore.Exact(version), newEvents...)
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) && attempt < x.maxAttempts {
			continue
		}
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return Result{}, fmt.Errorf("execute on %s after %d attempts: %w: %w", stream, attempt, ErrTooManyConflicts, err)
		}
		if err != nil {
			return Result{}, fmt.Errorf("execute on %s: %w", stream, err)
		}
		return Result{Version: res.Version, Position: res.Position, Appended: len(evs)}, nil
	}
}

// Encode wraps domain events for the store as commands do: fresh ids and the
// context's metadata. For appends decided outside a command, such as a generated
// history.
func (x *Executor) Encode(ctx context.Context, evs []domain.Event) ([]eventstore.NewEvent, error) {
	return x.encode(ctx, "", evs)
}

// encode wraps domain events for the store with fresh ids (or, under an idempotency
// key, ids derived from it; see WithIdempotencyKey) and the context's metadata.
func (x *Executor) encode(ctx context.Context, stream string, evs []domain.Event) ([]eventstore.NewEvent, error) {
	meta := MetadataFrom(ctx)
	key, _ := ctx.Value(idempotencyKey{}).(string)
	out := make([]eventstore.NewEvent, len(evs))
	for i, ev := range evs {
		data, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", ev.EventType(), err)
		}
		if hasNullCharacter(data) {
			// The read models are PostgreSQL text, which cannot hold one: an event
			// carrying it would stop every projector that stores it, for good. api/
			// refuses such input field by field; this keeps any other way out.
			return nil, domain.Invalid("", msgNullCharacters)
		}
		id, err := uuid.NewV7()
		if key != "" {
			// Per user: two clients that happen to pick the same key are not one client
			// retrying.
			id = uuid.NewSHA1(idempotencySpace, []byte(key+"\x00"+strconv.FormatInt(meta.UserID, 10)+"\x00"+stream+"\x00"+strconv.Itoa(i)))
		}
		if err != nil {
			return nil, fmt.Errorf("event id: %w", err)
		}
		out[i] = eventstore.NewEvent{
			ID:       id,
			Type:     ev.EventType(),
			Schema:   x.codec.Schema(ev.EventType()),
			Data:     data,
			Metadata: meta,
		}
	}
	return out, nil
}

// msgNullCharacters is Django's refusal of a NUL in text.
const msgNullCharacters = "Null characters are not allowed."

// hasNullCharacter reports whether JSON text holds an escaped NUL (\u0000) in a
// string, rather than a backslash followed by "u0000".
func hasNullCharacter(data []byte) bool {
	esc := []byte(`\u0000`)
	for from := 0; ; {
		i := bytes.Index(data[from:], esc)
		if i < 0 {
			return false
		}
		i += from
		backslashes := 0
		for j := i - 1; j >= 0 && data[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			return true
		}
		from = i + 1
	}
}

type idempotencyKey struct{}

// idempotencySpace is the UUID v5 namespace of event ids derived from idempotency keys.
// Stored in every such id: never change it.
var idempotencySpace = uuid.MustParse("6f1e5a3c-2b7d-5c1e-9a4f-8d0b3e7c2a91")

// WithIdempotencyKey returns a context whose commands derive the ids of the events they
// append from key, the stream and each event's place in the append (UUID v5), instead
// of drawing fresh ones. A client's retry of a request whose events are already stored
// then appends the same ids: where the first attempt put them it is a no-op, anywhere
// else eventstore.ErrDuplicateEvent, so a retry can never append the request twice.
// The commands that take keys also remember them in their aggregates, to answer a
// retry with the first attempt's result.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

type metadataKey struct{}

// WithMetadata returns a context whose commands record meta (who, which request) on
// every event they append. api/ sets it once per request.
func WithMetadata(ctx context.Context, meta eventstore.Metadata) context.Context {
	return context.WithValue(ctx, metadataKey{}, meta)
}

// MetadataFrom returns the metadata set by WithMetadata, or none.
func MetadataFrom(ctx context.Context) eventstore.Metadata {
	meta, _ := ctx.Value(metadataKey{}).(eventstore.Metadata)
	return meta
}
