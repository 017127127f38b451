package commands_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/projections"
	stockproj "github.com/stockledger/stockledger/projections/stock"
)

var stockClock = time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)

// stockParts is a fake part aggregate: the part facts the stock commands ask for.
type stockParts struct {
	mu    sync.Mutex
	facts map[int64]stock.PartFacts
	bom   map[[2]int64]bool
}

func (p *stockParts) PartFacts(_ context.Context, pk int64) (stock.PartFacts, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.facts[pk], nil
}

func (p *stockParts) PartInBOM(_ context.Context, assembly, component int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bom[[2]int64{assembly, component}], nil
}

func (p *stockParts) set(pk int64, f stock.PartFacts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.Exists = true
	p.facts[pk] = f
}

type stockFixture struct {
	*ledgertest.Ledger
	t     *testing.T
	ctx   context.Context
	h     *commands.StockHandlers
	parts *stockParts
}

func newStockFixture(t *testing.T, settings stock.Settings) *stockFixture {
	t.Helper()
	ctx := commands.WithMetadata(context.Background(), eventstore.Metadata{User: "bob", UserID: 3})
	l := ledgertest.New(t, ledgertest.Options{
		Events:      [][]domain.EventType{stock.Events()},
		Migrations:  []ledgertest.Migration{stockproj.Migrate},
		Projectors:  []projections.Projector{stockproj.NewProjector()},
		MaxAttempts: 200,
	})
	rm, err := stockproj.NewReadModel(l.Pool, stockproj.ReadModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	parts := &stockParts{facts: map[int64]stock.PartFacts{}, bom: map[[2]int64]bool{}}
	h, err := commands.NewStockHandlers(commands.StockConfig{
		Executor: l.Executor, Parts: parts, Lookup: rm, BOM: parts, Settings: settings, Now: func() time.Time { return stockClock },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &stockFixture{Ledger: l, t: t, ctx: ctx, h: h, parts: parts}
}

// ok runs a command that must succeed and waits until the read model has it, since
// some commands look stock up there.
func (f *stockFixture) ok(res commands.Result, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	f.Wait(f.t, res.Position)
}

func (f *stockFixture) location(name string, parent int64) int64 {
	f.t.Helper()
	pk, res, err := f.h.CreateLocation(f.ctx, commands.CreateStockLocation{LocationSpec: stock.LocationSpec{Name: name, Parent: parent}})
	f.ok(res, err)
	return pk
}

func (f *stockFixture) create(req stock.NewStock) []int64 {
	f.t.Helper()
	pks, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: req})
	f.ok(res, err)
	return pks
}

func (f *stockFixture) load(pk int64) *stock.Item {
	f.t.Helper()
	it, _, err := commands.Load(f.ctx, f.Executor, eventstore.Stream("stockitem", pk), func() *stock.Item { return &stock.Item{} })
	if err != nil {
		f.t.Fatal(err)
	}
	return it
}

func (f *stockFixture) head() eventstore.Position {
	f.t.Helper()
	pos, err := f.Store.Head(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return pos
}

func stockDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func stockLine(pk int64, qty string) commands.StockLine {
	return commands.StockLine{PK: pk, Quantity: stockDec(qty)}
}

func stockWant(t *testing.T, err error, field, msg string) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a rule error on %q: %q", err, field, msg)
	}
	for _, v := range re.Violations {
		if v.Field == field && strings.Contains(v.Message, msg) {
			return
		}
	}
	t.Fatalf("violations %+v, want %q: %q", re.Violations, field, msg)
}

