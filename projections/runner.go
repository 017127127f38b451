package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
)

// ErrCheckpointMoved means another runner applied events for the same projector; this
// one restarts from the stored checkpoint instead of applying them again.
var ErrCheckpointMoved = errors.New("checkpoint moved by another runner")

// Log is what the runner needs of the event store.
type Log interface {
	Subscribe(ctx context.Context, after eventstore.Position, fn func(context.Context, []eventstore.Recorded) error) error
	ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Recorded, error)
	Head(ctx context.Context) (eventstore.Position, error)
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	// Log is the event store to read. Required.
	Log Log
	// Pool is the read-model database. Required.
	Pool *pgxpool.Pool
	// Projectors to run; names must be unique.
	Projectors []Projector
	// Logger for projector failures. Default: discard.
	Logger *slog.Logger
	// RetryDelay is the first pause after a failing batch; it doubles up to a minute.
	// Default: 100ms.
	RetryDelay time.Duration
	// RebuildBatch is how many events a rebuild or a verification applies per
	// transaction. Default: 5000.
	RebuildBatch int
	// FoldEvents bounds how many events a rebuild or a verification of a Folder folds
	// in memory before it goes on event by event. Default: 2,000,000; negative: none.
	FoldEvents int
}

func (c *RunnerConfig) validate() error {
	var errs []error
	if c.Log == nil {
		errs = append(errs, errors.New("no log"))
	}
	if c.Pool == nil {
		errs = append(errs, errors.New("no pool"))
	}
	names := map[string]bool{}
	for _, p := range c.Projectors {
		if names[p.Name()] {
			errs = append(errs, fmt.Errorf("projector %q named twice", p.Name()))
		}
		names[p.Name()] = true
	}
	return errors.Join(errs...)
}

// Runner keeps projectors up to date with the log.
type Runner struct {
	cfg   RunnerConfig
	state map[string]*progress
}

// progress is how far a projector has applied the log in this process, with a way to
// wait for it to move.
type progress struct {
	mu    sync.Mutex
	pos   eventstore.Position
	known bool // pos was loaded or applied at least once
	// unstored counts the events up to pos that the stored checkpoint does not cover
	// yet: batches the projector ignored (see storeEvery).
	unstored int64
	moved    chan struct{}
	failing  error // the last batch's error, nil when healthy
}

func (p *progress) set(pos eventstore.Position, unstored int64) {
	p.mu.Lock()
	p.pos, p.known, p.unstored, p.failing = pos, true, unstored, nil
	close(p.moved)
	p.moved = make(chan struct{})
	p.mu.Unlock()
}

// advance moves pos forward to at, if it is behind: a rebuild swapped a read model
// in, and this process's runner, if it runs, will resume from there.
func (p *progress) advance(at eventstore.Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.known && !p.pos.Before(at) {
		return
	}
	p.pos, p.known, p.unstored = at, true, 0
	close(p.moved)
	p.moved = make(chan struct{})
}

func (p *progress) fail(err error) {
	p.mu.Lock()
	p.failing = err
	p.mu.Unlock()
}

// NewRunner checks cfg and returns a runner; call Run to start it.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("projection runner: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = 100 * time.Millisecond
	}
	if cfg.FoldEvents == 0 {
		cfg.FoldEvents = defaultFoldEvents
	}
	if cfg.RebuildBatch <= 0 {
		cfg.RebuildBatch = 5000
	}
	r := &Runner{cfg: cfg, state: make(map[string]*progress, len(cfg.Projectors))}
	for _, p := range cfg.Projectors {
		r.state[p.Name()] = &progress{moved: make(chan struct{})}
	}
	return r, nil
}

// Run feeds every projector until ctx is done, retrying failed batches with backoff.
// It returns ctx's error.
func (r *Runner) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, p := range r.cfg.Projectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runProjector(ctx, p)
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (r *Runner) runProjector(ctx context.Context, p Projector) {
	delay := r.cfg.RetryDelay
	for ctx.Err() == nil {
		err := r.follow(ctx, p)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrCheckpointMoved) {
			continue // resume at once from where the other runner got to
		}
		r.state[p.Name()].fail(err)
		r.cfg.Logger.Error("projection failed; retrying", "projection", p.Name(), "err", err, "retry_in", delay)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Minute)
	}
}

// storeEvery is how long a projector's stored checkpoint may lag behind batches it
// ignored. A batch the projector writes nothing for needs no transaction: the in-memory
// progress moves (the read model is as it would be), and the checkpoint follows with the
// next batch it writes for, or after storeEvery. A restart replays those ignored events,
// which the projector ignores again.
const storeEvery = time.Second

