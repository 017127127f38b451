package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/eventstore/storetest"
	"github.com/stockledger/stockledger/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newTestStore returns a migrated store on a fresh database.
func newTestStore(t testing.TB) *Store {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 40
	ConfigurePool(cfg) // as Open sets up a server's store
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	s, err := New(pool, Config{PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Features{
		AtomicMultiStream: true,
		UniqueEventIDs:    true,
		// A second store on the same database, as another process would be: its appends
		// reach the first store's subscribers only through NOTIFY and the read horizon.
		Stall: func(t *testing.T, s eventstore.Store, hold func(context.Context) error) eventstore.Store {
			stalled, err := New(s.(*Store).pool, Config{})
			if err != nil {
				t.Fatal(err)
			}
			stalled.beforeCommit = hold
			t.Cleanup(func() { stalled.Close() })
			return stalled
		},
	}, func(t *testing.T) eventstore.Store { return newTestStore(t) })
}

func TestEmptyLogHeadIsStart(t *testing.T) {
	s := newTestStore(t)
	head, err := s.Head(context.Background())
	if err != nil || head != eventstore.Start {
		t.Fatalf("Head() = %s, %v; want start", head, err)
	}
}

func TestEventsAreImmutable(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	if _, err := s.Append(ctx, "part-1", eventstore.NoStream, eventstore.NewEvent{
		ID: mustUUID(t), Type: "PartCreated", Data: []byte(`{"name":"x"}`),
	}); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE events SET type = 'X'`, `DELETE FROM events`, `TRUNCATE events`} {
		if _, err := s.pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded; events must be immutable", sql)
		}
	}
}

// A reader must not pass an open transaction's events: while one append is held open,
// later commits stay invisible to ReadAll, and appear in order once it commits.
func TestReadHorizonWaitsForOpenTransaction(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseHeld := func() { releaseOnce.Do(func() { close(release) }) }
	held, err := New(s.pool, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	defer releaseHeld() // a failing test must not leave the append waiting forever
	held.beforeCommit = func(context.Context) error { <-release; return nil }
	heldDone := make(chan error, 1)
	go func() {
		_, err := held.Append(ctx, "part-1", eventstore.NoStream, eventstore.NewEvent{ID: mustUUID(t), Type: "PartCreated", Data: []byte(`{}`)})
		heldDone <- err
	}()
	// Wait until the held append has inserted its row: its transaction then has an id
	// (BEGIN alone leaves it idle in transaction without one, holding nothing back).
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND backend_xid IS NOT NULL AND datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("held append never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := s.Append(ctx, "part-2", eventstore.NoStream, eventstore.NewEvent{ID: mustUUID(t), Type: "PartCreated", Data: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAll(ctx, eventstore.Start, 10); err != nil || len(got) != 0 {
		t.Fatalf("while an older transaction is open ReadAll returned %d events, %v; want none", len(got), err)
	}
	// Head already covers the commit ReadAll holds back.
	if head, err := s.Head(ctx); err != nil || head == eventstore.Start {
		t.Fatalf("Head() = %s, %v; want the committed part-2 append", head, err)
	}
	releaseHeld()
	if err := <-heldDone; err != nil {
		t.Fatal(err)
	}
	// Other tests' transactions on the same server may hold the horizon back a moment.
	var got []eventstore.Recorded
	for deadline := time.Now().Add(10 * time.Second); len(got) < 2 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got, err = s.ReadAll(ctx, eventstore.Start, 10); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 2 || got[0].Stream != "part-1" || got[1].Stream != "part-2" {
		t.Fatalf("after commit ReadAll = %v, %v; want part-1 then part-2", got, err)
	}
}

func TestRollbackLeavesNoTrace(t *testing.T) {
	s := newTestStore(t)
	ctx := context.Background()
	failing, err := New(s.pool, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer failing.Close()
	boom := errors.New("boom")
	failing.beforeCommit = func(context.Context) error { return boom }
	if _, err := failing.Append(ctx, "part-1", eventstore.NoStream, eventstore.NewEvent{ID: mustUUID(t), Type: "PartCreated", Data: []byte(`{}`)}); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	res, err := s.Append(ctx, "part-1", eventstore.NoStream, eventstore.NewEvent{ID: mustUUID(t), Type: "PartCreated", Data: []byte(`{}`)})
	if err != nil || res.Version != 1 {
		t.Fatalf("append after a rolled-back one = %+v, %v; want version 1", res, err)
	}
}
