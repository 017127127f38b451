package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/order"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/orders"
	stockrm "github.com/stockledger/stockledger/projections/stock"
)

// The purchase order actions: the status transitions (issue, hold, cancel, complete)
// and receiving stock. Each transition is one event on the order; one that does not
// apply to the order's status is a 400 saying why, and appends nothing (InvenTree
// ignores some of them and answers 201). A receipt is one all-or-nothing append of the
// order's receipt and the stock items it creates.

// OrderActions runs the purchase order transitions (commands.OrderHandlers).
type OrderActions interface {
	IssueOrder(ctx context.Context, pk int64) (commands.Result, error)
	HoldOrder(ctx context.Context, pk int64) (commands.Result, error)
	CancelOrder(ctx context.Context, pk int64) (commands.Result, error)
	CompleteOrder(ctx context.Context, pk int64, acceptIncomplete bool) (commands.Result, error)
}

var _ OrderActions = (*commands.OrderHandlers)(nil)

// OrderReceiver receives stock against purchase orders (commands.OrderHandlers).
type OrderReceiver interface {
	Receive(ctx context.Context, cmd commands.ReceiveOrder) ([]int64, commands.Result, error)
}

var _ OrderReceiver = (*commands.OrderHandlers)(nil)

// orderActionRoutes registers the actions when the order commands can run them.
func (s *server) orderActionRoutes(r chi.Router) {
	actions, ok := s.cfg.OrderCommands.(OrderActions)
	if s.cfg.Orders == nil || !ok {
		return
	}
	role := user.RolePurchaseOrder
	for _, a := range []struct {
		path, name, description string
		run                     func(ctx context.Context, pk int64) (commands.Result, error)
	}{
		{"issue", "Purchase Order Issue", "API endpoint to 'issue' (place) a PurchaseOrder.", actions.IssueOrder},
		{"hold", "Purchase Order Hold", "API endpoint to place a PurchaseOrder on hold.", actions.HoldOrder},
		{"cancel", "Purchase Order Cancel", "API endpoint to 'cancel' a purchase order.\n\nThe purchase order must be in a state which can be cancelled", actions.CancelOrder},
	} {
		s.handle(r, "/order/po/{id:[0-9]+}/"+a.path+"/", endpoint{Role: role, Post: s.orderTransition(a.run),
			Meta: meta{Name: a.name, Description: a.description, Fields: []fieldMeta{}}})
	}
	if receiver, ok := s.cfg.OrderCommands.(OrderReceiver); ok && s.cfg.Stock != nil {
		s.handle(r, "/order/po/{id:[0-9]+}/receive/", endpoint{Role: role, Post: s.receiveOrder(receiver), Meta: meta{
			Name:        "Purchase Order Receive",
			Description: "API endpoint to receive stock items against a PurchaseOrder.",
			Fields:      receiveFields(),
		}})
	}
	s.handle(r, "/order/po/{id:[0-9]+}/complete/", endpoint{Role: role, Post: s.completeOrder(actions), Meta: meta{
		Name: "Purchase Order Complete", Description: "API endpoint to 'complete' a purchase order.",
		Fields: []fieldMeta{{Name: "accept_incomplete", Type: typeBoolean, Label: "Accept Incomplete",
			HelpText: "Allow order to be closed with incomplete line items", Default: false}},
	}})
}

// orderTransition is an action without fields: 201 with the (empty) request echoed.
func (s *server) orderTransition(run func(ctx context.Context, pk int64) (commands.Result, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pk, err := pathPK(r, "id")
		if err != nil {
			return err
		}
		if _, err := s.decodeBody(r); err != nil {
			return err
		}
		res, err := run(r.Context(), pk)
		if err != nil {
			return err
		}
		if err := s.awaitProjections(r.Context(), res, orders.Name); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, object{})
	}
}

// completeOrder is POST /order/po/{id}/complete/ (PurchaseOrderCompleteSerializer).
func (s *server) completeOrder(actions OrderActions) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		pk, err := pathPK(r, "id")
		if err != nil {
			return err
		}
		b, err := s.decodeBody(r)
		if err != nil {
			return err
		}
		accept, _ := b.boolean("accept_incomplete")
		if err := b.err(); err != nil {
			return err
		}
		res, err := actions.CompleteOrder(r.Context(), pk, accept)
		if err != nil {
			return err
		}
		if err := s.awaitProjections(r.Context(), res, orders.Name); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, object{{"accept_incomplete", accept}})
	}
}

// idempotencyHeader names the header a client retries a receipt with.
const idempotencyHeader = "Idempotency-Key"

