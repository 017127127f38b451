package api

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
)

// The part area's handlers run end to end in tests/parts_test.go; these are the pieces
// that need no server.

func bodyOf(t *testing.T, js string) *body {
	t.Helper()
	b := &body{raw: map[string]json.RawMessage{}, errs: &domain.RuleError{}}
	if err := json.Unmarshal([]byte(js), &b.raw); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"https://example.com", true},
		{"http://example.com/a/b?c=d#e", true},
		{"HTTPS://EXAMPLE.COM", true},
		{"ftp://files.example.com/x", true},
		{"ftps://files.example.com", true},
		{"http://127.0.0.1:8000/", true},
		{"www.example.com", false}, // INVENTREE_STRICT_URLS: a scheme is required
		{"example", false},
		{"javascript://alert(1)", false},
		{"mailto:someone@example.com", false},
		{"http://", false},
		{"http:///path", false},
		{"http://exa mple.com", false},
		{"not a url", false},
	} {
		if got := validURL(tc.url); got != tc.want {
			t.Errorf("validURL(%q) = %v, want %v", tc.url, got, tc.want)
		}
	}
}

// TestBodyFlag pins InvenTree's str2bool on request.data for the category delete
// options: JSON true and 1 count, as do their texts; nothing is an error.
func TestBodyFlag(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{`true`, true}, {`1`, true}, {`"1"`, true}, {`"true"`, true}, {`"True"`, true}, {`"yes"`, true},
		{`"on"`, true}, {`"ok"`, true}, {`"t"`, true},
		{`false`, false}, {`0`, false}, {`"0"`, false}, {`"false"`, false}, {`""`, false}, {`null`, false},
		{`2`, false}, {`"maybe"`, false}, {`[1]`, false}, {`{"a":1}`, false},
	} {
		b := bodyOf(t, `{"delete_parts": `+tc.raw+`}`)
		if got := b.flag("delete_parts"); got != tc.want {
			t.Errorf("flag(%s) = %v, want %v", tc.raw, got, tc.want)
		}
		if err := b.err(); err != nil {
			t.Errorf("flag(%s) recorded %v", tc.raw, err)
		}
	}
	if bodyOf(t, `{}`).flag("delete_parts") {
		t.Error("an absent flag is true")
	}
}

// TestReadPartPatch checks what a part body turns into: absent fields stay nil, null
// clears, "" is a null pk, and every bad field is reported.
func TestReadPartPatch(t *testing.T) {
	b := bodyOf(t, `{"name": "N", "keywords": null, "category": "", "variant_of": null, "default_location": "7",
		"minimum_stock": "1.50", "active": "false", "revision": null}`)
	p := readPart(b)
	if err := b.err(); err != nil {
		t.Fatal(err)
	}
	switch {
	case p.Name == nil || *p.Name != "N":
		t.Errorf("name %v", p.Name)
	case p.Keywords == nil || *p.Keywords != "":
		t.Errorf("keywords %v", p.Keywords)
	case p.Revision == nil || *p.Revision != "":
		t.Errorf("revision %v", p.Revision)
	case p.Category == nil || *p.Category != 0, p.VariantOf == nil || *p.VariantOf != 0:
		t.Errorf("category %v variant_of %v", p.Category, p.VariantOf)
	case p.DefaultLocation == nil || *p.DefaultLocation != 7:
		t.Errorf("default_location %v", p.DefaultLocation)
	case p.MinimumStock == nil || p.MinimumStock.String() != "1.5":
		t.Errorf("minimum_stock %v", p.MinimumStock)
	case p.Active == nil || *p.Active:
		t.Errorf("active %v", p.Active)
	case p.Description != nil || p.IPN != nil || p.Units != nil || p.Link != nil || p.RevisionOf != nil ||
		p.Responsible != nil || p.CreationUser != nil || p.Assembly != nil || p.DefaultExpiry != nil:
		t.Errorf("absent fields set: %+v", p)
	}

	b = bodyOf(t, `{"IPN": null, "link": "example.com", "units": "`+strings.Repeat("u", 21)+`", "locked": 3}`)
	readPart(b)
	var rule *domain.RuleError
	if err := b.err(); !errors.As(err, &rule) {
		t.Fatalf("err %v", err)
	}
	got := map[string]string{}
	for _, v := range rule.Violations {
		got[v.Field] = v.Message
	}
	want := map[string]string{
		"name":   msgRequired,
		"IPN":    msgNull,
		"link":   msgInvalidURL,
		"units":  "Ensure this field has no more than 20 characters.",
		"locked": msgNotBoolean,
	}
	for f, m := range want {
		if got[f] != m {
			t.Errorf("%s: %q, want %q", f, got[f], m)
		}
	}
	if len(got) != len(want) {
		t.Errorf("violations %v", got)
	}
}

type headFunc func(context.Context) (eventstore.Position, error)

func (f headFunc) Head(ctx context.Context) (eventstore.Position, error) { return f(ctx) }

// TestConfigValidatePartArea: the part area's dependencies come all together or not at
// all.
func TestConfigValidatePartArea(t *testing.T) {
	base := func() Config { return Config{Auth: testAuth(), Version: "test"} }
	c := base()
	if err := c.Validate(); err != nil {
		t.Errorf("no part area: %v", err)
	}
	c.LogHead = headFunc(func(context.Context) (eventstore.Position, error) { return eventstore.Start, nil })
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "part area") {
		t.Errorf("part area with only a log head: %v", err)
	}
}
