package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
	"github.com/stockledger/stockledger/domain/stock"
)

// The stock actions. Each reads InvenTree's request body, runs one command that
// decides every item before anything is appended (all or nothing; a refused item is
// reported under its index, {"items": [{}, {"quantity": ["..."]}]}), waits for the
// stock projection and answers 201 with the request echoed as DRF renders the
// validated data: quantities as decimal strings with five places ("10.00000"),
// optional fields left out when absent, defaults filled in.

// adjustKind is which of the adjustment actions a body is for: the location field
// differs.
type adjustKind int

const (
	adjustPlain    adjustKind = iota // add, remove: no location
	adjustCount                      // count: an optional location
	adjustTransfer                   // transfer: a required location
)

// adjustRequest is a stock adjustment body (StockAdjustmentSerializer and its
// subclasses) and its echo.
type adjustRequest struct {
	lines    []commands.StockLine
	notes    string
	location int64
	echo     object
}

// readAdjust reads items (pk, quantity, batch, status, packaging, merge), notes and,
// for count and transfer, location.
func readAdjust(b *body, kind adjustKind) adjustRequest {
	var req adjustRequest
	items, _ := b.objects("items", required)
	echoItems := make([]object, 0, len(items))
	for _, it := range items {
		line, echo := readAdjustLine(it)
		req.lines = append(req.lines, line)
		echoItems = append(echoItems, echo)
	}
	req.echo = object{{"items", echoItems}}
	if v := optStr(b, "notes", allowBlank); v != nil {
		req.notes = *v
		req.echo = append(req.echo, member{"notes", *v})
	}
	switch kind {
	case adjustCount:
		if v, ok := b.pk("location", nullable); ok {
			req.location = v
			req.echo = append(req.echo, member{"location", v})
		} else if b.isNull("location") {
			req.echo = append(req.echo, member{"location", nil})
		}
	case adjustTransfer:
		if v, ok := b.pk("location", required); ok {
			req.location = v
			req.echo = append(req.echo, member{"location", v})
		}
	}
	return req
}

// readAdjustLine reads one StockAdjustmentItem. As InvenTree applies only the optional
// fields that are set (`if field_value := item.get(...)`), an empty batch, packaging
// or status changes nothing.
func readAdjustLine(b *body) (commands.StockLine, object) {
	var line commands.StockLine
	echo := object{}
	if pk, ok := b.pk("pk", required); ok {
		line.PK = pk
		echo = append(echo, member{"pk", pk})
	}
	if q, ok := b.decimal("quantity", required, minValue(0), digits{15, 5}); ok {
		line.Quantity = q
		echo = append(echo, member{"quantity", q.StringFixed(5)})
	}
	if v, ok := b.str("batch", allowBlank, maxLength(100)); ok {
		echo = append(echo, member{"batch", v})
		if v != "" {
			line.Batch = &v
		}
	}
	var code any
	if raw, ok := b.raw["status"]; ok && !(kindOf(raw) == kindString && strings.TrimSpace(scalarText(raw)) == "") {
		if v, ok := b.intChoice("status", status.StockStatusValid); ok {
			c := status.StockStatus(v)
			line.Status, code = &c, v
		}
	}
	echo = append(echo, member{"status", code})
	if v, ok := b.str("packaging", allowBlank, maxLength(50)); ok {
		echo = append(echo, member{"packaging", v})
		if v != "" {
			line.Packaging = &v
		}
	}
	line.Merge, _ = b.boolean("merge")
	echo = append(echo, member{"merge", line.Merge})
	return line, echo
}

// runAdjust reads an adjustment body and runs it with do.
func (s *server) runAdjust(w http.ResponseWriter, r *http.Request, kind adjustKind, do func(adjustRequest) (commands.Result, error)) error {
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	req := readAdjust(b, kind)
	if err := b.err(); err != nil {
		return itemsError(w, err, len(req.lines))
	}
	res, err := do(req)
	if err != nil {
		return itemsError(w, err, len(req.lines))
	}
	if err := s.awaitStock(r.Context(), res); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, req.echo)
}

// addStock is POST /stock/add/: each item gains its quantity (StockItem.add_stock).
func (s *server) addStock(w http.ResponseWriter, r *http.Request) error {
	return s.runAdjust(w, r, adjustPlain, func(req adjustRequest) (commands.Result, error) {
		return s.cfg.StockCommands.Add(r.Context(), commands.AddStock{Items: req.lines, Notes: req.notes})
	})
}

