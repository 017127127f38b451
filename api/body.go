package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/stockledger/stockledger/domain"
)

// DRF's field messages, word for word: clients and InvenTree's tests compare them.
const (
	msgRequired       = "This field is required."
	msgNull           = "This field may not be null."
	msgBlank          = "This field may not be blank."
	msgNotString      = "Not a valid string."
	msgNotInteger     = "A valid integer is required."
	msgNotNumber      = "A valid number is required."
	msgNotBoolean     = "Must be a valid boolean."
	msgTooLong        = "String value too large."
	msgDateFormat     = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
	msgEmptyList      = "This list may not be empty."
	msgNoData         = "No data provided"
	msgNullCharacters = "Null characters are not allowed."
	maxNumberTextSize = 1000 // DRF's MAX_STRING_LENGTH for numbers sent as text
)

// body is a request's JSON object, read field by field with the coercions DRF applies
// (integers and decimals may come as strings, booleans as "true"/1/"True", an empty
// string is a null pk, ...). A reader that meets a bad value records DRF's message
// for that field and carries on, so one response lists every bad field: read all
// fields, then return b.err(), which fail answers with 400 {"field": ["message"]}.
//
// Readers return the value and whether there was one: false when the field is absent,
// null, or invalid. Unknown fields are ignored, as DRF ignores them.
type body struct {
	raw map[string]json.RawMessage
	// path is where this object sits in the request: "" at the top, "items.2" for
	// the third element of items.
	path string
	// partial: a PATCH, where absent required fields are fine.
	partial bool
	// unreadable: the element was not an object (already reported); its fields are
	// not reported again.
	unreadable bool
	errs       *domain.RuleError // shared with nested objects
}

// decodeBody reads the request body as one object. It accepts JSON (what InvenTree's
// clients send) and application/x-www-form-urlencoded fields (strings, coerced like
// JSON strings), as DRF's parsers do; multipart/form-data waits for the file uploads
// that need it (415 until then). An empty body is an empty object. The error is a
// RequestError for a body that cannot be parsed (400 JSON parse error, 413, 415) and
// a RuleError when the body is not an object.
func (s *server) decodeBody(r *http.Request) (*body, error) {
	raw, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	return decodeObject(r, raw)
}

// decodeBodyList reads a body that may be one object or a list of them, for the
// endpoints where InvenTree creates many at once from a JSON array. Elements of a list
// report their violations under their index, and fail renders those as a list; the
// elements share one set of violations, so any element's err() is the request's.
func (s *server) decodeBodyList(r *http.Request) ([]*body, error) {
	raw, err := s.readBody(r)
	if err != nil {
		return nil, err
	}
	if kindOf(raw) != kindArray {
		b, err := decodeObject(r, raw)
		if err != nil {
			return nil, err
		}
		return []*body{b}, nil
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, jsonParseError(err)
	}
	root := newBody(r)
	out := make([]*body, 0, len(elems))
	for i, e := range elems {
		b := &body{raw: map[string]json.RawMessage{}, path: strconv.Itoa(i), partial: root.partial, errs: root.errs}
		if kindOf(e) != kindObject {
			b.invalid("", "Invalid data. Expected a dictionary, but got "+pyType(e)+".")
			b.unreadable = true
		} else if err := json.Unmarshal(e, &b.raw); err != nil {
			return nil, jsonParseError(err)
		}
		out = append(out, b)
	}
	return out, nil
}

// decodeObject reads raw as the request's top-level object.
func decodeObject(r *http.Request, raw json.RawMessage) (*body, error) {
	b := newBody(r)
	switch kindOf(raw) {
	case kindObject:
		if err := json.Unmarshal(raw, &b.raw); err != nil {
			return nil, jsonParseError(err)
		}
		return b, nil
	case kindNull:
		return nil, domain.Invalid("", msgNoData)
	default:
		return nil, domain.Invalid("", "Invalid data. Expected a dictionary, but got "+pyType(raw)+".")
	}
}

