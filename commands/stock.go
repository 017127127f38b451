package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
)

// Stream categories of the stock aggregates. Stored: never rename one.
const (
	StockItemCategory     = "stockitem"
	StockLocationCategory = "stocklocation"
)

// PartFacter tells stock commands what they need to know about a part. It is
// implemented over the part aggregate; a part that does not exist (or was deleted)
// has Exists false, not an error.
type PartFacter interface {
	PartFacts(ctx context.Context, pk int64) (stock.PartFacts, error)
}

// PartStates reads parts from their streams (PartHandlers implements it).
type PartStates interface {
	PartState(ctx context.Context, pk int64) (PartState, error)
}

// StockPartFacts adapts the part aggregate to PartFacter, so that stock decisions take
// their part facts from the part's own stream, never from a read model.
func StockPartFacts(parts PartStates) PartFacter { return partStateFacts{parts} }

type partStateFacts struct{ parts PartStates }

func (p partStateFacts) PartFacts(ctx context.Context, pk int64) (stock.PartFacts, error) {
	st, err := p.parts.PartState(ctx, pk)
	if err != nil || !st.Exists {
		return stock.PartFacts{}, err
	}
	f := st.Fields
	return stock.PartFacts{
		Exists: true, Active: f.Active, Trackable: f.Trackable, Virtual: f.Virtual, Salable: f.Salable,
		SerialScope: st.VariantRoot, DefaultLocation: f.DefaultLocation, DefaultExpiryDays: int(f.DefaultExpiry),
	}, nil
}

// BOMChecker tells whether component's part is in the bill of materials of the
// assembly part, for installing one stock item into another.
type BOMChecker interface {
	PartInBOM(ctx context.Context, assembly, component int64) (bool, error)
}

// StockLookup finds stock by what it holds rather than by key: questions no single
// aggregate can answer. It is implemented over the stock read model, which may lag the
// log, so stock commands only use it to find candidates and hints, never to decide a
// rule: every item or location it names is loaded from its own stream and checked
// there, and uniqueness is enforced by reservation streams, not by these answers.
type StockLookup interface {
	// LatestSerial is the highest serial number in a serial scope (see
	// stock.SerialStream), "" when there is none; it is where "~" starts.
	LatestSerial(ctx context.Context, scope int64) (string, error)
	// SubLocations lists the locations directly below location, or all of its
	// descendants when cascade is set.
	SubLocations(ctx context.Context, location int64, cascade bool) ([]int64, error)
	// LocationItems lists the items located directly at location, or anywhere below it
	// too when cascade is set.
	LocationItems(ctx context.Context, location int64, cascade bool) ([]int64, error)
	// MergeCandidates lists the items of part at location, in pk order: where a
	// transfer with merge may fold stock into.
	MergeCandidates(ctx context.Context, part, location int64) ([]int64, error)
}

// StockConfig configures StockHandlers.
type StockConfig struct {
	// Executor runs the commands. Required, with a key allocator.
	Executor *Executor
	// Parts answers part facts. Required.
	Parts PartFacter
	// Lookup finds stock by query. Required.
	Lookup StockLookup
	// BOM checks installations against bills of materials. Optional: without it,
	// installations are not checked against a BOM (as with STOCK_ENFORCE_BOM_INSTALLATION
	// off).
	BOM BOMChecker
	// Settings are InvenTree's stock settings; the zero value is InvenTree's defaults.
	Settings stock.Settings
	// Now is the clock for dates (stocktake date, default expiry). Default: time.Now.
	Now func() time.Time
	// Customers reads the companies stock is given to (assign, return). Optional:
	// without it, those actions fail.
	Customers CustomerFacter
}

// StockHandlers runs the stock commands: locations, items and every stock movement.
type StockHandlers struct {
	x        *Executor
	parts    PartFacter
	lookup   StockLookup
	bom      BOMChecker
	settings stock.Settings
	now      func() time.Time

	customers CustomerFacter
}