// removeStock is POST /stock/remove/: each item loses its quantity, never more than it
// holds (StockItem.take_stock clamps at zero, as InvenTree does).
func (s *server) removeStock(w http.ResponseWriter, r *http.Request) error {
	return s.runAdjust(w, r, adjustPlain, func(req adjustRequest) (commands.Result, error) {
		return s.cfg.StockCommands.Remove(r.Context(), commands.RemoveStock{Items: req.lines, Notes: req.notes})
	})
}

// countStock is POST /stock/count/: each item holds what was counted, optionally at a
// location.
func (s *server) countStock(w http.ResponseWriter, r *http.Request) error {
	return s.runAdjust(w, r, adjustCount, func(req adjustRequest) (commands.Result, error) {
		return s.cfg.StockCommands.Count(r.Context(), commands.CountStock{Items: req.lines, Notes: req.notes, Location: req.location})
	})
}

// transferStock is POST /stock/transfer/: each item (or the part of it asked for,
// split off) moves to the location; with merge, into a matching item there.
func (s *server) transferStock(w http.ResponseWriter, r *http.Request) error {
	return s.runAdjust(w, r, adjustTransfer, func(req adjustRequest) (commands.Result, error) {
		return s.cfg.StockCommands.Transfer(r.Context(), commands.TransferStock{Items: req.lines, Notes: req.notes, Location: req.location})
	})
}

// mergeStock is POST /stock/merge/ (StockMergeSerializer): the items after the first
// are merged into it, at the location.
func (s *server) mergeStock(w http.ResponseWriter, r *http.Request) error {
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	var cmd commands.MergeStock
	items, n, echo := readItemList(b)
	cmd.Items = items
	if pk, ok := b.pk("location", required); ok {
		cmd.Location = pk
		echo = append(echo, member{"location", pk})
	}
	if v := optStr(b, "notes", allowBlank); v != nil {
		cmd.Notes = *v
		echo = append(echo, member{"notes", *v})
	}
	if v, ok := b.boolean("allow_mismatched_suppliers"); ok {
		cmd.AllowMismatchedSuppliers = v
		echo = append(echo, member{"allow_mismatched_suppliers", v})
	}
	if v, ok := b.boolean("allow_mismatched_status"); ok {
		cmd.AllowMismatchedStatus = v
		echo = append(echo, member{"allow_mismatched_status", v})
	}
	if err := b.err(); err != nil {
		return itemsError(w, err, n)
	}
	res, err := s.cfg.StockCommands.Merge(r.Context(), cmd)
	if err != nil {
		return itemsError(w, err, n)
	}
	if err := s.awaitStock(r.Context(), res); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, echo)
}

// changeStockStatus is POST /stock/change_status/ (StockChangeStatusSerializer): items
// is a list of pks, status defaults to OK, each change is tracked as "Edited stock
// item".
func (s *server) changeStockStatus(w http.ResponseWriter, r *http.Request) error {
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	cmd := commands.ChangeStockStatus{Status: status.StockOK}
	pks, _ := b.pkList("items", required)
	cmd.Items = pks
	if v, ok := b.intChoice("status", status.StockStatusValid); ok {
		cmd.Status = status.StockStatus(v)
	}
	if v := optStr(b, "note", allowBlank); v != nil {
		cmd.Note = *v
	}
	if err := b.err(); err != nil {
		return err
	}
	res, err := s.cfg.StockCommands.ChangeStatus(r.Context(), cmd)
	if err != nil {
		return err
	}
	if err := s.awaitStock(r.Context(), res); err != nil {
		return err
	}
	echo := object{{"items", orEmpty(pks)}, {"status", int(cmd.Status)}}
	if b.has("note") {
		echo = append(echo, member{"note", cmd.Note})
	}
	return writeJSON(w, http.StatusCreated, echo)
}

