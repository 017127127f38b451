package projections

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

// Rebuilds and verifications build a read model beside the live one.
//
// A read model is what its projector's migrations create: run by the server, they put
// its tables and functions in the live schema (the first of the connections'
// search_path, public). A rebuild runs the same migrations in a schema of its own, the
// shadow, and projects the log into it on connections whose search_path puts the
// shadow first, so the projector's unqualified statements write the shadow while the
// API keeps reading the live tables. Its checkpoint is a row of its own, moved with
// every batch, so an interrupted rebuild resumes where it stopped.
//
// The swap is one transaction. It locks the live checkpoint row, as every batch of the
// live runner does, so the live runner (in this process or in `serve`) waits; applies
// what arrived since to the shadow; drops the live objects and moves the shadow's into
// the live schema under the same names; and sets the live checkpoint to the shadow's
// position. The waiting batch then finds the checkpoint moved and its runner resumes
// from there (ErrCheckpointMoved). Readers are held only while the live tables are
// dropped and the new ones moved in, a few catalog changes; statements prepared on
// their connections are planned again against the new tables, as PostgreSQL does for
// every statement whose tables were dropped, and their columns are the same, since the
// same migrations made them.

// swapLockTimeout bounds how long the swap waits for a lock (a reader still on the live
// tables, the live runner's batch); it is tried again after that. The live runner waits
// as long, and writes wait for the live runner (ProjectionWait, 5s by default): a short
// wait tried often keeps them answering on a loaded server.
const swapLockTimeout = time.Second

// ErrBusy means another process is rebuilding or verifying the same projection.
var ErrBusy = errors.New("already running")

// Progress says how far a rebuild or a verification has got.
type Progress struct {
	Projection string
	// Applied counts the events this call has applied; Resumed those a previous,
	// interrupted rebuild had applied before it.
	Applied, Resumed int64
	// At is where the read model being built stands; Head where the log ended when
	// last asked. Their Prepare parts are the log's event numbers in PostgreSQL, so
	// At.Prepare/Head.Prepare is the share done.
	At, Head eventstore.Position
	// Phase is "build" while replaying the log, then "swap" or "compare".
	Phase string
}

// shadow is a read model being built in a schema of its own.
type shadow struct {
	p          Projector
	schema     string // where it is built
	checkpoint string // its checkpoint row
	pool       *pgxpool.Pool
	pos        eventstore.Position
	events     int64 // applied so far, as stored
	lock       *pgxpool.Conn
}

func (s *shadow) close() {
	if s.pool != nil {
		s.pool.Close()
	}
	if s.lock != nil {
		_, _ = s.lock.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, lockKey(s.p.Name()))
		s.lock.Release()
	}
}

// lockKey is the advisory lock of a projection's rebuilds and verifications.
func lockKey(projection string) int64 {
	h := fnv.New64a()
	h.Write([]byte("stockledger rebuild " + projection))
	return int64(h.Sum64() >> 1)
}

