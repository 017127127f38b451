package order

import (
	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
)

// LineFields are a line's stored fields, as a client sets them.
type LineFields struct {
	// SupplierPart is what is ordered ("part" in the API).
	SupplierPart int64           `json:"supplier_part"`
	Quantity     decimal.Decimal `json:"quantity"` // in packs of the supplier part
	Reference    string          `json:"reference"`
	Notes        string          `json:"notes"`
	Link         string          `json:"link"`
	TargetDate   string          `json:"target_date,omitempty"`
	// PurchasePrice is the price of one pack, nil for none.
	PurchasePrice         *decimal.Decimal `json:"purchase_price,omitempty"`
	PurchasePriceCurrency string           `json:"purchase_price_currency"`
	Destination           int64            `json:"destination,omitempty"`
	LineNumber            string           `json:"line"`
	Discount              decimal.Decimal  `json:"discount"`
}

// LinePatch is a partial update of a line.
type LinePatch struct {
	SupplierPart, Destination                                 *int64
	Quantity, Discount                                        *decimal.Decimal
	Reference, Notes, Link, TargetDate, PurchasePriceCurrency *string
	LineNumber                                                *string
	SetPrice                                                  bool
	PurchasePrice                                             *decimal.Decimal
}

// Apply returns f with the patch's fields set.
func (p LinePatch) Apply(f LineFields) LineFields {
	set(&f.SupplierPart, p.SupplierPart)
	set(&f.Destination, p.Destination)
	set(&f.Quantity, p.Quantity)
	set(&f.Discount, p.Discount)
	set(&f.Reference, p.Reference)
	set(&f.Notes, p.Notes)
	set(&f.Link, p.Link)
	set(&f.TargetDate, p.TargetDate)
	set(&f.PurchasePriceCurrency, p.PurchasePriceCurrency)
	set(&f.LineNumber, p.LineNumber)
	if p.SetPrice {
		f.PurchasePrice = p.PurchasePrice
	}
	return f
}

// Line is one line of an order: its fields and what was received against it.
type Line struct {
	PK     int64
	Fields LineFields
	// Received is the number of packs received.
	Received decimal.Decimal

	firstLocation int64 // where its first received items went
}

// Outstanding is what is left to receive, never below zero (remaining()).
func (l Line) Outstanding() decimal.Decimal {
	return decimal.Max(l.Fields.Quantity.Sub(l.Received), decimal.Zero)
}

// Complete reports whether the line is fully received (is_completed()).
func (l Line) Complete() bool { return l.Received.GreaterThanOrEqual(l.Fields.Quantity) }

// LinePartFacts describe a line's supplier part, as the command read them from its
// stream.
type LinePartFacts struct {
	PK       int64
	Exists   bool
	Supplier int64
}

// ExtraLineFields are an extra line's stored fields: a cost that is not a part
// (shipping, a fee).
type ExtraLineFields struct {
	Description   string           `json:"description"`
	Quantity      decimal.Decimal  `json:"quantity"`
	Reference     string           `json:"reference"`
	Notes         string           `json:"notes"`
	Link          string           `json:"link"`
	TargetDate    string           `json:"target_date,omitempty"`
	Price         *decimal.Decimal `json:"price,omitempty"`
	PriceCurrency string           `json:"price_currency"`
	LineNumber    string           `json:"line"`
	Discount      decimal.Decimal  `json:"discount"`
}

// ExtraLinePatch is a partial update of an extra line.
type ExtraLinePatch struct {
	Quantity, Discount                                             *decimal.Decimal
	Description, Reference, Notes, Link, TargetDate, PriceCurrency *string
	LineNumber                                                     *string
	SetPrice                                                       bool
	Price                                                          *decimal.Decimal
}

// Apply returns f with the patch's fields set.
func (p ExtraLinePatch) Apply(f ExtraLineFields) ExtraLineFields {
	set(&f.Quantity, p.Quantity)
	set(&f.Discount, p.Discount)
	set(&f.Description, p.Description)
	set(&f.Reference, p.Reference)
	set(&f.Notes, p.Notes)
	set(&f.Link, p.Link)
	set(&f.TargetDate, p.TargetDate)
	set(&f.PriceCurrency, p.PriceCurrency)
	set(&f.LineNumber, p.LineNumber)
	if p.SetPrice {
		f.Price = p.Price
	}
	return f
}

// LineAdded records a new line. Merged lines are LineUpdated instead.
type LineAdded struct {
	Order  int64      `json:"order"`
	PK     int64      `json:"pk"`
	Fields LineFields `json:"fields"`
}