// Concurrent removals and partial transfers of one item: every one that succeeds is
// applied on the state it was decided on, so none is lost and the quantity never goes
// below zero; what is left, split off and removed adds up to what there was.
func TestStockConcurrentAdjustmentsNeverGoNegative(t *testing.T) {
	f := newStockFixture(t, stock.Settings{})
	f.parts.set(1, stock.PartFacts{})
	a, b := f.location("A", 0), f.location("B", 0)
	pk := f.create(stock.NewStock{Part: 1, Quantity: stockDec("100"), Location: a})[0]

	const workers = 40 // each takes 5: twice what the item holds
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, errs[i] = f.h.Remove(f.ctx, commands.RemoveStock{Items: []commands.StockLine{stockLine(pk, "5")}})
			} else {
				_, errs[i] = f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{stockLine(pk, "5")}, Location: b})
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		var re *domain.RuleError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("worker %d: %v", i, err)
		}
	}

	// Replay the item's stream: every quantity it passed through is >= 0, and the
	// quantity that left it is accounted for by removals and split-off items.
	recs, err := f.Store.ReadStream(f.ctx, eventstore.Stream("stockitem", pk), 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	codec, _ := domain.NewCodec(stock.Events())
	left, removed, split := stockDec("100"), decimal.Zero, decimal.Zero
	var children []int64
	for _, rec := range recs {
		ev, err := codec.Decode(rec.Type, rec.Schema, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch e := ev.(type) {
		case stock.StockRemoved:
			removed = removed.Add(e.Quantity)
			left = e.NewQuantity
		case stock.ItemSplit:
			split = split.Add(e.Quantity)
			left = e.NewQuantity
			children = append(children, e.NewItem)
		}
		if left.IsNegative() {
			t.Fatalf("event %d leaves %s", rec.Version, left)
		}
	}
	if !left.Add(removed).Add(split).Equal(stockDec("100")) {
		t.Fatalf("left %s + removed %s + split %s != 100", left, removed, split)
	}
	it := f.load(pk)
	held := decimal.Zero
	if it.Exists() {
		held = it.Quantity()
	}
	var moved decimal.Decimal
	for _, c := range children {
		child := f.load(c)
		if child.Data().Location != b || child.Data().Parent != pk {
			t.Fatalf("split-off item %+v", child.Data())
		}
		moved = moved.Add(child.Quantity())
	}
	if !held.Add(removed).Add(moved).Equal(stockDec("100")) || !moved.Equal(split) {
		t.Fatalf("held %s, removed %s, moved %s (split %s)", held, removed, moved, split)
	}
}

// A multi-item action with one bad line appends nothing, and names every bad line.
func TestStockMultiItemActionsAreAllOrNothing(t *testing.T) {
	f := newStockFixture(t, stock.Settings{})
	f.parts.set(1, stock.PartFacts{})
	a, b := f.location("A", 0), f.location("B", 0)
	x := f.create(stock.NewStock{Part: 1, Quantity: stockDec("10"), Location: a})[0]
	y := f.create(stock.NewStock{Part: 1, Quantity: stockDec("10"), Location: a, Customer: 4})[0]
	before := f.head()

	_, err := f.h.Add(f.ctx, commands.AddStock{Items: []commands.StockLine{stockLine(x, "5"), stockLine(999, "1"), stockLine(x, "-1")}})
	stockWant(t, err, "items.1.pk", `Invalid pk "999" - object does not exist.`)
	stockWant(t, err, "items.2.quantity", "greater than or equal to 0")

	// The first line would split x into a new item; the second is not in stock.
	_, err = f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{stockLine(x, "4"), stockLine(y, "1")}, Location: b})
	stockWant(t, err, "items.1.pk", "Stock item is not in stock")
	_, err = f.h.Count(f.ctx, commands.CountStock{Items: []commands.StockLine{stockLine(x, "4"), stockLine(y, "1")}})
	stockWant(t, err, "items.1.pk", "Stock item is not in stock")
	_, err = f.h.Remove(f.ctx, commands.RemoveStock{})
	stockWant(t, err, "", "A list of stock items must be provided")
	_, err = f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{stockLine(x, "1")}, Location: 999})
	stockWant(t, err, "location", `Invalid pk "999"`)

	if after := f.head(); after != before {
		t.Fatalf("refused actions appended events: head %s -> %s", before, after)
	}
	if it := f.load(x); !it.Quantity().Equal(stockDec("10")) || it.Data().Location != a {
		t.Fatalf("item changed: %+v", it.Data())
	}

	// The same pk twice is decided in order, each line on the state the one before left.
	f.ok(f.h.Remove(f.ctx, commands.RemoveStock{Items: []commands.StockLine{stockLine(x, "6"), stockLine(x, "6")}}))
	if it := f.load(x); it.Exists() {
		t.Fatalf("item not depleted and deleted: %+v", it.Data())
	}
}

