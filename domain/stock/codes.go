package stock

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// Messages, in InvenTree's or DRF's wording, that clients read.
const (
	msgBlank            = "This field may not be blank."
	msgNegative         = "Ensure this value is greater than or equal to 0."
	msgNotInStock       = "Stock item is not in stock"
	msgQtyPositive      = "Quantity must be greater than zero"
	msgStructural       = "Structural locations cannot be assigned stock items"
	msgStructuralModel  = "Stock items cannot be located into structural stock locations!"
	msgStructuralAssign = "Cannot assign stock to structural location"
	msgSerialQuantity   = "Quantity must be 1 for item with a serial number"
	msgSerialQtyGT1     = "Serial number cannot be set if quantity greater than 1"
	msgTrackableInteger = "Quantity must be integer value for trackable parts"
	msgVirtualPart      = "Stock item cannot be created for virtual parts"
	msgValidPart        = "Valid part must be supplied"
	msgUnavailable      = "Stock item is unavailable"
	msgCannotMove       = "StockItem cannot be moved as it is not in stock"
)

func msgInvalidPK(pk int64) string {
	return fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", pk)
}

func msgInvalidChoice(v int) string {
	return fmt.Sprintf("\"%d\" is not a valid choice.", v)
}

func msgTooLong(max int) string {
	return fmt.Sprintf("Ensure this field has no more than %d characters.", max)
}

// checkLength records a violation when v has more than max characters, counted as
// Django counts them (characters, not bytes).
func checkLength(errs *domain.RuleError, field, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		errs.Add(field, msgTooLong(max))
	}
}

// checkQuantity applies StockItem.quantity's field rules: DecimalField(max_digits=15,
// decimal_places=5) with MinValueValidator(0), in DRF's words.
func checkQuantity(errs *domain.RuleError, field string, q decimal.Decimal) {
	if q.IsNegative() {
		errs.Add(field, msgNegative)
		return
	}
	checkDigits(errs, field, q, 15, 5)
}

// checkDigits mirrors DRF's DecimalField precision checks.
func checkDigits(errs *domain.RuleError, field string, q decimal.Decimal, maxDigits, places int) {
	s := q.Abs().String() // normalised: no exponent, no trailing zeros after the point
	whole, frac := s, ""
	for i := range len(s) {
		if s[i] == '.' {
			whole, frac = s[:i], s[i+1:]
			break
		}
	}
	if whole == "0" {
		whole = ""
	}
	switch {
	case len(whole)+len(frac) > maxDigits:
		errs.Add(field, "Ensure that there are no more than "+strconv.Itoa(maxDigits)+" digits in total.")
	case len(frac) > places:
		errs.Add(field, "Ensure that there are no more than "+strconv.Itoa(places)+" decimal places.")
	case len(whole) > maxDigits-places:
		errs.Add(field, "Ensure that there are no more than "+strconv.Itoa(maxDigits-places)+" digits before the decimal point.")
	}
}

// checkStatus records a violation for a code that is not a StockStatus.
func checkStatus(errs *domain.RuleError, field string, code status.StockStatus) {
	if !code.Valid() {
		errs.Add(field, msgInvalidChoice(int(code)))
	}
}

// qtyString renders a quantity as InvenTree's DecimalField(decimal_places=5) does in
// messages, e.g. "10.00000".
func qtyString(q decimal.Decimal) string { return q.StringFixed(5) }
