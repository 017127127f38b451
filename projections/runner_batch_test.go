package projections_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/internal/migrate"
	"github.com/stockledger/stockledger/projections"
)

// ignoring projects nothing: its batches need no transaction.
type ignoring struct{ batches atomic.Int32 }

func (*ignoring) Name() string { return "ignoring" }

func (p *ignoring) Project(context.Context, pgx.Tx, []eventstore.Recorded) error {
	p.batches.Add(1)
	return nil
}

func (*ignoring) Migrations() migrate.Set { return tallySet }

func (f fixture) checkpointOf(t *testing.T, name string) (eventstore.Position, int64) {
	t.Helper()
	var commit, prepare, events int64
	if err := f.Pool.QueryRow(context.Background(),
		`SELECT commit_pos, prepare_pos, events FROM projection_checkpoints WHERE name = $1`, name).Scan(&commit, &prepare, &events); err != nil {
		t.Fatal(err)
	}
	return eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}, events
}

// A projector that sends nothing for a batch costs no transaction: WaitFor and Statuses
// see it at the end of the log, while the stored checkpoint follows later.
func TestIgnoredBatchesAreNotStored(t *testing.T) {
	f := newFixture(t)
	p := &ignoring{}
	r := f.NewRunner(t, p)
	stop := ledgertest.Start(t, r)
	defer stop()
	last := f.appendN(t, 3, 4)
	ledgertest.Wait(t, r, last)
	if p.batches.Load() == 0 {
		t.Fatal("the projector saw no batch")
	}
	if stored, _ := f.checkpointOf(t, "ignoring"); stored == last {
		t.Error("the checkpoint of ignored events was stored at once")
	}
	statuses, err := r.Statuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 1 || statuses[0].Position != last || statuses[0].Events < 12 {
		t.Errorf("Statuses() = %+v, want the runner at %s with 12 events", statuses, last)
	}
}

// deferring writes through Defer and reads in the middle of its batch: the read sees
// what was deferred before it, and a deferred statement's failure rolls the whole
// batch back.
type deferring struct {
	fail   atomic.Bool
	counts []int64
}

func (*deferring) Name() string { return "deferring" }

func (p *deferring) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	d, ok := tx.(projections.Tx)
	if !ok {
		return errors.New("the runner's transaction cannot defer")
	}
	for _, r := range batch {
		d.Defer(`INSERT INTO tally (stream, n, max_version) VALUES ($1, 1, $2)
			ON CONFLICT (stream) DO UPDATE SET n = tally.n + 1, max_version = GREATEST(tally.max_version, $2)`,
			r.Stream, int64(r.Version))
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(sum(n), 0) FROM tally`).Scan(&n); err != nil {
		return err
	}
	p.counts = append(p.counts, n)
	if p.fail.Swap(false) {
		d.Defer(`INSERT INTO tally (stream, n, max_version) VALUES (NULL, 1, 1)`)
	}
	return nil
}

func (*deferring) Migrations() migrate.Set { return tallySet }

func TestDeferredStatements(t *testing.T) {
	f := newFixture(t)
	p := &deferring{}
	p.fail.Store(true)
	r := f.NewRunner(t, p)
	last := f.appendN(t, 2, 3)
	stop := ledgertest.Start(t, r)
	defer stop()
	ledgertest.Wait(t, r, last)
	f.checkTally(t, 2, 3)
	// The first batch failed after its read; its rows were rolled back, and the retry
	// read the same count again.
	if len(p.counts) < 2 || p.counts[0] != p.counts[1] {
		t.Errorf("counts read = %v, want the failed batch's count repeated", p.counts)
	}
	if _, events := f.checkpointOf(t, "deferring"); events != 6 {
		t.Errorf("checkpoint counts %d events, want 6", events)
	}
}

// moving moves its own checkpoint from another connection while it projects, as a
// second runner committing first would: the batch, sent in one round trip with its
// COMMIT, must roll back.
type moving struct {
	f     fixture
	to    eventstore.Position // where the other "runner" leaves the checkpoint
	moved atomic.Bool
}

func (*moving) Name() string { return "moving" }

func (p *moving) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	for _, r := range batch {
		tx.(projections.Tx).Defer(`INSERT INTO tally (stream, n, max_version) VALUES ($1, 1, $2)
			ON CONFLICT (stream) DO UPDATE SET n = tally.n + 1, max_version = GREATEST(tally.max_version, $2)`,
			r.Stream, int64(r.Version))
	}
	if !p.moved.Swap(true) {
		// To the end of what the test appended, not of this batch: the events may come
		// in more than one batch, and the other runner took them all.
		if _, err := p.f.Pool.Exec(ctx, `UPDATE projection_checkpoints SET commit_pos = $2, prepare_pos = $3 WHERE name = $1`,
			"moving", int64(p.to.Commit), int64(p.to.Prepare)); err != nil {
			return err
		}
	}
	return nil
}

func (*moving) Migrations() migrate.Set { return tallySet }

func TestMovedCheckpointRollsTheBatchBack(t *testing.T) {
	f := newFixture(t)
	p := &moving{f: f}
	r := f.NewRunner(t, p)
	first := f.appendN(t, 2, 2)
	p.to = first
	stop := ledgertest.Start(t, r)
	defer stop()
	ledgertest.Wait(t, r, first)
	// The other "runner" took the first events: none of them is in the tally.
	var n int64
	if err := f.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(n), 0) FROM tally`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("the batch whose checkpoint moved was committed: %d rows counted", n)
	}
	// Later events are applied once, from the moved checkpoint.
	last := f.appendN(t, 1, 1)
	ledgertest.Wait(t, r, last)
	if err := f.Pool.QueryRow(context.Background(), `SELECT coalesce(sum(n), 0) FROM tally`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d rows counted after the move, want 1", n)
	}
}

// A projector's own failing Exec is returned as it is, and fails the batch.
type failingExec struct{ calls atomic.Int32 }

func (*failingExec) Name() string { return "failing" }

func (p *failingExec) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	if p.calls.Add(1) == 1 {
		_, err := tx.Exec(ctx, `SELECT 1/0`)
		if err == nil || !strings.Contains(err.Error(), "division by zero") {
			return errors.New("a failing Exec did not fail")
		}
		return err
	}
	// The events may come in more than one batch: each adds its own.
	_, err := tx.Exec(ctx, `INSERT INTO tally (stream, n, max_version) VALUES ('x', $1, 0)
		ON CONFLICT (stream) DO UPDATE SET n = tally.n + EXCLUDED.n`, len(batch))
	return err
}

func (*failingExec) Migrations() migrate.Set { return tallySet }

func TestFailingExecFailsTheBatch(t *testing.T) {
	f := newFixture(t)
	p := &failingExec{}
	r := f.NewRunner(t, p)
	last := f.appendN(t, 1, 3)
	stop := ledgertest.Start(t, r)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := f.Pool.QueryRow(ctx, `SELECT n FROM tally WHERE stream = 'x'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("tally = %d, %v; want the 3 events applied once after the failure", n, err)
	}
}
