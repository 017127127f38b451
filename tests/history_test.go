package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/internal/drftime"
	"github.com/stockledger/stockledger/projections/audit"
	"github.com/stockledger/stockledger/projections/levels"
)

// Time travel end to end: stock moves over a timeline, then /api/stock/{id}/?as_of=,
// /api/part/{id}/?as_of= and /api/report/stock-level/ at each instant of it answer what
// the server answered at that instant, and /api/report/stock-history/ adds it up.

// after runs do and returns the recorded time of the last event it appended: the
// instant at which what do did became true. The clock is the ledger's own, so no
// sleeping is needed: each request begins after the previous one committed.
func after(t *testing.T, s *Server, do func()) time.Time {
	t.Helper()
	head := s.Head()
	do()
	evs := s.For(t).EventsAfter(head)
	if len(evs) == 0 {
		t.Fatal("the action appended nothing")
	}
	return evs[len(evs)-1].RecordedAt
}

// jsonValue decodes a body for comparison: key order and number spelling aside.
func jsonValue(t *testing.T, r *Response) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	return v
}

// at formats an instant for a query parameter.
func at(t time.Time) string { return drftime.Format(t) }

// levelRows reads /api/report/stock-level/ as location -> quantity (location 0: none).
func levelRows(t *testing.T, c *Client, kv ...string) map[int64]float64 {
	t.Helper()
	var rows []struct {
		Part     int64   `json:"part"`
		Location *int64  `json:"location"`
		Quantity float64 `json:"quantity"`
	}
	c.For(t).Get(query("/api/report/stock-level/", kv...), http.StatusOK).JSON(&rows)
	out := map[int64]float64{}
	for _, r := range rows {
		loc := int64(0)
		if r.Location != nil {
			loc = *r.Location
		}
		out[loc] += r.Quantity
	}
	return out
}

