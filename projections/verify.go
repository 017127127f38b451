package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockledger/stockledger/eventstore"
)

// MaxShown is how many differing rows of one table a verification keeps to show.
const MaxShown = 20

// Difference is a row on which a read model rebuilt from the log and the live one
// disagree.
type Difference struct {
	Table string
	// Key is the row's primary key as PostgreSQL writes a row value, e.g. "(42)"; for a
	// table without one, the whole row.
	Key string
	// Live and Rebuilt are the row as a JSON object; nil where the row is missing.
	Live, Rebuilt []byte
}

// Verification is what Verify found.
type Verification struct {
	Projection string
	// At is the position both read models had applied when they were compared.
	At eventstore.Position
	// Tables and Rows say how much of the rebuilt read model was compared.
	Tables int
	Rows   int64
	// Differences are the first MaxShown differing rows of each table; Count counts
	// them all.
	Differences []Difference
	Count       int64
}

// Verify rebuilds the named projector's read model from the log into a scratch schema,
// up to the position the live read model has reached, and compares the two row by row.
// The live read model and its runner carry on meanwhile; the scratch schema is dropped
// at the end. report, if set, is told how far the rebuild got after every batch.
func (r *Runner) Verify(ctx context.Context, name string, report func(Progress)) (Verification, error) {
	v := Verification{Projection: name}
	p, err := r.projector(name)
	if err != nil {
		return v, fmt.Errorf("verify: %w", err)
	}
	if err := r.verify(ctx, p, &v, report); err != nil {
		return v, fmt.Errorf("verify %s: %w", name, err)
	}
	return v, nil
}

func (r *Runner) verify(ctx context.Context, p Projector, v *Verification, report func(Progress)) error {
	s, err := r.openShadow(ctx, p, "verify_"+p.Name(), "verify:"+p.Name(), false)
	if err != nil {
		return err
	}
	defer s.close()
	defer func() {
		// The scratch copy is of no use once compared, nor after a failure.
		ctx := context.WithoutCancel(ctx)
		_, _ = r.cfg.Pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{s.schema}.Sanitize()+` CASCADE`)
		_, _ = r.cfg.Pool.Exec(ctx, `DELETE FROM projection_checkpoints WHERE name = $1`, s.checkpoint)
	}()
	live, err := r.liveSchema(ctx)
	if err != nil {
		return err
	}
	// Build up to where the live read model is, again until a pass is short: the
	// comparison applies the rest in its own transaction. Building to the live
	// position rather than the head means the copy is never ahead of the live one,
	// whether or not a runner is keeping that one up to date.
	prog := Progress{Projection: p.Name(), Phase: "build"}
	target, err := r.storedPosition(ctx, p.Name())
	if err != nil {
		return err
	}
	if prog.Head, err = r.cfg.Log.Head(ctx); err != nil {
		return err
	}
	if err := r.fold(ctx, s, target, &prog, report); err != nil {
		return err
	}
	for {
		target, err := r.storedPosition(ctx, p.Name())
		if err != nil {
			return err
		}
		if prog.Head, err = r.cfg.Log.Head(ctx); err != nil {
			return err
		}
		before := prog.Applied
		if err := r.build(ctx, s, target, &prog, report); err != nil {
			return err
		}
		if prog.Applied-before < int64(r.cfg.RebuildBatch) {
			break
		}
	}
	prog.Phase = "compare"
	if report != nil {
		report(prog)
	}
	return r.compare(ctx, s, live, v)
}

func (r *Runner) storedPosition(ctx context.Context, name string) (eventstore.Position, error) {
	var commit, prepare int64
	err := r.cfg.Pool.QueryRow(ctx, `SELECT commit_pos, prepare_pos FROM projection_checkpoints WHERE name = $1`, name).Scan(&commit, &prepare)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Position{}, fmt.Errorf("checkpoint %s: %w", name, err)
	}
	return eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}, nil
}