// NewStockHandlers checks cfg and returns the handlers.
func NewStockHandlers(cfg StockConfig) (*StockHandlers, error) {
	var errs []error
	if cfg.Executor == nil {
		errs = append(errs, errors.New("no executor"))
	}
	if cfg.Parts == nil {
		errs = append(errs, errors.New("no part facts"))
	}
	if cfg.Lookup == nil {
		errs = append(errs, errors.New("no stock lookup"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("stock handlers: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &StockHandlers{x: cfg.Executor, parts: cfg.Parts, lookup: cfg.Lookup, bom: cfg.BOM, settings: cfg.Settings, now: cfg.Now,
		customers: cfg.Customers}, nil
}

func stockItemStream(pk int64) string     { return eventstore.Stream(StockItemCategory, pk) }
func stockLocationStream(pk int64) string { return eventstore.Stream(StockLocationCategory, pk) }

// ---- Locations ----

// CreateStockLocation creates a location (POST /api/stock/location/).
type CreateStockLocation struct {
	stock.LocationSpec
}

// UpdateStockLocation edits a location (PUT/PATCH /api/stock/location/{id}/).
type UpdateStockLocation struct {
	PK int64
	stock.LocationEdit
}

// DeleteStockLocation deletes a location (DELETE /api/stock/location/{id}/), with
// InvenTree's options for what it holds.
type DeleteStockLocation struct {
	PK int64
	stock.DeleteOptions
}

// msgStockDuplicateName is InvenTreeTree.validate_unique's refusal, on name.
const msgStockDuplicateName = "Duplicate names cannot exist under the same parent"

// CreateLocation creates a location and returns its pk. Its name is reserved under its
// parent in the same append, so two siblings can never share a name.
func (h *StockHandlers) CreateLocation(ctx context.Context, cmd CreateStockLocation) (int64, Result, error) {
	pk, err := h.x.NextKey(ctx, StockLocationCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create location: %w", err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		parent, err := h.parentFacts(ctx, cmd.Parent)
		if err != nil {
			return err
		}
		loc := &stock.Location{}
		evs, err := loc.Create(pk, cmd.LocationSpec, parent)
		if err != nil {
			return err
		}
		keys := newStockKeys(tx)
		if err := keys.reserve(ctx, stock.LocationNameStream(cmd.Parent, cmd.Name), pk); err != nil {
			return stockNameTaken(err)
		}
		if err := tx.Create(stockLocationStream(pk)); err != nil {
			return err
		}
		return tx.Emit(stockLocationStream(pk), evs...)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("create location: %w", err)
	}
	return pk, res, nil
}

// UpdateLocation edits a location. A rename or move moves its name reservation.
func (h *StockHandlers) UpdateLocation(ctx context.Context, cmd UpdateStockLocation) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		loc := &stock.Location{}
		if _, err := tx.Load(ctx, stockLocationStream(cmd.PK), loc); err != nil {
			return err
		}
		if !loc.Exists() {
			return &domain.NotFoundError{Kind: "StockLocation", ID: cmd.PK}
		}
		var parent stock.ParentFacts
		if cmd.Parent != nil && *cmd.Parent != loc.Parent() {
			var err error
			if parent, err = h.parentFacts(ctx, *cmd.Parent); err != nil {
				return err
			}
		}
		hasItems := false
		if cmd.Structural != nil && *cmd.Structural {
			items, err := h.lookup.LocationItems(ctx, cmd.PK, false)
			if err != nil {
				return fmt.Errorf("items at location %d: %w", cmd.PK, err)
			}
			hasItems = len(items) > 0
		}
		oldKey := stock.LocationNameStream(loc.Parent(), loc.Name())
		evs, err := loc.Update(cmd.LocationEdit, parent, hasItems)
		if err != nil || len(evs) == 0 {
			return err
		}
		for _, e := range evs {
			loc.Apply(e)
		}
		if newKey := stock.LocationNameStream(loc.Parent(), loc.Name()); newKey != oldKey {
			keys := newStockKeys(tx)
			if err := keys.reserve(ctx, newKey, cmd.PK); err != nil {
				return stockNameTaken(err)
			}
			if err := keys.release(ctx, oldKey, cmd.PK); err != nil {
				return err
			}
		}
		return tx.Emit(stockLocationStream(cmd.PK), evs...)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update location %d: %w", cmd.PK, err)
	}
	return res, nil
}

// DeleteLocation deletes a location as InvenTree's InvenTreeTree.delete does:
//   - delete_sub_locations: every location below it is deleted too; otherwise its
//     direct sub-locations move up to its parent
//   - delete_stock_items: the items it holds (and, with delete_sub_locations, the items
//     below it) are deleted; otherwise they move to its parent
//
// Everything is appended in one step. The sub-locations and items are found with the
// stock lookup and each is checked against its own stream; an item moved into the
// location after the lookup read the read model and before this append is not seen.
func (h *StockHandlers) DeleteLocation(ctx context.Context, cmd DeleteStockLocation) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		loc := &stock.Location{}
		if _, err := tx.Load(ctx, stockLocationStream(cmd.PK), loc); err != nil {
			return err
		}
		evs, err := loc.Delete(cmd.DeleteOptions)
		if err != nil {
			return err
		}
		if err := tx.Emit(stockLocationStream(cmd.PK), evs...); err != nil {
			return err
		}
		keys := newStockKeys(tx)
		if err := keys.release(ctx, stock.LocationNameStream(loc.Parent(), loc.Name()), cmd.PK); err != nil {
			return err
		}
		newParent := loc.Parent()
		gone := map[int64]bool{cmd.PK: true}

		subs, err := h.lookup.SubLocations(ctx, cmd.PK, cmd.DeleteSubLocations)
		if err != nil {
			return fmt.Errorf("sub-locations of %d: %w", cmd.PK, err)
		}
		for _, pk := range subs {
			sub := &stock.Location{}
			if _, err := tx.Load(ctx, stockLocationStream(pk), sub); err != nil {
				return err
			}
			var evs []domain.Event
			if cmd.DeleteSubLocations {
				evs = sub.DeleteWith(cmd.PK, cmd.DeleteOptions)
				gone[pk] = true
				if err := keys.release(ctx, stock.LocationNameStream(sub.Parent(), sub.Name()), pk); err != nil {
					return err
				}
			} else if sub.Exists() && sub.Parent() == cmd.PK {
				evs = sub.Reparent(newParent)
				// InvenTree moves the children up without checking their names; the name
				// follows when it is free under the new parent.
				if err := keys.release(ctx, stock.LocationNameStream(cmd.PK, sub.Name()), pk); err != nil {
					return err
				}
				if err := keys.reserve(ctx, stock.LocationNameStream(newParent, sub.Name()), pk); err != nil && !errors.Is(err, stock.ErrKeyTaken) {
					return err
				}
			}
			if err := tx.Emit(stockLocationStream(pk), evs...); err != nil {
				return err
			}
		}

		pks, err := h.lookup.LocationItems(ctx, cmd.PK, cmd.DeleteSubLocations)
		if err != nil {
			return fmt.Errorf("items at location %d: %w", cmd.PK, err)
		}
		items := newStockTxItems(tx, keys)
		for _, pk := range pks {
			it, err := items.get(ctx, pk)
			if err != nil {
				return err
			}
			if !it.Exists() || !gone[it.Data().Location] {
				continue // moved away since the read model saw it
			}
			if cmd.DeleteStockItems {
				if err := items.delete(ctx, it, it.DeleteWithLocation()); err != nil {
					return err
				}
			} else if err := items.emit(pk, it.Relocate(newParent)...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete location %d: %w", cmd.PK, err)
	}
	return res, nil
}

// parentFacts reads a (prospective) parent location and its ancestors.
func (h *StockHandlers) parentFacts(ctx context.Context, pk int64) (stock.ParentFacts, error) {
	if pk == 0 {
		return stock.ParentFacts{}, nil
	}
	var chain []int64
	exists := false
	for cur, depth := pk, 0; cur != 0; depth++ {
		if depth > 1000 {
			return stock.ParentFacts{}, fmt.Errorf("location %d: ancestry deeper than 1000 levels", pk)
		}
		loc, _, err := Load(ctx, h.x, stockLocationStream(cur), func() *stock.Location { return &stock.Location{} })
		if err != nil {
			return stock.ParentFacts{}, err
		}
		if !loc.Exists() {
			break
		}
		if cur == pk {
			exists = true
		}
		chain = append([]int64{cur}, chain...)
		cur = loc.Parent()
	}
	return stock.ParentFacts{Exists: exists, Ancestors: chain}, nil
}

// locationFacts reads what item decisions need to know about a location.
func (h *StockHandlers) locationFacts(ctx context.Context, pk int64) (stock.LocationFacts, error) {
	if pk == 0 {
		return stock.LocationFacts{}, nil
	}
	loc, _, err := Load(ctx, h.x, stockLocationStream(pk), func() *stock.Location { return &stock.Location{} })
	if err != nil {
		return stock.LocationFacts{}, err
	}
	return loc.Facts(), nil
}

func stockNameTaken(err error) error {
	if errors.Is(err, stock.ErrKeyTaken) {
		return domain.Invalid("name", msgStockDuplicateName)
	}
	return err
}

// ---- Items ----

// CreateStockItem creates stock (POST /api/stock/): one item, or one per serial
// number.
type CreateStockItem struct {
	stock.NewStock
	// NoDefaultLocation keeps an item without a location (InvenTree: "location": "").
	// Otherwise, when Location is 0, the part's default location applies.
	NoDefaultLocation bool
}

// UpdateStockItem edits an item (PUT/PATCH /api/stock/{id}/).
type UpdateStockItem struct {
	PK int64
	stock.ItemEdit
}

// DeleteStockItem deletes an item (DELETE /api/stock/{id}/).
type DeleteStockItem struct {
	PK int64
}

// CreateItems creates stock and returns the new items' pks, in serial number order.
// InvenTree defaults apply: the part's default location when none was given, and an
// expiry date default_expiry days from today when none was given. Each serial number
// is reserved in the same append as its item.
func (h *StockHandlers) CreateItems(ctx context.Context, cmd CreateStockItem) ([]int64, Result, error) {
	req := cmd.NewStock
	part, err := h.parts.PartFacts(ctx, req.Part)
	if err != nil {
		return nil, Result{}, fmt.Errorf("create stock: part %d: %w", req.Part, err)
	}
	if req.Location == 0 && !cmd.NoDefaultLocation && part.Exists {
		req.Location = part.DefaultLocation
	}
	if req.ExpiryDate == "" && part.DefaultExpiryDays > 0 {
		req.ExpiryDate = h.now().AddDate(0, 0, part.DefaultExpiryDays).Format(time.DateOnly)
	}
	loc, err := h.locationFacts(ctx, req.Location)
	if err != nil {
		return nil, Result{}, fmt.Errorf("create stock: %w", err)
	}
	latest, err := h.latestSerial(ctx, req.SerialNumbers, req.Part, part)
	if err != nil {
		return nil, Result{}, fmt.Errorf("create stock: %w", err)
	}
	data, serials, err := stock.PlanNewStock(req, part, loc, latest, h.settings)
	if err != nil {
		return nil, Result{}, err
	}
	n := max(len(serials), 1)
	pks := make([]int64, n)
	for i := range pks {
		if pks[i], err = h.x.NextKey(ctx, StockItemCategory); err != nil {
			return nil, Result{}, fmt.Errorf("create stock: %w", err)
		}
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		keys := newStockKeys(tx)
		var taken []string
		for i, serial := range serials {
			if err := keys.reserve(ctx, stock.SerialStream(data.SerialScope, serial), pks[i]); errors.Is(err, stock.ErrKeyTaken) {
				taken = append(taken, serial)
			} else if err != nil {
				return err
			}
		}
		if len(taken) > 0 {
			return stock.SerialsTaken(taken)
		}
		items := newStockTxItems(tx, keys)
		for i, pk := range pks {
			d := data
			if len(serials) > 0 {
				d.Serial = serials[i]
			}
			evs, err := (&stock.Item{}).Create(pk, d, "")
			if err != nil {
				return err
			}
			if err := items.create(pk, evs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, Result{}, fmt.Errorf("create stock: %w", err)
	}
	return pks, res, nil
}

// latestSerial asks the lookup for the highest serial in the part's scope, when the
// expression needs it ("~").
func (h *StockHandlers) latestSerial(ctx context.Context, expr string, partPK int64, part stock.PartFacts) (string, error) {
	if !strings.Contains(expr, "~") || !part.Exists {
		return "", nil
	}
	latest, err := h.lookup.LatestSerial(ctx, stock.SerialScopeFor(partPK, part, h.settings))
	if err != nil {
		return "", fmt.Errorf("latest serial of part %d: %w", partPK, err)
	}
	return latest, nil
}

// UpdateItem edits an item. A changed serial number moves its reservation; a serial
// number in use is refused as InvenTree's validate_unique does.
func (h *StockHandlers) UpdateItem(ctx context.Context, cmd UpdateStockItem) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		keys := newStockKeys(tx)
		items := newStockTxItems(tx, keys)
		it, err := items.get(ctx, cmd.PK)
		if err != nil {
			return err
		}
		if !it.Exists() {
			return &domain.NotFoundError{Kind: "StockItem", ID: cmd.PK}
		}
		old := it.Data()
		part, err := h.parts.PartFacts(ctx, old.Part)
		if err != nil {
			return fmt.Errorf("part %d: %w", old.Part, err)
		}
		var loc stock.LocationFacts
		if cmd.Location != nil && *cmd.Location != old.Location {
			if loc, err = h.locationFacts(ctx, *cmd.Location); err != nil {
				return err
			}
		}
		evs, err := it.Edit(cmd.ItemEdit, loc, part, h.settings)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := items.emit(cmd.PK, evs...); err != nil {
			return err
		}
		now := it.Data()
		if now.Serial == old.Serial {
			return nil
		}
		if now.Serial != "" {
			if err := keys.reserve(ctx, stock.SerialStream(now.SerialScope, now.Serial), cmd.PK); errors.Is(err, stock.ErrKeyTaken) {
				return domain.Invalid("serial", "Stock item with this serial number already exists: "+now.Serial)
			} else if err != nil {
				return err
			}
		}
		if old.Serial != "" {
			return keys.release(ctx, stock.SerialStream(old.SerialScope, old.Serial), cmd.PK)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("update stock item %d: %w", cmd.PK, err)
	}
	return res, nil
}

// DeleteItem deletes an item, the items installed in it (InvenTree's belongs_to
// cascade) and their serial number reservations.
func (h *StockHandlers) DeleteItem(ctx context.Context, cmd DeleteStockItem) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		items := newStockTxItems(tx, newStockKeys(tx))
		it, err := items.get(ctx, cmd.PK)
		if err != nil {
			return err
		}
		evs, err := it.Delete(h.settings)
		if err != nil {
			return err
		}
		return items.delete(ctx, it, evs)
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete stock item %d: %w", cmd.PK, err)
	}
	return res, nil
}

