package order

import (
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// The status transitions of a purchase order (PurchaseOrder.place_order, hold_order,
// cancel_order, complete_order and their serializers). InvenTree runs a transition
// that does not apply as a no-op and answers 201; here it is refused with the reason,
// and nothing is appended.

// Event type names of the transitions. Stored: never rename one.
const (
	TypeOrderIssued    = "PurchaseOrderIssued"
	TypeOrderHeld      = "PurchaseOrderHeld"
	TypeOrderCancelled = "PurchaseOrderCancelled"
	TypeOrderCompleted = "PurchaseOrderCompleted"
)

// TransitionEvents lists the transition event types, for the codec.
func TransitionEvents() []domain.EventType {
	return []domain.EventType{
		domain.JSONEvent[OrderIssued](TypeOrderIssued),
		domain.JSONEvent[OrderHeld](TypeOrderHeld),
		domain.JSONEvent[OrderCancelled](TypeOrderCancelled),
		domain.JSONEvent[OrderCompleted](TypeOrderCompleted),
	}
}

// Messages of the transitions.
const (
	// PurchaseOrderCancelSerializer.
	MsgCannotCancel = "Order cannot be cancelled"
	// PurchaseOrderCompleteSerializer.validate_accept_incomplete, on accept_incomplete.
	MsgIncompleteLines = "Order has incomplete line items"
	// Refusals of what InvenTree silently ignores.
	MsgCannotIssue    = "Only a pending or on-hold order can be issued"
	MsgCannotHold     = "Only a pending or placed order can be placed on hold"
	MsgCannotComplete = "Only a placed order can be completed"
)

// OrderIssued records the order placed with its supplier (PENDING or ON_HOLD to
// PLACED) on IssueDate.
type OrderIssued struct {
	PK        int64                      `json:"pk"`
	From      status.PurchaseOrderStatus `json:"from"`
	IssueDate string                     `json:"issue_date"`
}

// OrderHeld records the order put on hold.
type OrderHeld struct {
	PK   int64                      `json:"pk"`
	From status.PurchaseOrderStatus `json:"from"`
}

// OrderCancelled records the order cancelled.
type OrderCancelled struct {
	PK   int64                      `json:"pk"`
	From status.PurchaseOrderStatus `json:"from"`
}

// OrderCompleted records the order complete on CompleteDate: by request
// (AcceptIncomplete when lines were still outstanding) or because a receipt left
// nothing to receive (Auto, PURCHASEORDER_AUTO_COMPLETE).
type OrderCompleted struct {
	PK               int64                      `json:"pk"`
	From             status.PurchaseOrderStatus `json:"from"`
	CompleteDate     string                     `json:"complete_date"`
	AcceptIncomplete bool                       `json:"accept_incomplete,omitempty"`
	Auto             bool                       `json:"auto,omitempty"`
}

func (OrderIssued) EventType() string    { return TypeOrderIssued }
func (OrderHeld) EventType() string      { return TypeOrderHeld }
func (OrderCancelled) EventType() string { return TypeOrderCancelled }
func (OrderCompleted) EventType() string { return TypeOrderCompleted }

// applyProgress folds the events of the order's progress: transitions and receipts.
func (o *PurchaseOrder) applyProgress(e domain.Event) {
	switch e := e.(type) {
	case OrderIssued:
		o.status, o.issued = status.PurchaseOrderPlaced, e.IssueDate
	case OrderHeld:
		o.status = status.PurchaseOrderOnHold
	case OrderCancelled:
		o.status = status.PurchaseOrderCancelled
	case OrderCompleted:
		o.status, o.complete = status.PurchaseOrderComplete, e.CompleteDate
	case OrderReceived:
		o.applyReceipt(e)
	}
}

// IssueDate and CompleteDate are when the order was issued and completed, "" if not.
func (o *PurchaseOrder) IssueDate() string    { return o.issued }
func (o *PurchaseOrder) CompleteDate() string { return o.complete }

// Issue decides placing the order (can_issue: pending or on hold) on date today.
func (o *PurchaseOrder) Issue(today string) ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	if o.status != status.PurchaseOrderPending && o.status != status.PurchaseOrderOnHold {
		return nil, invalid("", MsgCannotIssue)
	}
	return []domain.Event{OrderIssued{PK: o.pk, From: o.status, IssueDate: today}}, nil
}

// Hold decides putting the order on hold (can_hold: pending or placed).
func (o *PurchaseOrder) Hold() ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	if o.status != status.PurchaseOrderPending && o.status != status.PurchaseOrderPlaced {
		return nil, invalid("", MsgCannotHold)
	}
	return []domain.Event{OrderHeld{PK: o.pk, From: o.status}}, nil
}

// Cancel decides cancelling the order (can_cancel: it is open).
func (o *PurchaseOrder) Cancel() ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	if !o.status.Open() {
		return nil, invalid("", MsgCannotCancel)
	}
	return []domain.Event{OrderCancelled{PK: o.pk, From: o.status}}, nil
}

// PendingLines counts the lines not fully received (pending_line_items).
func (o *PurchaseOrder) PendingLines() int {
	n := 0
	for _, l := range o.lines {
		if !l.Complete() {
			n++
		}
	}
	return n
}

// Complete decides completing the order on date today. With lines still outstanding
// it needs acceptIncomplete; only a placed order completes (_action_complete), and a
// complete order stays as it is, with no event.
func (o *PurchaseOrder) Complete(acceptIncomplete bool, today string) ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.notFound()
	}
	pending := o.PendingLines()
	if !acceptIncomplete && pending > 0 {
		return nil, invalid("accept_incomplete", MsgIncompleteLines)
	}
	if o.status == status.PurchaseOrderComplete {
		// Already done, typically by receiving the last items (auto-complete): nothing
		// to record. Clients complete after receiving everything (inventree-python's
		// receiveAll, then complete), and InvenTree answers them 201.
		return nil, nil
	}
	if o.status != status.PurchaseOrderPlaced {
		return nil, invalid("", MsgCannotComplete)
	}
	return []domain.Event{OrderCompleted{PK: o.pk, From: o.status, CompleteDate: today, AcceptIncomplete: pending > 0}}, nil
}
