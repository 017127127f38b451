// Package parts is the read model of parts and part categories: a projector that keeps
// the tables part_categories and parts from the log, and the queries api/ serves
// InvenTree's /api/part/ and /api/part/category/ endpoints from.
package parts

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

// Name is the projector's checkpoint name. Stored: renaming it rebuilds the read model.
const Name = "parts"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the read model's schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_parts", migrationFiles) }

// Migrate creates or upgrades the read model's tables, and renders the part briefs an
// upgrade added the column for.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	if err := migrate.Up(ctx, pool, Migrations(), logger); err != nil {
		return err
	}
	return fillBriefs(ctx, pool)
}

// Projector folds part and part category events into the read model. It records facts
// and decides nothing; in particular it accepts events in any order within the
// appends that commands make (a category's deletion before or after its children
// move), because each event adjusts only its own aggregate's contribution to the
// counters.
type Projector struct {
	codec *domain.Codec
}

// NewProjector returns the projector.
func NewProjector() (*Projector, error) {
	codec, err := domain.NewCodec(part.Events())
	if err != nil {
		return nil, fmt.Errorf("parts projector: %w", err)
	}
	return &Projector{codec: codec}, nil
}

// Name implements projections.Projector.
func (*Projector) Name() string { return Name }

// Migrations implements projections.Projector.
func (*Projector) Migrations() migrate.Set { return Migrations() }

// handled reports whether the read model needs events of type typ.
func handled(typ string) bool {
	switch typ {
	case part.TypeCategoryCreated, part.TypeCategoryUpdated, part.TypeCategoryParentChanged,
		part.TypeCategoryDeleted, part.TypePartCreated, part.TypePartUpdated,
		part.TypePartCategoryChanged, part.TypePartDeleted:
		return true
	}
	return false
}

// Project implements projections.Projector. The part briefs the batch affects are
// rendered once, after its last event.
func (p *Projector) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	var briefs briefScope
	for _, r := range batch {
		if !handled(r.Type) {
			continue
		}
		ev, err := p.codec.Decode(r.Type, r.Schema, r.Data)
		if err != nil {
			return fmt.Errorf("%s at %s: %w", r.Stream, r.Position, err)
		}
		if err := apply(ctx, tx, ev); err != nil {
			return fmt.Errorf("%s %s at %s: %w", r.Type, r.Stream, r.Position, err)
		}
		briefs.add(ev)
	}
	return briefs.refresh(ctx, tx)
}

func apply(ctx context.Context, tx pgx.Tx, ev domain.Event) error {
	switch e := ev.(type) {
	case part.CategoryCreated:
		return categoryCreated(ctx, tx, e)
	case part.CategoryUpdated:
		return categoryUpdated(ctx, tx, e)
	case part.CategoryParentChanged:
		return moveCategory(ctx, tx, e.ID, e.To)
	case part.CategoryDeleted:
		return categoryDeleted(ctx, tx, e.ID)
	case part.PartCreated:
		return partCreated(ctx, tx, e)
	case part.PartUpdated:
		return partUpdated(ctx, tx, e)
	case part.PartCategoryChanged:
		return partMoved(ctx, tx, e.ID, e.To)
	case part.PartDeleted:
		return partDeleted(ctx, tx, e.ID)
	}
	return nil
}

// nullID stores the "none" pk 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func categoryCreated(ctx context.Context, tx pgx.Tx, e part.CategoryCreated) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO part_categories (pk, name, description, parent, default_location, default_keywords,
			structural, icon, path_ids, path_names)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8,
			coalesce(p.path_ids, '{}') || $1::bigint, coalesce(p.path_names, '{}') || $2::text
		FROM (SELECT 1) one LEFT JOIN part_categories p ON p.pk = $4`,
		e.ID, e.Name, e.Description, nullID(e.Parent), nullID(e.DefaultLocation), e.DefaultKeywords,
		e.Structural, e.Icon)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		UPDATE part_categories SET subcategories = subcategories + 1
		WHERE pk = ANY((SELECT path_ids FROM part_categories WHERE pk = $1)::bigint[]) AND pk <> $1`, e.ID)
	return err
}