// ---- Stock adjustments ----

// StockLine is one item of a stock adjustment (StockAdjustmentItem).
type StockLine struct {
	PK       int64
	Quantity decimal.Decimal
	stock.Adjustment
	// Merge folds the transferred stock into a matching item at the destination, if
	// there is one (transfers only).
	Merge bool
}

// AddStock adds stock to items (POST /api/stock/add/).
type AddStock struct {
	Items []StockLine
	Notes string
}

// RemoveStock removes stock from items (POST /api/stock/remove/).
type RemoveStock struct {
	Items []StockLine
	Notes string
}

// CountStock records a stocktake of items (POST /api/stock/count/), optionally at a
// location they are then in.
type CountStock struct {
	Items    []StockLine
	Notes    string
	Location int64
}

// TransferStock moves stock to a location (POST /api/stock/transfer/).
type TransferStock struct {
	Items    []StockLine
	Notes    string
	Location int64
}

// msgStockNoItems is StockAdjustmentSerializer.validate's refusal of an empty list.
const msgStockNoItems = "A list of stock items must be provided"

// Add adds stock. Lines are decided in order, all-or-nothing: if any line is refused,
// nothing is appended and the error names every refused line (items.N.field).
func (h *StockHandlers) Add(ctx context.Context, cmd AddStock) (Result, error) {
	return h.adjust(ctx, "add stock", cmd.Items, adjustOptions{}, func(ctx context.Context, it *stock.Item, line StockLine, _ *stockTxItems) ([]domain.Event, error) {
		return it.Add(line.Quantity, line.Adjustment, cmd.Notes, h.settings)
	})
}

