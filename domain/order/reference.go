package order

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ReferencePattern is InvenTree's PURCHASEORDER_REFERENCE_PATTERN out of the box.
const ReferencePattern = "PO-{ref:04d}"

// MaxReference is the reference field's max_length.
const MaxReference = 64

// referencePattern is construct_format_regex(ReferencePattern): the literal text, and a
// run of digits for the integer field {ref:04d}.
var referencePattern = regexp.MustCompile(`^PO-(\d+)$`)

// refClip is extract_int's clip: reference_int never exceeds it.
const refClip = 0x7FFFFFFF

// Messages of the reference rules.
const (
	// ReferenceIndexingMixin.validate_reference_field, on "reference".
	MsgReferencePattern = "Reference must match required pattern: " + ReferencePattern
	MsgReferenceEmpty   = "Reference field cannot be empty"
	// The unique reference, as Django's validate_unique words it.
	MsgDuplicateReference = "Purchase Order with this Reference already exists."
)

// CheckReference validates a purchase order reference (validate_reference_field and
// the field's max_length) and returns its reference_int, the number orders sort by.
func CheckReference(ref string) (int64, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return 0, invalid("reference", MsgReferenceEmpty)
	}
	if n := utf8.RuneCountInString(ref); n > MaxReference {
		return 0, invalid("reference", fmt.Sprintf("Ensure this value has at most %d characters (it has %d).", MaxReference, n))
	}
	m := referencePattern.FindStringSubmatch(ref)
	if m == nil {
		return 0, invalid("reference", MsgReferencePattern)
	}
	return extractInt(m[1]), nil
}

// ReferenceInt is a reference's reference_int (rebuild_reference_field): the pattern's
// number, else the number the reference starts or ends with, 0 for none.
func ReferenceInt(ref string) int64 {
	if m := referencePattern.FindStringSubmatch(strings.TrimSpace(ref)); m != nil {
		return extractInt(m[1])
	}
	return extractInt(ref)
}

var (
	leadingDigits  = regexp.MustCompile(`^(\d+)`)
	trailingDigits = regexp.MustCompile(`(\d+)$`)
)

// extractInt is InvenTree.helpers.extract_int: the number at the start of s (else at
// its end), clipped at 0x7FFFFFFF.
func extractInt(s string) int64 {
	s = strings.TrimSpace(s)
	m := leadingDigits.FindString(s)
	if m == "" {
		m = trailingDigits.FindString(s)
	}
	if m == "" {
		return 0
	}
	n, err := strconv.ParseUint(m, 10, 64)
	if err != nil || n > refClip {
		return refClip
	}
	return int64(n)
}

// FormatReference renders the pattern with number n: "PO-0007".
func FormatReference(n int64) string { return fmt.Sprintf("PO-%04d", n) }

// NextReference is the reference InvenTree suggests after latest, the reference of the
// order with the highest reference_int (generate_reference, get_next_reference): that
// order's number plus one; the first order's is PO-0001.
func NextReference(latest string, latestInt int64) string {
	if latest == "" {
		return FormatReference(1)
	}
	n := latestInt
	if m := referencePattern.FindStringSubmatch(strings.TrimSpace(latest)); m != nil {
		n = extractInt(m[1])
	}
	if n >= math.MaxInt64-1 {
		return FormatReference(n)
	}
	return FormatReference(n + 1)
}
