package stock

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math/big"
	"runtime"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
	"golang.org/x/sync/errgroup"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/projections"
)

// Fold implements projections.Folder: the stock read models folded in memory, each
// row written once when the fold is done.
func (p *Projector) Fold() projections.Fold {
	return &fold{p: p, locations: map[int64]*locationRow{}, items: map[int64]*itemRow{},
		relinked: map[int64]relink{}}
}

// fold is the writer (see apply) that keeps the rows in memory. It writes what the
// applier's SQL writes, row for row; what the applier keeps up as it goes (the
// locations' and items' counts, the pathstrings, the tracking entries of deleted
// items), it works out once at the end.
type fold struct {
	p         *Projector
	rec       eventstore.Recorded // the event being folded
	locations map[int64]*locationRow
	items     map[int64]*itemRow
	// tracking holds the entries in blocks of trackingBlock, which a log's million
	// entries fill without ever being copied to a bigger array.
	tracking [][]trackingRow
	entries  int
	// relinked holds the deleted items, whose children were re-linked to their parent
	// when they were deleted.
	relinked map[int64]relink
	deletes  int
}

type locationRow struct {
	pk                 int64
	name, description  string
	parent             any
	path               []int64
	names              []string
	structural         bool
	external           bool
	owner, locType     any
	customIcon         string
	items, subLocation int32
}

// The date columns, which COPY's binary format wants as dates.
var (
	colExpiryDate   = rowColumn["expiry_date"]
	colStocktakeDay = rowColumn["stocktake_date"]
)

const trackingBlock = 1 << 16

type trackingRow struct {
	item, part int64
	date       int64 // in microseconds since 1970, as PostgreSQL keeps it
	kind       int32
	deltas     string
	notes      string
	user       int64 // 0: none
}

// relink is where a deleted item's children went, and when.
type relink struct {
	to  int64
	seq int
}