// follow subscribes from the stored checkpoint and applies batches until an error.
func (r *Runner) follow(ctx context.Context, p Projector) error {
	stored, err := r.checkpoint(ctx, p.Name())
	if err != nil {
		return err
	}
	st := r.state[p.Name()]
	st.set(stored, 0)
	var unstored int64 // events after the stored checkpoint, all ignored
	lastStored := time.Now()
	return r.cfg.Log.Subscribe(ctx, stored, func(ctx context.Context, batch []eventstore.Recorded) error {
		n := unstored + int64(len(batch))
		wrote, err := r.apply(ctx, p, stored, batch, n, time.Since(lastStored) >= storeEvery)
		if err != nil {
			return err
		}
		to := batch[len(batch)-1].Position
		if wrote {
			stored, unstored, lastStored = to, 0, time.Now()
		} else {
			unstored = n
		}
		st.set(to, unstored)
		return nil
	})
}

// checkpoint reads a projector's stored position, creating its row if needed.
func (r *Runner) checkpoint(ctx context.Context, name string) (eventstore.Position, error) {
	var commit, prepare int64
	err := r.cfg.Pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO projection_checkpoints (name) VALUES ($1)
			ON CONFLICT (name) DO NOTHING
			RETURNING commit_pos, prepare_pos
		)
		SELECT commit_pos, prepare_pos FROM ins
		UNION ALL
		SELECT commit_pos, prepare_pos FROM projection_checkpoints WHERE name = $1
		LIMIT 1`, name).Scan(&commit, &prepare)
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}, nil
}

// apply projects one batch and moves the checkpoint from stored (where this runner last
// stored it) to the batch's end, in one transaction, adding events to its count. The
// checkpoint row is locked and compared first, so two runners can never both apply the
// same events. When the projector sends no statement for the batch, nothing is written
// and wrote is false, unless store asks for the checkpoint to be stored anyway.
func (r *Runner) apply(ctx context.Context, p Projector, stored eventstore.Position, batch []eventstore.Recorded, events int64, store bool) (wrote bool, err error) {
	return applyTo(ctx, r.cfg.Pool, p.Name(), p, stored, batch, events, store)
}

// applyTo is apply into the read model that pool's connections see first, under the
// checkpoint named checkpoint: a rebuild's shadow (see Rebuild).
func applyTo(ctx context.Context, pool *pgxpool.Pool, checkpoint string, p Projector, stored eventstore.Position, batch []eventstore.Recorded, events int64, store bool) (wrote bool, err error) {
	to := batch[len(batch)-1].Position
	tx := &batchTx{pool: pool, ctx: ctx, name: checkpoint, from: stored}
	defer tx.rollback(ctx)
	if err := p.Project(ctx, tx, batch); err != nil {
		if tx.moved {
			return false, fmt.Errorf("projection %s: %w", p.Name(), ErrCheckpointMoved)
		}
		return false, fmt.Errorf("projection %s: project %d events from %s: %w", p.Name(), len(batch), batch[0].Position, err)
	}
	if !tx.used() && !store {
		return false, nil
	}
	if err := tx.commit(ctx, to, events); err != nil {
		if tx.moved {
			return false, fmt.Errorf("projection %s: %w", p.Name(), ErrCheckpointMoved)
		}
		return false, fmt.Errorf("projection %s: %w", p.Name(), err)
	}
	return true, nil
}

// Tx is what the transaction the runner hands to Project offers besides pgx.Tx: a
// projector may assert it to defer statements.
type Tx interface {
	pgx.Tx
	// Defer queues a statement whose outcome the projector does not need. Deferred
	// statements run in order, before the next statement the projector sends and before
	// the checkpoint moves, all in one round trip; a deferred statement's error is
	// returned there (by the next statement, or by the runner) and fails the batch.
	Defer(sql string, args ...any)
}

// batchTx is the transaction of one batch. It begins with the projector's first
// statement: the BEGIN, the checkpoint lock and the statements deferred so far travel in
// one round trip with it, and a batch the projector ignores costs no transaction.
type batchTx struct {
	pool *pgxpool.Pool
	ctx  context.Context // the batch's, for Conn and LargeObjects, which take none
	name string
	from eventstore.Position // the stored checkpoint this batch follows

	tx       pgx.Tx // nil until the first statement is sent
	deferred []deferredSQL
	err      error // the first failure; the transaction is then aborted
	moved    bool  // the stored checkpoint was not from: another runner applied the batch
	done     bool  // committed or rolled back
}

type deferredSQL struct {
	sql  string
	args []any
}

var _ Tx = (*batchTx)(nil)

var errRunnerCommits = errors.New("projections: the runner ends the batch's transaction")

func (t *batchTx) Defer(sql string, args ...any) {
	t.deferred = append(t.deferred, deferredSQL{sql, args})
}

// used reports whether the projector sent or deferred anything.
func (t *batchTx) used() bool { return t.tx != nil || len(t.deferred) > 0 }

// asyncCommit lets a batch's COMMIT return before its WAL reaches the disk. A read model
// is derived from the log: a crash can lose the last batches of a projector, but only
// whole (rows and checkpoint commit together), and the runner applies them again from
// the log on restart. Readers see a batch once it commits either way; what this saves
// is the projector's wait for a disk flush and the flush's CPU, on every batch. The
// log's own appends keep synchronous commits: the events are the record.
const asyncCommit = `SET LOCAL synchronous_commit = off`

// lockCheckpoint opens every batch's transaction: it waits for any other runner's
// batch of the same projector and reads where that left the checkpoint.
const lockCheckpoint = `SELECT commit_pos, prepare_pos FROM projection_checkpoints WHERE name = $1 FOR UPDATE`

// moveCheckpoint moves the checkpoint from $5/$6 to $2/$3, and fails with a division by
// zero if it was not at $5/$6: when the COMMIT travels in the same round trip, the
// lock's answer comes too late to stop it, and this error is what rolls it back.
const moveCheckpoint = `WITH moved AS (
	UPDATE projection_checkpoints
	SET commit_pos = $2, prepare_pos = $3, events = events + $4, updated_at = now()
	WHERE name = $1 AND commit_pos = $5 AND prepare_pos = $6
	RETURNING 1)
