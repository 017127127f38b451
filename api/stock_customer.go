package api

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain/user"
)

// Stock given to a customer and taken back: POST /api/stock/assign/
// (StockAssignmentSerializer) and /api/stock/return/ (StockReturnSerializer). Both need
// the stock role's add permission, as every stock action, answer 201 with the request
// echoed, and decide every item before appending anything.

// StockCustomerCommands runs the stock commands that involve customers
// (commands.StockHandlers, when built with a way to read customers).
type StockCustomerCommands interface {
	Assign(ctx context.Context, cmd commands.AssignStock) (commands.Result, error)
	Return(ctx context.Context, cmd commands.ReturnStock) (commands.Result, error)
}

var _ StockCustomerCommands = (*commands.StockHandlers)(nil)

// stockCustomerRoutes registers the two actions when the stock area is served and its
// commands can run them.
func (s *server) stockCustomerRoutes(r chi.Router) {
	cmds, ok := s.cfg.StockCommands.(StockCustomerCommands)
	if s.cfg.Stock == nil || !ok {
		return
	}
	s.handle(r, "/stock/assign/", endpoint{Role: user.RoleStock, Post: s.assignStock(cmds), Meta: meta{
		Name:        "Stock Assign",
		Description: "API endpoint for assigning stock to a particular customer.",
		Fields:      assignFields(),
	}})
	s.handle(r, "/stock/return/", endpoint{Role: user.RoleStock, Post: s.returnStock(cmds), Meta: meta{
		Name:        "Stock Return",
		Description: "API endpoint for returning items into stock.\n\nThis API endpoint is for items that are initially considered \"not in stock\",\nand the user wishes to return them to stock.",
		Fields:      append(adjustFields(adjustTransfer), fieldMeta{Name: "merge", Type: typeBoolean, Label: "Merge into existing stock", HelpText: "Merge returned items into existing stock items if possible", Default: false}),
	}})
}

// assignStock is POST /stock/assign/: each item goes, whole, to the customer.
func (s *server) assignStock(cmds StockCustomerCommands) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		b, err := s.decodeBody(r)
		if err != nil {
			return err
		}
		var cmd commands.AssignStock
		items, n, echo := readItemList(b)
		cmd.Items = items
		if pk, ok := b.pk("customer", required); ok {
			cmd.Customer = pk
			echo = append(echo, member{"customer", pk})
		}
		if v := optStr(b, "notes", allowBlank); v != nil {
			cmd.Notes = *v
			echo = append(echo, member{"notes", *v})
		}
		if err := b.err(); err != nil {
			return itemsError(w, err, n)
		}
		res, err := cmds.Assign(r.Context(), cmd)
		if err != nil {
			return itemsError(w, err, n)
		}
		if err := s.awaitStock(r.Context(), res); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, echo)
	}
}

// returnStock is POST /stock/return/: each item (or the part of it asked for) comes
// back from its customer into the location.
func (s *server) returnStock(cmds StockCustomerCommands) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		b, err := s.decodeBody(r)
		if err != nil {
			return err
		}
		req := readAdjust(b, adjustTransfer)
		merge, given := b.boolean("merge")
		if given {
			req.echo = append(req.echo, member{"merge", merge})
		}
		if err := b.err(); err != nil {
			return itemsError(w, err, len(req.lines))
		}
		res, err := cmds.Return(r.Context(), commands.ReturnStock{Items: req.lines, Location: req.location, Notes: req.notes, Merge: merge})
		if err != nil {
			return itemsError(w, err, len(req.lines))
		}
		if err := s.awaitStock(r.Context(), res); err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, req.echo)
	}
}

func assignFields() []fieldMeta {
	return []fieldMeta{
		{Name: "items", Type: typeList, Required: true, Label: "Items", Child: &fieldMeta{Type: typeNested, Children: []fieldMeta{
			{Name: "item", Type: typeRelated, Required: true, Label: "Stock Item", Model: "stockitem", APIURL: "/api/stock/"},
		}}},
		{Name: "customer", Type: typeRelated, Required: true, Label: "Customer", HelpText: "Customer to assign stock items",
			Model: "company", APIURL: "/api/company/", Filters: map[string]any{"is_customer": true}},
		{Name: "notes", Type: typeString, Label: "Notes", HelpText: "Stock assignment notes"},
	}
}