// Add decodes the batch's stock events on every CPU, since decoding is most of a
// fold's work and needs nothing but the event, then applies them in order.
func (f *fold) Add(batch []eventstore.Recorded) error {
	events := make([]domain.Event, len(batch))
	var g errgroup.Group
	chunk := (len(batch) + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	for lo := 0; lo < len(batch); lo += chunk {
		g.Go(func() error {
			for i := lo; i < min(lo+chunk, len(batch)); i++ {
				ev, err := f.p.decode(batch[i])
				if err != nil {
					return err
				}
				events[i] = ev
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for i, ev := range events {
		if ev == nil {
			continue
		}
		f.rec = batch[i]
		if err := apply(f, f.rec.RecordedAt, ev); err != nil {
			return fmt.Errorf("%s@%d %s: %w", f.rec.Stream, f.rec.Version, f.rec.Type, err)
		}
	}
	return nil
}

// ---- the writer ----

func (f *fold) createLocation(e stockdomain.LocationCreated) error {
	var path []int64
	var names []string
	if parent, ok := f.locations[e.Parent]; ok {
		path, names = slices.Clone(parent.path), slices.Clone(parent.names)
	}
	f.locations[e.PK] = &locationRow{
		pk: e.PK, name: e.Name, description: e.Description, parent: nullID(e.Parent),
		path: append(path, e.PK), names: append(names, e.Name),
		structural: e.Structural, external: e.External, owner: nullID(e.Owner),
		locType: nullID(e.LocationType), customIcon: e.CustomIcon,
	}
	return nil
}

func (f *fold) updateLocation(e stockdomain.LocationUpdated, cols []col) error {
	l, ok := f.locations[e.PK]
	if !ok {
		return nil
	}
	for _, c := range cols {
		switch c.name {
		case "name":
			l.name = c.value.(string)
		case "description":
			l.description = c.value.(string)
		case "parent":
			l.parent = c.value
		case "structural":
			l.structural = c.value.(bool)
		case "external":
			l.external = c.value.(bool)
		case "owner":
			l.owner = c.value
		case "location_type":
			l.locType = c.value
		case "custom_icon":
			l.customIcon = c.value.(string)
		default:
			return fmt.Errorf("fold: no location column %q", c.name)
		}
	}
	if e.Name == nil && e.Parent == nil {
		return nil
	}
	prefix, prefixNames := l.path[:len(l.path)-1], l.names[:len(l.names)-1]
	if e.Parent != nil {
		prefix, prefixNames = nil, nil
		if parent, ok := f.locations[e.Parent.New]; ok {
			prefix, prefixNames = parent.path, parent.names
		}
	}
	prefix, prefixNames = slices.Clone(prefix), slices.Clone(prefixNames)
	for _, d := range f.locations {
		at := slices.Index(d.path, e.PK)
		if at < 0 {
			continue
		}
		path := append(slices.Clone(prefix), d.path[at:]...)
		names := append(append(slices.Clone(prefixNames), l.name), d.names[at+1:]...)
		d.path, d.names = path, names
	}
	return nil
}

func (f *fold) deleteLocation(e stockdomain.LocationDeleted) error {
	delete(f.locations, e.PK)
	return nil
}

func (f *fold) createItem(e stockdomain.ItemCreated) error {
	row := newItem(e, f.rec.RecordedAt)
	f.items[e.PK] = &row
	return f.setItem(e.PK, e.Tracking, nil)
}

func (f *fold) setItem(pk int64, entries []stockdomain.Entry, cols []col) error {
	it, ok := f.items[pk]
	if !ok {
		return nil
	}
	for _, c := range cols {
		i, ok := rowColumn[c.name]
		if !ok {
			return fmt.Errorf("fold: no item column %q", c.name)
		}
		it[i] = c.value
	}
	if len(entries) == 0 {
		return nil
	}
	it[colTracking] = it[colTracking].(int32) + int32(len(entries))
	part := it[colPart].(int64)
	for _, en := range entries {
		if f.entries%trackingBlock == 0 {
			f.tracking = append(f.tracking, make([]trackingRow, 0, trackingBlock))
		}
		block := &f.tracking[len(f.tracking)-1]
		f.entries++
		*block = append(*block, trackingRow{item: pk, part: part, date: f.rec.RecordedAt.UnixMicro(),
			kind: int32(en.Type), deltas: string(renderDeltas(en.Deltas)), notes: en.Notes, user: f.rec.Metadata.UserID})
	}
	return nil
}

func (f *fold) scopeSerial(pk int64) error {
	if it, ok := f.items[pk]; ok && it[colSerialScope] == nil {
		it[colSerialScope] = int64(0)
	}
	return nil
}

func (f *fold) deleteItem(e stockdomain.ItemDeleted) error {
	if _, ok := f.items[e.PK]; !ok {
		return nil
	}
	delete(f.items, e.PK)
	f.deletes++
	f.relinked[e.PK] = relink{to: e.Parent, seq: f.deletes}
	return nil
}

// moveItem does nothing: the locations' item counts are counted in Write.
func (f *fold) moveItem(from, to int64) {}

// ---- writing ----

// Tables finishes what the applier keeps up as it goes, then writes each table.
func (f *fold) Tables() []projections.TableWrite {
	items := slices.SortedFunc(maps.Values(f.items), func(a, b *itemRow) int {
		return cmp.Compare(a[0].(int64), b[0].(int64))
	})
	for _, it := range items {
		// A deleted item's children were re-linked to its parent as it went, and so
		// on up while the parent was deleted after that.
		if p, ok := it[colParent].(int64); ok {
			seq := 0
			for {
				r, deleted := f.relinked[p]
				if !deleted || r.seq < seq {
					break
				}
				it[colParent], p, seq = nullID(r.to), r.to, r.seq
				if r.to == 0 {
					break
				}
			}
		}
	}
	for _, it := range items {
		if p, ok := it[colParent].(int64); ok {
			if parent, ok := f.items[p]; ok {
				parent[colChildren] = parent[colChildren].(int32) + 1
			}
		}
		if p, ok := it[colBelongsTo].(int64); ok {
			if into, ok := f.items[p]; ok {
				into[colInstalled] = into[colInstalled].(int32) + 1
			}
		}
		if l, ok := it[colLocation].(int64); ok {
			if loc, ok := f.locations[l]; ok {
				for _, up := range loc.path {
					if a, ok := f.locations[up]; ok {
						a.items++
					}
				}
			}
		}
	}
	locations := slices.SortedFunc(maps.Values(f.locations), func(a, b *locationRow) int { return cmp.Compare(a.pk, b.pk) })
	for _, l := range locations {
		for _, up := range l.path[:len(l.path)-1] {
			if a, ok := f.locations[up]; ok {
				a.subLocation++
			}
		}
	}
	return []projections.TableWrite{
		{Table: "stock_tracking", Write: f.writeTracking},
		{Table: "stock_items", Write: func(ctx context.Context, tx pgx.Tx) error { return writeItems(ctx, tx, items) }},
		{Table: "stock_locations", Write: func(ctx context.Context, tx pgx.Tx) error { return writeLocations(ctx, tx, locations) }},
	}
}

func writeLocations(ctx context.Context, tx pgx.Tx, locations []*locationRow) error {
	if _, err := projections.CopyFreeze(ctx, tx, "stock_locations",
		[]string{"pk", "name", "description", "parent", "path_pks", "name_path", "pathstring", "level", "tree_id",
			"structural", "external", "owner", "location_type", "custom_icon", "items", "sublocations"},
		pgx.CopyFromSlice(len(locations), func(i int) ([]any, error) {
			l := locations[i]
			return []any{l.pk, l.name, l.description, l.parent, l.path, l.names, "", int32(len(l.path) - 1), l.path[0],
				l.structural, l.external, l.owner, l.locType, l.customIcon, l.items, l.subLocation}, nil
		})); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE stock_locations SET pathstring = stock_pathstring(name_path)`)
	return err
}

// writeItems copies the items in with their triggers off: the triggers count the
// links, which the rows hold counted already.
func writeItems(ctx context.Context, tx pgx.Tx, items []*itemRow) error {
	if _, err := tx.Exec(ctx, `ALTER TABLE stock_items DISABLE TRIGGER USER`); err != nil {
		return err
	}
	row := make([]any, len(rowColumns))
	if _, err := projections.CopyFreeze(ctx, tx, "stock_items", rowColumns[:],
		pgx.CopyFromSlice(len(items), func(i int) ([]any, error) {
			for c, v := range items[i] {
				row[c] = copyValue(v)
			}
			for _, c := range []int{colExpiryDate, colStocktakeDay} {
				if s, ok := row[c].(string); ok {
					day, err := time.Parse(time.DateOnly, s)
					if err != nil {
						return nil, fmt.Errorf("item %d: %w", items[i][0], err)
					}
					row[c] = pgtype.Date{Time: day, Valid: true}
				}
			}
			return row, nil
		})); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `ALTER TABLE stock_items ENABLE TRIGGER USER`)
	return err
}

// writeTracking copies the tracking entries in; those of items deleted since lose
// their item, as the applier's deletions do.
func (f *fold) writeTracking(ctx context.Context, tx pgx.Tx) error {
	_, err := projections.CopyFreeze(ctx, tx, "stock_tracking",
		[]string{"pk", "item", "part", "date", "tracking_type", "deltas", "notes", "user_id"},
		pgx.CopyFromSlice(f.entries, func(i int) ([]any, error) {
			t := &f.tracking[i/trackingBlock][i%trackingBlock]
			var item any
			if _, ok := f.items[t.item]; ok {
				item = t.item
			}
			return []any{int64(i + 1), item, t.part, time.UnixMicro(t.date), t.kind, t.deltas, t.notes, nullID(t.user)}, nil
		}))
	return err
}

// copyValue is v as COPY's binary format takes it.
func copyValue(v any) any {
	switch v := v.(type) {
	case decimal.Decimal:
		return numeric(v)
	case decimal.NullDecimal:
		if !v.Valid {
			return nil
		}
		return numeric(v.Decimal)
	case status.StockStatus:
		return int32(v)
	}
	return v
}

// numeric is d as PostgreSQL stores the text d.String() gives it, which the applier
// sends: trailing zeros after the point dropped.
func numeric(d decimal.Decimal) pgtype.Numeric {
	n, exp := new(big.Int).Set(d.Coefficient()), d.Exponent()
	ten, rem := big.NewInt(10), new(big.Int)
	for exp < 0 && n.Sign() != 0 {
		q, r := new(big.Int).QuoRem(n, ten, rem)
		if r.Sign() != 0 {
			break
		}
		n, exp = q, exp+1
	}
	if n.Sign() == 0 {
		exp = 0
	}
	return pgtype.Numeric{Int: n, Exp: exp, Valid: true}
}
