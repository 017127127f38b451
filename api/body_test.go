package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/status"
)

// readField runs one reader on {"f": <raw>} (or {} when raw is "") and returns what it
// read and the violation it recorded.
func readField(t *testing.T, raw string, partial bool, read func(b *body) (any, bool)) (any, bool, string) {
	t.Helper()
	b := &body{raw: map[string]json.RawMessage{}, partial: partial, errs: &domain.RuleError{}}
	if raw != "" {
		b.raw["f"] = json.RawMessage(raw)
	}
	v, ok := read(b)
	var msgs []string
	for _, x := range b.errs.Violations {
		if x.Field != "f" {
			t.Errorf("violation on %q, want f", x.Field)
		}
		msgs = append(msgs, x.Message)
	}
	if ok && len(msgs) > 0 {
		t.Errorf("a value and a violation at once: %v %v", v, msgs)
	}
	return v, ok, strings.Join(msgs, " | ")
}

type fieldCase struct {
	name    string
	raw     string // the field's JSON; "" for absent
	partial bool
	want    any // when ok
	msg     string
}

func runFieldCases(t *testing.T, cases []fieldCase, read func(b *body) (any, bool)) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, msg := readField(t, tt.raw, tt.partial, read)
			if msg != tt.msg {
				t.Errorf("message %q, want %q", msg, tt.msg)
			}
			if tt.msg == "" && tt.want != nil && (!ok || got != tt.want) {
				t.Errorf("got %v (%v), want %v", got, ok, tt.want)
			}
		})
	}
}

func TestBodyInteger(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"number", `12`, false, int64(12), ""},
		{"string", `"12"`, false, int64(12), ""},
		{"spaces", `" 12 "`, false, int64(12), ""},
		{"zero fraction string", `"12.000"`, false, int64(12), ""},
		{"zero fraction number", `12.0`, false, int64(12), ""},
		{"exponent", `1e2`, false, int64(100), ""},
		{"fraction", `12.5`, false, nil, "A valid integer is required."},
		{"word", `"twelve"`, false, nil, "A valid integer is required."},
		{"bool", `true`, false, nil, "A valid integer is required."},
		{"list", `[1]`, false, nil, "A valid integer is required."},
		{"huge exponent", `1e999999999`, false, nil, "A valid integer is required."},
		{"below min", `-1`, false, nil, "Ensure this value is greater than or equal to 0."},
		{"above max", `"101"`, false, nil, "Ensure this value is less than or equal to 100."},
		{"absent", ``, false, nil, "This field is required."},
		{"absent in a PATCH", ``, true, nil, ""},
		{"null", `null`, false, nil, "This field may not be null."},
	}, func(b *body) (any, bool) { return b.integer("f", required, minValue(0), maxValue(100)) })
}

func TestBodyDecimal(t *testing.T) {
	dec := func(b *body) (any, bool) {
		d, ok := b.decimal("f", required, minValue(0), digits{15, 5})
		return d.String(), ok
	}
	runFieldCases(t, []fieldCase{
		{"number", `10.5`, false, "10.5", ""},
		{"string", `"10.00000"`, false, "10", ""},
		{"spaces", `" 3 "`, false, "3", ""},
		{"exponent", `"1e3"`, false, "1000", ""},
		{"leading dot", `".5"`, false, "0.5", ""},
		{"word", `"ten"`, false, nil, "A valid number is required."},
		{"empty", `""`, false, nil, "A valid number is required."},
		{"bool", `false`, false, nil, "A valid number is required."},
		{"object", `{}`, false, nil, "A valid number is required."},
		{"NaN", `"NaN"`, false, nil, "A valid number is required."},
		{"negative", `-1`, false, nil, "Ensure this value is greater than or equal to 0."},
		{"too many places", `"1.123456"`, false, nil, "Ensure that there are no more than 5 decimal places."},
		{"too many digits", `"12345678901234567"`, false, nil, "Ensure that there are no more than 15 digits in total."},
		{"too many whole digits", `"12345678901.5"`, false, nil, "Ensure that there are no more than 10 digits before the decimal point."},
		{"huge exponent", `1e999999999`, false, nil, "A valid number is required."},
		{"absent", ``, false, nil, "This field is required."},
		{"null", `null`, false, nil, "This field may not be null."},
	}, dec)
	runFieldCases(t, []fieldCase{
		{"nullable null", `null`, false, nil, ""},
	}, func(b *body) (any, bool) { return b.decimal("f", nullable) })
}