// jsonParseError is DRF's answer to a body that is not JSON.
func jsonParseError(err error) *RequestError {
	return &RequestError{Status: http.StatusBadRequest, Detail: "JSON parse error - " + err.Error()}
}

func newBody(r *http.Request) *body {
	return &body{raw: map[string]json.RawMessage{}, partial: r.Method == http.MethodPatch, errs: &domain.RuleError{}}
}

// readBody returns the body as JSON: JSON as sent, form fields as an object of
// strings, an empty body as {}.
func (s *server) readBody(r *http.Request) (json.RawMessage, error) {
	if r.Body == nil {
		return json.RawMessage("{}"), nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return json.RawMessage("{}"), nil
	}
	ct := r.Header.Get("Content-Type")
	mediaType, _, _ := mime.ParseMediaType(ct)
	switch mediaType {
	case "application/json":
		if !json.Valid(data) {
			var v any
			err := json.Unmarshal(data, &v)
			if err == nil { // valid JSON followed by more
				err = errors.New("extra data after the JSON value")
			}
			return nil, jsonParseError(err)
		}
		return data, nil
	case "application/x-www-form-urlencoded":
		values, err := url.ParseQuery(string(data))
		if err != nil {
			return nil, &RequestError{Status: http.StatusBadRequest, Detail: "Form parse error - " + err.Error()}
		}
		return formObject(values)
	}
	return nil, &RequestError{Status: http.StatusUnsupportedMediaType, Detail: fmt.Sprintf("Unsupported media type \"%s\" in request.", ct)}
}

// formObject turns form fields into a JSON object of strings; like Django's QueryDict,
// a repeated field keeps its last value.
func formObject(values url.Values) (json.RawMessage, error) {
	obj := make(map[string]string, len(values))
	for k, v := range values {
		if len(v) > 0 {
			obj[k] = v[len(v)-1]
		}
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encode form: %w", err)
	}
	return data, nil
}

// fieldRules are the checks DRF makes on a field besides its type.
type fieldRules struct {
	required, null, blank, nonEmpty bool
	maxLength                       int
	min, max                        *int64
	maxDigits, decimalPlaces        int
}

// fieldOpt is one of those checks, passed to a reader: b.decimal("quantity",
// required, minValue(0)).
type fieldOpt interface{ apply(*fieldRules) }

// fieldFlag is a yes/no check.
type fieldFlag int

const (
	// required: absent gives "This field is required." (except in a PATCH).
	required fieldFlag = iota + 1
	// nullable: null is accepted (DRF's allow_null); the reader returns no value.
	nullable
	// allowBlank: "" is accepted for a string (DRF's allow_blank).
	allowBlank
	// nonEmpty: a list must have an element ("This list may not be empty.").
	nonEmpty
)

func (f fieldFlag) apply(r *fieldRules) {
	switch f {
	case required:
		r.required = true
	case nullable:
		r.null = true
	case allowBlank:
		r.blank = true
	case nonEmpty:
		r.nonEmpty = true
	}
}

// maxLength bounds a string's length in characters.
type maxLength int

func (n maxLength) apply(r *fieldRules) { r.maxLength = int(n) }

// minValue bounds a number from below ("Ensure this value is greater than or equal
// to N.").
type minValue int64

func (v minValue) apply(r *fieldRules) { x := int64(v); r.min = &x }

// maxValue bounds a number from above.
type maxValue int64

func (v maxValue) apply(r *fieldRules) { x := int64(v); r.max = &x }

// digits is a decimal's max_digits and decimal_places (InvenTree's quantities are
// digits{15, 5}).
type digits struct{ max, places int }

func (d digits) apply(r *fieldRules) { r.maxDigits, r.decimalPlaces = d.max, d.places }

func rulesOf(opts []fieldOpt) fieldRules {
	var r fieldRules
	for _, o := range opts {
		o.apply(&r)
	}
	return r
}

