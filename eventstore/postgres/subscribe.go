package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/stockledger/stockledger/eventstore"
)

// Subscribe implements eventstore.Store. It reads in batches; when it has caught up it
// sleeps until an append in this process, a NOTIFY from another, or the poll interval.
// Rows that are committed but still above the read horizon (an older transaction is
// open) are re-checked after a short, growing pause rather than a full poll interval.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position, fn func(context.Context, []eventstore.Recorded) error) error {
	s.startListener()
	const minPause, maxPause = time.Millisecond, 50 * time.Millisecond
	pause := minPause
	for {
		woken := s.wake.wait()
		batch, err := s.ReadAll(ctx, after, s.cfg.BatchSize)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("subscribe: %w", err)
		}
		if len(batch) > 0 {
			if err := fn(ctx, batch); err != nil {
				return fmt.Errorf("subscribe: handler at %s: %w", batch[0].Position, err)
			}
			after = batch[len(batch)-1].Position
			pause = minPause
			if len(batch) == s.cfg.BatchSize {
				continue
			}
		}
		sleep := s.cfg.PollInterval
		pending, err := s.pendingAfter(ctx, after)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("subscribe: %w", err)
		}
		if pending {
			sleep = pause
			pause = min(pause*2, maxPause)
		}
		timer := time.NewTimer(sleep)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-woken:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// pendingAfter reports whether events after the position are stored but not yet
// readable because an older transaction is still open.
func (s *Store) pendingAfter(ctx context.Context, after eventstore.Position) (bool, error) {
	var pending bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM events
		WHERE (tx_id, position) > ($1, $2)
		  AND tx_id >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint)`,
		int64(after.Commit), int64(after.Prepare)).Scan(&pending)
	if err != nil {
		return false, fmt.Errorf("pending after %s: %w", after, err)
	}
	return pending, nil
}

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