// compare brings the scratch copy s exactly to the live read model's position and
// compares the two, in one repeatable-read transaction: the live tables and their
// checkpoint are read in one snapshot, which the copy's last events are applied in.
func (r *Runner) compare(ctx context.Context, s *shadow, live string, v *Verification) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // the copy is dropped anyway
	var commit, prepare int64
	err = tx.QueryRow(ctx, `SELECT commit_pos, prepare_pos FROM projection_checkpoints WHERE name = $1`, s.p.Name()).Scan(&commit, &prepare)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("live checkpoint: %w", err)
	}
	target := eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}
	if target.Before(s.pos) {
		return fmt.Errorf("the live read model went back from %s to %s", s.pos, target)
	}
	pos := s.pos
	for pos.Before(target) {
		batch, err := r.cfg.Log.ReadAll(ctx, pos, r.cfg.RebuildBatch)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			// The live runner has read these events, so they are committed; the
			// log holds them back for an older open transaction.
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		n := 0
		for n < len(batch) && !target.Before(batch[n].Position) {
			n++
		}
		if n > 0 {
			if err := s.p.Project(ctx, tx, batch[:n]); err != nil {
				return fmt.Errorf("project %d events from %s: %w", n, batch[0].Position, err)
			}
		}
		if n < len(batch) {
			break
		}
		pos = batch[n-1].Position
	}
	v.At = target

	rows, err := tx.Query(ctx, `SELECT c.relname,
			coalesce((SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord)
				FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
				JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
				WHERE i.indrelid = c.oid AND i.indisprimary), '')
		FROM pg_class c
		WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1)
		  AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND c.relname <> $2
		ORDER BY c.relname`, s.schema, s.p.Migrations().VersionTable())
	if err != nil {
		return err
	}
	type table struct{ name, key string }
	tables, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (table, error) {
		var t table
		return t, row.Scan(&t.name, &t.key)
	})
	if err != nil {
		return fmt.Errorf("list tables: %w", err)
	}
	for _, t := range tables {
		if err := compareTable(ctx, tx, live, s.schema, t.name, t.key, v); err != nil {
			return fmt.Errorf("compare %s: %w", t.name, err)
		}
		v.Tables++
	}
	return nil
}

// compareTable compares one table's rows in the live schema and the scratch one by
// their text, which tells 1.5 from 1.50, and keeps the first differences.
func compareTable(ctx context.Context, tx pgx.Tx, live, scratch, table, key string, v *Verification) error {
	liveT := pgx.Identifier{live, table}.Sanitize()
	scratchT := pgx.Identifier{scratch, table}.Sanitize()
	keyExpr := "ROW(" + key + ")::text"
	if key == "" {
		// No primary key: rows are told apart by their content, and copies by number.
		keyExpr = "t::text || ' #' || row_number() OVER (PARTITION BY t::text)"
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+scratchT).Scan(&n); err != nil {
		return err
	}
	v.Rows += n
	rows, err := tx.Query(ctx, fmt.Sprintf(`
		WITH l AS (SELECT %[1]s AS k, t::text AS r FROM %[2]s t),
		     s AS (SELECT %[1]s AS k, t::text AS r FROM %[3]s t)
		SELECT coalesce(l.k, s.k), count(*) OVER ()
		FROM l FULL JOIN s ON l.k = s.k
		WHERE l.r IS DISTINCT FROM s.r
		ORDER BY 1 LIMIT %[4]d`, keyExpr, liveT, scratchT, MaxShown))
	if err != nil {
		return err
	}
	var keys []string
	var total int64
	for rows.Next() {
		var k string
		if err := rows.Scan(&k, &total); err != nil {
			rows.Close()
			return err
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	v.Count += total
	for _, k := range keys {
		d := Difference{Table: table, Key: k}
		if key != "" {
			err := tx.QueryRow(ctx, fmt.Sprintf(`SELECT
				(SELECT to_jsonb(t)::text FROM %[2]s t WHERE %[1]s = $1),
				(SELECT to_jsonb(t)::text FROM %[3]s t WHERE %[1]s = $1)`, keyExpr, liveT, scratchT), k).Scan(&d.Live, &d.Rebuilt)
			if err != nil {
				return err
			}
		}
		v.Differences = append(v.Differences, d)
	}
	return nil
}
