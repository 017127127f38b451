package parts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
)

// BriefSQL is an SQL expression over a parts row p that yields the part's PartBrief
// (InvenTree's PartBriefSerializer), as json: what stock items show as part_detail. Its
// category_default_location is the nearest default location of the part's category
// and the categories above it.
const BriefSQL = `json_build_object(
	'pk', p.pk, 'IPN', p.ipn, 'barcode_hash', '',
	'category_default_location', (SELECT a.default_location FROM part_categories c
		JOIN part_categories a ON a.pk = ANY(c.path_ids)
		WHERE c.pk = p.category AND a.default_location IS NOT NULL ORDER BY a.level DESC LIMIT 1),
	'default_location', p.default_location, 'default_expiry', p.default_expiry,
	'name', p.name, 'revision', p.revision,
	'full_name', CASE WHEN p.ipn <> '' THEN p.ipn || ' | ' ELSE '' END || p.name ||
		CASE WHEN p.revision <> '' THEN ' | ' || p.revision ELSE '' END,
	'description', p.description, 'image', NULL, 'thumbnail', '` + BlankThumbnail + `',
	'active', p.active, 'locked', p.locked, 'assembly', p.assembly, 'component', p.component,
	'minimum_stock', round(p.minimum_stock, 6)::text, 'is_template', p.is_template,
	'purchaseable', p.purchaseable, 'salable', p.salable, 'testable', p.testable,
	'trackable', p.trackable, 'virtual', p.virtual, 'consumable', p.consumable, 'units', p.units,
	'pricing_min', NULL, 'pricing_max', NULL)`

// BriefColumn is the parts column that holds each part's BriefSQL object as the API
// writes it: the jsonb rendering of the object, compacted as encoding/json compacts a
// json.RawMessage (without HTML escaping). Lists of stock items copy it as it is.
const BriefColumn = "brief"

// briefScope collects, over a batch, what the stored briefs depend on that changed:
// parts, and categories whose default location or place in the tree changed (which
// moves the default location their parts and the parts below them inherit).
type briefScope struct {
	parts, categories []int64
}

func (s *briefScope) add(ev domain.Event) {
	switch e := ev.(type) {
	case part.PartCreated:
		s.parts = append(s.parts, e.ID)
	case part.PartUpdated:
		s.parts = append(s.parts, e.ID)
	case part.PartCategoryChanged:
		s.parts = append(s.parts, e.ID)
	case part.CategoryUpdated:
		if e.DefaultLocation != nil || e.Parent != nil {
			s.categories = append(s.categories, e.ID)
		}
	case part.CategoryParentChanged:
		s.categories = append(s.categories, e.ID)
	case part.CategoryDeleted:
		// Parts still filed in it, or below it, lose what it passed down. The rows below
		// keep its pk in their paths until they move, so the subtree is still found.
		s.categories = append(s.categories, e.ID)
	}
}

// refresh re-renders the briefs in scope from the rows as they are now.
func (s *briefScope) refresh(ctx context.Context, tx pgx.Tx) error {
	if len(s.parts) == 0 && len(s.categories) == 0 {
		return nil
	}
	_, err := renderBriefs(ctx, tx, `p.pk = ANY($1) OR p.category = ANY($2)
		OR p.category IN (SELECT pk FROM part_categories WHERE path_ids && $2)`, s.parts, s.categories)
	return err
}

// querier is a connection, a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// renderBriefs stores the brief of every part the condition on p selects and says how
// many it rendered. PostgreSQL renders the object (BriefSQL, as the stock queries do
// for a part without a brief); the compaction is Go's, so the stored bytes are those
// the API would write.
func renderBriefs(ctx context.Context, db querier, cond string, args ...any) (int, error) {
	rows, err := db.Query(ctx, `SELECT p.pk, (`+BriefSQL+`)::jsonb::text FROM parts p WHERE `+cond, args...)
	if err != nil {
		return 0, fmt.Errorf("render part briefs: %w", err)
	}
	var pks []int64
	var briefs []string
	var buf bytes.Buffer
	for rows.Next() {
		var pk int64
		var raw []byte
		if err := rows.Scan(&pk, &raw); err != nil {
			rows.Close()
			return 0, fmt.Errorf("render part briefs: %w", err)
		}
		buf.Reset()
		if err := json.Compact(&buf, raw); err != nil {
			rows.Close()
			return 0, fmt.Errorf("render part %d brief: %w", pk, err)
		}
		pks, briefs = append(pks, pk), append(briefs, buf.String())
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("render part briefs: %w", err)
	}
	if len(pks) == 0 {
		return 0, nil
	}
	if _, err := db.Exec(ctx, `UPDATE parts SET brief = b.brief
		FROM unnest($1::bigint[], $2::text[]) AS b(pk, brief)
		WHERE parts.pk = b.pk AND parts.brief IS DISTINCT FROM b.brief`, pks, briefs); err != nil {
		return 0, fmt.Errorf("store part briefs: %w", err)
	}
	return len(pks), nil
}

// fillBriefs renders the briefs a migration left empty (parts projected before the
// column existed), a thousand parts per transaction, locking them against the
// projector meanwhile.
func fillBriefs(ctx context.Context, pool *pgxpool.Pool) error {
	const batch = 1000
	for {
		var n int
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
			n, err = renderBriefs(ctx, tx, `p.pk IN (SELECT pk FROM parts WHERE brief IS NULL ORDER BY pk LIMIT $1 FOR UPDATE)`, batch)
			return err
		})
		if err != nil {
			return fmt.Errorf("fill part briefs: %w", err)
		}
		if n < batch {
			return nil
		}
	}
}