// Remove removes stock, never more than an item holds. Items depleted to zero with
// delete_on_deplete are deleted.
func (h *StockHandlers) Remove(ctx context.Context, cmd RemoveStock) (Result, error) {
	return h.adjust(ctx, "remove stock", cmd.Items, adjustOptions{}, func(ctx context.Context, it *stock.Item, line StockLine, _ *stockTxItems) ([]domain.Event, error) {
		return it.Remove(line.Quantity, line.Adjustment, cmd.Notes, h.settings)
	})
}

// Count records a stocktake, dated today by the handlers' clock.
func (h *StockHandlers) Count(ctx context.Context, cmd CountStock) (Result, error) {
	date := h.now().Format(time.DateOnly)
	opt := adjustOptions{destination: cmd.Location, checkDestination: cmd.Location != 0}
	return h.adjust(ctx, "count stock", cmd.Items, opt, func(ctx context.Context, it *stock.Item, line StockLine, _ *stockTxItems) ([]domain.Event, error) {
		return it.Count(line.Quantity, cmd.Location, line.Adjustment, cmd.Notes, date, h.settings)
	})
}

// Transfer moves stock. A line moving less than its item holds splits the item: a new
// item, appended in the same step, takes the quantity to the destination. A line with
// Merge adds the stock to a matching item at the destination instead, when there is
// one (the candidates come from the lookup; the match is decided on their streams).
func (h *StockHandlers) Transfer(ctx context.Context, cmd TransferStock) (Result, error) {
	newKeys := h.newKeyPool()
	opt := adjustOptions{destination: cmd.Location, checkDestination: true, onAttempt: newKeys.rewind}
	return h.adjust(ctx, "transfer stock", cmd.Items, opt, func(ctx context.Context, it *stock.Item, line StockLine, items *stockTxItems) ([]domain.Event, error) {
		if line.Merge {
			target, err := h.mergeTarget(ctx, it, cmd.Location, items)
			if err != nil {
				return nil, err
			}
			if target != nil {
				into, own, err := target.AbsorbTransfer(it, line.Quantity, cmd.Location, line.Adjustment, cmd.Notes, h.settings)
				if err != nil {
					return nil, err
				}
				return own, items.emit(target.PK(), into...)
			}
		}
		var newPK int64
		if it.SplitsOn(line.Quantity) {
			var err error
			if newPK, err = newKeys.next(ctx); err != nil {
				return nil, err
			}
		}
		own, spawned, err := it.Transfer(line.Quantity, cmd.Location, line.Adjustment, newPK, cmd.Notes, h.settings)
		if err != nil || spawned == nil {
			return own, err
		}
		return own, items.create(spawned.PK, spawned.Events)
	})
}

