package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stockledger/stockledger/domain"
)

func TestTreeOrdering(t *testing.T) {
	for _, tc := range []struct{ param, want string }{
		{"", "level"},
		{"bogus", "level"},
		{"name", "name"},
		{"-sublocations, name", "-sublocations,name"},
		{"pk,-level", "-level"},
	} {
		if got := treeOrdering(tc.param); got != tc.want {
			t.Errorf("treeOrdering(%q) = %q, want %q", tc.param, got, tc.want)
		}
	}
}

func TestIsNullText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{{"null", true}, {"NULL", true}, {"none", true}, {"top", true}, {"-1", true}, {"false", true}, {"12", false}, {"nil", false}} {
		if got := isNullText(tc.in); got != tc.want {
			t.Errorf("isNullText(%q) = %v", tc.in, got)
		}
	}
}

// stockBodyOf decodes a JSON request body the way the handlers do.
func stockBodyOf(t *testing.T, method, js string) *body {
	t.Helper()
	r := httptest.NewRequest(method, "/", strings.NewReader(js))
	r.Header.Set("Content-Type", "application/json")
	s := &server{cfg: Config{MaxBodyBytes: 1 << 20}}
	b, err := s.decodeBody(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The delete options count only what str(value) == '1' accepts.
func TestPyStrIsOne(t *testing.T) {
	for _, tc := range []struct {
		js   string
		want bool
	}{
		{`{"x": 1}`, true}, {`{"x": "1"}`, true}, {`{"x": true}`, false}, {`{"x": "true"}`, false},
		{`{"x": 1.0}`, false}, {`{"x": 0}`, false}, {`{}`, false}, {`{"x": null}`, false},
	} {
		if got := stockBodyOf(t, http.MethodDelete, tc.js).pyStrIsOne("x"); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.js, got, tc.want)
		}
	}
}

// An adjustment line echoes as DRF renders it: five-place quantity, status null when
// not given, merge false by default; an empty batch is echoed but changes nothing.
func TestReadAdjustEcho(t *testing.T) {
	for _, tc := range []struct {
		name, js, echo string
		batch          bool
	}{
		{"plain", `{"items": [{"pk": 3, "quantity": 2}]}`, `{"items":[{"pk":3,"quantity":"2.00000","status":null,"merge":false}]}`, false},
		{"fields", `{"items": [{"pk": "3", "quantity": "0.5", "batch": "B", "status": "50", "packaging": "", "merge": true}], "notes": "n"}`,
			`{"items":[{"pk":3,"quantity":"0.50000","batch":"B","status":50,"packaging":"","merge":true}],"notes":"n"}`, true},
		{"blank status and batch", `{"items": [{"pk": 3, "quantity": 1, "status": "", "batch": ""}]}`,
			`{"items":[{"pk":3,"quantity":"1.00000","batch":"","status":null,"merge":false}]}`, false},
	} {
		b := stockBodyOf(t, http.MethodPost, tc.js)
		req := readAdjust(b, adjustPlain)
		if err := b.err(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		got, _ := json.Marshal(req.echo)
		if string(got) != tc.echo {
			t.Errorf("%s: echo %s, want %s", tc.name, got, tc.echo)
		}
		if (req.lines[0].Batch != nil) != tc.batch || (tc.name == "blank status and batch" && req.lines[0].Status != nil) {
			t.Errorf("%s: line %+v", tc.name, req.lines[0])
		}
	}
}

// Item errors list every item of the request, {} for the good ones.
func TestItemsErrorPadsTheList(t *testing.T) {
	rec := httptest.NewRecorder()
	err := itemsError(rec, &domain.RuleError{Violations: []domain.Violation{
		{Field: "items.1.quantity", Message: "bad"},
		{Field: "location", Message: "gone"},
	}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"items":[{},{"quantity":["bad"]},{},{}],"location":["gone"]}`
	if rec.Code != http.StatusBadRequest || rec.Body.String() != want {
		t.Errorf("%d %s, want 400 %s", rec.Code, rec.Body, want)
	}
	// Anything else is left to fail.
	other := &domain.NotFoundError{Kind: "StockItem", ID: 1}
	if err := itemsError(httptest.NewRecorder(), other, 1); err != other {
		t.Errorf("itemsError passed %v on as %v", other, err)
	}
}
