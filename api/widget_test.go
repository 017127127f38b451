package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
)

// The widget area exists only in tests: a small area written the way real ones are,
// to exercise every building block through HTTP.

type widget struct {
	PK       int64  `json:"pk"`
	Name     string `json:"name"`
	Quantity string `json:"quantity"`
}

func widgets() []widget {
	return []widget{{1, "alpha", "1.5"}, {2, "bravo", "2"}, {3, "charlie", "3"}, {4, "delta", "4"}, {5, "echo", "5"}}
}

func widgetOrdering() ordering {
	return ordering{
		Fields:  map[string][]string{"name": {"w.name"}, "quantity": {"w.quantity"}, "ref": {"w.ref_int", "w.ref"}},
		Default: []string{"name"},
		PK:      "w.id",
	}
}

func widgetFields() []fieldMeta {
	return []fieldMeta{
		{Name: "pk", Type: typeInteger, ReadOnly: true, Label: "ID"},
		{Name: "name", Type: typeString, Required: true, Label: "Name", MaxLength: 100},
		{Name: "quantity", Type: typeDecimal, Required: true, Label: "Quantity", MinValue: 0, MaxDigits: 15, DecimalPlaces: 5},
		{Name: "status", Type: typeChoice, Label: "Status", Default: 10, Choices: statusChoices(status.StockStatusClass())},
		{Name: "location", Type: typeRelated, Label: "Location", Model: "stocklocation", APIURL: "/api/stock/location/"},
	}
}

func (s *server) widgetRoutes(r chi.Router) {
	s.handle(r, "/widget/", endpoint{Role: user.RoleStock, Get: s.listWidgets, Post: s.createWidget, Meta: meta{
		Name: "Widget List", Description: "API endpoint for widgets.", Model: "widget", Fields: widgetFields(),
		Defaults: func(*http.Request) (map[string]any, error) { return map[string]any{"name": "W-0006"}, nil },
	}})
	s.handle(r, "/widget/{id:[0-9]+}/", endpoint{Role: user.RoleStock, Get: s.getWidget, Put: s.createWidget, Patch: s.createWidget, Delete: s.deleteWidget,
		Meta: meta{Name: "Widget Detail", Model: "widget", Fields: widgetFields()}})
	s.handle(r, "/widget/action/", endpoint{Role: user.RoleStock, Post: s.widgetAction, Meta: meta{Name: "Widget Action", Fields: widgetFields()}})
	s.handle(r, "/widget/fail/", endpoint{Get: func(http.ResponseWriter, *http.Request) error {
		return errors.New("SELECT password FROM secrets: connection reset")
	}})
	s.handle(r, "/widget/panic/", endpoint{Get: func(http.ResponseWriter, *http.Request) error { panic("nil map") }})
	s.handle(r, "/widget/meta/", endpoint{Get: func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, commands.MetadataFrom(r.Context()))
	}})
	s.handle(r, "/widget/write/", endpoint{Role: user.RoleStock, Post: func(w http.ResponseWriter, r *http.Request) error {
		res := commands.Result{Appended: 1, Position: eventstore.Position{Commit: 7, Prepare: 7}}
		if err := s.awaitProjections(r.Context(), res); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, map[string]string{"ok": "yes"})
	}})
}

// listWidgets pages a fixed list as a read-model query would.
func (s *server) listWidgets(w http.ResponseWriter, r *http.Request) error {
	q := newQuery(r)
	onlyBig, _ := q.boolean("big")
	q.nullablePK("location")
	if err := q.err(); err != nil {
		return err
	}
	lq := s.listQuery(r, widgetOrdering())
	rows := widgets()
	if onlyBig {
		rows = rows[2:]
	}
	total := len(rows)
	if lq.Paged() {
		rows = rows[min(lq.Offset, total):min(lq.Offset+lq.Limit, total)]
	}
	return writeList(w, lq, total, rows)
}

func (s *server) createWidget(w http.ResponseWriter, r *http.Request) error {
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	name, _ := b.str("name", required, maxLength(10))
	qty, _ := b.decimal("quantity", required, minValue(0), digits{15, 5})
	if err := b.err(); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"name": name, "quantity": qty})
}

func (s *server) getWidget(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	if pk > 5 {
		return &domain.NotFoundError{Kind: "Widget", ID: pk}
	}
	return writeJSON(w, http.StatusOK, widgets()[pk-1])
}

func (s *server) deleteWidget(w http.ResponseWriter, r *http.Request) error {
	writeNoContent(w)
	return nil
}

// widgetAction reads a list of items as InvenTree's stock actions do.
func (s *server) widgetAction(w http.ResponseWriter, r *http.Request) error {
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	items, _ := b.objects("items", required, nonEmpty)
	type echo struct {
		PK       int64           `json:"pk"`
		Quantity decimal.Decimal `json:"quantity"`
	}
	var out []echo
	for _, it := range items {
		pk, _ := it.pk("pk", required)
		qty, _ := it.decimal("quantity", required, minValue(0))
		out = append(out, echo{pk, qty})
	}
	b.pk("location", nullable)
	if err := b.err(); err != nil {
		return err
	}
	// The command would find item 99 missing.
	for i, e := range out {
		if e.PK == 99 {
			return &domain.NotFoundError{Kind: "StockItem", ID: 99, Field: "items." + strconv.Itoa(i) + ".pk"}
		}
	}
	return writeJSON(w, http.StatusCreated, map[string]any{"items": out})
}

// waiterFunc adapts a function to ProjectionWaiter.
type waiterFunc func(ctx context.Context, pos eventstore.Position, names ...string) error

func (f waiterFunc) WaitFor(ctx context.Context, pos eventstore.Position, names ...string) error {
	return f(ctx, pos, names...)
}

var _ ProjectionWaiter = waiterFunc(nil)

// blockingWaiter never sees the projections catch up.
func blockingWaiter() waiterFunc {
	return func(ctx context.Context, _ eventstore.Position, _ ...string) error {
		<-ctx.Done()
		return ctx.Err()
	}
}

func quickWait(c *Config) { c.ProjectionWait = 20 * time.Millisecond }
