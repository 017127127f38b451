package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/stockledger/stockledger/domain/user"
)

// The audit log end to end: /api/audit/ over HTTP, its filters, its role checks and
// its refusal to change anything.

func auditAuthRows() []authRow {
	const noEntry = "/api/audit/999999/"
	// Reading the log needs the view permission of some role that guards an aggregate
	// kind; stock.view stands for them here (a staff user with no role is refused).
	// Writes are 405 for whoever gets past that.
	view := func(method, path string) authRow {
		return authRow{Method: method, Path: path, Admits: hasRole, Role: user.RoleStock, Perm: user.PermView}
	}
	rows := []authRow{view(http.MethodGet, "/api/audit/"), view(http.MethodOptions, "/api/audit/"), view(http.MethodGet, noEntry)}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		rows = append(rows, view(m, "/api/audit/"), view(m, noEntry))
	}
	return rows
}

// auditEntry is what the tests read of an audit entry.
type auditEntry struct {
	PK                  int64          `json:"pk"`
	EventID             string         `json:"event_id"`
	Position            string         `json:"position"`
	Stream              string         `json:"stream"`
	Kind                string         `json:"kind"`
	AggregateID         string         `json:"aggregate_id"`
	Version             int64          `json:"version"`
	EventType           string         `json:"event_type"`
	SchemaVersion       int            `json:"schema_version"`
	StoredSchemaVersion int            `json:"stored_schema_version"`
	Data                map[string]any `json:"data"`
	User                *int64         `json:"user"`
	Username            *string        `json:"username"`
	Date                string         `json:"date"`
	RequestID           *string        `json:"request_id"`
	CorrelationID       *string        `json:"correlation_id"`
	CausationID         *string        `json:"causation_id"`
}

func auditList(t *testing.T, c *Client, kv ...string) []auditEntry {
	t.Helper()
	var out []auditEntry
	c.For(t).Get(query("/api/audit/", kv...), http.StatusOK).JSON(&out)
	return out
}

