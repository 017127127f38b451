package part

import (
	"fmt"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
)

// Change is one field's old and new value in an update event, so the audit trail reads
// "from X to Y" without replaying the stream.
type Change[T any] struct {
	Old T `json:"old"`
	New T `json:"new"`
}

// change returns a Change when old and new differ, nil otherwise.
func change[T comparable](old, new T) *Change[T] {
	if old == new {
		return nil
	}
	return &Change[T]{Old: old, New: new}
}

// decimalChange compares by value: "1.0" and "1" are the same quantity.
func decimalChange(old, new decimal.Decimal) *Change[decimal.Decimal] {
	if old.Equal(new) {
		return nil
	}
	return &Change[decimal.Decimal]{Old: old, New: new}
}

// DRF's wording, which InvenTree clients see for these field errors.
const (
	msgBlank    = "This field may not be blank."
	msgNegative = "Ensure this value is greater than or equal to 0."
)

func msgTooLong(max int) string {
	return fmt.Sprintf("Ensure this field has no more than %d characters.", max)
}

// checkLength records a violation when v has more than max characters. Lengths are in
// characters, as Django counts them, not bytes.
func checkLength(errs *domain.RuleError, field, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		errs.Add(field, msgTooLong(max))
	}
}

// checkRequired records a violation when a required text field is empty.
func checkRequired(errs *domain.RuleError, field, v string) {
	if v == "" {
		errs.Add(field, msgBlank)
	}
}