// fieldPath is name's dotted path in the request.
func (b *body) fieldPath(name string) string {
	if b.path == "" {
		return name
	}
	return b.path + "." + name
}

// invalid records a violation on the field name of this object; "" is the object as a
// whole (non_field_errors).
func (b *body) invalid(name, message string) {
	switch {
	case name != "":
		b.errs.Add(b.fieldPath(name), message)
	case b.path != "":
		b.errs.Add(b.fieldPath("non_field_errors"), message)
	default:
		b.errs.Add("", message)
	}
}

// err is every violation recorded by this body and the objects nested in it, or nil.
func (b *body) err() error { return b.errs.Err() }

// has reports whether the field is in the request, null included: in a PATCH, what is
// absent stays as it is.
func (b *body) has(name string) bool {
	_, ok := b.raw[name]
	return ok
}

// isNull reports whether the field is present and null.
func (b *body) isNull(name string) bool {
	raw, ok := b.raw[name]
	return ok && kindOf(raw) == kindNull
}

// json returns the field's raw JSON, for free-form fields (metadata, notes as JSON).
func (b *body) json(name string, opts ...fieldOpt) (json.RawMessage, bool) {
	raw, _, ok := b.value(name, rulesOf(opts))
	return raw, ok
}

// value applies the presence rules (required, null) and returns what there is to read.
func (b *body) value(name string, r fieldRules) (json.RawMessage, jsonKind, bool) {
	raw, ok := b.raw[name]
	if b.unreadable {
		return nil, 0, false
	}
	if !ok {
		if r.required && !b.partial {
			b.invalid(name, msgRequired)
		}
		return nil, 0, false
	}
	k := kindOf(raw)
	if k == kindNull {
		if !r.null {
			b.invalid(name, msgNull)
		}
		return nil, k, false
	}
	return raw, k, true
}

// str reads a string (DRF's CharField: numbers are taken as their text, whitespace is
// trimmed, "" needs allowBlank).
func (b *body) str(name string, opts ...fieldOpt) (string, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return "", false
	}
	if k != kindString && k != kindNumber {
		b.invalid(name, msgNotString)
		return "", false
	}
	v := strings.TrimSpace(scalarText(raw))
	if strings.ContainsRune(v, 0) {
		b.invalid(name, msgNullCharacters)
		return "", false
	}
	if v == "" && !r.blank {
		b.invalid(name, msgBlank)
		return "", false
	}
	if r.maxLength > 0 && utf8.RuneCountInString(v) > r.maxLength {
		b.invalid(name, fmt.Sprintf("Ensure this field has no more than %d characters.", r.maxLength))
		return "", false
	}
	return v, true
}

// reIntegral is what DRF strips before int(): a fraction of zeros ("12.0" is 12).
var reIntegral = regexp.MustCompile(`\.0*\s*$`)

// integer reads an integer (DRF's IntegerField: 12, "12", "12.0" and 12.0 are 12).
func (b *body) integer(name string, opts ...fieldOpt) (int64, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return 0, false
	}
	if k == kindString && len(scalarText(raw)) > maxNumberTextSize {
		b.invalid(name, msgTooLong)
		return 0, false
	}
	n, ok := parseInteger(raw, k)
	if !ok {
		b.invalid(name, msgNotInteger)
		return 0, false
	}
	if !b.inRange(name, decimal.NewFromInt(n), r) {
		return 0, false
	}
	return n, true
}

// parseInteger reads a JSON number or string as DRF's IntegerField does.
func parseInteger(raw json.RawMessage, k jsonKind) (int64, bool) {
	switch k {
	case kindString:
		s := scalarText(raw)
		if len(s) > maxNumberTextSize {
			return 0, false
		}
		n, err := strconv.ParseInt(strings.TrimSpace(reIntegral.ReplaceAllString(s, "")), 10, 64)
		return n, err == nil
	case kindNumber:
		d, err := decimal.NewFromString(string(raw))
		// Checked before IntPart: a huge exponent would make it build a huge number.
		if err != nil || d.Exponent() > 18 || !d.Equal(d.Truncate(0)) {
			return 0, false
		}
		n := d.IntPart()
		return n, decimal.NewFromInt(n).Equal(d)
	}
	return 0, false
}

