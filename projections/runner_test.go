package projections_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/internal/migrate"
	"github.com/stockledger/stockledger/internal/pgtest"
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

func (*tally) Migrations() migrate.Set { return tallySet }

// tallySet creates the tally table, in the live schema or a rebuild's.
var tallySet = migrate.Set{Name: "test_tally", FS: fstest.MapFS{
	"00001_tally.sql": {Data: []byte(`-- +goose Up
CREATE TABLE tally (stream text PRIMARY KEY, n bigint NOT NULL, max_version bigint NOT NULL);
`)},
}}

// fixture is a ledger with the tally table; each test builds and starts its own runners.
type fixture struct{ *ledgertest.Ledger }

func newFixture(t *testing.T) fixture {
	t.Helper()
	return fixture{ledgertest.New(t, ledgertest.Options{Migrations: []ledgertest.Migration{migrateTally}})}
}

func migrateTally(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, tallySet, logger)
}

func (f fixture) appendN(t *testing.T, streams, perStream int) eventstore.Position {
	t.Helper()
	var last eventstore.Position
	for s := range streams {
		for range perStream {
			res, err := f.Store.Append(context.Background(), fmt.Sprintf("thing-%d", s), eventstore.Any, eventstore.NewEvent{
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
	rows, err := f.Pool.Query(context.Background(), `SELECT stream, n, max_version FROM tally`)
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

func TestRunnerAppliesEachEventOnceAcrossRestarts(t *testing.T) {
	f := newFixture(t)
	p := &tally{}
	r := f.NewRunner(t, p)
	stop := ledgertest.Start(t, r)
	ledgertest.Wait(t, r, f.appendN(t, 5, 10))
	f.checkTally(t, 5, 10)
	stop()

	// Events appended while no runner runs are picked up from the checkpoint.
	last := f.appendN(t, 5, 10)
	r2 := f.NewRunner(t, p)
	stop2 := ledgertest.Start(t, r2)
	defer stop2()
	ledgertest.Wait(t, r2, last)
	f.checkTally(t, 5, 20)
}

func TestFailedBatchIsRolledBackAndRetried(t *testing.T) {
	f := newFixture(t)
	p := &tally{}
	p.failures.Store(3)
	r := f.NewRunner(t, p)
	stop := ledgertest.Start(t, r)
	defer stop()
	ledgertest.Wait(t, r, f.appendN(t, 3, 7))
	f.checkTally(t, 3, 7)
}

// Two runners of the same projector (two servers) still apply every event once.
func TestTwoRunnersApplyEachEventOnce(t *testing.T) {
	f := newFixture(t)
	r1, r2 := f.NewRunner(t, &tally{}), f.NewRunner(t, &tally{})
	stop1, stop2 := ledgertest.Start(t, r1), ledgertest.Start(t, r2)
	defer stop1()
	defer stop2()
	var last eventstore.Position
	for range 10 {
		last = f.appendN(t, 4, 5)
	}
	ledgertest.Wait(t, r1, last)
	ledgertest.Wait(t, r2, last)
	f.checkTally(t, 4, 50)
}

func TestWaitForTimesOut(t *testing.T) {
	f := newFixture(t)
	r := f.NewRunner(t, &tally{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := r.WaitFor(ctx, eventstore.Position{Commit: 1 << 40}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}
