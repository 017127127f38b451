package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
)

// Tx is a decision over several aggregates, appended all-or-nothing: a partial transfer
// that splits off a new stock item, a merge, a receipt that creates many items. Each
// stream is appended with the version it was loaded at, so two commands taking the same
// stock cannot both succeed.
type Tx struct {
	x       *Executor
	loaded  map[string]uint64 // stream -> version it was loaded at
	order   []string          // streams in the order they were first touched
	pending map[string][]domain.Event
	// prefetched holds whole streams read ahead by Prefetch, until they are loaded.
	prefetched map[string][]eventstore.Recorded
}

// prefetchLimit bounds the events Prefetch reads; streams longer than that together
// are loaded one by one, in pages.
const prefetchLimit = 1000

// Prefetch reads streams ahead in one round trip, when the store can read several at
// once (StreamsReader), so that loading them in this transaction costs no read of its
// own. It is only a hint: what it does not read, Load reads.
func (tx *Tx) Prefetch(ctx context.Context, streams ...string) error {
	r, ok := tx.x.store.(StreamsReader)
	if !ok {
		return nil
	}
	wanted := make([]string, 0, len(streams))
	for _, s := range streams {
		if _, loaded := tx.loaded[s]; loaded || slices.Contains(wanted, s) {
			continue
		}
		if _, done := tx.prefetched[s]; !done {
			wanted = append(wanted, s)
		}
	}
	if len(wanted) < 2 {
		return nil // a single stream costs Load one read too
	}
	evs, err := r.ReadStreams(ctx, wanted, prefetchLimit)
	if err != nil {
		return fmt.Errorf("prefetch: %w", err)
	}
	if len(evs) >= prefetchLimit {
		return nil // some may be cut short: Load reads them in pages
	}
	if tx.prefetched == nil {
		tx.prefetched = make(map[string][]eventstore.Recorded, len(wanted))
	}
	for _, s := range wanted {
		tx.prefetched[s] = nil // read, and empty unless events follow
	}
	for _, e := range evs {
		tx.prefetched[e.Stream] = append(tx.prefetched[e.Stream], e)
	}
	return nil
}

// Load folds stream into agg and remembers its version for the append. Loading a stream
// that does not exist yet leaves agg fresh at version 0.
func (tx *Tx) Load(ctx context.Context, stream string, agg Aggregate) (uint64, error) {
	if v, ok := tx.loaded[stream]; ok {
		return v, fmt.Errorf("load %s: already loaded in this transaction", stream)
	}
	var version uint64
	var err error
	if evs, ok := tx.prefetched[stream]; ok {
		delete(tx.prefetched, stream)
		version, err = fold(tx.x, stream, agg, evs)
	} else {
		version, err = loadInto(ctx, tx.x, stream, agg)
	}
	if err != nil {
		return 0, err
	}
	tx.loaded[stream] = version
	tx.order = append(tx.order, stream)
	return version, nil
}

// errStale is what decide returns when it finds that a stream it loaded has moved on
// since: it is run again on fresh state, as after a conflict at the append.
var errStale = errors.New("a loaded stream has moved on")

// stale reports whether stream, loaded in this transaction, has events since.
func (tx *Tx) stale(ctx context.Context, stream string) (bool, error) {
	v, ok := tx.loaded[stream]
	if !ok {
		return false, fmt.Errorf("stale %s: not loaded in this transaction", stream)
	}
	next, err := tx.x.store.ReadStream(ctx, stream, v+1, 1)
	if err != nil {
		return false, fmt.Errorf("stale %s: %w", stream, err)
	}
	return len(next) > 0, nil
}

// Create prepares a stream that must not exist yet, for a new aggregate.
func (tx *Tx) Create(stream string) error {
	if _, ok := tx.loaded[stream]; ok {
		return fmt.Errorf("create %s: already in this transaction", stream)
	}
	tx.loaded[stream] = 0
	tx.order = append(tx.order, stream)
	return nil
}

// Emit queues events for a stream loaded or created in this transaction.
func (tx *Tx) Emit(stream string, evs ...domain.Event) error {
	if _, ok := tx.loaded[stream]; !ok {
		return fmt.Errorf("emit to %s: the stream was not loaded in this transaction", stream)
	}
	tx.pending[stream] = append(tx.pending[stream], evs...)
	return nil
}

// ExecuteTx runs decide in a fresh Tx and appends everything it emitted in one atomic
// step. On a conflict on any stream it runs decide again on fresh state, up to the
// configured number of attempts. decide must be free of side effects besides the Tx.
func ExecuteTx(ctx context.Context, x *Executor, decide func(ctx context.Context, tx *Tx) error) (Result, error) {
	for attempt := 1; ; attempt++ {
		tx := &Tx{x: x, loaded: map[string]uint64{}, pending: map[string][]domain.Event{}}
		err := decide(ctx, tx)
		if errors.Is(err, errStale) && attempt < x.maxAttempts {
			continue
		}
		if err != nil {
			return Result{}, err
		}
		var appends []eventstore.StreamAppend
		total := 0
		for _, stream := range tx.order {
			evs := tx.pending[stream]
			if len(evs) == 0 {
				continue
			}
			encoded, err := x.encode(ctx, stream, evs)
			if err != nil {
				return Result{}, err
			}
			appends = append(appends, eventstore.StreamAppend{Stream: stream, Expected: eventstore.Exact(tx.loaded[stream]), Events: encoded})
			total += len(evs)
		}
		if len(appends) == 0 {
			return Result{}, nil
		}
		results, err := x.store.AppendMulti(ctx, appends...)
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) && attempt < x.maxAttempts {
			continue
		}
		if errors.Is(err, eventstore.ErrWrongExpectedVersion) {
			return Result{}, fmt.Errorf("execute transaction after %d attempts: %w: %w", attempt, ErrTooManyConflicts, err)
		}
		if err != nil {
			return Result{}, fmt.Errorf("execute transaction: %w", err)
		}
		res := Result{Appended: total}
		for _, r := range results {
			if res.Position.Before(r.Position) {
				res.Position = r.Position
			}
		}
		if len(results) == 1 {
			res.Version = results[0].Version
		}
		return res, nil
	}
}
