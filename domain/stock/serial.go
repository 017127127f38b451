package stock

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// MaxSerialize is the most serial numbers one request may create (InvenTree:
// extract_serial_numbers, "Cannot serialize more than 1000 items at once").
const MaxSerialize = 1000

// SerialError lists what is wrong with a serial number expression, in InvenTree's
// words. Callers place the messages on the request fields InvenTree uses: creating
// stock puts them on both quantity and serial_numbers (stock/api.py StockList.create),
// serializing on serial_numbers (SerializeStockItemSerializer.validate).
type SerialError struct {
	Messages []string
	// OnQuantity is set when InvenTree reports the problem on the quantity field only
	// (too many serial numbers at once).
	OnQuantity bool
}

func (e *SerialError) Error() string { return "serial numbers: " + strings.Join(e.Messages, "; ") }

var (
	serialSeparators = regexp.MustCompile(`[\s,]+`)
	trailingNumber   = regexp.MustCompile(`^(.*?)(\d+)?$`)
	leadingDigits    = regexp.MustCompile(`^(\d+)`)
	trailingDigits   = regexp.MustCompile(`(\d+)$`)
)

// ExtractSerialNumbers expands a serial number expression into the list of serial
// numbers it names, as InvenTree's extract_serial_numbers does:
//
//   - serials separated by commas or whitespace: "1, 2, 3"
//   - ranges: "1-5" (each value the increment of the one before)
//   - "~" for the next serial after latest (the part tree's highest serial, "" if
//     none), replaced before anything else: "~+" or "~, ~"
//   - "<start>+" for as many as are still needed from start, "<start>+<n>" for start
//     and the n values after it
//
// When the expression has exactly quantity groups, each group is taken literally
// (so "AF5-69H" is a serial, not a range). The result must have exactly quantity
// unique serials.
func ExtractSerialNumbers(expr string, quantity int, latest string) ([]string, error) {
	if quantity > MaxSerialize {
		return nil, &SerialError{Messages: []string{"Cannot serialize more than 1000 items at once"}, OnQuantity: true}
	}
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, &SerialError{Messages: []string{"Empty serial number string"}}
	}
	// InvenTree starts from increment(None) = "1" when the tree has no serials, so the
	// first "~" of an empty tree is "2". Kept for compatibility.
	start := latest
	if start == "" {
		start = IncrementSerial("")
	}
	next := IncrementSerial(start)
	for strings.Contains(expr, "~") && next != "" {
		expr = strings.Replace(expr, "~", next, 1)
		next = IncrementSerial(next)
	}
	groups := serialSeparators.Split(expr, -1)

	var serials, errs []string
	addError := func(msg string) {
		if !slices.Contains(errs, msg) {
			errs = append(errs, msg)
		}
	}
	addSerial := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		if slices.Contains(serials, s) {
			addError("Duplicate serial: " + s)
			return
		}
		serials = append(serials, s)
	}

	if len(groups) == quantity {
		for _, g := range groups {
			addSerial(g)
		}
		if len(errs) > 0 {
			return nil, &SerialError{Messages: errs}
		}
		return serials, nil
	}

	for _, group := range groups {
		remaining := quantity - len(serials)
		group = strings.TrimSpace(group)
		switch {
		case strings.Contains(group, "-"):
			parts := strings.Split(group, "-")
			if len(parts) != 2 {
				addSerial(group) // another number of hyphens: a serial of its own
				continue
			}
			a, b := parts[0], parts[1]
			if a == b {
				addError("Invalid group: " + group)
				continue
			}
			var items []string
			count := 0
			for v := a; !slices.Contains(items, v); {
				items = append(items, v)
				count++
				v = IncrementSerial(v)
				if v == b {
					items = append(items, b)
					break
				}
				if count > remaining {
					break
				}
			}
			switch {
			case len(items) > remaining:
				addError(fmt.Sprintf("Group range %s exceeds allowed quantity (%d)", group, quantity))
			case len(items) > 0 && items[0] == a && items[len(items)-1] == b:
				for _, s := range items {
					addSerial(s)
				}
			default:
				addError("Invalid group: " + group)
			}
		case strings.Contains(group, "+"):
			parts := strings.Split(group, "+")
			count := max(0, quantity-len(serials))
			if len(parts) > 2 {
				addError("Invalid group: " + group)
				continue
			}
			if parts[1] != "" {
				n, err := strconv.Atoi(parts[1])
				if err != nil {
					addError("Invalid group: " + group)
					continue
				}
				count = n + 1
			}
			var items []string
			for v := parts[0]; !slices.Contains(items, v) && len(items) < count; v = IncrementSerial(v) {
				items = append(items, v)
			}
			if len(items) != count {
				addError("Invalid group: " + group)
				continue
			}
			for _, s := range items {
				addSerial(s)
			}
		default:
			addSerial(group)
		}
	}
	if len(errs) > 0 {
		return nil, &SerialError{Messages: errs}
	}
	if len(serials) == 0 {
		return nil, &SerialError{Messages: []string{"No serial numbers found"}}
	}
	if len(serials) != quantity {
		return nil, &SerialError{Messages: []string{fmt.Sprintf("Number of unique serial numbers (%d) must match quantity (%d)", len(serials), quantity)}}
	}
	return serials, nil
}