// receiveOrder is POST /order/po/{id}/receive/ (PurchaseOrderReceiveSerializer): the
// items received, each against a line, into a location. The answer is the list of the
// stock items created (API 385 and later). A request with an Idempotency-Key that was
// already received answers the first receipt's items and appends nothing.
func (s *server) receiveOrder(receiver OrderReceiver) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		pk, err := pathPK(r, "id")
		if err != nil {
			return err
		}
		if _, err := s.cfg.Orders.GetOrder(ctx, pk, orders.OrderDetail{}); err != nil {
			return err
		}
		b, err := s.decodeBody(r)
		if err != nil {
			return err
		}
		req, n := readReceive(b)
		if err := b.err(); err != nil {
			return itemsError(w, err, n)
		}
		if req.LocationGiven {
			loc := req.Location
			if err := s.checkLocation(ctx, "location", &loc); err != nil {
				return err
			}
		}
		key := strings.TrimSpace(r.Header.Get(idempotencyHeader))
		if len(key) > 255 {
			return domain.Invalid("", "The Idempotency-Key header is longer than 255 characters")
		}
		pks, res, err := receiver.Receive(ctx, commands.ReceiveOrder{Order: pk, Request: req, Key: key})
		if err != nil {
			return itemsError(w, err, n)
		}
		if err := s.awaitProjections(ctx, res, stockrm.ProjectorName, orders.Name); err != nil {
			return err
		}
		if res.Appended == 0 && s.cfg.LogHead != nil {
			// A retry answered from the first receipt, which may still be on its way to
			// the read models (its request may not have answered yet).
			if err := s.awaitLogHead(ctx, stockrm.ProjectorName, orders.Name); err != nil {
				return err
			}
		}
		return s.writeItems(w, r, http.StatusCreated, pks)
	}
}

// readReceive reads a receive request and says how many items it has.
func readReceive(b *body) (order.ReceiveRequest, int) {
	var req order.ReceiveRequest
	items, _ := b.objects("items", required)
	for _, it := range items {
		var ri order.ReceiveItem
		ri.Line, _ = it.pk("line_item", required)
		ri.Location, _ = it.pk("location", nullable)
		ri.Quantity, _ = it.decimal("quantity", required, minValue(0), digits{15, 5})
		ri.Batch, _ = it.str("batch_code", allowBlank)
		if d := optDate(it, "expiry_date"); d != nil {
			ri.ExpiryDate = *d
		}
		ri.SerialNumbers, _ = it.str("serial_numbers", allowBlank)
		ri.Status = status.StockOK
		if v, ok := it.intChoice("status", status.StockStatusValid); ok {
			ri.Status = status.StockStatus(v)
		}
		ri.Packaging, _ = it.str("packaging", allowBlank)
		ri.Note, _ = it.str("note", allowBlank)
		ri.Barcode, _ = it.str("barcode", allowBlank, nullable)
		req.Items = append(req.Items, ri)
	}
	if b.has("location") {
		req.LocationGiven = true
		req.Location, _ = b.pk("location", nullable)
	}
	return req, len(items)
}

func receiveFields() []fieldMeta {
	statusField := fieldMeta{Name: "status", Type: typeChoice, Label: "Status", HelpText: "Stock item status code",
		Default: int(status.StockOK), Choices: statusChoices(status.StockStatusClass())}
	item := []fieldMeta{
		{Name: "line_item", Type: typeRelated, Required: true, Label: "Line Item", Model: "purchaseorderlineitem", APIURL: "/api/order/po-line/"},
		related("location", "Location", "Select destination location for received items", "stocklocation", "/api/stock/location/"),
		{Name: "quantity", Type: typeDecimal, Required: true, Label: "Quantity", MinValue: 0, MaxDigits: 15, DecimalPlaces: 5},
		{Name: "batch_code", Type: typeString, Label: "Batch Code", HelpText: "Enter batch code for incoming stock items", Default: ""},
		{Name: "expiry_date", Type: typeDate, Label: "Expiry Date", HelpText: "Enter expiry date for incoming stock items"},
		{Name: "serial_numbers", Type: typeString, Label: "Serial Numbers", HelpText: "Enter serial numbers for incoming stock items", Default: ""},
		statusField,
		{Name: "packaging", Type: typeString, Label: "Packaging", HelpText: "Override packaging information for incoming stock items", Default: ""},
		{Name: "note", Type: typeString, Label: "Note", HelpText: "Additional note for incoming stock items", Default: ""},
		{Name: "barcode", Type: typeString, Label: "Barcode", HelpText: "Scanned barcode", Default: ""},
	}
	return []fieldMeta{
		{Name: "items", Type: typeList, Required: true, Label: "Items", Child: &fieldMeta{Type: typeNested, Children: item}},
		related("location", "Location", "Select destination location for received items", "stocklocation", "/api/stock/location/"),
	}
}