func auditTypes(entries []auditEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.EventType
	}
	return out
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	clerk := s.CreateUser(UserSpec{Roles: []string{"stock.all", "stock_location.all"}})
	wh := stockLocation(t, clerk.Client, "Warehouse", 0)
	bin := stockLocation(t, clerk.Client, "Bin", 0)
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})
	item := stockItem(t, clerk.Client, bolt, "10", wh)
	clerk.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": item, "quantity": 4}}, "location": bin}, http.StatusCreated)
	itemStream := fmt.Sprintf("stockitem-%d", item)

	// A client may name its request; the events record that id.
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/stock/add/", jsonBody(t, map[string]any{"items": []map[string]any{{"pk": item, "quantity": 1}}}))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Token "+clerk.Token)
	req.Header.Set("X-Request-Id", "audit-test-request-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("add stock: %v %v", resp, err)
	}
	resp.Body.Close()

	// The whole log, newest first, as a bare array; each entry says who, when, what and
	// from which request.
	all := auditList(t, a)
	if len(all) < 10 {
		t.Fatalf("the log holds %d events", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].PK >= all[i-1].PK {
			t.Fatalf("entries %d and %d out of order", all[i-1].PK, all[i].PK)
		}
	}
	created := auditList(t, a, "stream", itemStream, "ordering", "version")
	if got := auditTypes(created); !slices.Equal(got, []string{"StockItemCreated", "StockItemSplit", "StockAdded"}) {
		t.Fatalf("item stream: %v", got)
	}
	e := created[0]
	if e.Kind != "stockitem" || e.AggregateID != fmt.Sprint(item) || e.Version != 1 || e.User == nil || *e.User != clerk.PK ||
		e.Username == nil || *e.Username != clerk.Username || e.Date == "" || e.RequestID == nil || e.CorrelationID == nil ||
		e.EventID == "" || e.Position == "" || e.SchemaVersion != 1 || e.StoredSchemaVersion != 1 {
		t.Errorf("entry %+v", e)
	}
	if e.Data["part"] != float64(bolt) || e.Data["quantity"] != "10" || e.Data["location"] != float64(wh) {
		t.Errorf("what: %v", e.Data)
	}

	// The transfer was one request: its split and the new item share its correlation
	// id, and nothing else does.
	split := created[1]
	byCorrelation := auditList(t, a, "correlation_id", *split.CorrelationID, "ordering", "pk")
	if got := auditTypes(byCorrelation); !slices.Equal(got, []string{"StockItemSplit", "StockItemCreated"}) {
		t.Errorf("by correlation id: %v", got)
	}
	if got := auditList(t, a, "request_id", *split.RequestID); len(got) != 2 {
		t.Errorf("by request id: %d entries", len(got))
	}

	if got := auditList(t, a, "request_id", "audit-test-request-1"); len(got) != 1 || got[0].EventType != "StockAdded" || got[0].Stream != itemStream {
		t.Errorf("by the client's request id: %+v", got)
	}

	// Kind, type, user.
	for _, e := range auditList(t, a, "kind", "stocklocation") {
		if e.Kind != "stocklocation" {
			t.Errorf("kind filter let %s through", e.Stream)
		}
	}
	if got := auditList(t, a, "event_type", "StockLocationCreated"); len(got) != 2 {
		t.Errorf("event_type: %d entries", len(got))
	}
	byClerk := auditList(t, a, "user", fmt.Sprint(clerk.PK))
	for _, e := range byClerk {
		if *e.User != clerk.PK {
			t.Errorf("user filter let %+v through", e)
		}
	}
	types := auditTypes(byClerk)
	slices.Sort(types)
	if want := []string{"ApiTokenCreated", "StockAdded", "StockItemCreated", "StockItemCreated", "StockItemSplit",
		"StockKeyReserved", "StockKeyReserved", "StockLocationCreated", "StockLocationCreated"}; !slices.Equal(types, want) {
		t.Errorf("the clerk caused %v, want %v", types, want)
	}

	// The time range, both ends included, read from the recorded dates themselves.
	first, last := all[len(all)-1], all[0]
	if got := auditList(t, a, "min_date", last.Date); len(got) == 0 || got[0].PK != last.PK || got[len(got)-1].Date != last.Date {
		t.Errorf("min_date at the newest entry: %v", auditTypes(got))
	}
	if got := auditList(t, a, "max_date", first.Date); len(got) == 0 || got[len(got)-1].PK != first.PK || got[0].Date != first.Date {
		t.Errorf("max_date at the oldest entry: %v", auditTypes(got))
	}
	if got := auditList(t, a, "min_date", "2999-01-01"); len(got) != 0 {
		t.Errorf("min_date in the future: %d entries", len(got))
	}
	if got := auditList(t, a, "max_date", last.Date[:10]); len(got) != len(all) {
		t.Errorf("max_date as a date covers its whole day: %d of %d entries", len(got), len(all))
	}
	a.Get(query("/api/audit/", "min_date", "last week", "user", "x"), http.StatusBadRequest).
		WantJSON(`{"min_date": ["Enter a valid date/time."], "user": ["Select a valid choice. That choice is not one of the available choices."]}`)

	// Pages, with DRF's envelope, and orderings.
	var page struct {
		Count   int          `json:"count"`
		Next    *string      `json:"next"`
		Results []auditEntry `json:"results"`
	}
	a.Get(query("/api/audit/", "limit", "3", "offset", "1", "ordering", "pk"), http.StatusOK).JSON(&page)
	if page.Count != len(all) || len(page.Results) != 3 || page.Next == nil || page.Results[0].PK != all[len(all)-2].PK {
		t.Errorf("page: count %d, %d results, next %v", page.Count, len(page.Results), page.Next)
	}
	a.Get("/api/audit/?ordering=-date", http.StatusOK)

	// One entry.
	var one auditEntry
	a.Get(fmt.Sprintf("/api/audit/%d/", e.PK), http.StatusOK).JSON(&one)
	if one.EventID != e.EventID || one.Data["part"] != float64(bolt) {
		t.Errorf("detail %+v", one)
	}
	a.Get("/api/audit/999999/", http.StatusNotFound)
	a.Call(http.MethodOptions, "/api/audit/", nil, http.StatusOK)

	// Read-only, for everyone: nothing changes or removes an event.
	head := s.Head()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		a.Call(m, "/api/audit/", map[string]any{}, http.StatusMethodNotAllowed)
		a.Call(m, fmt.Sprintf("/api/audit/%d/", e.PK), map[string]any{"event_type": "Nothing"}, http.StatusMethodNotAllowed)
	}
	wantNoEvents(t, s, head)
	if got := auditList(t, a); len(got) != len(all) {
		t.Errorf("the log holds %d entries, want %d", len(got), len(all))
	}
}