func TestBodyBoolean(t *testing.T) {
	var cases []fieldCase
	for _, raw := range []string{`true`, `"true"`, `"True"`, `"TRUE"`, `1`, `"1"`, `"yes"`, `"y"`, `"on"`, `"t"`, `1.0`} {
		cases = append(cases, fieldCase{"true " + raw, raw, false, true, ""})
	}
	for _, raw := range []string{`false`, `"false"`, `"False"`, `0`, `"0"`, `"no"`, `"n"`, `"off"`, `"f"`} {
		cases = append(cases, fieldCase{"false " + raw, raw, false, false, ""})
	}
	for _, raw := range []string{`"tRuE"`, `2`, `"maybe"`, `""`, `[]`} {
		cases = append(cases, fieldCase{"bad " + raw, raw, false, nil, "Must be a valid boolean."})
	}
	cases = append(cases, fieldCase{"null", `null`, false, nil, "This field may not be null."})
	runFieldCases(t, cases, func(b *body) (any, bool) { return b.boolean("f") })
	runFieldCases(t, []fieldCase{{"nullable empty", `""`, false, nil, ""}, {"nullable null", `"null"`, false, nil, ""}},
		func(b *body) (any, bool) { return b.boolean("f", nullable) })
}

func TestBodyString(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"string", `"  Widget "`, false, "Widget", ""},
		{"number", `12`, false, "12", ""},
		{"unicode length", `"ääääää"`, false, "ääääää", ""},
		{"too long", `"abcdefg"`, false, nil, "Ensure this field has no more than 6 characters."},
		{"blank", `"   "`, false, nil, "This field may not be blank."},
		{"bool", `true`, false, nil, "Not a valid string."},
		{"object", `{"a": 1}`, false, nil, "Not a valid string."},
		{"absent", ``, false, nil, "This field is required."},
	}, func(b *body) (any, bool) { return b.str("f", required, maxLength(6)) })
	runFieldCases(t, []fieldCase{{"blank allowed", `""`, false, "", ""}},
		func(b *body) (any, bool) { return b.str("f", allowBlank) })
}

func TestBodyDate(t *testing.T) {
	date := func(b *body) (any, bool) {
		d, ok := b.date("f", nullable)
		return d.Format(time.DateOnly), ok
	}
	const wrong = "Date has wrong format. Use one of these formats instead: YYYY-MM-DD."
	runFieldCases(t, []fieldCase{
		{"date", `"2025-01-31"`, false, "2025-01-31", ""},
		{"short month", `"2025-1-5"`, false, "2025-01-05", ""},
		{"not a day", `"2025-02-30"`, false, nil, wrong},
		{"date-time", `"2025-01-31T10:00"`, false, nil, wrong},
		{"slashes", `"31/01/2025"`, false, nil, wrong},
		{"number", `20250131`, false, nil, wrong},
		{"empty", `""`, false, nil, wrong},
		{"null", `null`, false, nil, ""},
	}, date)
}

func TestBodyPK(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"number", `12`, false, int64(12), ""},
		{"string", `"12"`, false, int64(12), ""},
		{"word", `"abc"`, false, nil, "Incorrect type. Expected pk value, received str."},
		{"float", `1.5`, false, nil, "Incorrect type. Expected pk value, received float."},
		{"bool", `true`, false, nil, "Incorrect type. Expected pk value, received bool."},
		{"list", `[1]`, false, nil, "Incorrect type. Expected pk value, received list."},
		{"zero", `0`, false, nil, `Invalid pk "0" - object does not exist.`},
		{"empty is null", `""`, false, nil, "This field may not be null."},
		{"null", `null`, false, nil, "This field may not be null."},
		{"absent", ``, false, nil, "This field is required."},
	}, func(b *body) (any, bool) { return b.pk("f", required) })
	runFieldCases(t, []fieldCase{
		{"nullable empty", `""`, false, nil, ""},
		{"nullable null", `null`, false, nil, ""},
	}, func(b *body) (any, bool) { return b.pk("f", nullable) })
}

