package stock

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain/status"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
)

// renderDeltas writes every field the event's deltas marshal to, under the same key,
// with quantities as numbers.
func TestRenderDeltasHasEveryField(t *testing.T) {
	st, q := status.StockStatus(50), decimal.RequireFromString("2.50")
	id, text := int64(7), `a "quoted" <b> & é`
	d := stockdomain.Deltas{Status: &st, StatusLogical: &st, OldStatus: &st, OldStatusLogical: &st,
		Quantity: &q, Added: &q, Removed: &q, Location: &id, OldLocation: &id, StockItem: &id,
		Serial: &text, Batch: &text, Packaging: &text, Part: &id, Customer: &id, CustomerName: &text,
		BuildOrder: &id, PurchaseOrder: &id, SalesOrder: &id, ReturnOrder: &id, TransferOrder: &id}
	want := decode(t, marshal(d))
	for _, k := range []string{"quantity", "added", "removed"} {
		want[k] = json.Number("2.5")
	}
	if got := decode(t, renderDeltas(d)); !reflect.DeepEqual(got, want) {
		t.Errorf("renderDeltas = %v, want %v", got, want)
	}
	if got := string(renderDeltas(stockdomain.Deltas{})); got != "{}" {
		t.Errorf("no deltas: %s", got)
	}
	whole := decimal.RequireFromString("3")
	if got := string(renderDeltas(stockdomain.Deltas{Quantity: &whole})); got != `{"quantity":3.0}` {
		t.Errorf("whole quantity: %s", got)
	}
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return m
}
