package stock

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
)

// applier writes one event into the read models.
type applier struct {
	ctx    context.Context
	tx     pgx.Tx
	rec    eventstore.Recorded
	counts itemCounts // the batch's, shared by its events' appliers
}

// itemCounts is what the batch's events have moved of the locations' item counts so
// far, per location the items left (negative) or arrived at. The counts are stored
// once per batch (flush) rather than once per event: a location's row, and those of
// the locations above it, would otherwise be updated by nearly every event, and in a
// batch of thousands of events each update walks past every version of the row the
// batch has written before it.
type itemCounts map[int64]int

// flushCounts stores the item counts moved so far in the locations' paths and forgets
// them. It runs before a location event (which may move a path, or recount) and at the
// end of the batch, so each count lands on the path its location had when its item
// moved, as it would event by event.
func (a applier) flushCounts() error {
	if len(a.counts) == 0 {
		return nil
	}
	locs := make([]int64, 0, len(a.counts))
	deltas := make([]int32, 0, len(a.counts))
	for pk, d := range a.counts {
		if d != 0 {
			locs, deltas = append(locs, pk), append(deltas, int32(d))
		}
	}
	clear(a.counts)
	if len(locs) == 0 {
		return nil
	}
	return a.exec(`UPDATE stock_locations l SET items = l.items + d.delta
		FROM (SELECT p.pk, sum(m.delta) AS delta
			FROM unnest($1::bigint[], $2::int[]) AS m(pk, delta)
			JOIN stock_locations s ON s.pk = m.pk, unnest(s.path_pks) AS p(pk)
			GROUP BY p.pk) d
		WHERE l.pk = d.pk AND d.delta <> 0`, locs, deltas)
}

// deferrer is the runner's transaction (projections.Tx): the applier's writes need no
// answer, so they are deferred and a batch's rows travel together in a round trip or
// two rather than one per row. Its reads send what is deferred first.
type deferrer interface {
	Defer(sql string, args ...any)
}

// exec writes; with the runner's transaction, the statement is deferred and its error
// fails the batch later.
func (a applier) exec(sql string, args ...any) error {
	if d, ok := a.tx.(deferrer); ok {
		d.Defer(sql, args...)
		return nil
	}
	_, err := a.tx.Exec(a.ctx, sql, args...)
	return err
}

// writer is how an event's changes reach the read model: the projector's applier
// writes them in SQL as each batch comes, a rebuild's fold (fold.go) keeps them in
// memory and writes the final rows at once. apply, which says what each event
// changes, is the same for both, so the two cannot disagree on what an event means.
type writer interface {
	createLocation(e stockdomain.LocationCreated) error
	// updateLocation sets the location's columns cols, then moves its subtree when
	// its name or parent changed.
	updateLocation(e stockdomain.LocationUpdated, cols []col) error
	deleteLocation(e stockdomain.LocationDeleted) error
	createItem(e stockdomain.ItemCreated) error
	// setItem sets an item's columns and records its tracking entries, dated and
	// signed by the event; an item the read model does not hold gets neither.
	setItem(pk int64, entries []stockdomain.Entry, cols []col) error
	// scopeSerial gives the item the global serial scope (0) unless it has one.
	scopeSerial(pk int64) error
	deleteItem(e stockdomain.ItemDeleted) error
	// moveItem moves one item's count from location from to location to (0: none).
	moveItem(from, to int64)
}