// decimal reads a decimal (DRF's DecimalField: a number or a string).
func (b *body) decimal(name string, opts ...fieldOpt) (decimal.Decimal, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return decimal.Decimal{}, false
	}
	if k == kindString && len(strings.TrimSpace(scalarText(raw))) > maxNumberTextSize {
		b.invalid(name, msgTooLong)
		return decimal.Decimal{}, false
	}
	d, ok := parseDecimal(raw, k)
	if !ok {
		b.invalid(name, msgNotNumber)
		return decimal.Decimal{}, false
	}
	if msg := checkDigits(d, r); msg != "" {
		b.invalid(name, msg)
		return decimal.Decimal{}, false
	}
	if !b.inRange(name, d, r) {
		return decimal.Decimal{}, false
	}
	return d, true
}

func parseDecimal(raw json.RawMessage, k jsonKind) (decimal.Decimal, bool) {
	var text string
	switch k {
	case kindString:
		text = strings.TrimSpace(scalarText(raw))
	case kindNumber:
		text = string(raw)
	default:
		return decimal.Decimal{}, false
	}
	if len(text) > maxNumberTextSize {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(text)
	// A number like 1e999999999 is valid to Python but no quantity; refusing it here
	// keeps anyone from making the server print a billion digits.
	if err != nil || d.Exponent() > maxNumberTextSize || d.Exponent() < -maxNumberTextSize {
		return decimal.Decimal{}, false
	}
	return d, true
}

// checkDigits is DRF's validate_precision: max_digits, decimal_places and the whole
// digits they leave.
func checkDigits(d decimal.Decimal, r fieldRules) string {
	if r.maxDigits == 0 && r.decimalPlaces == 0 {
		return ""
	}
	n := len(strings.TrimPrefix(d.Coefficient().String(), "-"))
	exp := int(d.Exponent())
	var total, whole, places int
	switch {
	case exp >= 0:
		total, whole, places = n+exp, n+exp, 0
	case n > -exp:
		total, whole, places = n, n+exp, -exp
	default:
		total, whole, places = -exp, 0, -exp
	}
	switch {
	case r.maxDigits > 0 && total > r.maxDigits:
		return fmt.Sprintf("Ensure that there are no more than %d digits in total.", r.maxDigits)
	case r.decimalPlaces > 0 && places > r.decimalPlaces:
		return fmt.Sprintf("Ensure that there are no more than %d decimal places.", r.decimalPlaces)
	case r.maxDigits > 0 && r.decimalPlaces > 0 && whole > r.maxDigits-r.decimalPlaces:
		return fmt.Sprintf("Ensure that there are no more than %d digits before the decimal point.", r.maxDigits-r.decimalPlaces)
	}
	return ""
}

func (b *body) inRange(name string, d decimal.Decimal, r fieldRules) bool {
	if r.min != nil && d.LessThan(decimal.NewFromInt(*r.min)) {
		b.invalid(name, fmt.Sprintf("Ensure this value is greater than or equal to %d.", *r.min))
		return false
	}
	if r.max != nil && d.GreaterThan(decimal.NewFromInt(*r.max)) {
		b.invalid(name, fmt.Sprintf("Ensure this value is less than or equal to %d.", *r.max))
		return false
	}
	return true
}

// boolean reads a boolean with DRF's spellings: true, "true", "True", "TRUE", "t",
// "yes", "y", "on", 1, "1" and their false counterparts.
func (b *body) boolean(name string, opts ...fieldOpt) (bool, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return false, false
	}
	var text string
	switch k {
	case kindBool:
		return string(raw) == "true", true
	case kindNumber:
		if d, err := decimal.NewFromString(string(raw)); err == nil && (d.IsZero() || d.Equal(decimal.NewFromInt(1))) {
			return !d.IsZero(), true
		}
	case kindString:
		text = scalarText(raw)
		switch text {
		case "t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1":
			return true, true
		case "f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0":
			return false, true
		case "null", "Null", "NULL", "":
			if r.null {
				return false, false
			}
		}
	}
	b.invalid(name, msgNotBoolean)
	return false, false
}