// mergeTarget finds the item at location that it can be merged into, nil if none.
func (h *StockHandlers) mergeTarget(ctx context.Context, it *stock.Item, location int64, items *stockTxItems) (*stock.Item, error) {
	pks, err := h.lookup.MergeCandidates(ctx, it.Data().Part, location)
	if err != nil {
		return nil, fmt.Errorf("merge candidates: %w", err)
	}
	var candidates []*stock.Item
	for _, pk := range pks {
		if pk == it.PK() {
			continue
		}
		c, err := items.get(ctx, pk)
		if err != nil {
			return nil, err
		}
		if c.Exists() && c.Data().Location == location {
			candidates = append(candidates, c)
		}
	}
	return it.TransferTarget(candidates), nil
}

// adjustOptions are what stock actions add to adjust.
type adjustOptions struct {
	// destination is the location the items go to; with checkDestination it is
	// checked with stock.CheckDestination before any line is decided.
	destination      int64
	checkDestination bool
	// onAttempt runs at the start of every attempt.
	onAttempt func()
}

// adjust runs a multi-item stock action in one transaction. The destination and the
// items are read in one round trip.
func (h *StockHandlers) adjust(ctx context.Context, what string, lines []StockLine, opt adjustOptions, decide func(context.Context, *stock.Item, StockLine, *stockTxItems) ([]domain.Event, error)) (Result, error) {
	if len(lines) == 0 {
		// The destination is refused before the empty list, as it always was.
		if opt.checkDestination {
			loc, err := h.locationFacts(ctx, opt.destination)
			if err != nil {
				return Result{}, fmt.Errorf("%s: %w", what, err)
			}
			if err := stock.CheckDestination("location", opt.destination, loc); err != nil {
				return Result{}, err
			}
		}
		return Result{}, domain.Invalid("", msgStockNoItems)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		if opt.onAttempt != nil {
			opt.onAttempt()
		}
		streams := make([]string, 0, len(lines)+1)
		if opt.destination != 0 {
			streams = append(streams, stockLocationStream(opt.destination))
		}
		for _, line := range lines {
			streams = append(streams, stockItemStream(line.PK))
		}
		if err := tx.Prefetch(ctx, streams...); err != nil {
			return err
		}
		if opt.checkDestination {
			var loc stock.LocationFacts
			if opt.destination != 0 {
				// Read in this transaction (from the prefetch), though never appended to:
				// no expectation is placed on the location's stream.
				l := &stock.Location{}
				if _, err := tx.Load(ctx, stockLocationStream(opt.destination), l); err != nil {
					return err
				}
				loc = l.Facts()
			}
			if err := stock.CheckDestination("location", opt.destination, loc); err != nil {
				return err
			}
		}
		items := newStockTxItems(tx, newStockKeys(tx))
		refused := &domain.RuleError{}
		for i, line := range lines {
			prefix := "items." + strconv.Itoa(i)
			it, err := items.get(ctx, line.PK)
			if err != nil {
				return err
			}
			if !it.Exists() {
				refused.Add(prefix+".pk", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", line.PK))
				continue
			}
			evs, err := decide(ctx, it, line, items)
			var rule *domain.RuleError
			if errors.As(err, &rule) {
				for _, v := range rule.Prefix(prefix).Violations {
					// A line refused as a whole is DRF's non_field_errors of that element.
					if v.Field == prefix {
						v.Field = prefix + ".non_field_errors"
					}
					refused.Violations = append(refused.Violations, v)
				}
				continue
			}
			if err != nil {
				return err
			}
			if err := items.apply(ctx, it, evs); err != nil {
				return err
			}
		}
		return refused.Err()
	})
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", what, err)
	}
	return res, nil
}