// apply writes one event's changes with w. at is when the event was recorded: the
// updated time of the items it changes.
func apply(w writer, at time.Time, ev domain.Event) error {
	set := func(pk int64, entries []stockdomain.Entry, cols ...col) error {
		if len(cols) > 0 {
			cols = append(cols, col{"updated", at})
		}
		return w.setItem(pk, entries, cols)
	}
	switch e := ev.(type) {
	case stockdomain.LocationCreated:
		return w.createLocation(e)
	case stockdomain.LocationUpdated:
		return w.updateLocation(e, locationCols(e))
	case stockdomain.LocationDeleted:
		return w.deleteLocation(e)
	case stockdomain.ItemCreated:
		if err := w.createItem(e); err != nil {
			return err
		}
		w.moveItem(0, e.Location)
		return nil
	case stockdomain.ItemUpdated:
		if e.Location != nil {
			w.moveItem(e.Location.Old, e.Location.New)
		}
		if e.Serial != nil && e.Serial.New != "" && e.SerialScope == nil {
			// The scope is unchanged: the item's, or 0 (global) if it had no serial number.
			if err := w.scopeSerial(e.PK); err != nil {
				return err
			}
		}
		return set(e.PK, e.Tracking, itemCols(e)...)
	case stockdomain.StockAdded:
		return set(e.PK, e.Tracking, overrides(e.Overrides, col{"quantity", e.NewQuantity})...)
	case stockdomain.StockRemoved:
		return set(e.PK, e.Tracking, overrides(e.Overrides, col{"quantity", e.NewQuantity})...)
	case stockdomain.StockCounted:
		cols := overrides(e.Overrides, col{"quantity", e.NewQuantity}, col{"stocktake_date", nullDate(e.StocktakeDate)})
		if e.Location != nil {
			w.moveItem(e.Location.Old, e.Location.New)
			cols = append(cols, col{"location", nullID(e.Location.New)})
		}
		return set(e.PK, e.Tracking, cols...)
	case stockdomain.ItemMoved:
		w.moveItem(e.Location.Old, e.Location.New)
		return set(e.PK, e.Tracking, overrides(e.Overrides, col{"location", nullID(e.Location.New)})...)
	case stockdomain.ItemSplit:
		return set(e.PK, e.Tracking, col{"quantity", e.NewQuantity})
	case stockdomain.ItemsMerged:
		cols := []col{{"quantity", e.NewQuantity}}
		if e.Location != nil {
			w.moveItem(e.Location.Old, e.Location.New)
			cols = append(cols, col{"location", nullID(e.Location.New)})
		}
		if e.PurchasePrice != nil {
			cols = append(cols, col{"purchase_price", e.PurchasePrice.New})
		}
		if e.ParentCleared {
			cols = append(cols, col{"parent", nil})
		}
		return set(e.PK, e.Tracking, cols...)
	case stockdomain.StatusChanged:
		return set(e.PK, e.Tracking, col{"status", e.New})
	case stockdomain.ItemSerialized:
		return set(e.PK, e.Tracking, col{"quantity", e.NewQuantity})
	case stockdomain.ItemInstalled:
		w.moveItem(e.From, 0)
		return set(e.PK, e.Tracking, col{"belongs_to", e.Into}, col{"location", nil})
	case stockdomain.ItemUninstalled:
		w.moveItem(0, e.To)
		return set(e.PK, e.Tracking, col{"belongs_to", nil}, col{"consumed_by", nil}, col{"location", nullID(e.To)})
	case stockdomain.ItemComponentInstalled:
		return w.setItem(e.PK, e.Tracking, nil)
	case stockdomain.ItemComponentRemoved:
		return w.setItem(e.PK, e.Tracking, nil)
	case stockdomain.ItemDeleted:
		return w.deleteItem(e)
	case stockdomain.ItemAssignedToCustomer:
		w.moveItem(e.From, 0)
		return set(e.PK, e.Tracking, col{"customer", e.Customer}, col{"location", nil})
	case stockdomain.ItemReturnedFromCustomer:
		w.moveItem(e.From, e.To)
		cols := []col{{"customer", nil}, {"location", nullID(e.To)}, {"belongs_to", nil}, {"consumed_by", nil}, {"sales_order", nil}}
		if e.Status != nil {
			cols = append(cols, col{"status", e.Status.New})
		}
		return set(e.PK, e.Tracking, cols...)
	}
	return nil
}

func locationCols(e stockdomain.LocationUpdated) []col {
	var cols []col
	if e.Name != nil {
		cols = append(cols, col{"name", e.Name.New})
	}
	if e.Description != nil {
		cols = append(cols, col{"description", e.Description.New})
	}
	if e.Parent != nil {
		cols = append(cols, col{"parent", nullID(e.Parent.New)})
	}
	if e.Structural != nil {
		cols = append(cols, col{"structural", e.Structural.New})
	}
	if e.External != nil {
		cols = append(cols, col{"external", e.External.New})
	}
	if e.Owner != nil {
		cols = append(cols, col{"owner", nullID(e.Owner.New)})
	}
	if e.LocationType != nil {
		cols = append(cols, col{"location_type", nullID(e.LocationType.New)})
	}
	if e.CustomIcon != nil {
		cols = append(cols, col{"custom_icon", e.CustomIcon.New})
	}
	return cols
}