func TestAuditRoles(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})
	item := stockItem(t, a, bolt, "10", wh)

	kinds := func(entries []auditEntry) []string {
		var out []string
		for _, e := range entries {
			if !slices.Contains(out, e.Kind) {
				out = append(out, e.Kind)
			}
		}
		slices.Sort(out)
		return out
	}
	// The superuser reads every kind, users and groups included.
	if got := kinds(auditList(t, a)); !slices.Contains(got, "user") || !slices.Contains(got, "part") || !slices.Contains(got, "stockitem") {
		t.Errorf("superuser sees %v", got)
	}
	// A stock viewer reads stock items, and nothing else.
	stock := s.CreateUser(UserSpec{Roles: []string{"stock.view"}})
	if got := kinds(auditList(t, stock.Client)); !slices.Equal(got, []string{"stockitem"}) {
		t.Errorf("stock viewer sees %v", got)
	}
	// A part and location viewer reads those.
	parts := s.CreateUser(UserSpec{Roles: []string{"part.view", "stock_location.view"}})
	if got := kinds(auditList(t, parts.Client)); !slices.Equal(got, []string{"part", "stocklocation", "stocklocname"}) {
		t.Errorf("part and location viewer sees %v", got)
	}
	// An admin-role viewer reads users and groups, not stock.
	admins := s.CreateUser(UserSpec{Roles: []string{"admin.view"}})
	for _, k := range kinds(auditList(t, admins.Client)) {
		if k != "user" && k != "group" && k != "apitoken" && k != "username" && k != "groupname" {
			t.Errorf("admin viewer sees %s", k)
		}
	}

	// Naming a kind or a stream one may not read is refused, not answered empty.
	const denied = "You do not have permission to perform this action."
	stock.Do(http.MethodGet, "/api/audit/?kind=part", nil).WantDetail(http.StatusForbidden, denied)
	stock.Do(http.MethodGet, fmt.Sprintf("/api/audit/?stream=part-%d", bolt), nil).WantDetail(http.StatusForbidden, denied)
	stock.Do(http.MethodGet, "/api/audit/?kind=purchaseorder", nil).WantDetail(http.StatusForbidden, denied)
	if got := auditList(t, stock.Client, "stream", fmt.Sprintf("stockitem-%d", item)); len(got) != 1 {
		t.Errorf("stock viewer, own kind: %d entries", len(got))
	}
	partEntry := auditList(t, a, "stream", fmt.Sprintf("part-%d", bolt))[0]
	stock.Do(http.MethodGet, fmt.Sprintf("/api/audit/%d/", partEntry.PK), nil).WantDetail(http.StatusForbidden, denied)
	parts.Get(fmt.Sprintf("/api/audit/%d/", partEntry.PK), http.StatusOK)

	// Without any view role, nothing at all; without credentials, 401.
	nobody := s.CreateUser(UserSpec{Staff: true})
	nobody.Do(http.MethodGet, "/api/audit/", nil).WantDetail(http.StatusForbidden, denied)
	writer := s.CreateUser(UserSpec{Roles: []string{"stock.add"}}) // add implies view
	writer.Get("/api/audit/", http.StatusOK)
	s.Anonymous().Do(http.MethodGet, "/api/audit/", nil).WantDetail(http.StatusUnauthorized, "Authentication credentials were not provided.")
}

// jsonBody encodes v for a request sent without the harness's client.
func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}