func (r *Runner) projector(name string) (Projector, error) {
	for _, p := range r.cfg.Projectors {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no projection %q", name)
}

// Rebuild replays the whole log into a fresh copy of the named projector's read model
// and swaps it in for the live one, while the live one keeps serving and its runner
// keeps running. A rebuild interrupted before its swap resumes where it stopped. report,
// if set, is told how far it got after every batch.
func (r *Runner) Rebuild(ctx context.Context, name string, report func(Progress)) error {
	p, err := r.projector(name)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	if err := r.rebuild(ctx, p, report); err != nil {
		return fmt.Errorf("rebuild %s: %w", name, err)
	}
	return nil
}

func (r *Runner) rebuild(ctx context.Context, p Projector, report func(Progress)) error {
	if _, err := r.checkpoint(ctx, p.Name()); err != nil {
		return err
	}
	s, err := r.openShadow(ctx, p, "rebuild_"+p.Name(), "rebuild:"+p.Name(), true)
	if err != nil {
		return err
	}
	defer s.close()
	prog := Progress{Projection: p.Name(), Resumed: s.events, Phase: "build"}
	first, err := r.cfg.Log.Head(ctx)
	if err != nil {
		return err
	}
	prog.Head = first
	if err := r.fold(ctx, s, first, &prog, report); err != nil {
		return err
	}
	folded := prog.Applied
	// Build up to the head, then again up to the new head, until one pass is short:
	// the swap then applies the last few events while holding up the live runner.
	for {
		head, err := r.cfg.Log.Head(ctx)
		if err != nil {
			return err
		}
		prog.Head = head
		before := prog.Applied
		if err := r.build(ctx, s, head, &prog, report); err != nil {
			return err
		}
		if prog.Applied-before < int64(r.cfg.RebuildBatch) {
			break
		}
	}
	// A fold analyzes the tables it writes; what a few batches add after it does not
	// change their statistics.
	if folded == 0 || prog.Applied-folded >= int64(r.cfg.RebuildBatch) {
		if err := s.analyze(ctx); err != nil {
			return err
		}
	}
	// What arrived during the analysis, so that the swap has little left to apply.
	head, err := r.cfg.Log.Head(ctx)
	if err != nil {
		return err
	}
	if err := r.build(ctx, s, head, &prog, report); err != nil {
		return err
	}
	prog.Phase = "swap"
	if report != nil {
		report(prog)
	}
	live, err := r.liveSchema(ctx)
	if err != nil {
		return err
	}
	for {
		err := r.swap(ctx, s, live, &prog)
		if err == nil {
			r.state[p.Name()].advance(s.pos)
			return nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || (pgErr.Code != "55P03" && pgErr.Code != "40P01") {
			return err
		}
		// A lock timeout or a deadlock: nothing was swapped; try again.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// liveSchema is the schema the server's migrations create read models in.
func (r *Runner) liveSchema(ctx context.Context) (string, error) {
	var schema *string
	if err := r.cfg.Pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return "", fmt.Errorf("live schema: %w", err)
	}
	if schema == nil {
		return "", errors.New("live schema: the search_path names no schema that exists")
	}
	return *schema, nil
}

// openShadow takes the lock on a shadow read model, then resumes it (when resume is set
// and both its schema and its checkpoint are there) or creates it afresh, and brings its
// schema up to date with the projector's migrations.
func (r *Runner) openShadow(ctx context.Context, p Projector, schema, checkpoint string, resume bool) (_ *shadow, err error) {
	s := &shadow{p: p, schema: schema, checkpoint: checkpoint}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.lock, err = r.cfg.Pool.Acquire(ctx); err != nil {
		return nil, err
	}
	// One rebuild or verification of a projection at a time: a swap in the middle of
	// a verification would show it the new tables, whose rows its snapshot predates.
	var locked bool
	if err := s.lock.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(p.Name())).Scan(&locked); err != nil {
		return nil, err
	}
	if !locked {
		s.lock.Release()
		s.lock = nil
		return nil, fmt.Errorf("a rebuild or verification of %s: %w", p.Name(), ErrBusy)
	}
	ident := pgx.Identifier{schema}.Sanitize()
	var found bool
	var commit, prepare int64
	err = r.cfg.Pool.QueryRow(ctx, `SELECT commit_pos, prepare_pos, events FROM projection_checkpoints
		WHERE name = $1 AND EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $2)`, checkpoint, schema).Scan(&commit, &prepare, &s.events)
	switch {
	case err == nil && resume:
		found = true
		s.pos = eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
	case err == nil, errors.Is(err, pgx.ErrNoRows):
	default:
		return nil, err
	}
	if !found {
		s.events = 0
		err := pgx.BeginFunc(ctx, r.cfg.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+ident+` CASCADE`); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (name) VALUES ($1)
				ON CONFLICT (name) DO UPDATE SET commit_pos = 0, prepare_pos = 0, events = 0, updated_at = now()`, checkpoint)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("create schema %s: %w", schema, err)
		}
	}
	// The migrations see the shadow alone, so that nothing they do can reach the live
	// read model; the projector sees the shadow first and the live schemas after it,
	// where the checkpoints are.
	if err := r.migrateInto(ctx, schema, p.Migrations()); err != nil {
		return nil, err
	}
	var path string
	if err := r.cfg.Pool.QueryRow(ctx, `SHOW search_path`).Scan(&path); err != nil {
		return nil, err
	}
	if s.pool, err = r.poolIn(ctx, ident+", "+path, 2); err != nil {
		return nil, err
	}
	return s, nil
}

// poolIn opens a small pool like the runner's whose connections have the given
// search_path.
func (r *Runner) poolIn(ctx context.Context, searchPath string, conns int32) (*pgxpool.Pool, error) {
	cfg := r.cfg.Pool.Config()
	cfg.ConnConfig.RuntimeParams["search_path"] = searchPath
	cfg.MaxConns, cfg.MinConns = conns, 0
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect with search_path %s: %w", searchPath, err)
	}
	return pool, nil
}

func (r *Runner) migrateInto(ctx context.Context, schema string, set migrate.Set) error {
	pool, err := r.poolIn(ctx, pgx.Identifier{schema}.Sanitize(), 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrate.Up(ctx, pool, set, r.cfg.Logger)
}

// build applies the log to s up to until, reporting after each batch. The next batch
// is read while one is applied.
func (r *Runner) build(ctx context.Context, s *shadow, until eventstore.Position, prog *Progress, report func(Progress)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for rd := range r.readLog(ctx, s.pos, until) {
		if rd.err != nil {
			return rd.err
		}
		n := int64(len(rd.batch))
		if _, err := applyTo(ctx, s.pool, s.checkpoint, s.p, s.pos, rd.batch, n, true); err != nil {
			return err
		}
		s.pos, s.events = rd.batch[len(rd.batch)-1].Position, s.events+n
		prog.Applied, prog.At = prog.Applied+n, s.pos
		if report != nil {
			report(*prog)
		}
	}
	return ctx.Err()
}

// logRead is one batch of the log, or the error that ended the reading.
type logRead struct {
	batch []eventstore.Recorded
	err   error
}

// readLog reads the log after from up to until in batches, one batch ahead of the
// reader, until ctx is done.
func (r *Runner) readLog(ctx context.Context, from, until eventstore.Position) <-chan logRead {
	batches := make(chan logRead, 2)
	go func() {
		defer close(batches)
		for from.Before(until) {
			batch, err := r.cfg.Log.ReadAll(ctx, from, r.cfg.RebuildBatch)
			if err != nil {
				select {
				case batches <- logRead{err: err}:
				case <-ctx.Done():
				}
				return
			}
			if len(batch) == 0 {
				// Events below until are held back while an older transaction is
				// open; they will come.
				select {
				case <-ctx.Done():
					return
				case <-time.After(10 * time.Millisecond):
				}
				continue
			}
			n := len(batch)
			for n > 0 && until.Before(batch[n-1].Position) {
				n--
			}
			if batch = batch[:n]; n == 0 {
				return
			}
			select {
			case batches <- logRead{batch: batch}:
			case <-ctx.Done():
				return
			}
			from = batch[len(batch)-1].Position
		}
	}()
	return batches
}

// objects lists what a read model's migrations created in schema, by kind, as
// statements can name them: tables, views and free sequences by name, functions with
// their arguments. Sequences owned by a column and indexes go with their tables.
func objects(ctx context.Context, q pgx.Tx, schema string) (map[string][]string, error) {
	rows, err := q.Query(ctx, `
		SELECT CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'TABLE' WHEN 'v' THEN 'VIEW'
			WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'relkind ' || c.relkind::text END,
			quote_ident(c.relname)
		FROM pg_class c
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
		  AND c.relkind NOT IN ('i', 'I', 't', 'c')
		  AND NOT c.relispartition
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
			AND d.objid = c.oid AND d.objsubid = 0 AND d.refclassid = 'pg_class'::regclass
			AND d.deptype IN ('a', 'i'))
		UNION ALL
		SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
			quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'
		FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
		UNION ALL
		SELECT 'type ' || t.typname, '' FROM pg_type t
		WHERE t.typnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
		  AND t.typtype <> 'b' AND t.typrelid = 0
		ORDER BY 1, 2`, schema)
	if err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", schema, err)
	}
	out := map[string][]string{}
	for rows.Next() {
		var kind, name string
		if err := rows.Scan(&kind, &name); err != nil {
			rows.Close()
			return nil, err
		}
		out[kind] = append(out[kind], name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list objects of %s: %w", schema, err)
	}
	for kind := range out {
		switch kind {
		case "TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "FUNCTION", "PROCEDURE", "AGGREGATE":
		default:
			return nil, fmt.Errorf("schema %s holds a %s, which a swap cannot move", schema, kind)
		}
	}
	return out, nil
}

// moveKinds is the order objects are dropped in: what may depend on another kind
// first (views on tables, tables on functions through generated columns and triggers).
var moveKinds = []string{"MATERIALIZED VIEW", "VIEW", "TABLE", "SEQUENCE", "AGGREGATE", "FUNCTION", "PROCEDURE"}

// swap puts s in place of the live read model in schema live, in one transaction that
// holds the live checkpoint. While it holds it, the shadow is brought up to the live
// position in batches of its own on another connection (pipelined as any batch), so
// that the live runner, and the writes waiting for it, wait as little as can be.
func (r *Runner) swap(ctx context.Context, s *shadow, live string, prog *Progress) error {
	name := s.p.Name()
	liveIdent, shadowIdent := pgx.Identifier{live}.Sanitize(), pgx.Identifier{s.schema}.Sanitize()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = %d`, swapLockTimeout.Milliseconds())); err != nil {
			return err
		}
		var livePos [2]int64
		if err := tx.QueryRow(ctx, lockCheckpoint, name).Scan(&livePos[0], &livePos[1]); err != nil {
			return fmt.Errorf("lock %s: %w", name, err)
		}
		// The live runner waits from here on. The shadow needs what the live read
		// model holds; what comes after, the live runner applies to it once swapped.
		target := eventstore.Position{Commit: uint64(livePos[0]), Prepare: uint64(livePos[1])}
		if err := r.build(ctx, s, target, prog, nil); err != nil {
			return err
		}
		var at [2]int64
		if err := tx.QueryRow(ctx, lockCheckpoint, s.checkpoint).Scan(&at[0], &at[1]); err != nil {
			return fmt.Errorf("lock %s: %w", s.checkpoint, err)
		}
		if (eventstore.Position{Commit: uint64(at[0]), Prepare: uint64(at[1])}) != s.pos {
			return fmt.Errorf("%s: %w", s.checkpoint, ErrCheckpointMoved)
		}
		if err := moveObjects(ctx, tx, s.schema, live); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints
			SET commit_pos = $2, prepare_pos = $3, events = $4, updated_at = now() WHERE name = $1`,
			name, int64(s.pos.Commit), int64(s.pos.Prepare), s.events); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM projection_checkpoints WHERE name = $1`, s.checkpoint); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DROP SCHEMA `+shadowIdent)
		return err
	})
	if err != nil {
		return fmt.Errorf("swap %s into %s: %w", s.schema, liveIdent, err)
	}
	return nil
}

// moveObjects drops the objects of schema to that have a namesake in schema from, and
// moves from's objects into to.
func moveObjects(ctx context.Context, tx pgx.Tx, from, to string) error {
	objs, err := objects(ctx, tx, from)
	if err != nil {
		return err
	}
	fromIdent, toIdent := pgx.Identifier{from}.Sanitize(), pgx.Identifier{to}.Sanitize()
	for _, kind := range moveKinds {
		if len(objs[kind]) == 0 {
			continue
		}
		// One statement per kind, so that objects depending on each other (two tables
		// with a foreign key) go together; RESTRICT, so that an object of another read
		// model that depends on one of them stops the swap instead of going with it.
		sql := "DROP " + kind + " IF EXISTS "
		for i, o := range objs[kind] {
			if i > 0 {
				sql += ", "
			}
			sql += toIdent + "." + o
		}
		if _, err := tx.Exec(ctx, sql+" RESTRICT"); err != nil {
			return fmt.Errorf("drop the live %ss: %w", kind, err)
		}
	}
	for _, kind := range moveKinds {
		for _, o := range objs[kind] {
			if _, err := tx.Exec(ctx, "ALTER "+kind+" "+fromIdent+"."+o+" SET SCHEMA "+toIdent); err != nil {
				return fmt.Errorf("move %s %s: %w", kind, o, err)
			}
		}
	}
	return nil
}

// analyze refreshes the planner's statistics and the visibility map of the shadow's
// tables, which every row of were written since the last autovacuum could look.
func (s *shadow) analyze(ctx context.Context) error {
	rows, err := s.pool.Query(ctx, `SELECT quote_ident(relname) FROM pg_class
		WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) AND relkind IN ('r', 'm')`, s.schema)
	if err != nil {
		return err
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	// One table per connection of the shadow's pool at a time.
	g, ctx := errgroup.WithContext(ctx)
	for _, t := range tables {
		g.Go(func() error {
			if _, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) `+pgx.Identifier{s.schema}.Sanitize()+"."+t); err != nil {
				return fmt.Errorf("vacuum %s: %w", t, err)
			}
			return nil
		})
	}
	return g.Wait()
}