func itemCols(e stockdomain.ItemUpdated) []col {
	var cols []col
	if e.Quantity != nil {
		cols = append(cols, col{"quantity", e.Quantity.New})
	}
	if e.Serial != nil {
		if e.Serial.New == "" {
			cols = append(cols, col{"serial", nil}, col{"serial_int", int64(0)}, col{"serial_scope", nil})
		} else {
			cols = append(cols, col{"serial", e.Serial.New}, col{"serial_int", stockdomain.SerialInt(e.Serial.New)})
		}
	}
	if e.SerialScope != nil && (e.Serial == nil || e.Serial.New != "") {
		cols = append(cols, col{"serial_scope", e.SerialScope.New})
	}
	if e.Batch != nil {
		cols = append(cols, col{"batch", e.Batch.New})
	}
	if e.Location != nil {
		cols = append(cols, col{"location", nullID(e.Location.New)})
	}
	if e.Status != nil {
		cols = append(cols, col{"status", e.Status.New})
	}
	if e.Packaging != nil {
		cols = append(cols, col{"packaging", nullText(e.Packaging.New)})
	}
	if e.ExpiryDate != nil {
		cols = append(cols, col{"expiry_date", nullDate(e.ExpiryDate.New)})
	}
	if e.PurchasePrice != nil {
		cols = append(cols, col{"purchase_price", e.PurchasePrice.New})
	}
	if e.PurchasePriceCurrency != nil {
		cols = append(cols, col{"purchase_price_currency", e.PurchasePriceCurrency.New})
	}
	if e.SupplierPart != nil {
		cols = append(cols, col{"supplier_part", nullID(e.SupplierPart.New)})
	}
	if e.Owner != nil {
		cols = append(cols, col{"owner", nullID(e.Owner.New)})
	}
	if e.Link != nil {
		cols = append(cols, col{"link", e.Link.New})
	}
	if e.Notes != nil {
		cols = append(cols, col{"notes", nullText(e.Notes.New)})
	}
	if e.DeleteOnDeplete != nil {
		cols = append(cols, col{"delete_on_deplete", e.DeleteOnDeplete.New})
	}
	return cols
}

// ---- Item rows ----

// itemRow is a stock item's columns, in rowColumns' order.
type itemRow [len(rowColumns)]any

// rowColumns are the stock_items columns the projector writes (the generated ones
// are PostgreSQL's); the link counts come last, as a new item has none.
var rowColumns = [...]string{"pk", "part", "quantity", "serial", "serial_int", "serial_scope", "batch",
	"location", "belongs_to", "build", "consumed_by", "customer", "delete_on_deplete", "expiry_date", "is_building",
	"link", "notes", "owner", "packaging", "parent", "purchase_order", "sales_order", "status", "supplier_part",
	"creation_date", "stocktake_date", "updated", "purchase_price", "purchase_price_currency", "tracking_items",
	"installed_items", "child_items"}

var rowColumn = func() map[string]int {
	m := make(map[string]int, len(rowColumns))
	for i, c := range rowColumns {
		m[c] = i
	}
	return m
}()

// The columns the writers fill or read themselves.
var (
	colPart        = rowColumn["part"]
	colLocation    = rowColumn["location"]
	colParent      = rowColumn["parent"]
	colBelongsTo   = rowColumn["belongs_to"]
	colSerialScope = rowColumn["serial_scope"]
	colTracking    = rowColumn["tracking_items"]
	colInstalled   = rowColumn["installed_items"]
	colChildren    = rowColumn["child_items"]
)

// insertItemSQL inserts a new item's row, up to its link counts.
var insertItemSQL = func() string {
	params := make([]string, colInstalled)
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return "INSERT INTO stock_items (" + strings.Join(rowColumns[:colInstalled], ", ") + ") VALUES (" + strings.Join(params, ", ") + ")"
}()

