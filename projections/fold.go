package projections

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"

	"github.com/stockledger/stockledger/eventstore"
)

// A Folder is a projector whose read model can also be built from nothing in memory.
//
// Event by event, a projector reads and writes its rows in SQL: an item that moves a
// hundred times is written a hundred times, and every write maintains every index. A
// rebuild starts from empty tables, so it can instead fold the log into the final
// rows in memory and write each row once, with COPY, into tables whose secondary
// indexes are built after the rows. What the fold writes must be exactly what
// Project would have written; Verify holds the two together, since it compares a
// read model folded from the log with the live one built event by event.
type Folder interface {
	Projector
	// Fold starts an empty fold.
	Fold() Fold
}

// A Fold is a read model being folded in memory.
type Fold interface {
	// Add folds in the next events of the log, in order; the first batch starts with
	// the log's first event.
	Add(batch []eventstore.Recorded) error
	// Tables write the folded rows, one table each. They run at once, each in a
	// transaction of its own that has emptied its table (so that CopyFreeze can fill
	// it) and dropped the table's secondary indexes, which it builds again after.
	Tables() []TableWrite
}

// TableWrite writes one table of a fold.
type TableWrite struct {
	Table string
	Write func(ctx context.Context, tx pgx.Tx) error
}

// defaultFoldEvents bounds the events a rebuild folds in memory: the stock read
// models of a million seeded events (240k items, 900k tracking entries) took the
// rebuild to 600 MB resident. Past it, the rebuild goes on event by event from the
// folded rows.
const defaultFoldEvents = 2_000_000

// fold builds a fresh shadow of a Folder up to until, or up to the fold's bound. It
// writes the tables at once, each in a transaction of its own, and moves the shadow's
// checkpoint when they are all written: until then the shadow holds nothing a rebuild
// resumes from, and one interrupted before folds again from the first event, emptying
// what an earlier fold left. One interrupted after resumes after the folded events.
func (r *Runner) fold(ctx context.Context, s *shadow, until eventstore.Position, prog *Progress, report func(Progress)) error {
	folder, ok := s.p.(Folder)
	if !ok || s.events > 0 || r.cfg.FoldEvents < 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	f := folder.Fold()
	pos, n := s.pos, int64(0)
	prog.Phase = "fold"
	for rd := range r.readLog(ctx, s.pos, until) {
		if rd.err != nil {
			return rd.err
		}
		batch := rd.batch
		if room := int64(r.cfg.FoldEvents) - n; int64(len(batch)) > room {
			batch = batch[:room]
		}
		if len(batch) == 0 {
			break
		}
		if err := f.Add(batch); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
		pos, n = batch[len(batch)-1].Position, n+int64(len(batch))
		prog.Applied, prog.At = prog.Applied+int64(len(batch)), pos
		if report != nil {
			report(*prog)
		}
		if n >= int64(r.cfg.FoldEvents) {
			break
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	prog.Phase = "write"
	if report != nil {
		report(*prog)
	}
	if err := s.write(ctx, f.Tables()); err != nil {
		return fmt.Errorf("write the folded %s: %w", s.p.Name(), err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE projection_checkpoints
		SET commit_pos = $2, prepare_pos = $3, events = $4, updated_at = now() WHERE name = $1`,
		s.checkpoint, int64(pos.Commit), int64(pos.Prepare), n); err != nil {
		return fmt.Errorf("checkpoint the folded %s: %w", s.p.Name(), err)
	}
	s.pos, s.events = pos, n
	prog.Phase = "build"
	return nil
}

// write empties the shadow's tables and runs the table writes at once.
func (s *shadow) write(ctx context.Context, tables []TableWrite) error {
	if err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return truncate(ctx, tx, s.schema, s.p.Migrations().VersionTable())
	}); err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	for _, t := range tables {
		g.Go(func() error {
			return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				// The rows are derived from the log: a crash loses them, and the
				// checkpoint, moved after, with them.
				if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off; SET LOCAL maintenance_work_mem = '256MB'`); err != nil {
					return err
				}
				table := pgx.Identifier{s.schema, t.Table}.Sanitize()
				if _, err := tx.Exec(ctx, `TRUNCATE `+table); err != nil {
					return fmt.Errorf("truncate %s: %w", table, err)
				}
				indexes, err := dropIndexes(ctx, tx, table)
				if err != nil {
					return err
				}
				if err := t.Write(ctx, tx); err != nil {
					return fmt.Errorf("%s: %w", t.Table, err)
				}
				for _, def := range indexes {
					if _, err := tx.Exec(ctx, def); err != nil {
						return fmt.Errorf("build index: %w", err)
					}
				}
				// The planner's statistics, while the other tables are still being
				// written; the rows, frozen, leave VACUUM nothing to do.
				if _, err := tx.Exec(ctx, `ANALYZE `+table); err != nil {
					return fmt.Errorf("analyze %s: %w", table, err)
				}
				return nil
			})
		})
	}
	return g.Wait()
}

