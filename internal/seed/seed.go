// Package seed writes a realistic history into the ledger, for benchmarks and
// demonstrations: part categories, parts and a tree of stock locations, then stock
// items and their movements (receipts, additions, removals, counts, transfers that
// split items, merges, status changes) in a mix like a warehouse's.
//
// The catalogue (categories, parts, locations) goes through the real commands: it is
// small, and its name reservations must be what the commands would make. The
// movements, which are nearly all of the history, are decided by the stock domain's
// own aggregates kept in memory (every event is one a command would have appended for
// that request) and appended in batches of many streams with AppendMulti, each stream
// at its exact expected version. Loading each item's stream again for every movement,
// as a command does, would cap the seed at a few thousand events a second; this way a
// million events take about a minute.
//
// A batch holds at most one decision per stream, so the log's order across streams is
// the order the decisions were made in, as if each had been a command of its own.
package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
)

// Config says how much history to write. Every field but Events is optional.
type Config struct {
	// Events is how many events to append, at least. Required.
	Events int
	// Parts and Locations size the catalogue. Default: one part per thousand events
	// (50 to 5000) and one location per five thousand (20 to 1000).
	Parts, Locations int
	// Seed makes the history repeatable. Default: 1.
	Seed uint64
	// BatchEvents is how many events go in one append. Default: 2000.
	BatchEvents int
	// Progress, if set, is told the number of events appended so far after every
	// append.
	Progress func(events int)
}

// Deps are what the seed writes through.
type Deps struct {
	Executor *commands.Executor
	Store    eventstore.Store
	Parts    *commands.PartHandlers
	Stock    *commands.StockHandlers
	Keys     KeyBlocks
}

// KeyBlocks hands out primary keys many at a time (internal/sequence).
type KeyBlocks interface {
	NextN(ctx context.Context, category string, n int) ([]int64, error)
}

// Result says what was written.
type Result struct {
	Events, Parts, Locations, Items int
	Took                            time.Duration
}

// Run writes the history.
func Run(ctx context.Context, d Deps, cfg Config) (Result, error) {
	if d.Executor == nil || d.Store == nil || d.Parts == nil || d.Stock == nil || d.Keys == nil {
		return Result{}, errors.New("seed: missing dependencies")
	}
	if cfg.Events <= 0 {
		return Result{}, errors.New("seed: no events asked for")
	}
	if cfg.Parts <= 0 {
		cfg.Parts = min(max(cfg.Events/1000, 50), 5000)
	}
	if cfg.Locations <= 0 {
		cfg.Locations = min(max(cfg.Events/5000, 20), 1000)
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.BatchEvents <= 0 {
		cfg.BatchEvents = 2000
	}
	start := time.Now()
	g := &generator{d: d, cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed)),
		index: map[int64]int{}, versions: map[string]uint64{}, byPart: map[int64][]int64{}, today: start.UTC().Format(time.DateOnly)}
	if err := g.catalogue(ctx); err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	if err := g.movements(ctx); err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	return Result{Events: g.events, Parts: len(g.parts), Locations: len(g.locations), Items: g.created, Took: time.Since(start)}, nil
}

type generator struct {
	d     Deps
	cfg   Config
	rng   *rand.Rand
	today string

	parts     []int64
	prices    map[int64]decimal.Decimal // unit price per part; absent: not priced
	locations []int64                   // where stock is kept (the leaves of the tree)

	items    []*stock.Item // the items that exist
	index    map[int64]int // item pk → its place in items
	byPart   map[int64][]int64
	versions map[string]uint64 // item stream → its version
	keys     []int64           // item pks allocated, not yet used
	created  int

	batch   []eventstore.StreamAppend
	inBatch map[string]bool
	pending int // events in batch
	events  int // events appended
}