// IncrementSerial is the serial number after s, as InvenTree's increment: the trailing
// number is increased keeping its width ("001" -> "002", "AB01" -> "AB02"); a value
// without a trailing number is returned unchanged; "" gives "1".
func IncrementSerial(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "1"
	}
	m := trailingNumber.FindStringSubmatch(s)
	prefix, number := m[1], m[2]
	if number == "" {
		return prefix
	}
	n, ok := new(big.Int).SetString(number, 10)
	if !ok {
		return prefix + number
	}
	next := n.Add(n, big.NewInt(1)).String()
	if len(next) < len(number) {
		next = strings.Repeat("0", len(number)-len(next)) + next
	}
	return prefix + next
}

// serialIntClip is the largest serial_int InvenTree stores (0x7FFFFFFF).
const serialIntClip = 0x7FFFFFFF

// SerialInt is the integer InvenTree sorts serial numbers by (StockItem.serial_int,
// from update_serial_number and extract_int): the serial as an integer if it is one
// ("-123" gives 123), hexadecimal after "0x", else its leading digits, else its
// trailing digits, else 0; clipped to 0x7FFFFFFF.
func SerialInt(serial string) int64 {
	s := strings.TrimSpace(serial)
	if s == "" {
		return 0
	}
	clip := func(v *big.Int) int64 {
		if v.Sign() < 0 {
			if v.Cmp(big.NewInt(-serialIntClip)) < 0 {
				return 0 // InvenTree clips to -0x7FFFFFFF, then stores 0 for values <= 0
			}
			v = new(big.Int).Neg(v)
		}
		if v.Cmp(big.NewInt(serialIntClip)) > 0 {
			return serialIntClip
		}
		return v.Int64()
	}
	if v, ok := pythonInt(s); ok {
		return clip(v)
	}
	if strings.HasPrefix(s, "0x") {
		if v, ok := new(big.Int).SetString(s[2:], 16); ok {
			return clip(v)
		}
	}
	if m := leadingDigits.FindStringSubmatch(s); m != nil {
		v, _ := new(big.Int).SetString(m[1], 10)
		return clip(v)
	}
	if m := trailingDigits.FindStringSubmatch(s); m != nil {
		v, _ := new(big.Int).SetString(m[1], 10)
		return clip(v)
	}
	return 0
}

// pythonInt parses s as Python's int() does for base 10: an optional sign, digits, and
// single underscores between digits.
func pythonInt(s string) (*big.Int, bool) {
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return nil, false
	}
	v, ok := new(big.Int).SetString(strings.ReplaceAll(body, "_", ""), 10)
	if !ok {
		return nil, false
	}
	if s[0] == '-' {
		v.Neg(v)
	}
	return v, true
}
