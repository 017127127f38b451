package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stockledger/stockledger/eventstore"
)

// Subscribe implements eventstore.Store. A subscriber first catches up with reads of
// its own. Once it has, it takes its batches from the store's tail (see tail): one
// reader follows the end of the log for every caught-up subscriber of this process, so
// the newest rows are read and decoded once, not once per projection. Subscribers share
// the events of a batch: fn must not modify them. A subscriber the tail has left behind
// (it keeps only the newest events) catches up on its own again.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position, fn func(context.Context, []eventstore.Recorded) error) error {
	s.startListener()
	for {
		var err error
		if after, err = s.catchUp(ctx, after, fn); err != nil {
			return err
		}
		if after, err = s.followTail(ctx, after, fn); err != nil {
			return err
		}
	}
}

// catchUp reads the log after a position and hands it to fn until a read returns less
// than a full batch: the subscriber has then seen everything readable at that moment.
func (s *Store) catchUp(ctx context.Context, after eventstore.Position, fn func(context.Context, []eventstore.Recorded) error) (eventstore.Position, error) {
	for {
		batch, err := s.ReadAll(ctx, after, s.cfg.BatchSize)
		if err != nil {
			if ctx.Err() != nil {
				return after, ctx.Err()
			}
			return after, fmt.Errorf("subscribe: %w", err)
		}
		if len(batch) > 0 {
			if err := fn(ctx, batch); err != nil {
				return after, fmt.Errorf("subscribe: handler at %s: %w", batch[0].Position, err)
			}
			after = batch[len(batch)-1].Position
		}
		if len(batch) < s.cfg.BatchSize {
			return after, nil
		}
	}
}

// followTail hands fn the tail's events after a position as they arrive. It returns
// the position reached, with no error, when the tail no longer covers it (the
// subscriber fell behind, or the tail's reader failed): the subscriber catches up.
func (s *Store) followTail(ctx context.Context, after eventstore.Position, fn func(context.Context, []eventstore.Recorded) error) (eventstore.Position, error) {
	t := s.tail
	if !t.join(s, after) {
		// The store is closing: read on our own until ctx or the pool says so.
		return after, s.waitForWake(ctx)
	}
	defer t.leave()
	for {
		grown := t.grown.wait()
		batch, ok := t.take(after, s.cfg.BatchSize)
		if !ok {
			return after, nil
		}
		if len(batch) > 0 {
			if err := fn(ctx, batch); err != nil {
				return after, fmt.Errorf("subscribe: handler at %s: %w", batch[0].Position, err)
			}
			after = batch[len(batch)-1].Position
			continue
		}
		select {
		case <-ctx.Done():
			return after, ctx.Err()
		case <-grown:
		}
	}
}

// waitForWake sleeps until an append, a notification or the poll interval.
func (s *Store) waitForWake(ctx context.Context) error {
	timer := time.NewTimer(s.cfg.PollInterval)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.wake.wait():
	case <-timer.C:
	}
	return nil
}

// tail is the end of the log as this process's caught-up subscribers see it: a run of
// the newest events without gaps, which one reader goroutine extends while anyone
// follows it. It keeps at most tailSize events; a subscriber further behind reads for
// itself.
type tail struct {
	mu      sync.Mutex
	from    eventstore.Position   // events are the log right after from, all of it
	events  []eventstore.Recorded // in log order
	readers int                   // subscribers following the tail
	running bool                  // the reader goroutine runs
	failed  bool                  // the reader stopped on an error; the run ends here
	closed  bool                  // the store is closed: no reader starts any more
	size    int
	grown   *broadcast // signalled when events are added or the reader stops
}

func newTail(size int) *tail { return &tail{size: size, grown: newBroadcast()} }

// join makes a subscriber at after a follower, starting the reader at after if it is
// not running. It reports false when the store is closed.
func (t *tail) join(s *Store, after eventstore.Position) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.readers++
	if !t.running {
		// A new run: whoever still follows the old one finds itself behind or reads on
		// from a position this run covers too.
		t.from, t.events, t.failed, t.running = after, nil, false, true
		s.done.Add(1)
		go s.readTail()
	}
	return true
}

func (t *tail) leave() {
	t.mu.Lock()
	t.readers--
	t.mu.Unlock()
}

// take returns up to limit events after a position (a copy), and false when the tail
// does not cover the position: it starts later, or its reader failed before reaching
// anything new.
func (t *tail) take(after eventstore.Position, limit int) ([]eventstore.Recorded, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if after.Before(t.from) {
		return nil, false
	}
	i, _ := slices.BinarySearchFunc(t.events, after, func(r eventstore.Recorded, p eventstore.Position) int {
		return r.Position.Compare(p)
	})
	if i < len(t.events) && t.events[i].Position == after {
		i++
	}
	if i == len(t.events) {
		return nil, !t.failed
	}
	return slices.Clone(t.events[i:min(len(t.events), i+limit)]), true
}

