package stock

import (
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Stock received against a purchase order (PurchaseOrder.receive_line_items): the new
// items are planned like any new stock (PlanNewStock, which carries the supplier part
// and the order) and created with "Received against Purchase Order" instead of
// "Stock item created".

// Receive decides the new item pk, received against purchase order order. Its
// tracking entry records where it went, the order and the quantity, as InvenTree's.
func (it *Item) Receive(pk int64, data ItemData, order int64) ([]domain.Event, error) {
	deltas := Deltas{PurchaseOrder: ptr(order), Quantity: dec(data.Quantity)}
	if data.Location != 0 {
		deltas.Location = ptr(data.Location)
	}
	return it.CreateTracked(pk, data, Entry{Type: status.TrackingReceivedAgainstPurchaseOrder, Deltas: deltas})
}