// truncate empties schema's tables but the migrations' version table.
func truncate(ctx context.Context, tx pgx.Tx, schema, versions string) error {
	rows, err := tx.Query(ctx, `SELECT quote_ident(nspname) || '.' || quote_ident(relname) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> $2`, schema, versions)
	if err != nil {
		return fmt.Errorf("list tables of %s: %w", schema, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) == 0 {
		return err
	}
	if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(tables, ", ")); err != nil {
		return fmt.Errorf("truncate %s: %w", schema, err)
	}
	return nil
}

// dropIndexes drops the indexes of table that no constraint needs and returns the
// statements that create them again.
func dropIndexes(ctx context.Context, tx pgx.Tx, table string) ([]string, error) {
	rows, err := tx.Query(ctx, `
		SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE i.indrelid = $1::regclass
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
		ORDER BY c.relname`, table)
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	type index struct{ name, def string }
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (index, error) {
		var ix index
		return ix, row.Scan(&ix.name, &ix.def)
	})
	if err != nil {
		return nil, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	defs := make([]string, len(found))
	for i, ix := range found {
		if _, err := tx.Exec(ctx, `DROP INDEX `+ix.name); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", ix.name, err)
		}
		defs[i] = ix.def
	}
	return defs, nil
}

// CopyFreeze copies rows into table, which tx has emptied, frozen: the rows are
// visible to every transaction from the moment tx commits, with no hint bits to set
// and nothing for VACUUM to do, which is what a read model built from nothing wants.
// It is pgx's CopyFrom with COPY's FREEZE option, which pgx does not offer.
func CopyFreeze(ctx context.Context, tx pgx.Tx, table string, columns []string, rows pgx.CopyFromSource) (int64, error) {
	cols := make([]string, len(columns))
	for i, c := range columns {
		cols[i] = pgx.Identifier{c}.Sanitize()
	}
	list := strings.Join(cols, ", ")
	ident := pgx.Identifier{table}.Sanitize()
	conn := tx.Conn()
	desc, err := conn.PgConn().Prepare(ctx, "", "SELECT "+list+" FROM "+ident, nil)
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", table, err)
	}
	types := conn.TypeMap()
	r, w := io.Pipe()
	go func() {
		buf := make([]byte, 0, 1<<16)
		buf = append(buf, "PGCOPY\n\377\r\n\000"...)
		buf = binary.BigEndian.AppendUint32(buf, 0) // flags
		buf = binary.BigEndian.AppendUint32(buf, 0) // header extension
		for rows.Next() {
			values, err := rows.Values()
			if err == nil && len(values) != len(columns) {
				err = fmt.Errorf("%d values for %d columns", len(values), len(columns))
			}
			if err != nil {
				w.CloseWithError(err)
				return
			}
			buf = binary.BigEndian.AppendUint16(buf, uint16(len(columns)))
			for i, v := range values {
				at := len(buf)
				buf = binary.BigEndian.AppendUint32(buf, 0)
				out, err := types.Encode(desc.Fields[i].DataTypeOID, pgtype.BinaryFormatCode, v, buf)
				if err != nil {
					w.CloseWithError(fmt.Errorf("column %s: %w", columns[i], err))
					return
				}
				if out == nil {
					binary.BigEndian.PutUint32(buf[at:], math.MaxUint32) // -1: NULL
					continue
				}
				buf = out
				binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
			}
			if len(buf) >= 1<<16 {
				if _, err := w.Write(buf); err != nil {
					return
				}
				buf = buf[:0]
			}
		}
		if err := rows.Err(); err != nil {
			w.CloseWithError(err)
			return
		}
		buf = binary.BigEndian.AppendUint16(buf, math.MaxUint16) // -1: the end
		if _, err := w.Write(buf); err != nil {
			return
		}
		w.Close()
	}()
	tag, err := conn.PgConn().CopyFrom(ctx, r, "COPY "+ident+" ("+list+") FROM STDIN (FORMAT binary, FREEZE)")
	r.Close()
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", table, err)
	}
	return tag.RowsAffected(), nil
}
