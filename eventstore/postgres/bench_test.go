package postgres

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/eventstore"
)

// benchPayload is about the size of a real stock movement event.
var benchPayload = []byte(`{"item":42,"part":7,"quantity":"12.5","from_location":3,"to_location":9,"notes":"moved for the benchmark"}`)

// runWriters runs b.N operations spread over w goroutines and reports ops/s and
// events/s.
func runWriters(b *testing.B, w, eventsPerOp int, op func(ctx context.Context, writer, i int) error) {
	b.Helper()
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, w)
	b.ResetTimer()
	start := time.Now()
	for writer := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if next.Add(1) > int64(b.N) {
					return
				}
				if err := op(ctx, writer, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(b.N*eventsPerOp)/elapsed.Seconds(), "events/s")
}

// BenchmarkAppend appends to one stream per writer with exact expected versions, as a
// command handler does.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 8, 32} {
		for _, perAppend := range []int{1, 100} {
			b.Run(fmt.Sprintf("writers=%d/events=%d", writers, perAppend), func(b *testing.B) {
				s := newTestStore(b)
				versions := make([]uint64, writers)
				runWriters(b, writers, perAppend, func(ctx context.Context, w, _ int) error {
					evs := make([]eventstore.NewEvent, perAppend)
					for i := range evs {
						evs[i] = eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: "StockItemMoved", Data: benchPayload}
					}
					res, err := s.Append(ctx, fmt.Sprintf("stockitem-%d", w), eventstore.Exact(versions[w]), evs...)
					versions[w] = res.Version
					return err
				})
			})
		}
	}
}

// BenchmarkRawInsert is the baseline: single-row INSERT + COMMIT into a plain table, at
// the same concurrency, on the same server.
func BenchmarkRawInsert(b *testing.B) {
	for _, writers := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := newTestStore(b)
			if _, err := s.pool.Exec(context.Background(),
				`CREATE TABLE raw_insert (id bigserial PRIMARY KEY, stream text NOT NULL, data json NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			runWriters(b, writers, 1, func(ctx context.Context, w, _ int) error {
				_, err := s.pool.Exec(ctx, `INSERT INTO raw_insert (stream, data) VALUES ($1, $2)`,
					fmt.Sprintf("stockitem-%d", w), string(benchPayload))
				return err
			})
		})
	}
}

// BenchmarkReadAll reads the global log from the start in pages, as a rebuilding
// projection does.
func BenchmarkReadAll(b *testing.B) {
	const total = 100_000
	s := newTestStore(b)
	ctx := context.Background()
	evs := make([]eventstore.NewEvent, 1000)
	for i := 0; i < total; i += len(evs) {
		for j := range evs {
			evs[j] = eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: "StockItemMoved", Data: benchPayload}
		}
		if _, err := s.Append(ctx, fmt.Sprintf("stockitem-%d", i/len(evs)), eventstore.NoStream, evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	read := 0
	for range b.N {
		after := eventstore.Start
		for {
			page, err := s.ReadAll(ctx, after, 5000)
			if err != nil {
				b.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			read += len(page)
			after = page[len(page)-1].Position
		}
	}
	b.ReportMetric(float64(read)/time.Since(start).Seconds(), "events/s")
	if read != total*b.N {
		b.Fatalf("read %d events, want %d", read, total*b.N)
	}
}