// catalogue creates part categories, parts and the location tree through the commands.
func (g *generator) catalogue(ctx context.Context) error {
	var categories []int64
	for i := range 10 {
		pk, res, err := g.d.Parts.CreatePartCategory(ctx, commands.CreatePartCategory{Fields: part.CategoryFields{Name: fmt.Sprintf("Category %d", i+1)}})
		if err != nil {
			return err
		}
		categories = append(categories, pk)
		g.counted(res)
	}
	g.prices = map[int64]decimal.Decimal{}
	units := []string{"", "", "", "m", "kg"}
	for i := range g.cfg.Parts {
		f := part.DefaultPartFields()
		f.Name = fmt.Sprintf("Part %05d", i+1)
		f.IPN = fmt.Sprintf("P-%05d", i+1)
		f.Description = "Seeded part"
		f.Category = categories[g.rng.IntN(len(categories))]
		f.Units = units[g.rng.IntN(len(units))]
		f.Salable = g.rng.IntN(3) == 0
		pk, res, err := g.d.Parts.CreatePart(ctx, commands.CreatePart{Fields: f})
		if err != nil {
			return err
		}
		g.parts = append(g.parts, pk)
		g.counted(res)
		if g.rng.IntN(10) < 7 {
			g.prices[pk] = decimal.New(int64(50+g.rng.IntN(50000)), -2)
		}
	}
	// Warehouses hold aisles, aisles hold bins; stock is kept in bins.
	warehouses := max(g.cfg.Locations/100, 2)
	aisles := max(g.cfg.Locations/20, warehouses)
	var whs, ais []int64
	for i := range warehouses {
		pk, err := g.location(ctx, fmt.Sprintf("Warehouse %d", i+1), 0, true)
		if err != nil {
			return err
		}
		whs = append(whs, pk)
	}
	for i := range aisles {
		pk, err := g.location(ctx, fmt.Sprintf("Aisle %d", i+1), whs[i%len(whs)], false)
		if err != nil {
			return err
		}
		ais = append(ais, pk)
	}
	for i := range max(g.cfg.Locations-warehouses-aisles, 1) {
		pk, err := g.location(ctx, fmt.Sprintf("Bin %d", i+1), ais[i%len(ais)], false)
		if err != nil {
			return err
		}
		g.locations = append(g.locations, pk)
	}
	return nil
}

func (g *generator) location(ctx context.Context, name string, parent int64, structural bool) (int64, error) {
	pk, res, err := g.d.Stock.CreateLocation(ctx, commands.CreateStockLocation{LocationSpec: stock.LocationSpec{Name: name, Parent: parent, Structural: structural}})
	if err != nil {
		return 0, err
	}
	g.counted(res)
	return pk, nil
}

func (g *generator) counted(res commands.Result) {
	g.events += res.Appended
	if g.cfg.Progress != nil {
		g.cfg.Progress(g.events)
	}
}

// The mix of movements, in parts of a thousand: what a warehouse's stock history is
// made of, transfers first.
var mix = []struct {
	op     func(*generator, context.Context) (bool, error)
	weight int
}{
	{(*generator).receive, 120},
	{(*generator).add, 110},
	{(*generator).remove, 190},
	{(*generator).count, 90},
	{(*generator).transfer, 330},
	{(*generator).merge, 60},
	{(*generator).changeStatus, 100},
}

func (g *generator) movements(ctx context.Context) error {
	total := 0
	for _, m := range mix {
		total += m.weight
	}
	g.inBatch = map[string]bool{}
	for g.events+g.pending < g.cfg.Events {
		if err := ctx.Err(); err != nil {
			return err
		}
		op := (*generator).receive
		if len(g.items) >= len(g.parts) {
			n := g.rng.IntN(total)
			for _, m := range mix {
				if n < m.weight {
					op = m.op
					break
				}
				n -= m.weight
			}
		}
		done, err := op(g, ctx)
		if err != nil {
			return err
		}
		if !done || g.pending >= g.cfg.BatchEvents {
			// Nothing was free to act on in this batch, or it is full.
			if err := g.flush(ctx); err != nil {
				return err
			}
		}
	}
	return g.flush(ctx)
}

// pick chooses an existing item that this batch has not touched yet; nil if it finds
// none in a few tries.
func (g *generator) pick() *stock.Item {
	for range 8 {
		if len(g.items) == 0 {
			return nil
		}
		it := g.items[g.rng.IntN(len(g.items))]
		if !g.inBatch[itemStream(it.PK())] {
			return it
		}
	}
	return nil
}