func categoryUpdated(ctx context.Context, tx pgx.Tx, e part.CategoryUpdated) error {
	var set columns
	if c := e.Description; c != nil {
		set.add("description", c.New)
	}
	if c := e.DefaultLocation; c != nil {
		set.add("default_location", nullID(c.New))
	}
	if c := e.DefaultKeywords; c != nil {
		set.add("default_keywords", c.New)
	}
	if c := e.Structural; c != nil {
		set.add("structural", c.New)
	}
	if c := e.Icon; c != nil {
		set.add("icon", c.New)
	}
	if err := set.update(ctx, tx, "part_categories", e.ID); err != nil {
		return err
	}
	if c := e.Name; c != nil {
		// The name is one element of the path of the category and of every row below it,
		// at the category's own depth.
		if _, err := tx.Exec(ctx, `
			UPDATE part_categories d SET path_names[x.level + 1] = $2,
				name = CASE WHEN d.pk = $1 THEN $2 ELSE d.name END
			FROM (SELECT level FROM part_categories WHERE pk = $1) x
			WHERE d.path_ids @> ARRAY[$1::bigint]`, e.ID, c.New); err != nil {
			return err
		}
	}
	if c := e.Parent; c != nil {
		return moveCategory(ctx, tx, e.ID, c.New)
	}
	return nil
}

// moveCategory hangs category id and its subtree under to (0: the top level): the
// counters move from the old ancestors to the new ones, and every path in the subtree
// gets the new prefix.
func moveCategory(ctx context.Context, tx pgx.Tx, id, to int64) error {
	var path []int64
	var level int
	var parts, subs int64
	err := tx.QueryRow(ctx, `SELECT path_ids, level, part_count, subcategories FROM part_categories WHERE pk = $1`, id).
		Scan(&path, &level, &parts, &subs)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := addCounts(ctx, tx, path[:level], -(subs + 1), -parts); err != nil {
		return err
	}
	prefixIDs, prefixNames := []int64{}, []string{}
	if to != 0 {
		err := tx.QueryRow(ctx, `SELECT path_ids, path_names FROM part_categories WHERE pk = $1`, to).Scan(&prefixIDs, &prefixNames)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	if err := addCounts(ctx, tx, prefixIDs, subs+1, parts); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
		UPDATE part_categories SET
			path_ids = $2::bigint[] || path_ids[$3 + 1:],
			path_names = $4::text[] || path_names[$3 + 1:],
			parent = CASE WHEN pk = $1 THEN $5 ELSE parent END
		WHERE path_ids @> ARRAY[$1::bigint]`, id, prefixIDs, level, prefixNames, nullID(to))
	return err
}

// addCounts adds to the counters of the categories ids.
func addCounts(ctx context.Context, tx pgx.Tx, ids []int64, subcategories, parts int64) error {
	if len(ids) == 0 || (subcategories == 0 && parts == 0) {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE part_categories SET subcategories = subcategories + $2, part_count = part_count + $3
		WHERE pk = ANY($1)`, ids, subcategories, parts)
	return err
}

// categoryDeleted removes the category and only its own contribution to its ancestors'
// counters: itself, and the parts still filed directly in it. Children and parts that
// the same delete moves or deletes adjust the counters with their own events, whether
// they come before or after this one.
func categoryDeleted(ctx context.Context, tx pgx.Tx, id int64) error {
	var path []int64
	var level int
	err := tx.QueryRow(ctx, `SELECT path_ids, level FROM part_categories WHERE pk = $1`, id).Scan(&path, &level)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var direct int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM parts WHERE category = $1`, id).Scan(&direct); err != nil {
		return err
	}
	if err := addCounts(ctx, tx, path[:level], -1, -direct); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM part_categories WHERE pk = $1`, id)
	return err
}