// ---- Merge, status, serialize, install ----

// MergeStock merges items into the first one (POST /api/stock/merge/).
type MergeStock struct {
	Items    []int64
	Location int64
	Notes    string
	stock.MergeOptions
}

// ChangeStockStatus sets the status of items (POST /api/stock/change_status/).
type ChangeStockStatus struct {
	Items  []int64
	Status status.StockStatus
	Note   string
}

// SerializeStock splits serialized items off an item (POST
// /api/stock/{id}/serialize/).
type SerializeStock struct {
	PK            int64
	Quantity      int
	SerialNumbers string
	Destination   int64
	Notes         string
}

// InstallStockItem installs StockItem into the item PK (POST /api/stock/{id}/install/).
type InstallStockItem struct {
	PK        int64
	StockItem int64
	// Quantity to install; zero means InvenTree's default, 1.
	Quantity decimal.Decimal
	Note     string
}

// UninstallStockItem takes the item PK out of the item it is installed in, into
// Location (POST /api/stock/{id}/uninstall/).
type UninstallStockItem struct {
	PK       int64
	Location int64
	Note     string
}

// Refusals of actions that InvenTree silently ignores.
const (
	msgAlreadySerialized = "Stock item is already serialized"
	msgNotInstalled      = "Stock item is not installed in another item"
)

// Merge merges the items into the first, at the location; the others are deleted.
func (h *StockHandlers) Merge(ctx context.Context, cmd MergeStock) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		loc, err := h.locationFacts(ctx, cmd.Location)
		if err != nil {
			return err
		}
		items := newStockTxItems(tx, newStockKeys(tx))
		all := make([]*stock.Item, len(cmd.Items))
		for i, pk := range cmd.Items {
			if all[i], err = items.get(ctx, pk); err != nil {
				return err
			}
		}
		res, err := stock.Merge(all, cmd.Location, loc, cmd.MergeOptions, cmd.Notes)
		if err != nil {
			return err
		}
		if err := items.apply(ctx, all[0], res.Target); err != nil {
			return err
		}
		for i, evs := range res.Merged {
			if err := items.apply(ctx, all[i+1], evs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("merge stock: %w", err)
	}
	return res, nil
}