func (g *generator) quantity() decimal.Decimal {
	if g.rng.IntN(8) == 0 {
		return decimal.New(int64(1+g.rng.IntN(200)), -1) // 0.1 to 20.0, for parts sold by length or weight
	}
	return decimal.NewFromInt(int64(1 + g.rng.IntN(50)))
}

func (g *generator) newKey(ctx context.Context) (int64, error) {
	if len(g.keys) == 0 {
		keys, err := g.d.Keys.NextN(ctx, commands.StockItemCategory, 1000)
		if err != nil {
			return 0, err
		}
		g.keys = keys
	}
	pk := g.keys[0]
	g.keys = g.keys[1:]
	return pk, nil
}

func (g *generator) receive(ctx context.Context) (bool, error) {
	p := g.parts[g.rng.IntN(len(g.parts))]
	req := stock.NewStock{Part: p, Quantity: decimal.NewFromInt(int64(10 + g.rng.IntN(500))), Location: g.locations[g.rng.IntN(len(g.locations))]}
	if price, ok := g.prices[p]; ok {
		req.PurchasePrice, req.PurchasePriceCurrency = &price, "USD"
	}
	if g.rng.IntN(4) == 0 {
		req.Batch = fmt.Sprintf("B%04d", g.rng.IntN(10000))
	}
	data, _, err := stock.PlanNewStock(req, stock.PartFacts{Exists: true, Active: true}, stock.LocationFacts{Exists: true}, "", stock.Settings{})
	if err != nil {
		return false, err
	}
	pk, err := g.newKey(ctx)
	if err != nil {
		return false, err
	}
	it := &stock.Item{}
	evs, err := it.Create(pk, data, "")
	if err != nil {
		return false, err
	}
	return true, g.emit(ctx, change{it, evs})
}

func (g *generator) add(ctx context.Context) (bool, error) {
	it := g.pick()
	if it == nil {
		return false, nil
	}
	return g.decided(ctx, it)(it.Add(g.quantity(), stock.Adjustment{}, "", stock.Settings{}))
}

func (g *generator) remove(ctx context.Context) (bool, error) {
	it := g.pick()
	if it == nil {
		return false, nil
	}
	qty := g.quantity()
	if g.rng.IntN(10) == 0 {
		qty = it.Quantity() // the last of it
	}
	return g.decided(ctx, it)(it.Remove(qty, stock.Adjustment{}, "", stock.Settings{}))
}

func (g *generator) count(ctx context.Context) (bool, error) {
	it := g.pick()
	if it == nil {
		return false, nil
	}
	// Most counts find what the books say, or a little less.
	qty := it.Quantity()
	if n := g.rng.IntN(10); n < 4 && qty.GreaterThan(decimal.NewFromInt(int64(n))) {
		qty = qty.Sub(decimal.NewFromInt(int64(n)))
	}
	return g.decided(ctx, it)(it.Count(qty, 0, stock.Adjustment{}, "", g.today, stock.Settings{}))
}

func (g *generator) changeStatus(ctx context.Context) (bool, error) {
	it := g.pick()
	if it == nil {
		return false, nil
	}
	// Statuses that keep an item in stock, so that it can still move.
	codes := []status.StockStatus{status.StockOK, status.StockOK, status.StockAttention, status.StockDamaged, status.StockReturned}
	return g.decided(ctx, it)(it.ChangeStatus(codes[g.rng.IntN(len(codes))], ""))
}

// transfer moves an item, or part of it, which splits it into a new item.
func (g *generator) transfer(ctx context.Context) (bool, error) {
	it := g.pick()
	if it == nil {
		return false, nil
	}
	if !it.Quantity().IsPositive() {
		return true, nil
	}
	to := g.locations[g.rng.IntN(len(g.locations))]
	qty := it.Quantity()
	if g.rng.IntN(10) < 6 && qty.GreaterThan(decimal.NewFromInt(1)) {
		qty = decimal.NewFromInt(1 + g.rng.Int64N(qty.IntPart()))
	}
	var newPK int64
	if it.SplitsOn(qty) {
		var err error
		if newPK, err = g.newKey(ctx); err != nil {
			return false, err
		}
	}
	evs, spawned, err := it.Transfer(qty, to, stock.Adjustment{}, newPK, "", stock.Settings{})
	if err != nil {
		return skipRule(err)
	}
	changes := []change{{it, evs}}
	if spawned != nil {
		changes = append(changes, change{&stock.Item{}, spawned.Events})
	}
	return true, g.emit(ctx, changes...)
}

