// Package ledgertest builds, for one test, the ledger that commands and projections run
// on: a fresh database, the event store on it, an Executor, and a projection Runner
// working in the background, all torn down when the test ends.
//
//	l := ledgertest.New(t, ledgertest.Options{
//		Events:     [][]domain.EventType{user.Events()},
//		Migrations: []ledgertest.Migration{auth.Migrate, users.Migrate},
//		Projectors: []projections.Projector{users.NewProjector()},
//	})
//	_, res, err := handlers.CreateUser(ctx, cmd) // handlers built on l.Executor
//	l.Wait(t, res.Position)                      // the read model has the user now
//
// The database comes from internal/pgtest, so a package using ledgertest keeps
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// What is particular to one package (handlers, read models, a clock, request metadata)
// stays in that package's fixture.
package ledgertest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/eventstore/postgres"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/internal/sequence"
	"github.com/stockledger/stockledger/projections"
)

// Timings for tests: subscribers poll often in case a notification is missed, a failed
// batch is retried soon, and a read model that has not caught up by waitTimeout is
// taken to be stuck.
const (
	pollInterval = 50 * time.Millisecond
	retryDelay   = 10 * time.Millisecond
	waitTimeout  = 20 * time.Second
)

// Migration creates or upgrades tables on pool; every component's Migrate fits.
type Migration func(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error

// Options says what a test's ledger holds. Every field is optional.
type Options struct {
	// Events are the event tables the Executor decodes, such as part.Events().
	Events [][]domain.EventType
	// Migrations run in order after the event store's and the projection checkpoints'.
	Migrations []Migration
	// Projectors run in the Ledger's Runner; with none there is no Runner.
	Projectors []projections.Projector
	// MaxAttempts bounds the Executor's retries after conflicts. Default: the Executor's.
	MaxAttempts int
}

// Ledger is one test's ledger. Its Runner, if any, runs until Stop or the end of the
// test; the store is closed and the database dropped after that.
type Ledger struct {
	Pool  *pgxpool.Pool
	Store *postgres.Store
	// Executor runs commands on Store with keys from PostgreSQL sequences.
	Executor *commands.Executor
	// Runner feeds Options.Projectors; nil without them.
	Runner *projections.Runner

	logger *slog.Logger
	stop   func()
}

// New builds a ledger for t as opts says, failing t if any part of it cannot be built.
func New(t testing.TB, opts Options) *Ledger {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	migrations := append([]Migration{postgres.Migrate, projections.Migrate}, opts.Migrations...)
	for _, migrate := range migrations {
		if err := migrate(ctx, pool, nil); err != nil {
			t.Fatalf("ledgertest: migrate: %v", err)
		}
	}
	// Background failures (a projector's error, a lost connection) are what a test
	// that times out waiting needs to see, next to its own output.
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	// The store has connections of its own, as in a server (see postgres.Open).
	store, err := postgres.Open(ctx, pool.Config().ConnString(), 0, postgres.Config{Logger: logger, PollInterval: pollInterval})
	if err != nil {
		t.Fatalf("ledgertest: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	codec, err := domain.NewCodec(opts.Events...)
	if err != nil {
		t.Fatalf("ledgertest: %v", err)
	}
	x, err := commands.New(commands.Config{Store: store, Codec: codec, Keys: sequence.New(pool), MaxAttempts: opts.MaxAttempts})
	if err != nil {
		t.Fatalf("ledgertest: %v", err)
	}
	l := &Ledger{Pool: pool, Store: store, Executor: x, logger: logger}
	if len(opts.Projectors) > 0 {
		l.Runner = l.NewRunner(t, opts.Projectors...)
		l.stop = Start(t, l.Runner)
	}
	return l
}

// NewRunner returns a runner of projectors on l's store and database, not started:
// for tests of the runner itself, which start, stop and double runners.
func (l *Ledger) NewRunner(t testing.TB, projectors ...projections.Projector) *projections.Runner {
	t.Helper()
	r, err := projections.NewRunner(projections.RunnerConfig{
		Log: l.Store, Pool: l.Pool, Projectors: projectors, Logger: l.logger, RetryDelay: retryDelay,
	})
	if err != nil {
		t.Fatalf("ledgertest: %v", err)
	}
	return r
}

// Wait blocks until every projector of l's Runner has applied the log up to pos, as
// the API does after a write; it fails t if they do not get there in time.
func (l *Ledger) Wait(t testing.TB, pos eventstore.Position) {
	t.Helper()
	if l.Runner == nil {
		t.Fatal("ledgertest: Wait on a ledger without projectors")
	}
	Wait(t, l.Runner, pos)
}

// Stop stops l's Runner before the test ends, as a rebuild wants, and waits for it to
// return. Calling it again, or without a Runner, does nothing.
func (l *Ledger) Stop() {
	if l.stop != nil {
		l.stop()
	}
}

// Start runs r in the background until the returned stop is called or t ends; stop
// waits for r to return and may be called more than once.
func Start(t testing.TB, r *projections.Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx) // only ever ctx's error
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// Wait blocks until every projector of r has applied the log up to pos; it fails t if
// they do not get there in time.
func Wait(t testing.TB, r *projections.Runner, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := r.WaitFor(ctx, pos); err != nil {
		t.Fatalf("ledgertest: %v", err)
	}
}
