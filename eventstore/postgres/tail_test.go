package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/pgtest"
)

// newSmallStore is a store whose batches, and so its tail, are small: subscribers fall
// behind the tail and come back to it often.
func newSmallStore(t *testing.T, batch int) *Store {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 40
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	s, err := New(pool, Config{PollInterval: 100 * time.Millisecond, BatchSize: batch})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Subscribers of one store share the tail: each still sees every event once and in
// order, whether it follows closely, starts late, or is so slow that the tail drops
// events it has not taken yet.
func TestSubscribersShareTheTail(t *testing.T) {
	const writers, perWriter, batch = 8, 150, 10
	s := newSmallStore(t, batch)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	total := writers * perWriter

	type subscriber struct {
		name  string
		delay time.Duration // per batch
		late  bool          // starts once half the events are in
		mu    sync.Mutex
		seen  []eventstore.Recorded
	}
	subs := []*subscriber{{name: "close"}, {name: "second"}, {name: "slow", delay: 10 * time.Millisecond}, {name: "late", late: true}}
	run := func(sub *subscriber) error {
		subCtx, stop := context.WithCancel(ctx)
		defer stop()
		err := s.Subscribe(subCtx, eventstore.Start, func(_ context.Context, b []eventstore.Recorded) error {
			time.Sleep(sub.delay)
			sub.mu.Lock()
			defer sub.mu.Unlock()
			sub.seen = append(sub.seen, b...)
			if len(sub.seen) >= total {
				stop()
			}
			return nil
		})
		if errors.Is(err, context.Canceled) && ctx.Err() == nil {
			return nil
		}
		return err
	}
	errs := make(chan error, len(subs))
	half := make(chan struct{})
	for _, sub := range subs {
		go func() {
			if sub.late {
				<-half
			}
			errs <- run(sub)
		}()
	}

	var wg sync.WaitGroup
	var appended sync.Once
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				if _, err := s.Append(ctx, fmt.Sprintf("thing-%d", w), eventstore.Any, eventstore.NewEvent{
					ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`),
				}); err != nil {
					t.Error(err)
					return
				}
				if w == 0 && i == perWriter/2 {
					appended.Do(func() { close(half) })
				}
			}
		}()
	}
	wg.Wait()
	for range subs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, sub := range subs {
		if len(sub.seen) != total {
			t.Errorf("%s saw %d events, want %d", sub.name, len(sub.seen), total)
		}
		ids := map[[16]byte]bool{}
		for i, r := range sub.seen {
			if ids[r.ID] {
				t.Fatalf("%s saw %s twice", sub.name, r.ID)
			}
			ids[r.ID] = true
			if i > 0 && !sub.seen[i-1].Position.Before(r.Position) {
				t.Fatalf("%s saw %s after %s", sub.name, r.Position, sub.seen[i-1].Position)
			}
		}
	}
}

// A subscriber whose handler fails leaves the tail; the others go on.
func TestFailingSubscriberLeavesTheTail(t *testing.T) {
	s := newSmallStore(t, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	boom := errors.New("boom")
	failed := make(chan error, 1)
	go func() {
		failed <- s.Subscribe(ctx, eventstore.Start, func(context.Context, []eventstore.Recorded) error { return boom })
	}()
	got := make(chan int, 100)
	go func() {
		_ = s.Subscribe(ctx, eventstore.Start, func(_ context.Context, b []eventstore.Recorded) error {
			got <- len(b)
			return nil
		})
	}()
	for range 20 {
		if _, err := s.Append(ctx, "thing-1", eventstore.Any, eventstore.NewEvent{ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-failed; !errors.Is(err, boom) {
		t.Fatalf("failing subscriber: %v, want boom", err)
	}
	n := 0
	for n < 20 {
		select {
		case k := <-got:
			n += k
		case <-ctx.Done():
			t.Fatalf("the other subscriber saw %d of 20 events", n)
		}
	}
	s.tail.mu.Lock()
	readers := s.tail.readers
	s.tail.mu.Unlock()
	if readers > 1 {
		t.Errorf("the tail has %d readers, want at most the one left", readers)
	}
}

func TestReadStreams(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	for i, n := range []int{3, 1, 2} {
		for range n {
			if _, err := s.Append(ctx, fmt.Sprintf("thing-%d", i), eventstore.Any, eventstore.NewEvent{ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := s.ReadStreams(ctx, []string{"thing-2", "thing-0", "thing-9"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var shape []string
	for _, r := range got {
		shape = append(shape, fmt.Sprintf("%s@%d", r.Stream, r.Version))
	}
	if want := "[thing-0@1 thing-0@2 thing-0@3 thing-2@1 thing-2@2]"; fmt.Sprint(shape) != want {
		t.Errorf("ReadStreams = %v, want %s", shape, want)
	}
	if got, err := s.ReadStreams(ctx, []string{"thing-0", "thing-1"}, 2); err != nil || len(got) != 2 {
		t.Errorf("limit 2: %d events, %v", len(got), err)
	}
	if _, err := s.ReadStreams(ctx, []string{"thing-0", "Bad Name"}, 10); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Errorf("bad stream name: %v, want ErrInvalidStream", err)
	}
}

// A multi-stream append whose second expectation fails writes nothing and names the
// stream that failed, not the one rolled back with it.
func TestAppendMultiNamesTheStreamThatFailed(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Append(ctx, "thing-1", eventstore.NoStream, eventstore.NewEvent{ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: "thing-2", Expected: eventstore.NoStream, Events: []eventstore.NewEvent{{ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`)}}},
		eventstore.StreamAppend{Stream: "thing-1", Expected: eventstore.NoStream, Events: []eventstore.NewEvent{{ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`)}}},
	)
	var wrong *eventstore.WrongVersionError
	if !errors.As(err, &wrong) || wrong.Stream != "thing-1" || wrong.Actual != 1 {
		t.Fatalf("err = %v, want a wrong version on thing-1 at 1", err)
	}
	if got, err := s.ReadStream(ctx, "thing-2", 1, 10); err != nil || len(got) != 0 {
		t.Fatalf("thing-2 holds %d events (%v); the failed append wrote half", len(got), err)
	}
	// Exact versions past the stream's end are refused too.
	_, err = s.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: "thing-1", Expected: eventstore.Exact(5), Events: []eventstore.NewEvent{{ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`)}}},
		eventstore.StreamAppend{Stream: "thing-3", Expected: eventstore.NoStream, Events: []eventstore.NewEvent{{ID: mustUUID(t), Type: "Happened", Data: []byte(`{}`)}}},
	)
	if !errors.As(err, &wrong) || wrong.Stream != "thing-1" {
		t.Fatalf("err = %v, want a wrong version on thing-1", err)
	}
}
