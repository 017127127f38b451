package stock_test

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections/stock"
)

// seedLarge fills the read models directly (not through events: the query is under
// test here, not the projector) with 1,110 locations (10 warehouses > 10 aisles > 10
// bins), 100,000 items in the bins and a 1,000-row parts table to join.
func seedLarge(tb testing.TB) (*pgxpool.Pool, *stock.ReadModel) {
	tb.Helper()
	ctx := context.Background()
	pool := pgtest.NewPool(tb)
	if err := stock.Migrate(ctx, pool, nil); err != nil {
		tb.Fatal(err)
	}
	for _, sql := range []string{
		`CREATE TABLE parts (pk bigint PRIMARY KEY, name text NOT NULL, ipn text, description text, brief jsonb NOT NULL)`,
		`INSERT INTO parts SELECT g, 'Part ' || g, 'IPN-' || g, 'part number ' || g,
			jsonb_build_object('pk', g, 'name', 'Part ' || g, 'IPN', 'IPN-' || g, 'active', true)
			FROM generate_series(1, 1000) g`,
		// Warehouses 1..10, aisles 11..110, bins 111..1110.
		`INSERT INTO stock_locations (pk, name, parent, path_pks, name_path, pathstring, level, tree_id)
			SELECT w, 'W' || w, NULL, ARRAY[w], ARRAY['W' || w], 'W' || w, 0, w FROM generate_series(1, 10) w`,
		`INSERT INTO stock_locations (pk, name, parent, path_pks, name_path, pathstring, level, tree_id)
			SELECT 10 + a, 'A' || a, (a - 1) / 10 + 1, ARRAY[(a - 1) / 10 + 1, 10 + a],
				ARRAY['W' || ((a - 1) / 10 + 1), 'A' || a], 'W' || ((a - 1) / 10 + 1) || '/A' || a, 1, (a - 1) / 10 + 1
			FROM generate_series(1, 100) a`,
		`INSERT INTO stock_locations (pk, name, parent, path_pks, name_path, pathstring, level, tree_id)
			SELECT 110 + b, 'B' || b, 10 + (b - 1) / 10 + 1,
				ARRAY[(b - 1) / 100 + 1, 10 + (b - 1) / 10 + 1, 110 + b],
				ARRAY['W' || ((b - 1) / 100 + 1), 'A' || ((b - 1) / 10 + 1), 'B' || b],
				'W' || ((b - 1) / 100 + 1) || '/A' || ((b - 1) / 10 + 1) || '/B' || b, 2, (b - 1) / 100 + 1
			FROM generate_series(1, 1000) b`,
		`INSERT INTO stock_items (pk, part, quantity, batch, location, status, creation_date, updated, delete_on_deplete)
			SELECT g, 1 + (g::bigint * 7919) % 1000, 1 + (g % 50), 'BATCH-' || (g % 300), 111 + (g::bigint * 104729) % 1000,
				CASE WHEN g % 20 = 0 THEN 60 ELSE 10 END, now(), now(), true
			FROM generate_series(1, 100000) g`,
		`UPDATE stock_locations l SET items = (SELECT count(*) FROM stock_items i WHERE i.location IN
			(SELECT d.pk FROM stock_locations d WHERE d.path_pks @> ARRAY[l.pk]))`,
		`VACUUM ANALYZE`, // the steady state autovacuum keeps: index-only scans possible
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			tb.Fatal(err)
		}
	}
	rm, err := stock.NewReadModel(pool, stock.ReadModelConfig{Parts: &stock.PartsJoin{
		Table: "parts", PK: "pk", Name: "name", IPN: "ipn", Description: "description", Detail: "p.brief",
	}})
	if err != nil {
		tb.Fatal(err)
	}
	return pool, rm
}

// listPage is GET /api/stock/?limit=100&location=X&part_detail=true.
func listPage(ctx context.Context, rm *stock.ReadModel, location int64) error {
	_, _, err := rm.ListItems(ctx, stock.ItemFilter{Location: &location, Limit: 100, PartDetail: true})
	return err
}

// TestListItemsLatency measures the target query at 50 concurrent clients over 100,000
// items, per level of the location tree. Set STOCK_PERF=1 to run it.
func TestListItemsLatency(t *testing.T) {
	if os.Getenv("STOCK_PERF") == "" {
		t.Skip("set STOCK_PERF=1 to measure")
	}
	_, rm := seedLarge(t)
	ctx := context.Background()
	for i := range 200 { // warm the connections' statement caches
		if err := listPage(ctx, rm, int64(1+i%1110)); err != nil {
			t.Fatal(err)
		}
	}
	for _, loc := range []int64{500, 50, 5} {
		t0 := time.Now()
		for range 50 {
			if err := listPage(ctx, rm, loc); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("one client, location %d: %v per request", loc, time.Since(t0)/50)
	}
	for _, level := range []struct {
		name     string
		from, to int64
	}{{"bin (~100 items)", 111, 1110}, {"aisle (~1,000 items)", 11, 110}, {"warehouse (~10,000 items)", 1, 10}} {
		const clients, perClient = 50, 40
		var mu sync.Mutex
		var times []time.Duration
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perClient {
					loc := level.from + rand.Int64N(level.to-level.from+1)
					t0 := time.Now()
					if err := listPage(ctx, rm, loc); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					times = append(times, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		slices.Sort(times)
		p := func(q float64) time.Duration { return times[int(q*float64(len(times)-1))] }
		t.Logf("%s: %d requests in %v, p50 %v, p99 %v", level.name, len(times), time.Since(start).Round(time.Millisecond), p(0.5), p(0.99))
	}
}

func BenchmarkListItemsByLocation(b *testing.B) {
	_, rm := seedLarge(b)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := listPage(ctx, rm, 11+rand.Int64N(100)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