SELECT 1 / count(*) FROM moved`

// send begins the transaction if need be, then sends the deferred statements and, if
// given, the projector's statement last; it returns the latter's command tag and error.
// With commit, COMMIT follows in the same round trip.
func (t *batchTx) send(ctx context.Context, stmt *deferredSQL, commit bool) (pgconn.CommandTag, error) {
	if t.err != nil {
		return pgconn.CommandTag{}, t.err
	}
	if t.done {
		return pgconn.CommandTag{}, pgx.ErrTxClosed
	}
	if t.tx != nil && len(t.deferred) == 0 && stmt == nil && !commit {
		return pgconn.CommandTag{}, nil
	}
	b := &pgx.Batch{}
	begin, locked := t.tx == nil, t.tx != nil
	if begin {
		b.BeginTx(pgx.TxOptions{})
		b.Queue(asyncCommit)
		b.Queue(lockCheckpoint, t.name).QueryRow(func(row pgx.Row) error {
			var commit, prepare int64
			if err := row.Scan(&commit, &prepare); err != nil {
				return fmt.Errorf("lock checkpoint: %w", err)
			}
			if (eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}) != t.from {
				t.moved = true
				return ErrCheckpointMoved
			}
			locked = true
			return nil
		})
	}
	deferred := t.deferred
	t.deferred = nil
	ran := 0
	for _, d := range deferred {
		b.Queue(d.sql, d.args...).Exec(func(pgconn.CommandTag) error { ran++; return nil })
	}
	var tag pgconn.CommandTag
	if stmt != nil {
		b.Queue(stmt.sql, stmt.args...).Exec(func(ct pgconn.CommandTag) error { tag = ct; return nil })
	}
	if commit {
		b.Queue("COMMIT")
	}
	var br pgx.BatchResults
	if begin {
		br = t.pool.SendBatch(ctx, b)
		t.tx = br.Tx()
	} else {
		br = t.tx.SendBatch(ctx, b)
	}
	err := br.Close()
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
		return tag, nil
	case t.moved:
		t.err = ErrCheckpointMoved
	case !locked:
		t.err = fmt.Errorf("begin: %w", err)
	case ran < len(deferred) && deferred[ran].sql == moveCheckpoint && errors.As(err, &pgErr) && pgErr.Code == "22012":
		t.moved = true
		t.err = ErrCheckpointMoved
	case ran < len(deferred):
		t.err = fmt.Errorf("deferred statement %q: %w", firstLine(deferred[ran].sql), err)
	default:
		t.err = err // the projector's own statement, or COMMIT
	}
	return pgconn.CommandTag{}, t.err
}

// commit moves the checkpoint to `to`, counting events, and commits. A batch that has
// sent nothing yet goes in one round trip, BEGIN to COMMIT.
func (t *batchTx) commit(ctx context.Context, to eventstore.Position, events int64) error {
	t.Defer(moveCheckpoint, t.name, int64(to.Commit), int64(to.Prepare), events, int64(t.from.Commit), int64(t.from.Prepare))
	if t.tx == nil {
		if _, err := t.send(ctx, nil, true); err != nil {
			return err
		}
		// COMMIT went with the batch, and pgx knows it: this only frees the connection.
		t.done = true
		if err := t.tx.Commit(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
			return err
		}
		return nil
	}
	if _, err := t.send(ctx, nil, false); err != nil {
		return err
	}
	t.done = true
	return t.tx.Commit(ctx)
}

// rollback ends a transaction that was begun and not committed.
func (t *batchTx) rollback(ctx context.Context) {
	if t.tx != nil && !t.done {
		t.done = true
		_ = t.tx.Rollback(context.WithoutCancel(ctx)) // the batch failed already; this only frees the connection
	}
}

func (t *batchTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.send(ctx, &deferredSQL{sql, args}, false)
}

func (t *batchTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if _, err := t.send(ctx, nil, false); err != nil {
		return nil, err
	}
	return t.tx.Query(ctx, sql, args...)
}

func (t *batchTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if _, err := t.send(ctx, nil, false); err != nil {
		return errRow{err}
	}
	return t.tx.QueryRow(ctx, sql, args...)
}

func (t *batchTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if _, err := t.send(ctx, nil, false); err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	return t.tx.SendBatch(ctx, b)
}

func (t *batchTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if _, err := t.send(ctx, nil, false); err != nil {
		return 0, err
	}
	return t.tx.CopyFrom(ctx, table, columns, src)
}

func (t *batchTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if _, err := t.send(ctx, nil, false); err != nil {
		return nil, err
	}
	return t.tx.Prepare(ctx, name, sql)
}

// Begin starts a savepoint inside the batch's transaction.
func (t *batchTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if _, err := t.send(ctx, nil, false); err != nil {
		return nil, err
	}
	return t.tx.Begin(ctx)
}

// Conn begins the transaction, so that what the projector sends on the connection is
// part of it. If that fails, the batch fails; the connection may then be nil.
func (t *batchTx) Conn() *pgx.Conn {
	_, _ = t.send(t.ctx, nil, false)
	if t.tx == nil {
		return nil
	}
	return t.tx.Conn()
}

// LargeObjects begins the transaction too; if that fails, the batch fails and the
// large objects fail with it.
func (t *batchTx) LargeObjects() pgx.LargeObjects {
	_, _ = t.send(t.ctx, nil, false)
	if t.tx == nil {
		return pgx.LargeObjects{}
	}
	return t.tx.LargeObjects()
}

// Commit and Rollback belong to the runner: the batch's rows and checkpoint commit
// together or not at all.
func (t *batchTx) Commit(context.Context) error   { return errRunnerCommits }
func (t *batchTx) Rollback(context.Context) error { return errRunnerCommits }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func firstLine(sql string) string {
	sql = strings.TrimSpace(sql)
	if i := strings.IndexByte(sql, '\n'); i >= 0 {
		return sql[:i] + " ..."
	}
	return sql
}

// WaitFor blocks until the named projectors (all of them when none are named) have
// applied the log up to pos in this process, or ctx is done. The API calls it after a
// write so that the following read sees the write.
func (r *Runner) WaitFor(ctx context.Context, pos eventstore.Position, names ...string) error {
	if len(names) == 0 {
		for _, p := range r.cfg.Projectors {
			names = append(names, p.Name())
		}
	}
	for _, name := range names {
		st, ok := r.state[name]
		if !ok {
			return fmt.Errorf("wait for %s: no projection %q", pos, name)
		}
		for {
			st.mu.Lock()
			reached := st.known && !st.pos.Before(pos)
			moved, failing := st.moved, st.failing
			st.mu.Unlock()
			if reached {
				break
			}
			select {
			case <-ctx.Done():
				if failing != nil {
					return fmt.Errorf("wait for %s at %s: %w (projection failing: %v)", name, pos, ctx.Err(), failing)
				}
				return fmt.Errorf("wait for %s at %s: %w", name, pos, ctx.Err())
			case <-moved:
			}
		}
	}
	return nil
}

// Status is a projector's progress as stored.
type Status struct {
	Name     string
	Position eventstore.Position
	Events   int64
	Updated  time.Time
}

// Statuses reads every projector's stored checkpoint, moved on to where this process
// has got when it has only passed events the projector ignores since.
func (r *Runner) Statuses(ctx context.Context) ([]Status, error) {
	out := make([]Status, 0, len(r.cfg.Projectors))
	for _, p := range r.cfg.Projectors {
		s := Status{Name: p.Name()}
		var commit, prepare int64
		err := r.cfg.Pool.QueryRow(ctx, `SELECT commit_pos, prepare_pos, events, updated_at FROM projection_checkpoints WHERE name = $1`,
			p.Name()).Scan(&commit, &prepare, &s.Events, &s.Updated)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("status of %s: %w", p.Name(), err)
		}
		s.Position = eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
		// Events this process has passed without storing (it ignored them) count as
		// applied: the read model is what it would be with them stored.
		st := r.state[p.Name()]
		st.mu.Lock()
		if st.known && st.unstored > 0 && s.Position.Before(st.pos) {
			s.Position, s.Events = st.pos, s.Events+st.unstored
		}
		st.mu.Unlock()
		out = append(out, s)
	}
	return out, nil
}