// Serial numbers are unique per scope even when many requests race for them.
func TestStockSerialUniquenessUnderConcurrency(t *testing.T) {
	f := newStockFixture(t, stock.Settings{})
	f.parts.set(2, stock.PartFacts{Trackable: true, SerialScope: 2})
	f.parts.set(3, stock.PartFacts{Trackable: true, SerialScope: 2}) // a variant of 2: same tree
	f.parts.set(4, stock.PartFacts{Trackable: true})                 // its own tree

	const racers = 12
	var wg sync.WaitGroup
	results := make([][]int64, racers)
	errs := make([]error, racers)
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			part, expr := int64(2), "1-5"
			switch i % 3 {
			case 1:
				expr = "5-9" // overlaps on 5
			case 2:
				part = 3 // same tree, same serials
			}
			results[i], _, errs[i] = f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stock.NewStock{
				Part: part, Quantity: stockDec("5"), SerialNumbers: expr,
			}})
		}()
	}
	wg.Wait()
	holders := map[string]int64{}
	wins := 0
	for i, err := range errs {
		if err != nil {
			stockWant(t, err, "serial_numbers", "The following serial numbers already exist or are invalid : ")
			continue
		}
		wins++
		for _, pk := range results[i] {
			serial := f.load(pk).Data().Serial
			if other, dup := holders[serial]; dup {
				t.Fatalf("serial %s held by items %d and %d", serial, other, pk)
			}
			holders[serial] = pk
		}
	}
	if wins != 1 {
		t.Fatalf("%d racers won, want exactly 1 (every pair of requests overlaps)", wins)
	}
	// Another tree may use the same serial numbers.
	f.create(stock.NewStock{Part: 4, Quantity: stockDec("5"), SerialNumbers: "1-5"})
}

func TestStockSerialReservationsFollowTheItem(t *testing.T) {
	f := newStockFixture(t, stock.Settings{})
	f.parts.set(2, stock.PartFacts{Trackable: true})
	f.parts.set(5, stock.PartFacts{})
	first := f.create(stock.NewStock{Part: 2, Quantity: stockDec("1"), SerialNumbers: "X1"})[0]
	_, _, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stock.NewStock{Part: 2, Quantity: stockDec("2"), SerialNumbers: "X0, X1"}})
	stockWant(t, err, "serial_numbers", "The following serial numbers already exist or are invalid : X1")

	// Editing another item to the serial is refused; editing the holder frees it.
	other := f.create(stock.NewStock{Part: 2, Quantity: stockDec("1")})[0]
	_, err = f.h.UpdateItem(f.ctx, commands.UpdateStockItem{PK: other, ItemEdit: stock.ItemEdit{Serial: stockRef("X1")}})
	stockWant(t, err, "serial", "Stock item with this serial number already exists: X1")
	f.ok(f.h.UpdateItem(f.ctx, commands.UpdateStockItem{PK: first, ItemEdit: stock.ItemEdit{Serial: stockRef("X2")}}))
	f.ok(f.h.UpdateItem(f.ctx, commands.UpdateStockItem{PK: other, ItemEdit: stock.ItemEdit{Serial: stockRef("X1")}}))

	// Deleting an item frees its serial number.
	f.ok(f.h.DeleteItem(f.ctx, commands.DeleteStockItem{PK: first}))
	f.create(stock.NewStock{Part: 2, Quantity: stockDec("1"), SerialNumbers: "X2"})

	// Serializing checks and reserves the same way; "~" continues the tree's numbers.
	bulk := f.create(stock.NewStock{Part: 2, Quantity: stockDec("4")})[0]
	loc := f.location("L", 0)
	_, _, err = f.h.Serialize(f.ctx, commands.SerializeStock{PK: bulk, Quantity: 2, SerialNumbers: "X1, X3", Destination: loc})
	stockWant(t, err, "serial_numbers", "Serial numbers already exist: X1")
	pks, res, err := f.h.Serialize(f.ctx, commands.SerializeStock{PK: bulk, Quantity: 2, SerialNumbers: "~+", Destination: loc})
	f.ok(res, err)
	if got := []string{f.load(pks[0]).Data().Serial, f.load(pks[1]).Data().Serial}; got[0] != "X3" || got[1] != "X4" {
		t.Fatalf("~+ after X2 gave %v", got)
	}
	if it := f.load(bulk); !it.Quantity().Equal(stockDec("2")) {
		t.Fatalf("source holds %s", it.Quantity())
	}
	// InvenTree ignores serializing a serialized item; it is refused, with nothing appended.
	before := f.head()
	_, _, err = f.h.Serialize(f.ctx, commands.SerializeStock{PK: other, Quantity: 1, SerialNumbers: "9", Destination: loc})
	stockWant(t, err, "", "already serialized")
	if f.head() != before {
		t.Fatalf("refused serialization appended events")
	}
	_, _, err = f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stock.NewStock{Part: 5, Quantity: stockDec("1"), SerialNumbers: "1"}})
	stockWant(t, err, "serial_numbers", "non-trackable part")
}

