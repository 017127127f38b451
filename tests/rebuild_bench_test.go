package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/internal/seed"
	"github.com/stockledger/stockledger/internal/server"
	"github.com/stockledger/stockledger/projections"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// BenchmarkRebuildStock measures how fast the stock read models are rebuilt from a
// seeded history, beside a baseline taken in the same run: COPY of the same final rows
// (locations, items, tracking entries, as the rebuild left them) into plain tables
// without indexes, triggers or generated columns. Both are reported in events of the
// log per second; the seed is not timed. REBUILD_BENCH_EVENTS sets the history's size
// (default 20000); run it once:
//
//	REBUILD_BENCH_EVENTS=1000000 go test -run '^$' -bench RebuildStock -benchtime 1x -timeout 2h ./tests/
func BenchmarkRebuildStock(b *testing.B) {
	events := 20000
	if v := os.Getenv("REBUILD_BENCH_EVENTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("REBUILD_BENCH_EVENTS: %v", err)
		}
		events = n
	}
	ctx := context.Background()
	app, err := server.Open(ctx, server.Config{DatabaseURL: pgtest.NewDatabase(b), Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	sctx := commands.WithMetadata(ctx, eventstore.Metadata{RequestID: "seed"})
	res, err := seed.Run(sctx, seed.Deps{Executor: app.Executor, Store: app.Store, Parts: app.Parts, Stock: app.Stock, Keys: app.Keys},
		seed.Config{Events: events})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d events (%d items) in %s", res.Events, res.Items, res.Took.Round(time.Millisecond))
	head, err := app.Store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	logEvents := float64(head.Prepare) // PostgreSQL positions number the events

	b.ResetTimer()
	for range b.N {
		start := time.Now()
		// When each phase began, to show where the time goes.
		var phases []string
		phase := ""
		var built time.Duration
		err := app.Runner.Rebuild(ctx, stockrm.ProjectorName, func(p projections.Progress) {
			if p.Phase != phase {
				phase = p.Phase
				phases = append(phases, fmt.Sprintf("%s at %s", phase, time.Since(start).Round(time.Millisecond)))
			}
			if p.Phase == "swap" && built == 0 {
				built = time.Since(start)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		copied := copyBaseline(b, app)
		b.ReportMetric(logEvents/took.Seconds(), "rebuild-events/s")
		b.ReportMetric(logEvents/built.Seconds(), "build-events/s")
		b.ReportMetric(logEvents/copied.Seconds(), "copy-events/s")
		b.ReportMetric(100*copied.Seconds()/took.Seconds(), "%-of-copy-rate")
		b.Logf("%.0f events: rebuild %s (log replayed in %s; %s), COPY of the final rows %s",
			logEvents, took.Round(time.Millisecond), built.Round(time.Millisecond), strings.Join(phases, ", "), copied.Round(time.Millisecond))
	}
}

// copyBaseline copies the stock read models' rows, read out first, into plain tables
// and says how long the COPY took.
func copyBaseline(b *testing.B, app *server.App) time.Duration {
	ctx := context.Background()
	conn, err := app.Pool.Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	tables := []string{"stock_locations", "stock_items", "stock_tracking"}
	data := map[string]*bytes.Buffer{}
	for _, t := range tables {
		data[t] = &bytes.Buffer{}
		if _, err := conn.Conn().PgConn().CopyTo(ctx, data[t], `COPY (SELECT * FROM `+t+`) TO STDOUT (FORMAT binary)`); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS plain_`+t+`; CREATE TABLE plain_`+t+` (LIKE `+t+`)`); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	tx, err := conn.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range tables {
		if _, err := tx.Conn().PgConn().CopyFrom(ctx, data[t], `COPY plain_`+t+` FROM STDIN (FORMAT binary)`); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}
