package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
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

// progress is a projector's checkpoint as this process last committed it, with a way to
// wait for it to move.
type progress struct {
	mu      sync.Mutex
	pos     eventstore.Position
	known   bool // pos was loaded or committed at least once
	moved   chan struct{}
	failing error // the last batch's error, nil when healthy
}

func (p *progress) set(pos eventstore.Position) {
	p.mu.Lock()
	p.pos, p.known, p.failing = pos, true, nil
	close(p.moved)
	p.moved = make(chan struct{})
	p.mu.Unlock()
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

// follow subscribes from the stored checkpoint and applies batches until an error.
func (r *Runner) follow(ctx context.Context, p Projector) error {
	from, err := r.checkpoint(ctx, p.Name())
	if err != nil {
		return err
	}
	st := r.state[p.Name()]
	st.set(from)
	return r.cfg.Log.Subscribe(ctx, from, func(ctx context.Context, batch []eventstore.Recorded) error {
		to, err := r.apply(ctx, p, from, batch)
		if err != nil {
			return err
		}
		from = to
		st.set(to)
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

// apply projects one batch and moves the checkpoint from `from` to the batch's end, in
// one transaction. The checkpoint row is locked and compared first, so two runners can
// never both apply the same events.
func (r *Runner) apply(ctx context.Context, p Projector, from eventstore.Position, batch []eventstore.Recorded) (eventstore.Position, error) {
	to := batch[len(batch)-1].Position
	err := pgx.BeginFunc(ctx, r.cfg.Pool, func(tx pgx.Tx) error {
		var commit, prepare int64
		if err := tx.QueryRow(ctx, `SELECT commit_pos, prepare_pos FROM projection_checkpoints WHERE name = $1 FOR UPDATE`,
			p.Name()).Scan(&commit, &prepare); err != nil {
			return fmt.Errorf("lock checkpoint: %w", err)
		}
		if (eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}) != from {
			return ErrCheckpointMoved
		}
		if err := p.Project(ctx, tx, batch); err != nil {
			return fmt.Errorf("project %d events from %s: %w", len(batch), batch[0].Position, err)
		}
		_, err := tx.Exec(ctx, `UPDATE projection_checkpoints
			SET commit_pos = $2, prepare_pos = $3, events = events + $4, updated_at = now()
			WHERE name = $1`, p.Name(), int64(to.Commit), int64(to.Prepare), len(batch))
		return err
	})
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("projection %s: %w", p.Name(), err)
	}
	return to, nil
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

// Statuses reads every projector's stored checkpoint.
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
		out = append(out, s)
	}
	return out, nil
}

// Rebuild empties the named projector's read model and replays the whole log into it,
// up to the head at the time of the call; onBatch, if set, is told how far it got.
// While it runs, readers of that read model see it incomplete; run it with the server
// stopped, or let the server's runner finish the job.
func (r *Runner) Rebuild(ctx context.Context, name string, onBatch func(applied int, at eventstore.Position)) error {
	var p Projector
	for _, q := range r.cfg.Projectors {
		if q.Name() == name {
			p = q
		}
	}
	if p == nil {
		return fmt.Errorf("rebuild: no projection %q", name)
	}
	if _, err := r.checkpoint(ctx, name); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	err := pgx.BeginFunc(ctx, r.cfg.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, name); err != nil {
			return err
		}
		if err := p.Reset(ctx, tx); err != nil {
			return fmt.Errorf("reset: %w", err)
		}
		_, err := tx.Exec(ctx, `UPDATE projection_checkpoints
			SET commit_pos = 0, prepare_pos = 0, events = 0, updated_at = now() WHERE name = $1`, name)
		return err
	})
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	head, err := r.cfg.Log.Head(ctx)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	from, applied := eventstore.Start, 0
	for from.Before(head) {
		batch, err := r.cfg.Log.ReadAll(ctx, from, 5000)
		if err != nil {
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
		if len(batch) == 0 {
			// Committed events below head are held back while an older transaction
			// is open; they will come.
			select {
			case <-ctx.Done():
				return fmt.Errorf("rebuild %s: %w", name, ctx.Err())
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if from, err = r.apply(ctx, p, from, batch); err != nil {
			return fmt.Errorf("rebuild %s: %w", name, err)
		}
		applied += len(batch)
		if onBatch != nil {
			onBatch(applied, from)
		}
	}
	r.state[name].set(from)
	return nil
}