func TestStockCreateDefaults(t *testing.T) {
	f := newStockFixture(t, stock.Settings{})
	loc := f.location("Default", 0)
	f.parts.set(1, stock.PartFacts{DefaultLocation: loc, DefaultExpiryDays: 10})
	f.parts.set(6, stock.PartFacts{Virtual: true})

	it := f.load(f.create(stock.NewStock{Part: 1, Quantity: stockDec("3")})[0])
	if d := it.Data(); d.Location != loc || d.ExpiryDate != "2026-03-14" || !d.DeleteOnDeplete || d.Status != 10 {
		t.Fatalf("defaults %+v", d)
	}
	pks, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stock.NewStock{Part: 1, Quantity: stockDec("3"), ExpiryDate: "2030-01-01"}, NoDefaultLocation: true})
	f.ok(res, err)
	if d := f.load(pks[0]).Data(); d.Location != 0 || d.ExpiryDate != "2030-01-01" {
		t.Fatalf("explicit values %+v", d)
	}
	_, _, err = f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stock.NewStock{Part: 99, Quantity: stockDec("1")}})
	stockWant(t, err, "part", "Valid part must be supplied")
	_, _, err = f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stock.NewStock{Part: 6, Quantity: stockDec("1")}})
	stockWant(t, err, "part", "virtual parts")
	_, _, err = f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: stock.NewStock{Part: 1, Quantity: stockDec("1"), Location: 999}})
	stockWant(t, err, "location", `Invalid pk "999"`)
}

func TestStockInstallMergeAndDeleteCascade(t *testing.T) {
	f := newStockFixture(t, stock.Settings{ForbidDeleteSerialized: true})
	f.parts.set(1, stock.PartFacts{})
	f.parts.set(2, stock.PartFacts{Trackable: true})
	f.parts.bom[[2]int64{2, 1}] = true
	loc := f.location("L", 0)
	asm := f.create(stock.NewStock{Part: 2, Quantity: stockDec("1"), SerialNumbers: "S1", Location: loc})[0]
	bolts := f.create(stock.NewStock{Part: 1, Quantity: stockDec("10"), Location: loc})[0]
	other := f.create(stock.NewStock{Part: 2, Quantity: stockDec("1"), SerialNumbers: "S2", Location: loc})[0]

	_, err := f.h.Install(f.ctx, commands.InstallStockItem{PK: bolts, StockItem: other})
	stockWant(t, err, "stock_item", "Selected part is not in the Bill of Materials")
	_, err = f.h.Install(f.ctx, commands.InstallStockItem{PK: 999, StockItem: bolts})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("install into a missing item: %v", err)
	}
	// Installing 4 bolts splits them off.
	f.ok(f.h.Install(f.ctx, commands.InstallStockItem{PK: asm, StockItem: bolts, Quantity: stockDec("4")}))
	installed := f.load(asm).Installed()
	if len(installed) != 1 || f.load(bolts).Quantity().String() != "6" || f.load(installed[0]).BelongsTo() != asm {
		t.Fatalf("after install: assembly holds %v, bolts %s", installed, f.load(bolts).Quantity())
	}
	_, err = f.h.Install(f.ctx, commands.InstallStockItem{PK: asm, StockItem: installed[0]})
	stockWant(t, err, "stock_item", "Stock item is unavailable")

	// Merging refuses what InvenTree refuses.
	spare := f.create(stock.NewStock{Part: 1, Quantity: stockDec("2"), Location: loc})[0]
	_, err = f.h.Merge(f.ctx, commands.MergeStock{Items: []int64{bolts, asm}, Location: loc})
	stockWant(t, err, "items.1.item", "contains other items")
	_, err = f.h.Merge(f.ctx, commands.MergeStock{Items: []int64{bolts, spare, bolts}, Location: loc})
	stockWant(t, err, "", "Duplicate stock items")
	f.ok(f.h.Merge(f.ctx, commands.MergeStock{Items: []int64{bolts, spare}, Location: loc}))
	if f.load(spare).Exists() || !f.load(bolts).Quantity().Equal(stockDec("8")) {
		t.Fatal("merge did not merge")
	}

	// With STOCK_ALLOW_DELETE_SERIALIZED off the assembly cannot be deleted.
	_, err = f.h.DeleteItem(f.ctx, commands.DeleteStockItem{PK: asm})
	stockWant(t, err, "", "Serialized stock items cannot be deleted")
	f2 := newStockFixture(t, stock.Settings{})
	f2.parts.set(2, stock.PartFacts{Trackable: true})
	f2.parts.set(1, stock.PartFacts{})
	f2.parts.bom[[2]int64{2, 1}] = true
	l2 := f2.location("L", 0)
	a2 := f2.create(stock.NewStock{Part: 2, Quantity: stockDec("1"), SerialNumbers: "S1", Location: l2})[0]
	c2 := f2.create(stock.NewStock{Part: 2, Quantity: stockDec("1"), SerialNumbers: "S2", Location: l2})[0]
	f2.parts.bom[[2]int64{2, 2}] = true
	f2.ok(f2.h.Install(f2.ctx, commands.InstallStockItem{PK: a2, StockItem: c2}))
	// Deleting the assembly deletes what is installed in it and frees both serials.
	f2.ok(f2.h.DeleteItem(f2.ctx, commands.DeleteStockItem{PK: a2}))
	if f2.load(a2).Exists() || f2.load(c2).Exists() {
		t.Fatal("installed item survived its assembly")
	}
	f2.create(stock.NewStock{Part: 2, Quantity: stockDec("2"), SerialNumbers: "S1, S2"})
}