func TestTimeTravel(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	wh := stockLocation(t, a, "Warehouse", 0)
	shelf := stockLocation(t, a, "Shelf", wh)
	bin := stockLocation(t, a, "Bin", 0)
	var bolt int64
	partCreated := after(t, s, func() { bolt = newPart(t, a, map[string]any{"name": "Bolt", "IPN": "B-1"}) })
	partURL := fmt.Sprintf("/api/part/%d/", bolt)
	boltQ := fmt.Sprint(bolt)

	// The timeline. After each step the server's answers are kept, to be asked again
	// "as of" that step's instant at the end.
	type moment struct {
		name   string
		at     time.Time
		items  map[int64]any // the answers of /api/stock/{id}/ for the items that exist
		part   any
		levels map[int64]float64 // what the stock levels must be then, location -> quantity
		whAll  float64           // in the warehouse and below it
		binAll float64           // in the bin and below it
	}
	var moments []moment
	var itemA, itemB int64
	step := func(name string, levels map[int64]float64, whAll, binAll float64, do func()) {
		t.Helper()
		m := moment{name: name, at: after(t, s, do), items: map[int64]any{}, levels: levels, whAll: whAll, binAll: binAll}
		for _, pk := range []int64{itemA, itemB} {
			if pk == 0 {
				continue
			}
			if r := a.Do(http.MethodGet, stockItemURL(pk), nil); r.Status == http.StatusOK {
				m.items[pk] = jsonValue(t, r)
			}
		}
		m.part = jsonValue(t, a.Get(partURL+"?category_detail=true", http.StatusOK))
		moments = append(moments, m)
	}
	step("item created", map[int64]float64{shelf: 10}, 10, 0, func() {
		itemA = stockItem(t, a, bolt, "10", shelf, map[string]any{"batch": "B1"})
	})
	step("four split off to the bin", map[int64]float64{shelf: 6, bin: 4}, 6, 4, func() {
		a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": itemA, "quantity": 4}}, "location": bin}, http.StatusCreated)
		var children []map[string]any
		a.Get(query("/api/stock/", "parent", fmt.Sprint(itemA)), http.StatusOK).JSON(&children)
		itemB = int64(children[0]["pk"].(float64))
	})
	step("one removed", map[int64]float64{shelf: 5, bin: 4}, 5, 4, func() {
		a.Call(http.MethodPost, "/api/stock/remove/", map[string]any{"items": []map[string]any{{"pk": itemA, "quantity": 1}}}, http.StatusCreated)
	})
	step("the bin's item lost", map[int64]float64{shelf: 5}, 5, 0, func() {
		a.Call(http.MethodPost, "/api/stock/change_status/", map[string]any{"items": []int64{itemB}, "status": 70}, http.StatusCreated)
	})
	step("the shelf moved into the bin", map[int64]float64{shelf: 5}, 0, 5, func() {
		a.Call(http.MethodPatch, locationURL(shelf), map[string]any{"parent": bin}, http.StatusOK)
	})
	step("counted eight", map[int64]float64{shelf: 8}, 0, 8, func() {
		a.Call(http.MethodPost, "/api/stock/count/", map[string]any{"items": []map[string]any{{"pk": itemA, "quantity": 8}}}, http.StatusCreated)
	})
	step("item deleted", map[int64]float64{}, 0, 0, func() {
		a.Call(http.MethodDelete, stockItemURL(itemA), nil, http.StatusNoContent)
	})

	for i, m := range moments {
		t.Run(fmt.Sprintf("%d %s", i, m.name), func(t *testing.T) {
			// The items and the part as of then are what the server said then.
			for _, pk := range []int64{itemA, itemB} {
				r := a.For(t).Do(http.MethodGet, stockItemURL(pk)+"?as_of="+at(m.at), nil)
				want, existed := m.items[pk]
				switch {
				case !existed:
					r.WantDetail(http.StatusNotFound, "No StockItem matches the given query.")
				case r.Status != http.StatusOK:
					t.Errorf("item %d: %s", pk, r)
				case !reflect.DeepEqual(jsonValue(t, r), want):
					t.Errorf("item %d as of %s\n got %s\nwant %s", pk, at(m.at), r.Body, mustJSON(want))
				}
			}
			r := a.For(t).Get(partURL+"?category_detail=true&as_of="+at(m.at), http.StatusOK)
			if got := jsonValue(t, r); !reflect.DeepEqual(got, m.part) {
				t.Errorf("part as of %s\n got %s\nwant %s", at(m.at), r.Body, mustJSON(m.part))
			}

			// The stock levels then, per location, and with the location tree of then.
			if got := levelRows(t, a, "part", boltQ, "at", at(m.at)); !maps.Equal(got, m.levels) {
				t.Errorf("levels %v, want %v", got, m.levels)
			}
			if got := levelRows(t, a, "part", boltQ, "location", fmt.Sprint(wh), "at", at(m.at))[shelf]; got != m.whAll {
				t.Errorf("in the warehouse: %v, want %v", got, m.whAll)
			}
			binAll := 0.0
			for _, q := range levelRows(t, a, "part", boltQ, "location", fmt.Sprint(bin), "at", at(m.at)) {
				binAll += q
			}
			if binAll != m.binAll {
				t.Errorf("in the bin and below: %v, want %v", binAll, m.binAll)
			}
			if got := levelRows(t, a, "part", boltQ, "location", fmt.Sprint(bin), "cascade", "false", "at", at(m.at))[bin]; got != m.levels[bin] {
				t.Errorf("in the bin itself: %v, want %v", got, m.levels[bin])
			}
		})
	}

	// Before anything happened: nothing existed.
	before := partCreated.Add(-time.Microsecond)
	a.Do(http.MethodGet, partURL+"?as_of="+at(before), nil).WantDetail(http.StatusNotFound, "No Part matches the given query.")
	a.Do(http.MethodGet, stockItemURL(itemA)+"?as_of="+at(before), nil).WantDetail(http.StatusNotFound, "No StockItem matches the given query.")
	if got := levelRows(t, a, "part", boltQ, "at", at(before)); len(got) != 0 {
		t.Errorf("levels before the first item: %v", got)
	}
	// Now, a deleted item is gone, but its past is not.
	a.Get(stockItemURL(itemA), http.StatusNotFound)
	a.Get(stockItemURL(itemA)+"?as_of="+at(moments[5].at), http.StatusOK)
	// The details of an item "as of" describe its location and part as they are now.
	r := a.Get(stockItemURL(itemA)+"?location_detail=true&path_detail=true&part_detail=false&as_of="+at(moments[0].at), http.StatusOK).Object()
	if d, _ := r["location_detail"].(map[string]any); d["pathstring"] != "Bin/Shelf" || len(r["location_path"].([]any)) != 2 || r["part_detail"] != nil {
		t.Errorf("details as of: %v, %v, %v", r["location_detail"], r["location_path"], r["part_detail"])
	}
	// A time that is no time is a 400 on the parameter.
	a.Get(stockItemURL(itemB)+"?as_of=yesterday", http.StatusBadRequest).WantJSON(`{"as_of": ["Enter a valid date/time."]}`)
	a.Get(partURL+"?as_of=2024-02-30", http.StatusBadRequest).WantJSON(`{"as_of": ["Enter a valid date/time."]}`)
	a.Get(query("/api/report/stock-level/", "at", "soon"), http.StatusBadRequest).WantJSON(`{"at": ["Enter a valid date/time."]}`)
	a.Get(query("/api/report/stock-level/", "location", "999999"), http.StatusBadRequest).
		WantJSON(`{"location": ["Select a valid choice. That choice is not one of the available choices."]}`)

	// Every part's levels at once, and DRF's page.
	var page struct {
		Count   int              `json:"count"`
		Results []map[string]any `json:"results"`
	}
	a.Get(query("/api/report/stock-level/", "at", at(moments[1].at), "limit", "1"), http.StatusOK).JSON(&page)
	if page.Count != 2 || len(page.Results) != 1 || page.Results[0]["location"] != float64(shelf) {
		t.Errorf("paged levels: %+v", page)
	}

	// The history over the timeline: per day, ending with what the levels say at its
	// end, and changing by what they changed.
	first, last := moments[0], moments[5]
	var periods []struct {
		Start, End       string
		Quantity, Change float64
	}
	a.Get(query("/api/report/stock-history/", "part", boltQ, "from", at(first.at), "to", at(last.at)), http.StatusOK).JSON(&periods)
	sum := 0.0
	for _, p := range periods {
		sum += p.Change
	}
	if len(periods) == 0 || periods[0].Start != at(first.at) || periods[len(periods)-1].End != at(last.at) ||
		periods[len(periods)-1].Quantity != 8 || sum != 8-10 {
		t.Errorf("history %+v", periods)
	}
	a.Get(query("/api/report/stock-history/", "part", boltQ, "location", fmt.Sprint(bin), "from", at(moments[3].at), "to", at(moments[4].at)), http.StatusOK).JSON(&periods)
	if q := periods[len(periods)-1].Quantity; q != 5 {
		t.Errorf("the bin's history ends at %v, want 5 (the shelf came under it)", q)
	}
}