// LineUpdated records an edit of a line; MergedQuantity is set when a new line of the
// same supplier part was merged into this one (merge_items).
type LineUpdated struct {
	Order          int64            `json:"order"`
	PK             int64            `json:"pk"`
	Old            LineFields       `json:"old"`
	New            LineFields       `json:"new"`
	MergedQuantity *decimal.Decimal `json:"merged_quantity,omitempty"`
}

// LineRemoved records a line deleted.
type LineRemoved struct {
	Order    int64           `json:"order"`
	PK       int64           `json:"pk"`
	Fields   LineFields      `json:"fields"`
	Received decimal.Decimal `json:"received"`
}

// ExtraLineAdded records a new extra line.
type ExtraLineAdded struct {
	Order  int64           `json:"order"`
	PK     int64           `json:"pk"`
	Fields ExtraLineFields `json:"fields"`
}

// ExtraLineUpdated records an edit of an extra line.
type ExtraLineUpdated struct {
	Order int64           `json:"order"`
	PK    int64           `json:"pk"`
	Old   ExtraLineFields `json:"old"`
	New   ExtraLineFields `json:"new"`
}

// ExtraLineRemoved records an extra line deleted.
type ExtraLineRemoved struct {
	Order  int64           `json:"order"`
	PK     int64           `json:"pk"`
	Fields ExtraLineFields `json:"fields"`
}

func (LineAdded) EventType() string        { return TypeLineAdded }
func (LineUpdated) EventType() string      { return TypeLineUpdated }
func (LineRemoved) EventType() string      { return TypeLineRemoved }
func (ExtraLineAdded) EventType() string   { return TypeExtraLineAdded }
func (ExtraLineUpdated) EventType() string { return TypeExtraLineUpdated }
func (ExtraLineRemoved) EventType() string { return TypeExtraLineRemoved }

// Line is line pk of the order.
func (o *PurchaseOrder) Line(pk int64) (Line, bool) {
	l, ok := o.lines[pk]
	if !ok || !o.Exists() {
		return Line{}, false
	}
	return *l, true
}

// Lines are the order's lines, in the order they were added.
func (o *PurchaseOrder) Lines() []Line {
	var out []Line
	for _, pk := range o.lineOrder {
		if l, ok := o.lines[pk]; ok {
			out = append(out, *l)
		}
	}
	return out
}

// HasExtraLine reports whether pk is one of the order's extra lines.
func (o *PurchaseOrder) HasExtraLine(pk int64) bool {
	_, ok := o.extras[pk]
	return ok && o.Exists()
}

// checkLine applies PurchaseOrderLineItemSerializer's rules to f: a quantity above
// zero, a supplier part that exists and that the order's supplier sells.
func (o *PurchaseOrder) checkLine(f LineFields, part LinePartFacts) error {
	errs := &domain.RuleError{}
	checkQuantity(errs, "quantity", f.Quantity)
	if f.Discount.IsNegative() {
		errs.Add("discount", "Ensure this value is greater than or equal to 0.")
	}
	checkDate(errs, "target_date", f.TargetDate)
	switch {
	case f.SupplierPart == 0:
		errs.Add("part", "Supplier part must be specified")
	case !part.Exists:
		errs.Add("part", invalidPK(f.SupplierPart))
	case part.Supplier != o.fields.Supplier:
		errs.Add("part", MsgSupplierMismatch)
		errs.Add("order", MsgOrderMismatch)
	}
	return errs.Err()
}

// orderRequired is the refusal of a line write to an order that does not exist, on the
// line's "order" field.
func (o *PurchaseOrder) orderRequired() error {
	return &domain.NotFoundError{Kind: "PurchaseOrder", ID: o.pk, Field: "order"}
}

// AddLine decides a new line pk. With merge (merge_items, on by default), a line of the
// same supplier part, target date and destination takes the quantity instead, and its
// pk is returned (PurchaseOrderLineItemList.create).
func (o *PurchaseOrder) AddLine(pk int64, f LineFields, part LinePartFacts, merge bool) ([]domain.Event, int64, error) {
	if !o.Exists() {
		return nil, 0, o.orderRequired()
	}
	if err := o.checkLine(f, part); err != nil {
		return nil, 0, err
	}
	if o.locked() {
		return nil, 0, invalid("reference", MsgLineLocked)
	}
	if merge {
		for _, other := range o.Lines() {
			of := other.Fields
			if of.SupplierPart == f.SupplierPart && of.TargetDate == f.TargetDate && of.Destination == f.Destination {
				nf := of
				nf.Quantity = of.Quantity.Add(f.Quantity)
				q := f.Quantity
				return []domain.Event{LineUpdated{Order: o.pk, PK: other.PK, Old: of, New: nf, MergedQuantity: &q}}, other.PK, nil
			}
		}
	}
	return []domain.Event{LineAdded{Order: o.pk, PK: pk, Fields: f}}, pk, nil
}