// ChangeStatus sets the status of every item; items already in it are left alone.
func (h *StockHandlers) ChangeStatus(ctx context.Context, cmd ChangeStockStatus) (Result, error) {
	if len(cmd.Items) == 0 {
		return Result{}, domain.Invalid("items", "No stock items selected")
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		items := newStockTxItems(tx, newStockKeys(tx))
		for _, pk := range cmd.Items {
			it, err := items.get(ctx, pk)
			if err != nil {
				return err
			}
			if !it.Exists() {
				return domain.Invalid("items", fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", pk))
			}
			evs, err := it.ChangeStatus(cmd.Status, cmd.Note)
			if err != nil {
				return err
			}
			if err := items.apply(ctx, it, evs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("change stock status: %w", err)
	}
	return res, nil
}

// Serialize splits serialized items off an item and returns their pks. The serial
// numbers are reserved in the same append.
func (h *StockHandlers) Serialize(ctx context.Context, cmd SerializeStock) ([]int64, Result, error) {
	it, _, err := Load(ctx, h.x, stockItemStream(cmd.PK), func() *stock.Item { return &stock.Item{} })
	if err != nil {
		return nil, Result{}, fmt.Errorf("serialize stock item %d: %w", cmd.PK, err)
	}
	if !it.Exists() {
		return nil, Result{}, &domain.NotFoundError{Kind: "StockItem", ID: cmd.PK}
	}
	partPK := it.Data().Part
	part, err := h.parts.PartFacts(ctx, partPK)
	if err != nil {
		return nil, Result{}, fmt.Errorf("serialize stock item %d: part %d: %w", cmd.PK, partPK, err)
	}
	dest, err := h.locationFacts(ctx, cmd.Destination)
	if err != nil {
		return nil, Result{}, fmt.Errorf("serialize stock item %d: %w", cmd.PK, err)
	}
	latest, err := h.latestSerial(ctx, cmd.SerialNumbers, partPK, part)
	if err != nil {
		return nil, Result{}, fmt.Errorf("serialize stock item %d: %w", cmd.PK, err)
	}
	serials, err := it.PlanSerialize(cmd.Quantity, cmd.SerialNumbers, cmd.Destination, dest, part, latest)
	if err != nil {
		return nil, Result{}, err
	}
	pks := make([]int64, len(serials))
	for i := range pks {
		if pks[i], err = h.x.NextKey(ctx, StockItemCategory); err != nil {
			return nil, Result{}, fmt.Errorf("serialize stock item %d: %w", cmd.PK, err)
		}
	}
	var created []int64
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		created = nil
		keys := newStockKeys(tx)
		items := newStockTxItems(tx, keys)
		it, err := items.get(ctx, cmd.PK)
		if err != nil {
			return err
		}
		// InvenTree's serializeStock returns without a word for an item that already has
		// a serial number, and the API answers 201 with no items: refused here instead, so
		// the client learns that nothing happened.
		if it.Serialized() {
			return domain.Invalid("", msgAlreadySerialized)
		}
		scope := stock.SerialScopeFor(partPK, part, h.settings)
		var taken []string
		for i, serial := range serials {
			if err := keys.reserve(ctx, stock.SerialStream(scope, serial), pks[i]); errors.Is(err, stock.ErrKeyTaken) {
				taken = append(taken, serial)
			} else if err != nil {
				return err
			}
		}
		if len(taken) > 0 {
			return stock.SerialsExist(taken)
		}
		own, spawned, err := it.Serialize(serials, pks, cmd.Destination, dest, part, cmd.Notes, h.settings)
		if err != nil {
			return err
		}
		for _, s := range spawned {
			if err := items.create(s.PK, s.Events); err != nil {
				return err
			}
			created = append(created, s.PK)
		}
		return items.apply(ctx, it, own)
	})
	if err != nil {
		return nil, Result{}, fmt.Errorf("serialize stock item %d: %w", cmd.PK, err)
	}
	return created, res, nil
}

// Install installs an item (or part of it, split off first) into another.
func (h *StockHandlers) Install(ctx context.Context, cmd InstallStockItem) (Result, error) {
	qty := cmd.Quantity
	if qty.IsZero() {
		qty = decimal.NewFromInt(1)
	}
	newKeys := h.newKeyPool()
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		newKeys.rewind()
		items := newStockTxItems(tx, newStockKeys(tx))
		assembly, err := items.get(ctx, cmd.PK)
		if err != nil {
			return err
		}
		if !assembly.Exists() {
			return &domain.NotFoundError{Kind: "StockItem", ID: cmd.PK}
		}
		comp, err := items.get(ctx, cmd.StockItem)
		if err != nil {
			return err
		}
		inBOM := true
		if h.bom != nil && comp.Exists() && !h.settings.SkipBOMCheck {
			if inBOM, err = h.bom.PartInBOM(ctx, assembly.Data().Part, comp.Data().Part); err != nil {
				return fmt.Errorf("bill of materials: %w", err)
			}
		}
		var newPK int64
		if comp.Exists() && comp.SplitsOn(qty) {
			if newPK, err = newKeys.next(ctx); err != nil {
				return err
			}
		}
		asm, own, spawned, err := assembly.Install(comp, qty, inBOM, newPK, cmd.Note, h.settings)
		if err != nil {
			return err
		}
		if err := items.apply(ctx, assembly, asm); err != nil {
			return err
		}
		if err := items.apply(ctx, comp, own); err != nil {
			return err
		}
		if spawned != nil {
			return items.create(spawned.PK, spawned.Events)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("install stock item %d into %d: %w", cmd.StockItem, cmd.PK, err)
	}
	return res, nil
}

// Uninstall takes an item out of the item it is installed in.
func (h *StockHandlers) Uninstall(ctx context.Context, cmd UninstallStockItem) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		items := newStockTxItems(tx, newStockKeys(tx))
		it, err := items.get(ctx, cmd.PK)
		if err != nil {
			return err
		}
		if !it.Exists() {
			return &domain.NotFoundError{Kind: "StockItem", ID: cmd.PK}
		}
		// InvenTree's uninstall_into_location ignores an item that is not installed and
		// the API answers 201; refused here instead, so nothing looks done that was not.
		if it.BelongsTo() == 0 {
			return domain.Invalid("", msgNotInstalled)
		}
		loc, err := h.locationFacts(ctx, cmd.Location)
		if err != nil {
			return err
		}
		if err := stock.CheckDestination("location", cmd.Location, loc); err != nil {
			return err
		}
		var assembly *stock.Item
		if parent := it.BelongsTo(); parent != 0 {
			if assembly, err = items.get(ctx, parent); err != nil {
				return err
			}
		}
		own, parentEvs, err := it.Uninstall(assembly, cmd.Location, cmd.Note)
		if err != nil {
			return err
		}
		if err := items.apply(ctx, it, own); err != nil {
			return err
		}
		if assembly != nil {
			return items.apply(ctx, assembly, parentEvs)
		}
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("uninstall stock item %d: %w", cmd.PK, err)
	}
	return res, nil
}

// ---- Transaction helpers ----