func TestStockHistoryPeriods(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	bolt := fmt.Sprint(newPart(t, a, map[string]any{"name": "Bolt"}))
	type period struct{ Start, End string }
	periods := func(kv ...string) []string {
		var ps []period
		a.Get(query("/api/report/stock-history/", append([]string{"part", bolt}, kv...)...), http.StatusOK).JSON(&ps)
		var out []string
		for _, p := range ps {
			out = append(out, p.Start[:10]+".."+p.End[:10])
		}
		return out
	}
	for _, tc := range []struct {
		kv   []string
		want []string
	}{
		{[]string{"from", "2024-01-30T12:00:00Z", "to", "2024-02-02", "interval", "day"},
			[]string{"2024-01-30..2024-01-31", "2024-01-31..2024-02-01", "2024-02-01..2024-02-02"}},
		{[]string{"from", "2024-01-03", "to", "2024-01-20", "interval", "week"}, // Monday the 8th and the 15th
			[]string{"2024-01-03..2024-01-08", "2024-01-08..2024-01-15", "2024-01-15..2024-01-20"}},
		{[]string{"from", "2024-01-15", "to", "2024-03-15", "interval", "month"},
			[]string{"2024-01-15..2024-02-01", "2024-02-01..2024-03-01", "2024-03-01..2024-03-15"}},
		{[]string{"from", "2024-01-15", "to", "2024-01-16"}, []string{"2024-01-15..2024-01-16"}},
	} {
		if got := periods(tc.kv...); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.kv, got, tc.want)
		}
	}
	a.Get("/api/report/stock-history/", http.StatusBadRequest).
		WantJSON(`{"part": ["This field is required."], "from": ["This field is required."]}`)
	a.Get(query("/api/report/stock-history/", "part", bolt, "from", "2024-01-02", "to", "2024-01-01"), http.StatusBadRequest).
		WantJSON(`{"to": ["Ensure this is after from."]}`)
	a.Get(query("/api/report/stock-history/", "part", bolt, "from", "2024-01-01", "interval", "hour"), http.StatusBadRequest).
		WantJSON(`{"interval": ["Select a valid choice. hour is not one of the available choices."]}`)
	a.Get(query("/api/report/stock-history/", "part", bolt, "from", "1990-01-01", "interval", "day"), http.StatusBadRequest).
		WantJSON(`{"interval": ["Ensure there are no more than 1000 periods."]}`)
}

// historyAuthRows are the report endpoints' rows; as_of rides on the stock and part
// detail endpoints, whose rows stockAuthRows and partAuthRows hold.
func historyAuthRows() []authRow {
	var rows []authRow
	for _, p := range []string{"/api/report/stock-level/", "/api/report/stock-history/"} {
		rows = append(rows,
			authRow{Method: http.MethodGet, Path: p, Admits: hasRole, Role: user.RoleStock, Perm: user.PermView},
			authRow{Method: http.MethodOptions, Path: p, Admits: hasRole, Role: user.RoleStock, Perm: user.PermView},
			authRow{Method: http.MethodPost, Path: p, Admits: hasRole, Role: user.RoleStock, Perm: user.PermAdd, Body: map[string]any{}})
	}
	return rows
}

// The audit log and the stock levels rebuild into the same rows, pks included, while
// the server serves, and verify finds no difference; the reports answer the same after
// the swap.
func TestRebuildAuditAndLevels(t *testing.T) {
	s := StartServer(t)
	a := s.Admin.For(t)
	seedHistory(t, s.App, 3000)
	before := auditList(t, a, "ordering", "pk")
	levelsBefore := a.Get("/api/report/stock-level/", http.StatusOK).Body

	other := openSecond(t, s)
	for _, name := range []string{audit.ProjectorName, levels.ProjectorName} {
		if err := other.Runner.Rebuild(context.Background(), name, nil); err != nil {
			t.Fatal(err)
		}
	}
	if after := auditList(t, a, "ordering", "pk"); len(before) < 3000 || !reflect.DeepEqual(after, before) {
		t.Errorf("the audit log after the rebuild: %d entries, %d before, or other entries", len(after), len(before))
	}
	if after := a.Get("/api/report/stock-level/", http.StatusOK).Body; string(after) != string(levelsBefore) {
		t.Errorf("stock levels after the rebuild differ")
	}
	verifyAll(t, other)
}
