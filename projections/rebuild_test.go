package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/projections"
)

// rebuildRunner is a runner of p with small rebuild batches, so that a few hundred
// events make several.
func (f fixture) rebuildRunner(t *testing.T, p projections.Projector) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(projections.RunnerConfig{
		Log: f.Store, Pool: f.Pool, Projectors: []projections.Projector{p}, RebuildBatch: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// appendMany appends perStream events to each of streams streams, one AppendMulti per
// round, and returns the last position.
func (f fixture) appendMany(t *testing.T, streams, perStream int) eventstore.Position {
	t.Helper()
	var last eventstore.Position
	for range perStream {
		appends := make([]eventstore.StreamAppend, streams)
		for s := range appends {
			appends[s] = eventstore.StreamAppend{Stream: fmt.Sprintf("thing-%d", s), Expected: eventstore.Any,
				Events: []eventstore.NewEvent{{ID: uuid.Must(uuid.NewV7()), Type: "Happened", Data: []byte(`{}`)}}}
		}
		res, err := f.Store.AppendMulti(context.Background(), appends...)
		if err != nil {
			t.Fatal(err)
		}
		last = res[len(res)-1].Position
	}
	return last
}

// A rebuild replaces a damaged read model while the live runner runs and events keep
// coming; the runner carries on from the swapped-in checkpoint, and statements a
// connection prepared against the old table read the new one.
func TestRebuildSwapsWhileTheRunnerRuns(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := &tally{}
	live := f.rebuildRunner(t, p)
	stop := ledgertest.Start(t, live)
	defer stop()
	ledgertest.Wait(t, live, f.appendMany(t, 10, 30))
	conn, err := f.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	read := func() (n int64) {
		t.Helper()
		if err := conn.QueryRow(ctx, `SELECT n FROM tally WHERE stream = $1`, "thing-3").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := f.Pool.Exec(ctx, `UPDATE tally SET n = 999`); err != nil {
		t.Fatal(err)
	}
	if n := read(); n != 999 {
		t.Fatalf("damaged count %d", n)
	}

	var wg sync.WaitGroup
	wg.Add(1)
	var last eventstore.Position
	go func() {
		defer wg.Done()
		last = f.appendMany(t, 10, 20)
	}()
	var reports int
	if err := f.rebuildRunner(t, p).Rebuild(ctx, p.Name(), func(projections.Progress) { reports++ }); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	ledgertest.Wait(t, live, last)
	f.checkTally(t, 10, 50)
	if n := read(); n != 50 {
		t.Errorf("a prepared statement reads %d after the swap, want 50", n)
	}
	if reports == 0 {
		t.Error("no progress reported")
	}
	var schemas int
	if err := f.Pool.QueryRow(ctx, `SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rebuild_%'`).Scan(&schemas); err != nil || schemas != 0 {
		t.Errorf("%d rebuild schemas left (%v)", schemas, err)
	}
	if err := f.rebuildRunner(t, p).Rebuild(ctx, "nope", nil); err == nil {
		t.Error("rebuilding an unknown projection succeeded")
	}
}

// A rebuild stopped half way resumes from where it stopped rather than from the start.
func TestInterruptedRebuildResumes(t *testing.T) {
	f := newFixture(t)
	p := &tally{}
	last := f.appendMany(t, 5, 60)
	ctx, cancel := context.WithCancel(context.Background())
	var stoppedAt int64
	err := f.rebuildRunner(t, p).Rebuild(ctx, p.Name(), func(pr projections.Progress) {
		if pr.Applied >= 100 && stoppedAt == 0 {
			stoppedAt = pr.Applied
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted rebuild: %v", err)
	}
	var first projections.Progress
	r := f.rebuildRunner(t, p)
	if err := r.Rebuild(context.Background(), p.Name(), func(pr projections.Progress) {
		if first.Projection == "" {
			first = pr
		}
	}); err != nil {
		t.Fatal(err)
	}
	if first.Resumed < stoppedAt || first.Applied > 50 {
		t.Errorf("resumed after %d events and applied %d in its first batch; stopped after %d", first.Resumed, first.Applied, stoppedAt)
	}
	f.checkTally(t, 5, 60)
	ledgertest.Wait(t, r, last) // the swap set the live checkpoint at the end
}

// Verify finds nothing to report on a read model the runner built, and reports a row
// changed behind its back.
func TestVerify(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := &tally{}
	live := f.rebuildRunner(t, p)
	stop := ledgertest.Start(t, live)
	defer stop()
	ledgertest.Wait(t, live, f.appendMany(t, 8, 20))

	v, err := f.rebuildRunner(t, p).Verify(ctx, p.Name(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Count != 0 || v.Tables != 1 || v.Rows != 8 {
		t.Fatalf("verification of an intact read model: %+v", v)
	}
	if _, err := f.Pool.Exec(ctx, `UPDATE tally SET n = n + 1 WHERE stream = 'thing-2';
		DELETE FROM tally WHERE stream = 'thing-5'`); err != nil {
		t.Fatal(err)
	}
	v, err = f.rebuildRunner(t, p).Verify(ctx, p.Name(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Count != 2 || len(v.Differences) != 2 {
		t.Fatalf("found %d differences: %+v", v.Count, v.Differences)
	}
	d := v.Differences[0]
	if d.Table != "tally" || d.Key != "(thing-2)" || string(d.Live) == string(d.Rebuilt) || d.Rebuilt == nil {
		t.Errorf("first difference %s %s: live %s, rebuilt %s", d.Table, d.Key, d.Live, d.Rebuilt)
	}
	if d := v.Differences[1]; d.Key != "(thing-5)" || d.Live != nil || d.Rebuilt == nil {
		t.Errorf("second difference %s: live %s, rebuilt %s", d.Key, d.Live, d.Rebuilt)
	}
}

// A verification waits for no rebuild of the same projection: it is refused while one
// runs, rather than see a swap in the middle of its comparison.
func TestOneRebuildOrVerificationAtATime(t *testing.T) {
	f := newFixture(t)
	p := &tally{}
	f.appendMany(t, 5, 60)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		var once sync.Once
		done <- f.rebuildRunner(t, p).Rebuild(context.Background(), p.Name(), func(projections.Progress) {
			once.Do(func() {
				close(started)
				<-release
			})
		})
	}()
	<-started
	_, err := f.rebuildRunner(t, p).Verify(context.Background(), p.Name(), nil)
	close(release)
	if !errors.Is(err, projections.ErrBusy) {
		t.Errorf("verify during a rebuild: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.checkTally(t, 5, 60)
}