// newItem is the row an ItemCreated makes, its tracking entries not yet counted.
func newItem(e stockdomain.ItemCreated, at time.Time) itemRow {
	d := e.ItemData
	var serial, scope any
	serialInt := int64(0)
	if d.Serial != "" {
		serial, scope, serialInt = d.Serial, d.SerialScope, stockdomain.SerialInt(d.Serial)
	}
	var price any
	if d.PurchasePrice != nil {
		price = *d.PurchasePrice
	}
	return itemRow{e.PK, d.Part, d.Quantity, serial, serialInt, scope, d.Batch,
		nullID(d.Location), nullID(d.BelongsTo), nullID(d.Build), nullID(d.ConsumedBy), nullID(d.Customer),
		d.DeleteOnDeplete, nullDate(d.ExpiryDate), d.IsBuilding,
		d.Link, nullText(d.Notes), nullID(d.Owner), nullText(d.Packaging), nullID(d.Parent),
		nullID(d.PurchaseOrder), nullID(d.SalesOrder), d.Status, nullID(d.SupplierPart),
		at, nullDate(d.StocktakeDate), at, price, d.PurchasePriceCurrency, int32(0), int32(0), int32(0)}
}

// ---- Locations ----

func (a applier) createLocation(e stockdomain.LocationCreated) error {
	if err := a.flushCounts(); err != nil {
		return err
	}
	path, names, err := a.locationPath(e.Parent)
	if err != nil {
		return err
	}
	path, names = append(path, e.PK), append(names, e.Name)
	if err := a.exec(`INSERT INTO stock_locations (pk, name, description, parent, path_pks, name_path,
			pathstring, level, tree_id, structural, external, owner, location_type, custom_icon)
		VALUES ($1, $2, $3, $4, $5, $6, stock_pathstring($6), cardinality($5::bigint[]) - 1, $7, $8, $9, $10, $11, $12)`,
		e.PK, e.Name, e.Description, nullID(e.Parent), path, names, path[0],
		e.Structural, e.External, nullID(e.Owner), nullID(e.LocationType), e.CustomIcon); err != nil {
		return err
	}
	return a.exec(`UPDATE stock_locations SET sublocations = sublocations + 1 WHERE pk = ANY($1)`, path[:len(path)-1])
}

// locationPath is a location's path of pks and names, empty for 0 or a location the
// read model does not hold.
func (a applier) locationPath(pk int64) ([]int64, []string, error) {
	if pk == 0 {
		return nil, nil, nil
	}
	var path []int64
	var names []string
	err := a.tx.QueryRow(a.ctx, `SELECT path_pks, name_path FROM stock_locations WHERE pk = $1`, pk).Scan(&path, &names)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	return path, names, err
}

func (a applier) updateLocation(e stockdomain.LocationUpdated, cols []col) error {
	// A move of the location moves its items' counts along with it: those counted so
	// far must land on the path they were counted for.
	if err := a.flushCounts(); err != nil {
		return err
	}
	if len(cols) > 0 {
		sql, args := setSQL("stock_locations", e.PK, cols)
		if err := a.exec(sql, args...); err != nil {
			return err
		}
	}
	if e.Name == nil && e.Parent == nil {
		return nil
	}
	// The location's path changed: rewrite it for the location and everything below.
	var oldPath []int64
	var oldNames []string
	var name string
	err := a.tx.QueryRow(a.ctx, `SELECT path_pks, name_path, name FROM stock_locations WHERE pk = $1`, e.PK).Scan(&oldPath, &oldNames, &name)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	prefix, prefixNames := oldPath[:len(oldPath)-1], oldNames[:len(oldNames)-1]
	if e.Parent != nil {
		if prefix, prefixNames, err = a.locationPath(e.Parent.New); err != nil {
			return err
		}
	}
	if prefix == nil {
		prefix, prefixNames = []int64{}, []string{}
	}
	if err := a.exec(`UPDATE stock_locations d SET
			path_pks = $2::bigint[] || d.path_pks[array_position(d.path_pks, $1::bigint):],
			name_path = $3::text[] || ARRAY[$4::text] || d.name_path[array_position(d.path_pks, $1::bigint) + 1:]
		WHERE d.path_pks @> ARRAY[$1::bigint]`, e.PK, prefix, prefixNames, name); err != nil {
		return err
	}
	if err := a.exec(`UPDATE stock_locations SET pathstring = stock_pathstring(name_path),
			level = cardinality(path_pks) - 1, tree_id = path_pks[1]
		WHERE path_pks @> ARRAY[$1::bigint]`, e.PK); err != nil {
		return err
	}
	if e.Parent == nil {
		return nil
	}
	return a.recount(append(oldPath[:len(oldPath)-1:len(oldPath)-1], prefix...))
}

