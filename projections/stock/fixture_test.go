package stock_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/projections"
	"github.com/stockledger/stockledger/projections/stock"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// clock is the fixtures' "now".
var clock = time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC)

// parts is a fake part aggregate: the facts the stock commands ask for.
type parts struct {
	mu    sync.Mutex
	facts map[int64]stockdomain.PartFacts
}

func (p *parts) PartFacts(_ context.Context, pk int64) (stockdomain.PartFacts, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.facts[pk], nil
}

func (p *parts) set(pk int64, f stockdomain.PartFacts) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.Exists = true
	p.facts[pk] = f
}

type fixture struct {
	*ledgertest.Ledger
	t     *testing.T
	ctx   context.Context
	rm    *stock.ReadModel
	h     *commands.StockHandlers
	parts *parts
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := commands.WithMetadata(context.Background(), eventstore.Metadata{User: "alice", UserID: 7})
	l := ledgertest.New(t, ledgertest.Options{
		Events:     [][]domain.EventType{stockdomain.Events()},
		Migrations: []ledgertest.Migration{stock.Migrate},
		Projectors: []projections.Projector{stock.NewProjector()},
	})
	rm, err := stock.NewReadModel(l.Pool, stock.ReadModelConfig{})
	if err != nil {
		t.Fatal(err)
	}
	p := &parts{facts: map[int64]stockdomain.PartFacts{}}
	h, err := commands.NewStockHandlers(commands.StockConfig{
		Executor: l.Executor, Parts: p, Lookup: rm, Now: func() time.Time { return clock },
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{Ledger: l, t: t, ctx: ctx, rm: rm, h: h, parts: p}
}

// wait blocks until the read models have applied res.
func (f *fixture) wait(res commands.Result) {
	f.t.Helper()
	f.Wait(f.t, res.Position)
}

// do runs a command that must succeed and waits for the read models.
func (f *fixture) do(res commands.Result, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
	f.wait(res)
}

func (f *fixture) location(name string, parent int64, edit ...func(*stockdomain.LocationSpec)) int64 {
	f.t.Helper()
	spec := stockdomain.LocationSpec{Name: name, Parent: parent}
	for _, e := range edit {
		e(&spec)
	}
	pk, res, err := f.h.CreateLocation(f.ctx, commands.CreateStockLocation{LocationSpec: spec})
	f.do(res, err)
	return pk
}

func (f *fixture) item(part int64, qty string, location int64, edit ...func(*stockdomain.NewStock)) int64 {
	f.t.Helper()
	req := stockdomain.NewStock{Part: part, Quantity: decimal.RequireFromString(qty), Location: location}
	for _, e := range edit {
		e(&req)
	}
	pks, res, err := f.h.CreateItems(f.ctx, commands.CreateStockItem{NewStock: req, NoDefaultLocation: location == 0})
	f.do(res, err)
	return pks[0]
}

func (f *fixture) getItem(pk int64) stock.Item {
	f.t.Helper()
	it, err := f.rm.GetItem(context.Background(), pk, stock.ItemFilter{})
	if err != nil {
		f.t.Fatal(err)
	}
	return it
}

func (f *fixture) getLocation(pk int64) stock.Location {
	f.t.Helper()
	l, err := f.rm.GetLocation(context.Background(), pk, false)
	if err != nil {
		f.t.Fatal(err)
	}
	return l
}

// tracking lists an item's tracking entries, oldest first.
func (f *fixture) tracking(item int64) []stock.TrackingEntry {
	f.t.Helper()
	out, _, err := f.rm.ListTracking(context.Background(), stock.TrackingFilter{Item: &item, Ordering: "date"})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func ref[T any](v T) *T { return &v }

// deltas decodes a tracking entry's deltas.
func deltas(t *testing.T, e stock.TrackingEntry) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Deltas, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func pksOf(items []stock.Item) []int64 {
	var out []int64
	for _, it := range items {
		out = append(out, it.PK)
	}
	return out
}

// wantViolation checks that err is a rule error with a violation on field whose
// message contains msg.
func wantViolation(t *testing.T, err error, field, msg string) {
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
