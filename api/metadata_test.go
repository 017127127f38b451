package api

import (
	"encoding/json"
	"testing"
)

func TestOptionsList(t *testing.T) {
	a := newTestAPI(t)
	got := a.do(t, "OPTIONS", "/api/widget/", "", token("super"))
	wantJSON(t, got, 200, `{
		"name": "Widget List",
		"description": "API endpoint for widgets.",
		"renders": ["application/json"],
		"parses": ["application/json", "application/x-www-form-urlencoded"],
		"actions": {
			"POST": {
				"pk": {"type": "integer", "required": false, "read_only": true, "label": "ID"},
				"name": {"type": "string", "required": true, "read_only": false, "label": "Name", "max_length": 100, "default": "W-0006"},
				"quantity": {"type": "decimal", "required": true, "read_only": false, "label": "Quantity", "min_value": 0, "max_digits": 15, "decimal_places": 5},
				"status": {"type": "choice", "required": false, "read_only": false, "label": "Status", "choices": [
					{"value": 10, "display_name": "OK"}, {"value": 50, "display_name": "Attention needed"},
					{"value": 55, "display_name": "Damaged"}, {"value": 60, "display_name": "Destroyed"},
					{"value": 65, "display_name": "Rejected"}, {"value": 70, "display_name": "Lost"},
					{"value": 75, "display_name": "Quarantined"}, {"value": 85, "display_name": "Returned"}], "default": 10},
				"location": {"type": "related field", "required": false, "read_only": false, "label": "Location",
					"filters": {}, "model": "stocklocation", "api_url": "/api/stock/location/", "pk_field": "pk"}
			},
			"GET": {}
		},
		"model": "widget"
	}`)
	// The fields come in the serializer's order.
	var raw struct {
		Actions map[string]json.RawMessage `json:"actions"`
	}
	if err := json.Unmarshal([]byte(got.body), &raw); err != nil {
		t.Fatal(err)
	}
	if post := string(raw.Actions["POST"]); !ordered(post, `"pk"`, `"name"`, `"quantity"`, `"status"`, `"location"`) {
		t.Errorf("fields out of order: %s", post)
	}
}

// ordered reports whether the needles appear in s in order.
func ordered(s string, needles ...string) bool {
	at := 0
	for _, n := range needles {
		i := indexFrom(s, n, at)
		if i < 0 {
			return false
		}
		at = i + len(n)
	}
	return true
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestOptionsFollowsPermissions(t *testing.T) {
	a := newTestAPI(t)
	actions := func(tok, path string) map[string]any {
		got := a.do(t, "OPTIONS", path, "", token(tok))
		if got.status != 200 {
			t.Fatalf("OPTIONS %s as %s: %d %s", path, tok, got.status, got.body)
		}
		acts, _ := got.json(t).(map[string]any)["actions"].(map[string]any)
		return acts
	}
	keys := func(m map[string]any) []string {
		var out []string
		for _, k := range []string{"POST", "PUT", "DELETE", "GET"} {
			if _, ok := m[k]; ok {
				out = append(out, k)
			}
		}
		return out
	}
	tests := []struct {
		tok, path string
		want      []string
	}{
		{"viewer", "/api/widget/", []string{"GET"}},
		{"adder", "/api/widget/", []string{"POST", "GET"}},
		{"super", "/api/widget/1/", []string{"PUT", "DELETE", "GET"}},
		{"viewer", "/api/widget/1/", []string{"GET"}},
		{"adder", "/api/widget/action/", []string{"POST"}},
	}
	for _, tt := range tests {
		if got := keys(actions(tt.tok, tt.path)); !equalStrings(got, tt.want) {
			t.Errorf("%s on %s: actions %v, want %v", tt.tok, tt.path, got, tt.want)
		}
	}
	// A view without a model and nothing to write has no actions at all.
	got := a.do(t, "OPTIONS", "/api/generic/status/", "", token("viewer"))
	wantJSON(t, got, 200, `{"name": "All Status Views", "description": "Endpoint for listing all defined status models.",
		"renders": ["application/json"], "parses": ["application/json", "application/x-www-form-urlencoded"]}`)
	// OPTIONS needs a user, and the role's view permission.
	wantJSON(t, a.do(t, "OPTIONS", "/api/widget/", ""), 401, `{"detail": "Authentication credentials were not provided."}`)
	wantJSON(t, a.do(t, "OPTIONS", "/api/widget/", "", token("staff")), 403, "")
	// Anyone may ask about GET /api/.
	wantJSON(t, a.do(t, "OPTIONS", "/api/", ""), 200, "")
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFieldMetaNested(t *testing.T) {
	f := fieldMeta{Name: "items", Type: typeField, Required: true, Label: "Items", Child: &fieldMeta{
		Type: typeNested, Children: []fieldMeta{
			{Name: "pk", Type: typeRelated, Required: true, Model: "stockitem", APIURL: "/api/stock/"},
			{Name: "quantity", Type: typeDecimal, Required: true},
		}}}
	got, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"field","required":true,"read_only":false,"label":"Items","child":{"type":"nested object","required":false,"read_only":false,"children":{"pk":{"type":"related field","required":true,"read_only":false,"filters":{},"model":"stockitem","api_url":"/api/stock/","pk_field":"pk"},"quantity":{"type":"decimal","required":true,"read_only":false}}}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Read-only fields show no choices; a false default shows.
	ro, _ := json.Marshal(fieldMeta{Type: typeChoice, ReadOnly: true, Choices: []choice{{1, "a"}}, Default: false})
	if string(ro) != `{"type":"choice","required":false,"read_only":true,"default":false}` {
		t.Errorf("read-only choice: %s", ro)
	}
}
