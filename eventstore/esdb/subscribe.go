package esdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/stockledger/stockledger/eventstore"
)

// maxBatch caps a batch, so a subscriber catching up on a long log still checkpoints often.
const maxBatch = 256

// Subscribe delivers the log after the position after to fn: ESDB's catch-up subscription to
// $all reads what is stored, then switches to live events by itself. Events arriving together
// are handed to fn as one batch; no batch waits for more events.
//
// ESDB ends a subscription when the connection drops or the subscriber falls too far behind.
// Subscribe then resubscribes from the last position fn accepted, waiting 100ms, doubling up
// to 10s while attempts keep failing, and skips anything at or before that position, so fn
// still sees each event once. It gives up only for errors waiting cannot fix (credentials,
// permissions, a closed Store, an event it cannot decode).
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position, fn func(context.Context, []eventstore.Recorded) error) error {
	pos := after
	failures := 0
	for {
		progressed, err := s.subscribeOnce(ctx, &pos, fn)
		// A handler's error wins over ctx: it may say more than "canceled".
		var fatal *fatalError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if progressed {
			failures = 0
		}
		wait := backoff(failures)
		failures++
		s.log.WarnContext(ctx, "esdb subscription dropped, resubscribing", "after", pos.String(), "in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// fatalError ends Subscribe instead of resubscribing.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }

// received is one message from the subscription's reader: an event, or why it ended.
type received struct {
	ev  *esclient.RecordedEvent
	err error
}

// subscribeOnce runs one ESDB subscription until it drops, advancing *pos past every batch fn
// accepts. progressed reports whether fn accepted anything.
func (s *Store) subscribeOnce(ctx context.Context, pos *eventstore.Position, fn func(context.Context, []eventstore.Recorded) error) (progressed bool, err error) {
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var sub *esclient.Subscription
	err = s.call(func(c *esclient.Client) error {
		var err error
		sub, err = c.SubscribeToAll(subCtx, esclient.SubscribeToAllOptions{
			From: allFrom(*pos),
			// The server drops system events by type; collect also drops those in system
			// streams, which one ESDB filter cannot express together with types.
			Filter: esclient.ExcludeSystemEventsFilter(),
		})
		return err
	})
	if err != nil {
		err = fmt.Errorf("subscribe to $all after %s: %w", *pos, err)
		if !retryable(err) {
			return false, &fatalError{err}
		}
		return false, err
	}
	defer sub.Close()

	// Recv blocks, so a reader goroutine feeds a buffer from which each batch takes whatever
	// has arrived. It stops when the subscription ends, which cancel forces on return.
	msgs := make(chan received, maxBatch)
	go func() {
		defer close(msgs)
		for {
			m := sub.Recv()
			var r received
			switch {
			case m.SubscriptionDropped != nil:
				r.err = m.SubscriptionDropped.Error
				if r.err == nil {
					r.err = errors.New("subscription dropped")
				}
			case m.EventAppeared != nil && m.EventAppeared.OriginalEvent() != nil:
				r.ev = m.EventAppeared.OriginalEvent()
			default:
				continue // checkpoints, caught up, fell behind: nothing to deliver
			}
			select {
			case msgs <- r:
			case <-subCtx.Done():
				return
			}
			if r.err != nil {
				return
			}
		}
	}()

	for {
		var first received
		select {
		case <-ctx.Done():
			return progressed, ctx.Err()
		case m, ok := <-msgs:
			if !ok {
				return progressed, errors.New("subscription ended")
			}
			first = m
		}
		batch, dropErr, err := collect(*pos, first, msgs)
		if err != nil {
			return progressed, &fatalError{fmt.Errorf("subscribe after %s: %w", *pos, err)}
		}
		if len(batch) > 0 {
			if err := fn(ctx, batch); err != nil {
				return progressed, &fatalError{fmt.Errorf("subscribe: handle events up to %s: %w", batch[len(batch)-1].Position, err)}
			}
			*pos = batch[len(batch)-1].Position
			progressed = true
		}
		if dropErr != nil {
			if !retryable(dropErr) {
				return progressed, &fatalError{fmt.Errorf("subscription after %s: %w", *pos, dropErr)}
			}
			return progressed, dropErr
		}
	}
}

// collect builds a batch from first and whatever else msgs holds now, without waiting. It
// leaves out system events and anything at or before after. dropErr is set when the
// subscription ended; err when an event could not be decoded, and then batch is nil.
func collect(after eventstore.Position, first received, msgs <-chan received) (batch []eventstore.Recorded, dropErr, err error) {
	m, ok := first, true
	for {
		if !ok {
			return batch, errors.New("subscription ended"), nil
		}
		if m.err != nil {
			return batch, m.err, nil
		}
		if !isSystem(m.ev.StreamID, m.ev.EventType) {
			r, err := toRecorded(m.ev)
			if err != nil {
				return nil, nil, err
			}
			if comesAfter(after, r.Position) {
				batch = append(batch, r)
				after = r.Position
			}
		}
		if len(batch) == maxBatch {
			return batch, nil, nil
		}
		select {
		case m, ok = <-msgs:
		default:
			return batch, nil, nil
		}
	}
}