// readItemList reads "items", a list of {"item": pk} (StockMergeItemSerializer,
// StockAssignmentItemSerializer): the pks, how many entries there were, and the echo
// of what was read.
func readItemList(b *body) ([]int64, int, object) {
	items, _ := b.objects("items", required)
	var pks []int64
	echoItems := make([]object, 0, len(items))
	for _, it := range items {
		if pk, ok := it.pk("item", required); ok {
			pks = append(pks, pk)
			echoItems = append(echoItems, object{{"item", pk}})
		}
	}
	return pks, len(items), object{{"items", echoItems}}
}

// itemsError answers a rule error of a request with a list of n items as DRF's
// ListSerializer does: "items" lists one entry per item of the request, {} for those
// without errors, trailing ones included. Any other error goes to fail.
func itemsError(w http.ResponseWriter, err error, n int) error {
	var rule *domain.RuleError
	if !errors.As(err, &rule) {
		return err
	}
	body := violationBody(rule.Violations)
	if obj, ok := body.(object); ok {
		for i, m := range obj {
			if list, ok := m.Value.([]any); ok && m.Key == "items" {
				for len(list) < n {
					list = append(list, object{})
				}
				obj[i].Value = list
			}
		}
	}
	return writeJSON(w, http.StatusBadRequest, body)
}

func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// serializeItem is POST /stock/{id}/serialize/ (SerializeStockItemSerializer): quantity
// units of the item become single items with the serial numbers, at destination. The
// answer is the list of new items. (InvenTree answers an unknown item with a 400 on
// quantity, "No stock item provided"; here it is 404, as for every other detail URL.)
func (s *server) serializeItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	cmd := commands.SerializeStock{PK: pk}
	if n, ok := b.integer("quantity", required, minValue(0)); ok {
		cmd.Quantity = int(min(n, int64(stock.MaxSerialize)+1))
	}
	if v, ok := b.str("serial_numbers", required); ok {
		cmd.SerialNumbers = v
	}
	if v, ok := b.pk("destination", required); ok {
		cmd.Destination = v
	}
	if v := optStr(b, "notes", allowBlank); v != nil {
		cmd.Notes = *v
	}
	if err := b.err(); err != nil {
		return err
	}
	pks, res, err := s.cfg.StockCommands.Serialize(ctx, cmd)
	if err != nil {
		return err
	}
	if err := s.awaitStock(ctx, res); err != nil {
		return err
	}
	return s.writeItems(w, r, http.StatusCreated, pks)
}

// installItem is POST /stock/{id}/install/ (InstallStockItemSerializer): stock_item,
// or quantity of it (default 1) split off, is installed into this item.
func (s *server) installItem(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	cmd := commands.InstallStockItem{PK: pk, Quantity: decimal.NewFromInt(1)}
	echo := object{}
	if v, ok := b.pk("stock_item", required); ok {
		cmd.StockItem = v
		echo = append(echo, member{"stock_item", v})
	}
	qty := int64(1)
	if n, ok := b.integer("quantity", minValue(1)); ok {
		qty = n
		cmd.Quantity = decimal.NewFromInt(n)
	}
	echo = append(echo, member{"quantity", qty})
	if v := optStr(b, "note", allowBlank); v != nil {
		cmd.Note = *v
		echo = append(echo, member{"note", *v})
	}
	if err := b.err(); err != nil {
		return err
	}
	res, err := s.cfg.StockCommands.Install(r.Context(), cmd)
	if err != nil {
		return err
	}
	if err := s.awaitStock(r.Context(), res); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, echo)
}

// uninstallItem is POST /stock/{id}/uninstall/ (UninstallStockItemSerializer): the
// item leaves the item it is installed in, for location.
func (s *server) uninstallItem(w http.ResponseWriter, r *http.Request) error {
	pk, err := pathPK(r, "id")
	if err != nil {
		return err
	}
	b, err := s.decodeBody(r)
	if err != nil {
		return err
	}
	cmd := commands.UninstallStockItem{PK: pk}
	echo := object{}
	if v, ok := b.pk("location", required); ok {
		cmd.Location = v
		echo = append(echo, member{"location", v})
	}
	if v := optStr(b, "note", allowBlank); v != nil {
		cmd.Note = *v
		echo = append(echo, member{"note", *v})
	}
	if err := b.err(); err != nil {
		return err
	}
	res, err := s.cfg.StockCommands.Uninstall(r.Context(), cmd)
	if err != nil {
		return err
	}
	if err := s.awaitStock(r.Context(), res); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, echo)
}
