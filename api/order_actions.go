package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/projections/orders"
)

// The purchase order actions: the status transitions (issue, hold, cancel, complete).
// Each is one event on the order; one that does not apply to the order's status is a
// 400 saying why, and appends nothing (InvenTree ignores some of them and answers 201).

// OrderActions runs the purchase order transitions (commands.OrderHandlers).
type OrderActions interface {
	IssueOrder(ctx context.Context, pk int64) (commands.Result, error)
	HoldOrder(ctx context.Context, pk int64) (commands.Result, error)
	CancelOrder(ctx context.Context, pk int64) (commands.Result, error)
	CompleteOrder(ctx context.Context, pk int64, acceptIncomplete bool) (commands.Result, error)
}

var _ OrderActions = (*commands.OrderHandlers)(nil)

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