// merge merges another item of the same part into one, at the first one's location.
func (g *generator) merge(ctx context.Context) (bool, error) {
	it := g.pick()
	if it == nil {
		return false, nil
	}
	var other *stock.Item
	for _, pk := range g.byPart[it.Data().Part] {
		if pk != it.PK() && !g.inBatch[itemStream(pk)] {
			other = g.items[g.index[pk]]
			break
		}
	}
	if other == nil || it.Data().Location == 0 {
		return true, nil
	}
	res, err := stock.Merge([]*stock.Item{it, other}, it.Data().Location, stock.LocationFacts{Exists: true},
		stock.MergeOptions{AllowMismatchedStatus: true, AllowMismatchedSuppliers: true}, "")
	if err != nil {
		return skipRule(err)
	}
	return true, g.emit(ctx, change{it, res.Target}, change{other, res.Merged[0]})
}

// decided emits an item's own decision, skipping one the rules refused.
func (g *generator) decided(ctx context.Context, it *stock.Item) func([]domain.Event, error) (bool, error) {
	return func(evs []domain.Event, err error) (bool, error) {
		if err != nil {
			return skipRule(err)
		}
		return true, g.emit(ctx, change{it, evs})
	}
}

// skipRule passes over a request the domain refused, as a clerk would pass over an
// item the server refused to move: the history only holds what was allowed.
func skipRule(err error) (bool, error) {
	var rule *domain.RuleError
	if errors.As(err, &rule) {
		return true, nil
	}
	return false, err
}

// change is one stream's events from one decision.
type change struct {
	item *stock.Item
	evs  []domain.Event
}

func itemStream(pk int64) string { return eventstore.Stream(commands.StockItemCategory, pk) }

// emit adds one decision's events to the batch, one append per stream, and applies
// them to the items in memory.
func (g *generator) emit(ctx context.Context, changes ...change) error {
	for _, c := range changes {
		if len(c.evs) == 0 {
			continue
		}
		enc, err := g.d.Executor.Encode(ctx, c.evs)
		if err != nil {
			return err
		}
		existed := c.item.Exists()
		for _, e := range c.evs {
			c.item.Apply(e)
		}
		stream := itemStream(c.item.PK())
		version := g.versions[stream]
		g.batch = append(g.batch, eventstore.StreamAppend{Stream: stream, Expected: eventstore.Exact(version), Events: enc})
		g.inBatch[stream] = true
		g.versions[stream] = version + uint64(len(enc))
		g.pending += len(enc)
		switch {
		case !existed && c.item.Exists():
			g.track(c.item)
		case existed && !c.item.Exists():
			g.untrack(c.item)
			delete(g.versions, stream) // deleted items are never appended to again
		}
	}
	return nil
}

func (g *generator) track(it *stock.Item) {
	g.index[it.PK()] = len(g.items)
	g.items = append(g.items, it)
	p := it.Data().Part
	g.byPart[p] = append(g.byPart[p], it.PK())
	g.created++
}

func (g *generator) untrack(it *stock.Item) {
	i := g.index[it.PK()]
	last := g.items[len(g.items)-1]
	g.items[i], g.index[last.PK()] = last, i
	g.items = g.items[:len(g.items)-1]
	delete(g.index, it.PK())
	p := it.Data().Part
	pks := g.byPart[p]
	for j, pk := range pks {
		if pk == it.PK() {
			pks[j] = pks[len(pks)-1]
			g.byPart[p] = pks[:len(pks)-1]
			break
		}
	}
}

func (g *generator) flush(ctx context.Context) error {
	if len(g.batch) == 0 {
		return nil
	}
	if _, err := g.d.Store.AppendMulti(ctx, g.batch...); err != nil {
		return fmt.Errorf("append %d events: %w", g.pending, err)
	}
	g.events += g.pending
	g.batch, g.pending = g.batch[:0], 0
	clear(g.inBatch)
	if g.cfg.Progress != nil {
		g.cfg.Progress(g.events)
	}
	return nil
}