// UpdateLine decides an edit of line pk; part describes the line's supplier part
// after it.
func (o *PurchaseOrder) UpdateLine(pk int64, p LinePatch, part LinePartFacts) ([]domain.Event, error) {
	l, ok := o.Line(pk)
	if !ok {
		return nil, &domain.NotFoundError{Kind: "PurchaseOrderLineItem", ID: pk}
	}
	f := p.Apply(l.Fields)
	if sameLine(f, l.Fields) {
		return nil, nil
	}
	if err := o.checkLine(f, part); err != nil {
		return nil, err
	}
	if o.locked() {
		return nil, invalid("reference", MsgLineLocked)
	}
	return []domain.Event{LineUpdated{Order: o.pk, PK: pk, Old: l.Fields, New: f}}, nil
}

func sameLine(a, b LineFields) bool {
	ap, bp := a.PurchasePrice, b.PurchasePrice
	aq, bq, ad, bd := a.Quantity, b.Quantity, a.Discount, b.Discount
	a.PurchasePrice, b.PurchasePrice = nil, nil
	a.Quantity, b.Quantity, a.Discount, b.Discount = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	return a == b && samePrice(ap, bp) && aq.Equal(bq) && ad.Equal(bd)
}

func samePrice(a, b *decimal.Decimal) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

// RemoveLine decides the deletion of line pk. The stock received against it keeps its
// order.
func (o *PurchaseOrder) RemoveLine(pk int64) ([]domain.Event, error) {
	l, ok := o.Line(pk)
	if !ok {
		return nil, &domain.NotFoundError{Kind: "PurchaseOrderLineItem", ID: pk}
	}
	if o.locked() {
		return nil, invalid("reference", MsgLineLocked)
	}
	return []domain.Event{LineRemoved{Order: o.pk, PK: pk, Fields: l.Fields, Received: l.Received}}, nil
}

func checkExtraLine(f ExtraLineFields) error {
	errs := &domain.RuleError{}
	if f.Quantity.IsNegative() {
		errs.Add("quantity", "Ensure this value is greater than or equal to 0.")
	}
	checkDate(errs, "target_date", f.TargetDate)
	return errs.Err()
}

// AddExtraLine decides a new extra line pk.
func (o *PurchaseOrder) AddExtraLine(pk int64, f ExtraLineFields) ([]domain.Event, error) {
	if !o.Exists() {
		return nil, o.orderRequired()
	}
	if err := checkExtraLine(f); err != nil {
		return nil, err
	}
	if o.locked() {
		return nil, invalid("reference", MsgLineLocked)
	}
	return []domain.Event{ExtraLineAdded{Order: o.pk, PK: pk, Fields: f}}, nil
}

// UpdateExtraLine decides an edit of extra line pk.
func (o *PurchaseOrder) UpdateExtraLine(pk int64, p ExtraLinePatch) ([]domain.Event, error) {
	old, ok := o.extras[pk]
	if !ok || !o.Exists() {
		return nil, &domain.NotFoundError{Kind: "PurchaseOrderExtraLine", ID: pk}
	}
	f := p.Apply(old)
	if sameExtra(f, old) {
		return nil, nil
	}
	if err := checkExtraLine(f); err != nil {
		return nil, err
	}
	if o.locked() {
		return nil, invalid("reference", MsgLineLocked)
	}
	return []domain.Event{ExtraLineUpdated{Order: o.pk, PK: pk, Old: old, New: f}}, nil
}

func sameExtra(a, b ExtraLineFields) bool {
	ap, bp := a.Price, b.Price
	aq, bq, ad, bd := a.Quantity, b.Quantity, a.Discount, b.Discount
	a.Price, b.Price = nil, nil
	a.Quantity, b.Quantity, a.Discount, b.Discount = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	return a == b && samePrice(ap, bp) && aq.Equal(bq) && ad.Equal(bd)
}

// RemoveExtraLine decides the deletion of extra line pk.
func (o *PurchaseOrder) RemoveExtraLine(pk int64) ([]domain.Event, error) {
	f, ok := o.extras[pk]
	if !ok || !o.Exists() {
		return nil, &domain.NotFoundError{Kind: "PurchaseOrderExtraLine", ID: pk}
	}
	if o.locked() {
		return nil, invalid("reference", MsgLineLocked)
	}
	return []domain.Event{ExtraLineRemoved{Order: o.pk, PK: pk, Fields: f}}, nil
}