func TestBodyChoices(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"number", `10`, false, 10, ""},
		{"string", `"65"`, false, 65, ""},
		{"unknown", `99999`, false, nil, `"99999" is not a valid choice.`},
		{"text", `"OK"`, false, nil, `"OK" is not a valid choice.`},
		{"float", `10.0`, false, nil, `"10.0" is not a valid choice.`},
	}, func(b *body) (any, bool) { return b.intChoice("f", status.StockStatusValid) })
	runFieldCases(t, []fieldCase{
		{"valid", `"trim"`, false, "trim", ""},
		{"invalid", `"cut"`, false, nil, `"cut" is not a valid choice.`},
		{"bool", `true`, false, nil, `"True" is not a valid choice.`},
	}, func(b *body) (any, bool) { return b.choice("f", []string{"reject", "accept", "trim"}) })
}

func TestBodyLists(t *testing.T) {
	runFieldCases(t, []fieldCase{
		{"pks", `[1, "2"]`, false, nil, ""},
		{"not a list", `"1,2"`, false, nil, `Expected a list of items but got type "str".`},
		{"object", `{"a": 1}`, false, nil, `Expected a list of items but got type "dict".`},
		{"empty", `[]`, false, nil, "This list may not be empty."},
		{"bad element", `[1, "x"]`, false, nil, "Incorrect type. Expected pk value, received str."},
	}, func(b *body) (any, bool) { v, ok := b.pkList("f", nonEmpty); return len(v), ok })
}