// reDate is Django's parse_date pattern.
var reDate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)

// date reads a date, YYYY-MM-DD, as midnight UTC.
func (b *body) date(name string, opts ...fieldOpt) (time.Time, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return time.Time{}, false
	}
	if k == kindString {
		if t, ok := parseDate(scalarText(raw)); ok {
			return t, true
		}
	}
	b.invalid(name, msgDateFormat)
	return time.Time{}, false
}

func parseDate(s string) (time.Time, bool) {
	m := reDate.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	d, _ := strconv.Atoi(m[3])
	t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
	// time.Date normalises 2024-02-30 to March; Python refuses it.
	if t.Year() != y || int(t.Month()) != mo || t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

// pk reads a primary key referring to another object (DRF's PrimaryKeyRelatedField:
// 12 or "12"; "" counts as null). With nullable, null gives 0 and false. Whether the
// object exists is for the command to find out: it answers a *domain.NotFoundError
// with Field set, which fail renders as DRF's `Invalid pk "12" - object does not
// exist.`
func (b *body) pk(name string, opts ...fieldOpt) (int64, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return 0, false
	}
	if k == kindString && scalarText(raw) == "" {
		if !r.null {
			b.invalid(name, msgNull)
		}
		return 0, false
	}
	pk, msg := parsePK(raw, k)
	if msg != "" {
		b.invalid(name, msg)
		return 0, false
	}
	return pk, true
}

// parsePK reads one pk value, or says why it is not one. Keys start at 1, so 0 and
// below are objects that do not exist.
func parsePK(raw json.RawMessage, k jsonKind) (int64, string) {
	var pk int64
	switch k {
	case kindNumber:
		n, ok := parseInteger(raw, k)
		if !ok {
			return 0, "Incorrect type. Expected pk value, received " + pyType(raw) + "."
		}
		pk = n
	case kindString:
		n, err := strconv.ParseInt(strings.TrimSpace(scalarText(raw)), 10, 64)
		if err != nil {
			return 0, "Incorrect type. Expected pk value, received str."
		}
		pk = n
	default:
		return 0, "Incorrect type. Expected pk value, received " + pyType(raw) + "."
	}
	if pk <= 0 {
		return 0, fmt.Sprintf("Invalid pk \"%d\" - object does not exist.", pk)
	}
	return pk, ""
}

// pkList reads a list of primary keys (DRF's PrimaryKeyRelatedField(many=True)); its
// errors are on the field itself, not per element, as DRF's are.
func (b *body) pkList(name string, opts ...fieldOpt) ([]int64, bool) {
	r := rulesOf(opts)
	elems, ok := b.list(name, r)
	if !ok {
		return nil, false
	}
	pks := make([]int64, 0, len(elems))
	for _, e := range elems {
		pk, msg := parsePK(e, kindOf(e))
		if msg != "" {
			b.invalid(name, msg)
			return nil, false
		}
		pks = append(pks, pk)
	}
	return pks, true
}

// objects reads a list of objects (a nested serializer with many=True). Each element
// is a body whose violations land under "name.<index>.<field>".
func (b *body) objects(name string, opts ...fieldOpt) ([]*body, bool) {
	r := rulesOf(opts)
	elems, ok := b.list(name, r)
	if !ok {
		return nil, false
	}
	out := make([]*body, 0, len(elems))
	for i, e := range elems {
		child := &body{raw: map[string]json.RawMessage{}, path: b.fieldPath(name) + "." + strconv.Itoa(i), partial: b.partial, errs: b.errs}
		if kindOf(e) != kindObject || json.Unmarshal(e, &child.raw) != nil {
			child.invalid("", "Invalid data. Expected a dictionary, but got "+pyType(e)+".")
			continue
		}
		out = append(out, child)
	}
	return out, len(out) == len(elems)
}