// end is the position the reader reads after.
func (t *tail) end() eventstore.Position {
	if len(t.events) == 0 {
		return t.from
	}
	return t.events[len(t.events)-1].Position
}

// add appends a batch read after end, dropping the oldest events beyond size.
func (t *tail) add(batch []eventstore.Recorded) {
	t.mu.Lock()
	t.events = append(t.events, batch...)
	if over := len(t.events) - t.size; over > 0 {
		// Drop down to half, into a fresh array, so that dropped events can be freed
		// and the copy is paid once per size/2 events.
		drop := over + t.size/2
		t.from = t.events[drop-1].Position
		t.events = slices.Clone(t.events[drop:])
	}
	t.mu.Unlock()
	t.grown.signal()
}

// stop ends the run; failed tells followers that nothing more will come.
func (t *tail) stop(failed bool) {
	t.mu.Lock()
	t.running, t.failed = false, failed
	t.mu.Unlock()
	t.grown.signal()
}

// readTail extends the tail while it has followers. When it has caught up it sleeps
// until an append in this process, a NOTIFY from another, or the poll interval. Rows
// that are committed but still above the read horizon (an older transaction is open)
// are re-checked after a short, growing pause rather than a full poll interval.
func (s *Store) readTail() {
	defer s.done.Done()
	const minPause, maxPause = time.Millisecond, 50 * time.Millisecond
	t, ctx := s.tail, s.bgCtx
	pause := minPause
	for {
		woken := s.wake.wait()
		t.mu.Lock()
		if t.readers == 0 {
			t.running = false
			t.mu.Unlock()
			return
		}
		after := t.end()
		t.mu.Unlock()
		batch, pending, err := s.readBatch(ctx, after, s.cfg.BatchSize)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logger.Warn("event store: reading the log's tail failed; subscribers read for themselves", "err", err)
			}
			t.stop(true)
			return
		}
		if len(batch) > 0 {
			t.add(batch)
			pause = minPause
			if len(batch) == s.cfg.BatchSize {
				continue
			}
		}
		sleep := s.cfg.PollInterval
		if pending {
			sleep = pause
			pause = min(pause*2, maxPause)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			t.stop(true)
			return
		case <-woken:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// readBatchSQL is readAllSQL and the question "are rows waiting above the horizon?" in
// one statement, so under one snapshot: the first branch returns up to $3 readable rows,
// the second at most one that is committed but not yet readable. Both compute the
// horizon from that snapshot in place, where it bounds their index scans. The second
// starts its scan at the later of the position and the horizon, written as one row
// comparison: given "after the position and at or above the horizon" as two
// conditions, PostgreSQL scanned from the position (all the rows the first branch
// reads, or more) or the whole table, and a tail read cost as much as the log was long.
const readBatchSQL = `
(SELECT true, tx_id, position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at
	FROM events
	WHERE (tx_id, position) > ($1, $2)
	  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
	ORDER BY tx_id, position
	LIMIT $3)
UNION ALL
(SELECT false, tx_id, position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at
	FROM events
	WHERE (tx_id, position) > (
		(SELECT greatest($1, h.x) FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint) AS h(x)),
		(SELECT CASE WHEN h.x > $1 THEN 0 ELSE $2 END FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint) AS h(x)))
	ORDER BY tx_id, position
	LIMIT 1)`

// readBatch reads up to limit events of the log after a position, as ReadAll does, and
// reports whether events after them are stored but not yet readable because an older
// transaction is still open.
func (s *Store) readBatch(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Recorded, bool, error) {
	rows, err := s.pool.Query(ctx, readBatchSQL, int64(after.Commit), int64(after.Prepare), limit)
	if err != nil {
		return nil, false, fmt.Errorf("read all after %s: %w", after, err)
	}
	defer rows.Close()
	var evs []eventstore.Recorded
	pending := false
	for rows.Next() {
		var ready bool
		r, err := scanEvent(rows, &ready)
		if err != nil {
			return nil, false, fmt.Errorf("read all after %s: %w", after, err)
		}
		if ready {
			evs = append(evs, r)
		} else {
			pending = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("read all after %s: %w", after, err)
	}
	// UNION ALL promises no order between its branches, nor the branch's ORDER BY once
	// they are combined: the log's order is restored here.
	if !slices.IsSortedFunc(evs, byPosition) {
		slices.SortFunc(evs, byPosition)
	}
	return evs, pending, nil
}

func byPosition(a, b eventstore.Recorded) int { return a.Position.Compare(b.Position) }

// broadcast wakes every waiter at once: wait returns a channel that the next signal
// closes. Waiters take the channel before they read, so a signal between their read
// and their sleep is never lost.
type broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

func newBroadcast() *broadcast { return &broadcast{ch: make(chan struct{})} }

func (b *broadcast) wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

func (b *broadcast) signal() {
	b.mu.Lock()
	close(b.ch)
	b.ch = make(chan struct{})
	b.mu.Unlock()
}
