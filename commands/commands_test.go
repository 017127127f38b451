package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// counter is a toy aggregate: it may never exceed its limit.
type counter struct{ n int }

type incremented struct {
	By int `json:"by"`
}

func (incremented) EventType() string { return "Incremented" }

func (c *counter) Apply(e domain.Event) {
	if inc, ok := e.(incremented); ok {
		c.n += inc.By
	}
}

var errOverLimit = errors.New("over the limit")

func (c *counter) Increment(by, limit int) ([]domain.Event, error) {
	if c.n+by > limit {
		return nil, errOverLimit
	}
	return []domain.Event{incremented{By: by}}, nil
}

type codec struct{}

func (codec) Decode(typ string, _ int, data []byte) (domain.Event, error) {
	switch typ {
	case "Incremented":
		var e incremented
		err := json.Unmarshal(data, &e)
		return e, err
	}
	return nil, fmt.Errorf("unknown event type %q", typ)
}

func (codec) Schema(string) int { return 1 }

// newExecutor builds its own executor on a fresh ledger's store: it decodes the toy
// events, not the domain's.
func newExecutor(t *testing.T, maxAttempts int) (*commands.Executor, eventstore.Store) {
	t.Helper()
	l := ledgertest.New(t, ledgertest.Options{})
	x, err := commands.New(commands.Config{Store: l.Store, Codec: codec{}, MaxAttempts: maxAttempts})
	if err != nil {
		t.Fatal(err)
	}
	return x, l.Store
}

func fresh() *counter { return &counter{} }

// Concurrent commands on one stream retry their conflicts: none is lost, and the rule is
// decided on the state each append was made against, so the limit holds.
func TestConcurrentCommandsRetryAndKeepTheRule(t *testing.T) {
	x, store := newExecutor(t, 100)
	ctx := commands.WithMetadata(context.Background(), eventstore.Metadata{User: "alice", UserID: 3, RequestID: "r1"})
	const writers, limit = 30, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, refused int
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := commands.Execute(ctx, x, "counter-1", fresh, func(c *counter) ([]domain.Event, error) {
				return c.Increment(1, limit)
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errOverLimit):
				refused++
			default:
				t.Errorf("execute: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != limit || refused != writers-limit {
		t.Fatalf("%d succeeded, %d refused; want %d and %d", ok, refused, limit, writers-limit)
	}
	c, version, err := commands.Load(ctx, x, "counter-1", fresh)
	if err != nil || c.n != limit || version != limit {
		t.Fatalf("loaded n=%d version=%d err=%v; want %d", c.n, version, err, limit)
	}
	evs, err := store.ReadStream(ctx, "counter-1", 1, 1)
	if err != nil || len(evs) != 1 || evs[0].Metadata.User != "alice" || evs[0].Metadata.RequestID != "r1" {
		t.Fatalf("metadata not recorded: %+v %v", evs, err)
	}
}

func TestRuleErrorAppendsNothing(t *testing.T) {
	x, store := newExecutor(t, 3)
	ctx := context.Background()
	if _, err := commands.Execute(ctx, x, "counter-1", fresh, func(c *counter) ([]domain.Event, error) {
		return c.Increment(5, 3)
	}); !errors.Is(err, errOverLimit) {
		t.Fatalf("err = %v, want errOverLimit", err)
	}
	if evs, _ := store.ReadStream(ctx, "counter-1", 1, 10); len(evs) != 0 {
		t.Fatalf("a refused command appended %d events", len(evs))
	}
}

// With a single attempt, a stream that changed between load and append is reported as
// a conflict instead of being overwritten.
func TestConflictsAreBounded(t *testing.T) {
	x, store := newExecutor(t, 1)
	ctx := context.Background()
	_, err := commands.Execute(ctx, x, "counter-1", fresh, func(c *counter) ([]domain.Event, error) {
		// Someone else appends after our load.
		if _, err := store.Append(ctx, "counter-1", eventstore.Any, eventstore.NewEvent{
			ID: mustV7(t), Type: "Incremented", Data: []byte(`{"by":1}`),
		}); err != nil {
			t.Fatal(err)
		}
		return c.Increment(1, 10)
	})
	if !errors.Is(err, commands.ErrTooManyConflicts) || !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("err = %v, want ErrTooManyConflicts wrapping ErrWrongExpectedVersion", err)
	}
}

// Two transactions moving "stock" between counters concurrently: the total is kept and
// no counter goes over its limit, because each stream is appended at its loaded version.
func TestExecuteTxIsAtomicAcrossStreams(t *testing.T) {
	x, _ := newExecutor(t, 100)
	ctx := context.Background()
	if _, err := commands.Execute(ctx, x, "counter-1", fresh, func(c *counter) ([]domain.Event, error) {
		return c.Increment(10, 100)
	}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := commands.ExecuteTx(ctx, x, func(ctx context.Context, tx *commands.Tx) error {
				from, to := &counter{}, &counter{}
				if _, err := tx.Load(ctx, "counter-1", from); err != nil {
					return err
				}
				if _, err := tx.Load(ctx, "counter-2", to); err != nil {
					return err
				}
				if from.n < 1 {
					return errOverLimit
				}
				if err := tx.Emit("counter-1", incremented{By: -1}); err != nil {
					return err
				}
				return tx.Emit("counter-2", incremented{By: 1})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	a, _, _ := commands.Load(ctx, x, "counter-1", fresh)
	b, _, _ := commands.Load(ctx, x, "counter-2", fresh)
	if a.n != 0 || b.n != 10 {
		t.Fatalf("counters = %d and %d, want 0 and 10", a.n, b.n)
	}
	// A decision that touches nothing appends nothing.
	if res, err := commands.ExecuteTx(ctx, x, func(context.Context, *commands.Tx) error { return nil }); err != nil || res.Appended != 0 {
		t.Fatalf("empty transaction = %+v, %v", res, err)
	}
}