// object reads a nested object (a nested serializer).
func (b *body) object(name string, opts ...fieldOpt) (*body, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return nil, false
	}
	child := &body{raw: map[string]json.RawMessage{}, path: b.fieldPath(name), partial: b.partial, errs: b.errs}
	if k != kindObject || json.Unmarshal(raw, &child.raw) != nil {
		child.invalid("", "Invalid data. Expected a dictionary, but got "+pyType(raw)+".")
		return nil, false
	}
	return child, true
}

// list reads a JSON list's elements.
func (b *body) list(name string, r fieldRules) ([]json.RawMessage, bool) {
	raw, k, ok := b.value(name, r)
	if !ok {
		return nil, false
	}
	var elems []json.RawMessage
	if k != kindArray || json.Unmarshal(raw, &elems) != nil {
		b.invalid(name, fmt.Sprintf("Expected a list of items but got type \"%s\".", pyType(raw)))
		return nil, false
	}
	if r.nonEmpty && len(elems) == 0 {
		b.invalid(name, msgEmptyList)
		return nil, false
	}
	return elems, true
}

// choice reads one of a fixed set of strings (DRF's ChoiceField).
func (b *body) choice(name string, choices []string, opts ...fieldOpt) (string, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return "", false
	}
	text := pyStr(raw, k)
	for _, c := range choices {
		if text == c {
			return c, true
		}
	}
	b.invalid(name, fmt.Sprintf("\"%s\" is not a valid choice.", text))
	return "", false
}

// intChoice reads one of a set of integer codes, such as a status (status.
// StockStatusValid); 10 and "10" are both 10, as DRF compares their text.
func (b *body) intChoice(name string, valid func(int) bool, opts ...fieldOpt) (int, bool) {
	r := rulesOf(opts)
	raw, k, ok := b.value(name, r)
	if !ok {
		return 0, false
	}
	text := pyStr(raw, k)
	if n, err := strconv.Atoi(text); err == nil && strconv.Itoa(n) == text && valid(n) {
		return n, true
	}
	b.invalid(name, fmt.Sprintf("\"%s\" is not a valid choice.", text))
	return 0, false
}

// jsonKind is the kind of a JSON value, told by its first byte.
type jsonKind int

const (
	kindInvalid jsonKind = iota
	kindNull
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

func kindOf(raw json.RawMessage) jsonKind {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return kindInvalid
	}
	switch c := raw[0]; {
	case c == 'n':
		return kindNull
	case c == 't' || c == 'f':
		return kindBool
	case c == '"':
		return kindString
	case c == '[':
		return kindArray
	case c == '{':
		return kindObject
	case c == '-' || (c >= '0' && c <= '9'):
		return kindNumber
	}
	return kindInvalid
}

// pyType is the Python type name DRF's messages give for a JSON value.
func pyType(raw json.RawMessage) string {
	switch kindOf(raw) {
	case kindNull:
		return "NoneType"
	case kindBool:
		return "bool"
	case kindString:
		return "str"
	case kindArray:
		return "list"
	case kindObject:
		return "dict"
	case kindNumber:
		if bytes.ContainsAny(raw, ".eE") {
			return "float"
		}
		return "int"
	}
	return "str"
}

// scalarText is a string's content, or a number's text.
func scalarText(raw json.RawMessage) string {
	var s string
	if kindOf(raw) == kindString && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(raw))
}

// pyStr is str() of the value in Python, as DRF's choice messages print it.
func pyStr(raw json.RawMessage, k jsonKind) string {
	switch k {
	case kindBool:
		if string(raw) == "true" {
			return "True"
		}
		return "False"
	case kindString, kindNumber:
		return scalarText(raw)
	}
	return string(raw)
}