// stockTxItems holds the stock items of one transaction, each loaded once, and keeps them
// up to date with the events emitted for them, so a second decision on the same item
// (the same pk twice in a request) sees the first.
type stockTxItems struct {
	tx    *Tx
	keys  *stockKeys
	items map[int64]*stock.Item
}

func newStockTxItems(tx *Tx, keys *stockKeys) *stockTxItems {
	return &stockTxItems{tx: tx, keys: keys, items: map[int64]*stock.Item{}}
}

func (s *stockTxItems) get(ctx context.Context, pk int64) (*stock.Item, error) {
	if it, ok := s.items[pk]; ok {
		return it, nil
	}
	it := &stock.Item{}
	if _, err := s.tx.Load(ctx, stockItemStream(pk), it); err != nil {
		return nil, err
	}
	s.items[pk] = it
	return it, nil
}

func (s *stockTxItems) emit(pk int64, evs ...domain.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := s.tx.Emit(stockItemStream(pk), evs...); err != nil {
		return err
	}
	it := s.items[pk]
	for _, e := range evs {
		it.Apply(e)
	}
	return nil
}

// create appends the events of a new item.
func (s *stockTxItems) create(pk int64, evs []domain.Event) error {
	if err := s.tx.Create(stockItemStream(pk)); err != nil {
		return err
	}
	s.items[pk] = &stock.Item{}
	return s.emit(pk, evs...)
}

// apply emits an item's events and, when they delete it, the consequences: its serial
// number is released, the items installed in it are deleted, and its assembly no
// longer holds it.
func (s *stockTxItems) apply(ctx context.Context, it *stock.Item, evs []domain.Event) error {
	for _, e := range evs {
		if _, ok := e.(stock.ItemDeleted); ok {
			return s.delete(ctx, it, evs)
		}
	}
	return s.emit(it.PK(), evs...)
}

// delete emits evs, which end with the item's deletion, and what follows from it.
func (s *stockTxItems) delete(ctx context.Context, it *stock.Item, evs []domain.Event) error {
	if len(evs) == 0 {
		return nil
	}
	before := it.Data()
	installed := it.Installed()
	if err := s.emit(it.PK(), evs...); err != nil {
		return err
	}
	if before.Serial != "" {
		if err := s.keys.release(ctx, stock.SerialStream(before.SerialScope, before.Serial), it.PK()); err != nil {
			return err
		}
	}
	for _, pk := range installed {
		comp, err := s.get(ctx, pk)
		if err != nil {
			return err
		}
		if err := s.delete(ctx, comp, comp.DeleteWithParent()); err != nil {
			return err
		}
	}
	if parent := before.BelongsTo; parent != 0 {
		asm, err := s.get(ctx, parent)
		if err != nil {
			return err
		}
		return s.emit(parent, asm.ComponentDeleted(it.PK())...)
	}
	return nil
}

// stockKeys holds the key reservations of one transaction, each stream loaded once.
type stockKeys struct {
	tx  *Tx
	res map[string]*stock.Reservation
}

func newStockKeys(tx *Tx) *stockKeys {
	return &stockKeys{tx: tx, res: map[string]*stock.Reservation{}}
}

func (r *stockKeys) get(ctx context.Context, stream string) (*stock.Reservation, error) {
	if res, ok := r.res[stream]; ok {
		return res, nil
	}
	res := &stock.Reservation{}
	if _, err := r.tx.Load(ctx, stream, res); err != nil {
		return nil, err
	}
	r.res[stream] = res
	return res, nil
}

// reserve claims the key of stream for holder; stock.ErrKeyTaken if someone holds it.
func (r *stockKeys) reserve(ctx context.Context, stream string, holder int64) error {
	res, err := r.get(ctx, stream)
	if err != nil {
		return err
	}
	evs, err := res.Reserve(stockKeyOf(stream), holder)
	if err != nil {
		return err
	}
	return r.emit(stream, res, evs)
}

// release gives up holder's key of stream, if it holds it.
func (r *stockKeys) release(ctx context.Context, stream string, holder int64) error {
	res, err := r.get(ctx, stream)
	if err != nil {
		return err
	}
	return r.emit(stream, res, res.Release(holder))
}

func (r *stockKeys) emit(stream string, res *stock.Reservation, evs []domain.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := r.tx.Emit(stream, evs...); err != nil {
		return err
	}
	for _, e := range evs {
		res.Apply(e)
	}
	return nil
}

// stockKeyOf is the key part of a reservation stream name, recorded in its events.
func stockKeyOf(stream string) string {
	_, key, _ := strings.Cut(stream, "-")
	return key
}

// stockKeyPool hands out primary keys for items a transaction creates, and hands the same
// keys out again when the transaction is retried after a conflict, so retries do not
// burn keys.
type stockKeyPool struct {
	x    *Executor
	keys []int64
	used int
}

func (h *StockHandlers) newKeyPool() *stockKeyPool { return &stockKeyPool{x: h.x} }

func (k *stockKeyPool) rewind() { k.used = 0 }

func (k *stockKeyPool) next(ctx context.Context) (int64, error) {
	if k.used == len(k.keys) {
		pk, err := k.x.NextKey(ctx, StockItemCategory)
		if err != nil {
			return 0, err
		}
		k.keys = append(k.keys, pk)
	}
	k.used++
	return k.keys[k.used-1], nil
}
