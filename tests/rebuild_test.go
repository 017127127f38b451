package tests

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/seed"
	"github.com/stockledger/stockledger/internal/server"
	"github.com/stockledger/stockledger/projections"
	"github.com/stockledger/stockledger/projections/monthly"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

func reportAuthRows() []authRow {
	return []authRow{
		{Method: http.MethodGet, Path: "/api/report/monthly-movements/", Admits: hasRole, Role: "stock", Perm: "view"},
		{Method: http.MethodOptions, Path: "/api/report/monthly-movements/", Admits: hasRole, Role: "stock", Perm: "view"},
	}
}

// openSecond opens the server's database as `stockledger rebuild` and `verify` do: a
// process of its own, beside the serving one.
func openSecond(t *testing.T, s *Server) *server.App {
	t.Helper()
	app, err := server.Open(context.Background(), server.Config{DatabaseURL: s.DatabaseURL, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// seedHistory writes n events of stock history through app's commands.
func seedHistory(t *testing.T, app *server.App, n int) {
	t.Helper()
	ctx := commands.WithMetadata(context.Background(), eventstore.Metadata{RequestID: "seed"})
	_, err := seed.Run(ctx, seed.Deps{Executor: app.Executor, Store: app.Store, Parts: app.Parts, Stock: app.Stock, Keys: app.Keys},
		seed.Config{Events: n, Parts: 20, Locations: 20})
	if err != nil {
		t.Fatal(err)
	}
	// The server's read models catch up before the test goes on: on a loaded machine
	// that can take longer than a write's wait for them (ProjectionWait), and the test
	// is about what happens next, not about that.
	head, err := app.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := app.Runner.WaitFor(wctx, head); err != nil {
		t.Fatalf("read models after the seed: %v", err)
	}
}

// verifyAll runs `verify` on every projection and fails t on any difference.
func verifyAll(t *testing.T, app *server.App) {
	t.Helper()
	statuses, err := app.Runner.Statuses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range statuses {
		v, err := app.Runner.Verify(context.Background(), st.Name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v.Count != 0 {
			for _, d := range v.Differences {
				t.Errorf("%s %s %s: live %s, rebuilt %s", st.Name, d.Table, d.Key, d.Live, d.Rebuilt)
			}
			t.Fatalf("%s: %d rows differ", st.Name, v.Count)
		}
	}
}

// A rebuild of every read model, run by another process while clients keep moving stock
// through the API, loses nothing: the API answered throughout, every write is in the
// swapped-in read models, and verify finds no difference with a rebuild.
func TestRebuildDuringWritesLosesNothing(t *testing.T) {
	s := StartServer(t)
	admin := s.Admin.Client
	part := newPart(t, admin, map[string]any{"name": "Bolt", "description": "M3"})
	a := stockLocation(t, admin, "A", 0)
	b := stockLocation(t, admin, "B", 0)
	var items []int64
	for range 4 {
		items = append(items, stockItem(t, admin, part, "100", a))
	}
	seedHistory(t, s.App, 6000) // enough for a rebuild of a few batches

	// Writers: each adds 1 to an item, or moves one unit of it to B (a split), until
	// the rebuild is done. A 503 is the API saying that the write stands but its read
	// models were late (ProjectionWait), which a loaded machine can make happen during a
	// swap; such an addition may or may not be in the books, and is counted apart.
	var added, late atomic.Int64
	var writes atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := admin.For(t)
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				item := items[(w*2+i)%len(items)]
				var r *Response
				if i%2 == 0 {
					r = c.Do(http.MethodPost, "/api/stock/add/", map[string]any{"items": []map[string]any{{"pk": item, "quantity": "1"}}})
				} else {
					r = c.Do(http.MethodPost, "/api/stock/transfer/", map[string]any{"location": b, "items": []map[string]any{{"pk": item, "quantity": "1"}}})
				}
				switch {
				case r.Status == http.StatusServiceUnavailable:
					t.Logf("write during the rebuild: %s", r)
					if i%2 == 0 {
						late.Add(1)
					}
					continue
				case r.Status != http.StatusCreated && r.Status != http.StatusOK:
					t.Errorf("write during the rebuild: %s", r)
					return
				}
				if i%2 == 0 {
					added.Add(1)
				}
				writes.Add(1)
			}
		}()
	}

	other := openSecond(t, s)
	for _, name := range []string{"users", "parts", "stock", monthly.Name} {
		if err := other.Runner.Rebuild(context.Background(), name, nil); err != nil {
			t.Fatal(err)
		}
		// The API answers reads while and after each swap.
		admin.Get("/api/stock/?part="+strconv.FormatInt(part, 10), http.StatusOK)
	}
	time.Sleep(200 * time.Millisecond) // writes after the last swap
	close(done)
	wg.Wait()
	if writes.Load() < 4 {
		t.Fatalf("only %d writes ran beside the rebuild", writes.Load())
	}

	// Every unit added is there: 400 to start with, transfers only move them.
	var total float64
	for _, it := range admin.Get("/api/stock/?part="+strconv.FormatInt(part, 10), http.StatusOK).List() {
		total += it["quantity"].(float64)
	}
	if least := float64(400 + added.Load()); total < least || total > least+float64(late.Load()) {
		t.Errorf("part holds %v after %d additions (and %d answered late), want %v", total, added.Load(), late.Load(), least)
	}
	verifyAll(t, other)
}

// A rebuild stopped half way (the process interrupted) is resumed by the next one,
// which carries on from the shadow's checkpoint, and the result verifies. The first
// folds only the first 3000 events, so that it goes on event by event after them and
// has a checkpoint to stop after.
func TestInterruptedRebuildResumes(t *testing.T) {
	s := StartServer(t)
	seedHistory(t, s.App, 12000)
	interrupted, err := projections.NewRunner(projections.RunnerConfig{Log: s.App.Store, Pool: s.App.Pool,
		Projectors: []projections.Projector{stockrm.NewProjector()}, FoldEvents: 3000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var stoppedAfter int64
	err = interrupted.Rebuild(ctx, "stock", func(p projections.Progress) {
		if stoppedAfter == 0 && p.Phase == "build" && p.Applied > 3000 {
			stoppedAfter = p.Applied
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted rebuild returned %v", err)
	}
	var first *projections.Progress
	again := openSecond(t, s)
	if err := again.Runner.Rebuild(context.Background(), "stock", func(p projections.Progress) {
		if first == nil {
			first = &p
		}
	}); err != nil {
		t.Fatal(err)
	}
	if first == nil || first.Resumed < stoppedAfter {
		t.Fatalf("the second rebuild did not resume after the %d events the first applied: %+v", stoppedAfter, first)
	}
	verifyAll(t, again)
}

// verify names a row changed behind the projector's back.
func TestVerifyReportsAPlantedDifference(t *testing.T) {
	s := StartServer(t)
	admin := s.Admin.Client
	part := newPart(t, admin, map[string]any{"name": "Nut", "description": "M3"})
	item := stockItem(t, admin, part, "10", stockLocation(t, admin, "A", 0))
	if _, err := s.App.Pool.Exec(context.Background(), `UPDATE stock_items SET quantity = 11 WHERE pk = $1`, item); err != nil {
		t.Fatal(err)
	}
	v, err := openSecond(t, s).Runner.Verify(context.Background(), "stock", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v.Count != 1 || len(v.Differences) != 1 || v.Differences[0].Table != "stock_items" || v.Differences[0].Key != fmt.Sprintf("(%d)", item) {
		t.Fatalf("verify found %d differences: %+v", v.Count, v.Differences)
	}
	// Put it back, for the harness's own verification at the end.
	if _, err := s.App.Pool.Exec(context.Background(), `UPDATE stock_items SET quantity = 10 WHERE pk = $1`, item); err != nil {
		t.Fatal(err)
	}
}

// A projection the server did not have before (the monthly movements) is built from
// the whole history on the first start that has it, while the API answers; its report
// answers once it is complete.
func TestNewProjectionIsBackfilledOnFirstStart(t *testing.T) {
	s := StartServer(t)
	seedHistory(t, s.App, 8000)
	// Make the database what the previous version left: no monthly read model at all.
	_, err := s.App.Pool.Exec(context.Background(), `DROP TABLE part_monthly_movements, monthly_items, readmodel_monthly_schema_version;
		DELETE FROM projection_checkpoints WHERE name = '`+monthly.Name+`'`)
	if err != nil {
		t.Fatal(err)
	}

	// The new version starts on that database.
	app := openSecond(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { served <- app.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
	}()
	next := *s
	next.URL = "http://" + ln.Addr().String()
	c := next.Token(s.Admin.Token)

	behind := false
	var rows []map[string]any
	for deadline := time.Now().Add(60 * time.Second); ; {
		// The API answers while the backfill runs.
		c.Get("/api/stock/location/?limit=1", http.StatusOK)
		r := c.Do(http.MethodGet, "/api/report/monthly-movements/", nil)
		if r.Status == http.StatusOK {
			rows = r.List()
			break
		}
		if r.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("report while backfilling: %s", r)
		}
		behind = true
	}
	t.Logf("report answered 503 while backfilling: %v", behind)

	// Backfilled from the whole history: for every part, what was received and
	// adjusted less what was consumed and shipped is what the stock read model holds
	// (in the books, not with customers), once that has caught up too.
	head, err := app.Store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
	defer wcancel()
	if err := app.Runner.WaitFor(wctx, head); err != nil {
		t.Fatal(err)
	}
	onHand := map[int64]float64{}
	dbRows, err := app.Pool.Query(context.Background(), `SELECT part, sum(quantity)::float8 FROM stock_items WHERE belongs_to IS NULL AND customer IS NULL GROUP BY part`)
	if err != nil {
		t.Fatal(err)
	}
	for dbRows.Next() {
		var p int64
		var q float64
		if err := dbRows.Scan(&p, &q); err != nil {
			t.Fatal(err)
		}
		onHand[p] = q
	}
	if len(onHand) == 0 {
		t.Fatal("no stock seeded")
	}
	moved := map[int64]float64{}
	for _, r := range rows {
		moved[int64(r["part"].(float64))] += r["received"].(float64) + r["adjusted"].(float64) - r["consumed"].(float64) - r["shipped"].(float64)
	}
	for p, q := range onHand {
		if d := moved[p] - q; d > 1e-6 || d < -1e-6 {
			t.Errorf("part %d: movements add up to %v, stock holds %v", p, moved[p], q)
		}
	}
}
