package stock

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stockledger/stockledger/internal/pgtest"
)

// The rendered list finds a location's items through the location index whatever the
// statistics say: here they were gathered when one location held every item, and the
// stock has since grown over many locations without a new ANALYZE (autovacuum off).
// Both the plan prepared once per connection and a plan made for the request's values
// must use the index.
func TestLocationListUsesTheIndexWithStaleStatistics(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	if err := Migrate(ctx, pool, nil); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO stock_locations (pk, name, parent, path_pks, name_path, pathstring, level, tree_id)
			SELECT g, 'L' || g, NULL, ARRAY[g], ARRAY['L' || g], 'L' || g, 0, g FROM generate_series(1, 200) g`,
		`INSERT INTO stock_items (pk, part, quantity, location, status, creation_date, updated)
			SELECT g, 1, 1, 1, 10, now(), now() FROM generate_series(1, 500) g`,
		`ANALYZE stock_items`,
		`INSERT INTO stock_items (pk, part, quantity, location, status, creation_date, updated)
			SELECT g, g % 97, g % 13, 1 + g % 200, 10, now(), now() FROM generate_series(501, 20000) g`,
	} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	rm, err := NewReadModel(pool, ReadModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	no := false
	for _, f := range []ItemFilter{
		{Location: ref(int64(7)), Limit: 100},
		{Location: ref(int64(7)), Cascade: &no, Limit: 100, LocationDetail: true},
	} {
		sql, sel, _ := rm.pageQuery(f, false)
		for _, mode := range []string{"force_generic_plan", "force_custom_plan"} {
			conn, err := pool.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			err = func() error {
				defer conn.Release()
				if _, err := conn.Exec(ctx, "SET plan_cache_mode = "+mode); err != nil {
					return err
				}
				if _, err := conn.Exec(ctx, "PREPARE page AS "+sql); err != nil {
					return err
				}
				defer conn.Exec(ctx, "DEALLOCATE page; RESET plan_cache_mode") //nolint:errcheck // released either way
				var args []string
				for _, a := range sel.args {
					args = append(args, fmt.Sprint(a.(int64)))
				}
				rows, err := conn.Query(ctx, "EXPLAIN EXECUTE page("+strings.Join(args, ", ")+")")
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var line string
					if err := rows.Scan(&line); err != nil {
						return err
					}
					plan = append(plan, line)
				}
				return rows.Err()
			}()
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan on stock_items") || !strings.Contains(text, "stock_items_location") {
				t.Errorf("%s, cascade %v: the location filter scans the table:\n%s", mode, f.Cascade == nil, text)
			}
		}
	}
}

func ref[T any](v T) *T { return &v }
