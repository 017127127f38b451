package ledgertest_test

import (
	"context"
	"log/slog"
	"testing"
	"testing/fstest"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/internal/migrate"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// counted counts the events it is fed into a table of the caller's migration.
type counted struct{}

func (counted) Name() string { return "counted" }

func (counted) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	_, err := tx.Exec(ctx, `UPDATE counted SET n = n + $1`, len(batch))
	return err
}

// Migrations says it has no tables of its own to rebuild: they are the test's.
func (counted) Migrations() migrate.Set { return migrate.Set{Name: "test_counted", FS: fstest.MapFS{}} }

func migrateCounted(ctx context.Context, pool *pgxpool.Pool, _ *slog.Logger) error {
	_, err := pool.Exec(ctx, `CREATE TABLE counted (n bigint NOT NULL); INSERT INTO counted VALUES (0)`)
	return err
}

// A ledger with a projector: appends reach the read model by the time Wait returns,
// the executor hands out keys, and stopping twice is harmless.
func TestLedgerRunsItsProjectors(t *testing.T) {
	l := ledgertest.New(t, ledgertest.Options{
		Migrations: []ledgertest.Migration{migrateCounted},
		Projectors: []projections.Projector{counted{}},
	})
	ctx := context.Background()
	var last eventstore.Position
	for range 3 {
		res, err := l.Store.Append(ctx, "thing-1", eventstore.Any, eventstore.NewEvent{
			ID: uuid.Must(uuid.NewV7()), Type: "Happened", Data: []byte(`{}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		last = res.Position
	}
	l.Wait(t, last)
	var n int
	if err := l.Pool.QueryRow(ctx, `SELECT n FROM counted`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("counted %d, %v; want 3", n, err)
	}
	if k1, err := l.Executor.NextKey(ctx, "thing"); err != nil || k1 != 1 {
		t.Fatalf("first key %d, %v", k1, err)
	}
	l.Stop()
	l.Stop()
}

// Without projectors there is no runner, and Stop does nothing.
func TestLedgerWithoutProjectors(t *testing.T) {
	l := ledgertest.New(t, ledgertest.Options{})
	if l.Runner != nil || l.Executor == nil || l.Store == nil || l.Pool == nil {
		t.Fatalf("ledger %+v", l)
	}
	l.Stop()
}