// addPart adds delta to the part counts of category and its ancestors.
func addPart(ctx context.Context, tx pgx.Tx, category, delta int64) error {
	if category == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE part_categories SET part_count = part_count + $2
		WHERE pk = ANY((SELECT path_ids FROM part_categories WHERE pk = $1)::bigint[])`, category, delta)
	return err
}

func partCreated(ctx context.Context, tx pgx.Tx, e part.PartCreated) error {
	f := e.PartFields
	_, err := tx.Exec(ctx, `
		INSERT INTO parts (pk, name, description, ipn, revision, keywords, category, default_location,
			default_expiry, units, minimum_stock, maximum_stock, active, assembly, component, is_template,
			purchaseable, salable, trackable, testable, virtual, locked, consumable, link, notes,
			variant_of, revision_of, responsible, creation_user, created_at, creation_date)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::numeric, $12::numeric, $13, $14, $15, $16,
			$17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31::date)`,
		e.ID, f.Name, f.Description, f.IPN, f.Revision, f.Keywords, nullID(f.Category), nullID(f.DefaultLocation),
		f.DefaultExpiry, f.Units, f.MinimumStock.String(), f.MaximumStock.String(), f.Active, f.Assembly,
		f.Component, f.IsTemplate, f.Purchaseable, f.Salable, f.Trackable, f.Testable, f.Virtual, f.Locked,
		f.Consumable, f.Link, f.Notes, nullID(f.VariantOf), nullID(f.RevisionOf), nullID(f.Responsible),
		nullID(f.CreationUser), e.CreatedAt, e.CreatedAt.Format("2006-01-02"))
	if err != nil {
		return err
	}
	return addPart(ctx, tx, f.Category, 1)
}

func partUpdated(ctx context.Context, tx pgx.Tx, e part.PartUpdated) error {
	var set columns
	text := func(col string, c *part.Change[string]) {
		if c != nil {
			set.add(col, c.New)
		}
	}
	flag := func(col string, c *part.Change[bool]) {
		if c != nil {
			set.add(col, c.New)
		}
	}
	ref := func(col string, c *part.Change[int64]) {
		if c != nil {
			set.add(col, nullID(c.New))
		}
	}
	text("name", e.Name)
	text("description", e.Description)
	text("ipn", e.IPN)
	text("revision", e.Revision)
	text("keywords", e.Keywords)
	text("units", e.Units)
	text("link", e.Link)
	text("notes", e.Notes)
	ref("default_location", e.DefaultLocation)
	ref("variant_of", e.VariantOf)
	ref("revision_of", e.RevisionOf)
	ref("responsible", e.Responsible)
	ref("creation_user", e.CreationUser)
	if c := e.DefaultExpiry; c != nil {
		set.add("default_expiry", c.New)
	}
	if c := e.MinimumStock; c != nil {
		set.addCast("minimum_stock", c.New.String(), "numeric")
	}
	if c := e.MaximumStock; c != nil {
		set.addCast("maximum_stock", c.New.String(), "numeric")
	}
	flag("active", e.Active)
	flag("assembly", e.Assembly)
	flag("component", e.Component)
	flag("is_template", e.IsTemplate)
	flag("purchaseable", e.Purchaseable)
	flag("salable", e.Salable)
	flag("trackable", e.Trackable)
	flag("testable", e.Testable)
	flag("virtual", e.Virtual)
	flag("locked", e.Locked)
	flag("consumable", e.Consumable)
	if err := set.update(ctx, tx, "parts", e.ID); err != nil {
		return err
	}
	if c := e.Category; c != nil {
		return partMoved(ctx, tx, e.ID, c.New)
	}
	return nil
}

// partMoved files part id under category to, moving its count from the category it
// was in (as the row says, which the event's "from" should match) to the new one.
func partMoved(ctx context.Context, tx pgx.Tx, id, to int64) error {
	var from *int64
	err := tx.QueryRow(ctx, `
		UPDATE parts p SET category = $2 FROM (SELECT category FROM parts WHERE pk = $1) old
		WHERE p.pk = $1 RETURNING old.category`, id, nullID(to)).Scan(&from)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if from != nil {
		if err := addPart(ctx, tx, *from, -1); err != nil {
			return err
		}
	}
	return addPart(ctx, tx, to, 1)
}

func partDeleted(ctx context.Context, tx pgx.Tx, id int64) error {
	var category *int64
	err := tx.QueryRow(ctx, `DELETE FROM parts WHERE pk = $1 RETURNING category`, id).Scan(&category)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil || category == nil {
		return err
	}
	return addPart(ctx, tx, *category, -1)
}

// columns collects "column = value" pairs for one UPDATE. Column names are constants of
// this package, never input.
type columns struct {
	names []string
	args  []any
}

func (c *columns) add(name string, v any) { c.addCast(name, v, "") }

func (c *columns) addCast(name string, v any, cast string) {
	c.args = append(c.args, v)
	expr := name + " = $" + strconv.Itoa(len(c.args)+1)
	if cast != "" {
		expr += "::" + cast
	}
	c.names = append(c.names, expr)
}

func (c *columns) update(ctx context.Context, tx pgx.Tx, table string, pk int64) error {
	if len(c.names) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, "UPDATE "+table+" SET "+strings.Join(c.names, ", ")+" WHERE pk = $1", append([]any{pk}, c.args...)...)
	return err
}