func TestStockUninstallAndStatus(t *testing.T) {
	f := newStockFixture(t, stock.Settings{SkipBOMCheck: true})
	f.parts.set(1, stock.PartFacts{})
	loc := f.location("L", 0)
	structural := f.location("S", 0)
	f.ok(f.h.UpdateLocation(f.ctx, commands.UpdateStockLocation{PK: structural, LocationEdit: stock.LocationEdit{Structural: stockRef(true)}}))
	asm := f.create(stock.NewStock{Part: 1, Quantity: stockDec("1"), Location: loc})[0]
	comp := f.create(stock.NewStock{Part: 1, Quantity: stockDec("1"), Location: loc})[0]
	f.ok(f.h.Install(f.ctx, commands.InstallStockItem{PK: asm, StockItem: comp}))
	_, err := f.h.Uninstall(f.ctx, commands.UninstallStockItem{PK: comp, Location: structural})
	stockWant(t, err, "location", "Structural locations cannot be assigned stock items")
	f.ok(f.h.Uninstall(f.ctx, commands.UninstallStockItem{PK: comp, Location: loc}))
	if it := f.load(comp); it.BelongsTo() != 0 || it.Data().Location != loc || len(f.load(asm).Installed()) != 0 {
		t.Fatalf("after uninstall %+v", it.Data())
	}
	// Uninstalling an item that is not installed is refused (InvenTree ignores it).
	_, err = f.h.Uninstall(f.ctx, commands.UninstallStockItem{PK: comp, Location: loc})
	stockWant(t, err, "", "not installed")

	_, err = f.h.ChangeStatus(f.ctx, commands.ChangeStockStatus{Items: []int64{asm, comp}, Status: 99})
	stockWant(t, err, "status", "not a valid choice")
	_, err = f.h.ChangeStatus(f.ctx, commands.ChangeStockStatus{})
	stockWant(t, err, "items", "No stock items selected")
	f.ok(f.h.ChangeStatus(f.ctx, commands.ChangeStockStatus{Items: []int64{asm, comp}, Status: 65}))
	if f.load(asm).Data().Status != 65 || f.load(comp).InStock() {
		t.Fatal("status not changed")
	}
	_, err = f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{stockLine(asm, "1")}, Location: structural})
	stockWant(t, err, "location", "Structural locations cannot be assigned stock items")
}

// Retries of a transaction that splits stock reuse the keys they took.
func TestStockRetriesReuseKeys(t *testing.T) {
	f := newStockFixture(t, stock.Settings{})
	f.parts.set(1, stock.PartFacts{})
	a, b := f.location("A", 0), f.location("B", 0)
	pk := f.create(stock.NewStock{Part: 1, Quantity: stockDec("1000"), Location: a})[0]
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.h.Transfer(f.ctx, commands.TransferStock{Items: []commands.StockLine{stockLine(pk, "1")}, Location: b}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	next, err := f.Executor.NextKey(f.ctx, "stockitem")
	if err != nil {
		t.Fatal(err)
	}
	// One key for the item, one per split, however many attempts it took.
	if next != pk+11 {
		t.Fatalf("next key %d, want %d: retries burned keys", next, pk+11)
	}
	if q := f.load(pk).Quantity(); !q.Equal(stockDec("990")) {
		t.Fatalf("source holds %s", q)
	}
}

func stockRef[T any](v T) *T { return &v }