// recount recomputes the item and sub-location counts of the given locations, after a
// part of the tree moved.
func (a applier) recount(pks []int64) error {
	if len(pks) == 0 {
		return nil
	}
	return a.exec(`UPDATE stock_locations l SET
			sublocations = (SELECT count(*) - 1 FROM stock_locations d WHERE d.path_pks @> ARRAY[l.pk]),
			items = (SELECT count(*) FROM stock_items i WHERE i.location IN
				(SELECT d.pk FROM stock_locations d WHERE d.path_pks @> ARRAY[l.pk]))
		WHERE l.pk = ANY($1)`, pks)
}

func (a applier) deleteLocation(e stockdomain.LocationDeleted) error {
	if err := a.flushCounts(); err != nil {
		return err
	}
	var path []int64
	err := a.tx.QueryRow(a.ctx, `DELETE FROM stock_locations WHERE pk = $1 RETURNING path_pks`, e.PK).Scan(&path)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	// Its sub-locations and items follow with events of their own; until then they
	// still point at it, and the counts above it are recomputed from what is left.
	return a.recount(path[:len(path)-1])
}

// ---- Items ----

func (a applier) createItem(e stockdomain.ItemCreated) error {
	row := newItem(e, a.rec.RecordedAt)
	row[colTracking] = int32(len(e.Tracking))
	return a.withTracking(insertItemSQL, row[:colInstalled], e.Tracking)
}

func (a applier) scopeSerial(pk int64) error {
	return a.exec(`UPDATE stock_items SET serial_scope = coalesce(serial_scope, 0) WHERE pk = $1`, pk)
}

func (a applier) deleteItem(e stockdomain.ItemDeleted) error {
	var location *int64
	err := a.tx.QueryRow(a.ctx, `DELETE FROM stock_items WHERE pk = $1 RETURNING location`, e.PK).Scan(&location)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if location != nil {
		a.moveItem(*location, 0)
	}
	// Children are re-linked to the deleted item's parent (StockItem.delete), and
	// tracking entries outlive the item (StockItemTracking.item is SET_NULL).
	if err := a.exec(`UPDATE stock_items SET parent = $2 WHERE parent = $1`, e.PK, nullID(e.Parent)); err != nil {
		return err
	}
	return a.exec(`UPDATE stock_tracking SET item = NULL WHERE item = $1`, e.PK)
}

// moveItem counts the move in both locations' paths when the batch's counts are
// flushed.
func (a applier) moveItem(from, to int64) {
	if from == to {
		return
	}
	if from != 0 {
		a.counts[from]--
	}
	if to != 0 {
		a.counts[to]++
	}
}

// setItem is one UPDATE of the row, its tracking count included, and the INSERT of
// the entries.
func (a applier) setItem(item int64, entries []stockdomain.Entry, cols []col) error {
	if len(entries) > 0 {
		cols = append(cols, increment("tracking_items", len(entries)))
	}
	if len(cols) == 0 {
		return nil
	}
	sql, args := setSQL("stock_items", item, cols)
	return a.withTracking(sql, args, entries)
}

// withTracking runs rowSQL, an INSERT or UPDATE of the stock item $1, and inserts the
// item's tracking entries in the same statement, with the part of the row it wrote: an
// item the read model does not hold gets no entries. Entries keep their order, so
// their pks follow the log. The pks are counted on from the highest stored, not drawn
// from the column's identity: a sequence does not roll back, so every batch rolled back
// (a retry, another runner ahead) would leave a gap the next rebuild closes, and the
// rebuilt entries would answer under other pks than the live ones.
func (a applier) withTracking(rowSQL string, args []any, entries []stockdomain.Entry) error {
	if len(entries) == 0 {
		return a.exec(rowSQL, args...)
	}
	types := make([]int32, len(entries))
	deltas := make([]string, len(entries))
	notes := make([]string, len(entries))
	for i, en := range entries {
		types[i], deltas[i], notes[i] = int32(en.Type), string(renderDeltas(en.Deltas)), en.Notes
	}
	var user any
	if a.rec.Metadata.UserID != 0 {
		user = a.rec.Metadata.UserID
	}
	n := len(args)
	args = append(args, a.rec.RecordedAt, user, types, deltas, notes)
	return a.exec(fmt.Sprintf(`WITH i AS (%s RETURNING part)
		INSERT INTO stock_tracking (pk, item, part, date, tracking_type, deltas, notes, user_id)
		SELECT (SELECT coalesce(max(pk), 0) FROM stock_tracking) + e.ord, $1, i.part, $%d, e.type, e.deltas::jsonb, e.notes, $%d
		FROM i, unnest($%d::int[], $%d::text[], $%d::text[]) WITH ORDINALITY AS e(type, deltas, notes, ord)
		ORDER BY e.ord`, rowSQL, n+1, n+2, n+3, n+4, n+5), args...)
}

