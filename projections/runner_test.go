package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/eventstore/postgres"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// tally counts events per stream; with a non-additive check: an event applied twice
// makes the count exceed the stream's version.
type tally struct {
	failures atomic.Int32 // batches to fail before succeeding
}

func (*tally) Name() string { return "tally" }

func (p *tally) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	for _, r := range batch {
		if _, err := tx.Exec(ctx, `INSERT INTO tally (stream, n, max_version) VALUES ($1, 1, $2)
			ON CONFLICT (stream) DO UPDATE SET n = tally.n + 1, max_version = GREATEST(tally.max_version, $2)`,
			r.Stream, int64(r.Version)); err != nil {
			return err
		}
	}
	if p.failures.Load() > 0 {
		p.failures.Add(-1)
		return errors.New("injected failure after writing rows")
	}
	return nil
}

func (*tally) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE tally`)
	return err
}

type fixture struct {
	pool  *pgxpool.Pool
	store *postgres.Store
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := postgres.Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	if err := projections.Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE tally (stream text PRIMARY KEY, n bigint NOT NULL, max_version bigint NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	store, err := postgres.New(pool, postgres.Config{PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return fixture{pool: pool, store: store}
}

func (f fixture) runner(t *testing.T, p projections.Projector) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(projections.RunnerConfig{
		Log: f.store, Pool: f.pool, Projectors: []projections.Projector{p}, RetryDelay: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f fixture) start(t *testing.T, r *projections.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

func (f fixture) appendN(t *testing.T, streams, perStream int) eventstore.Position {
	t.Helper()
	var last eventstore.Position
	for s := range streams {
		for range perStream {
			res, err := f.store.Append(context.Background(), fmt.Sprintf("thing-%d", s), eventstore.Any, eventstore.NewEvent{
				ID: uuid.Must(uuid.NewV7()), Type: "Happened", Data: []byte(`{}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			last = res.Position
		}
	}
	return last
}

// checkTally asserts that every stream was counted exactly once per event.
func (f fixture) checkTally(t *testing.T, streams, perStream int) {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT stream, n, max_version FROM tally`)
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for rows.Next() {
		var stream string
		var n, maxVersion int64
		if err := rows.Scan(&stream, &n, &maxVersion); err != nil {
			t.Fatal(err)
		}
		if n != int64(perStream) || maxVersion != int64(perStream) {
			t.Errorf("%s counted %d events up to version %d; want %d", stream, n, maxVersion, perStream)
		}
		got++
	}
	if rows.Err() != nil || got != streams {
		t.Fatalf("%d streams tallied, want %d (%v)", got, streams, rows.Err())
	}
}

func wait(t *testing.T, r *projections.Runner, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
}

func TestRunnerAppliesEachEventOnceAcrossRestarts(t *testing.T) {
	f := newFixture(t)
	p := &tally{}
	r := f.runner(t, p)
	stop := f.start(t, r)
	wait(t, r, f.appendN(t, 5, 10))
	f.checkTally(t, 5, 10)
	stop()

	// Events appended while no runner runs are picked up from the checkpoint.
	last := f.appendN(t, 5, 10)
	r2 := f.runner(t, p)
	stop2 := f.start(t, r2)
	defer stop2()
	wait(t, r2, last)
	f.checkTally(t, 5, 20)
}

func TestFailedBatchIsRolledBackAndRetried(t *testing.T) {
	f := newFixture(t)
	p := &tally{}
	p.failures.Store(3)
	r := f.runner(t, p)
	stop := f.start(t, r)
	defer stop()
	wait(t, r, f.appendN(t, 3, 7))
	f.checkTally(t, 3, 7)
}

// Two runners of the same projector (two servers) still apply every event once.
func TestTwoRunnersApplyEachEventOnce(t *testing.T) {
	f := newFixture(t)
	r1, r2 := f.runner(t, &tally{}), f.runner(t, &tally{})
	stop1, stop2 := f.start(t, r1), f.start(t, r2)
	defer stop1()
	defer stop2()
	var last eventstore.Position
	for range 10 {
		last = f.appendN(t, 4, 5)
	}
	wait(t, r1, last)
	wait(t, r2, last)
	f.checkTally(t, 4, 50)
}

func TestRebuildFromStart(t *testing.T) {
	f := newFixture(t)
	p := &tally{}
	r := f.runner(t, p)
	stop := f.start(t, r)
	wait(t, r, f.appendN(t, 4, 6))
	stop()
	// Damage the read model, then rebuild it from the log.
	if _, err := f.pool.Exec(context.Background(), `UPDATE tally SET n = 999`); err != nil {
		t.Fatal(err)
	}
	var calls int
	if err := r.Rebuild(context.Background(), "tally", func(applied int, _ eventstore.Position) { calls++ }); err != nil {
		t.Fatal(err)
	}
	f.checkTally(t, 4, 6)
	if calls == 0 {
		t.Error("rebuild reported no progress")
	}
	if err := r.Rebuild(context.Background(), "nope", nil); err == nil {
		t.Error("rebuilding an unknown projection succeeded")
	}
}

func TestWaitForTimesOut(t *testing.T) {
	f := newFixture(t)
	r := f.runner(t, &tally{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.WaitFor(ctx, eventstore.Position{Commit: 1 << 40}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}