func TestBodyNestedPaths(t *testing.T) {
	a := newTestAPI(t)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"valid", `{"items": [{"pk": 1, "quantity": "10"}, {"pk": "2", "quantity": 2.5}]}`, 201,
			`{"items": [{"pk": 1, "quantity": "10"}, {"pk": 2, "quantity": "2.5"}]}`},
		{"every bad field at once", `{"items": [{"pk": 1, "quantity": "x"}, {"quantity": -1}], "location": "abc"}`, 400,
			`{"items": [{"quantity": ["A valid number is required."]}, {"pk": ["This field is required."], "quantity": ["Ensure this value is greater than or equal to 0."]}],
			  "location": ["Incorrect type. Expected pk value, received str."]}`},
		{"items missing", `{}`, 400, `{"items": ["This field is required."]}`},
		{"items empty", `{"items": []}`, 400, `{"items": ["This list may not be empty."]}`},
		{"element not an object", `{"items": [{"pk": 1, "quantity": 1}, 5]}`, 400,
			`{"items": [{}, {"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}]}`},
		{"missing object from the command", `{"items": [{"pk": 1, "quantity": 1}, {"pk": 99, "quantity": 1}]}`, 400,
			`{"items": [{}, {"pk": ["Invalid pk \"99\" - object does not exist."]}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantJSON(t, a.do(t, "POST", "/api/widget/action/?format=json", tt.body, token("adder")), tt.status, tt.want)
		})
	}
}

func TestDecodeBody(t *testing.T) {
	a := newTestAPI(t, func(c *Config) { c.MaxBodyBytes = 64 })
	send := func(contentType, body string) response {
		req := httptest.NewRequest("POST", "http://example.com/api/widget/", strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Authorization", "Token super")
		rec := httptest.NewRecorder()
		a.h.ServeHTTP(rec, req)
		return response{rec.Code, rec.Header(), rec.Body.String()}
	}
	got := send("application/json", `{"name": "x",`)
	wantJSON(t, got, 400, "")
	if !strings.HasPrefix(got.json(t).(map[string]any)["detail"].(string), "JSON parse error - ") {
		t.Errorf("parse error body %s", got.body)
	}
	wantJSON(t, send("application/json", `{"name": "x"} {}`), 400, "")
	wantJSON(t, send("application/json; charset=utf-8", `{"name": "x", "quantity": 1}`), 201, `{"name": "x", "quantity": "1"}`)
	wantJSON(t, send("application/json", `[{"name": "x"}]`), 400, `{"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}`)
	wantJSON(t, send("application/json", `null`), 400, `{"non_field_errors": ["No data provided"]}`)
	wantJSON(t, send("", ``), 400, `{"name": ["This field is required."], "quantity": ["This field is required."]}`)
	wantJSON(t, send("text/plain", `name=x`), 415, `{"detail": "Unsupported media type \"text/plain\" in request."}`)
	wantJSON(t, send("application/x-www-form-urlencoded", `name=x&quantity=3.5`), 201, `{"name": "x", "quantity": "3.5"}`)
	wantJSON(t, send("application/json", `{"name": "`+strings.Repeat("x", 100)+`"}`), 413, `{"detail": "Request body too large."}`)
	// A PATCH leaves out what it does not change.
	req := httptest.NewRequest("PATCH", "http://example.com/api/widget/1/", strings.NewReader(`{"name": "y"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Token super")
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	wantJSON(t, response{rec.Code, rec.Header(), rec.Body.String()}, 201, `{"name": "y", "quantity": "0"}`)
}

func TestDecodeBodyList(t *testing.T) {
	a := newTestAPI(t)
	decode := func(body string) ([]*body, error) {
		req := httptest.NewRequest(http.MethodPost, "/api/x/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return a.s.decodeBodyList(req)
	}
	bs, err := decode(`{"test": "a"}`)
	if err != nil || len(bs) != 1 {
		t.Fatalf("one object: %v %v", bs, err)
	}
	bs, err = decode(`[{"test": "a", "value": 1}, {"value": 2}, 3]`)
	if err != nil || len(bs) != 3 {
		t.Fatalf("a list: %v %v", bs, err)
	}
	for _, b := range bs {
		b.str("test", required)
	}
	got, _ := json.Marshal(violationBody(bs[0].err().(*domain.RuleError).Violations))
	want := `[{},{"test":["This field is required."]},{"non_field_errors":["Invalid data. Expected a dictionary, but got int."]}]`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestBodyPresence(t *testing.T) {
	b := &body{raw: map[string]json.RawMessage{
		"notes":    json.RawMessage(`null`),
		"metadata": json.RawMessage(`{"a": [1, 2]}`),
		"address":  json.RawMessage(`{"city": "", "zip": "12"}`),
		"owner":    json.RawMessage(`"x"`),
	}, errs: &domain.RuleError{}}
	if !b.has("notes") || !b.isNull("notes") || b.has("missing") || b.isNull("metadata") {
		t.Error("has/isNull")
	}
	if raw, ok := b.json("metadata"); !ok || string(raw) != `{"a": [1, 2]}` {
		t.Errorf("json = %s %v", raw, ok)
	}
	addr, ok := b.object("address", required)
	if !ok {
		t.Fatal("object")
	}
	addr.str("city")
	addr.integer("zip", required)
	addr.str("street", required)
	b.object("owner")
	b.object("absent", required)
	got, _ := json.Marshal(violationBody(b.err().(*domain.RuleError).Violations))
	want := `{"address":{"city":["This field may not be blank."],"street":["This field is required."]},"owner":{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]},"absent":["This field is required."]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestBodyLongNumbers(t *testing.T) {
	long := `"` + strings.Repeat("1", 1001) + `"`
	runFieldCases(t, []fieldCase{{"long integer", long, false, nil, "String value too large."}},
		func(b *body) (any, bool) { return b.integer("f") })
	runFieldCases(t, []fieldCase{{"long decimal", long, false, nil, "String value too large."}},
		func(b *body) (any, bool) { return b.decimal("f") })
}