// renderDeltas writes deltas as InvenTree stores them: quantities are floats (JSON
// numbers), not the decimal strings of the event. Written field by field rather than
// marshalled and rewritten, since every tracking entry of a rebuild comes through here;
// the keys follow the struct, and jsonb, which the entries are stored as, orders them.
func renderDeltas(d stockdomain.Deltas) []byte {
	b := make([]byte, 0, 64)
	b = append(b, '{')
	key := func(k string) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
	}
	for _, f := range []struct {
		k string
		v *status.StockStatus
	}{{"status", d.Status}, {"status_logical", d.StatusLogical}, {"old_status", d.OldStatus}, {"old_status_logical", d.OldStatusLogical}} {
		if f.v != nil {
			key(f.k)
			b = strconv.AppendInt(b, int64(*f.v), 10)
		}
	}
	for _, f := range []struct {
		k string
		v *decimal.Decimal
	}{{"quantity", d.Quantity}, {"added", d.Added}, {"removed", d.Removed}} {
		if f.v != nil {
			key(f.k)
			b = append(b, floatText(*f.v)...)
		}
	}
	for _, f := range []struct {
		k string
		v *int64
	}{{"location", d.Location}, {"old_location", d.OldLocation}, {"stockitem", d.StockItem}, {"part", d.Part},
		{"customer", d.Customer}, {"buildorder", d.BuildOrder}, {"purchaseorder", d.PurchaseOrder},
		{"salesorder", d.SalesOrder}, {"returnorder", d.ReturnOrder}, {"transferorder", d.TransferOrder}} {
		if f.v != nil {
			key(f.k)
			b = strconv.AppendInt(b, *f.v, 10)
		}
	}
	for _, f := range []struct {
		k string
		v *string
	}{{"serial", d.Serial}, {"batch", d.Batch}, {"packaging", d.Packaging}, {"customer_name", d.CustomerName}} {
		if f.v != nil {
			key(f.k)
			b = append(b, marshal(*f.v)...)
		}
	}
	return append(b, '}')
}

// floatText renders a quantity as Python renders a float: integral values keep ".0".
func floatText(q decimal.Decimal) string {
	s := q.String()
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// col is a column and its new value.
type col struct {
	name  string
	value any
}

func overrides(o stockdomain.Overrides, cols ...col) []col {
	if o.Status != nil {
		cols = append(cols, col{"status", o.Status.New})
	}
	if o.Batch != nil {
		cols = append(cols, col{"batch", o.Batch.New})
	}
	if o.Packaging != nil {
		cols = append(cols, col{"packaging", nullText(o.Packaging.New)})
	}
	return cols
}

// increment is a column that gains n.
func increment(name string, n int) col { return col{name + " = " + name + " + ", n} }

// setSQL builds "UPDATE table SET c1 = $2, ... WHERE pk = $1". Column names come from
// this package, never from input. A name ending in a space is an expression the value
// completes (see increment).
func setSQL(table string, pk int64, cols []col) (string, []any) {
	var b strings.Builder
	fmt.Fprintf(&b, "UPDATE %s SET ", table)
	args := []any{pk}
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, c.value)
		if strings.HasSuffix(c.name, " ") {
			b.WriteString(c.name + "$" + strconv.Itoa(len(args)))
		} else {
			b.WriteString(c.name + " = $" + strconv.Itoa(len(args)))
		}
	}
	b.WriteString(" WHERE pk = $1")
	return b.String(), args
}

func nullID(pk int64) any {
	if pk == 0 {
		return nil
	}
	return pk
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullDate(s string) any {
	if s == "" {
		return nil
	}
	return s
}
