package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
)

// TestOldSchemaEventIsReadAsCurrent stores a StockItemMoved as an older Stockledger
// wrote it (schema 1: "from" and "to") in the log, and checks that every reader reads
// it in the current shape (schema 2: "location": {"old", "new"}): the stock read model,
// a command that loads the item, the audit log, the stock levels and time travel.
func TestOldSchemaEventIsReadAsCurrent(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	a := s.Admin.For(t)
	shelf := stockLocation(t, a, "Shelf", 0)
	bin := stockLocation(t, a, "Bin", 0)
	bolt := newPart(t, a, map[string]any{"name": "Bolt"})
	item := stockItem(t, a, bolt, "5", shelf)
	stream := fmt.Sprintf("stockitem-%d", item)

	// The old event, appended to the item's stream as it was stored then.
	ctx := context.Background()
	evs, err := s.App.Store.ReadStream(ctx, stream, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	old := fmt.Sprintf(`{"pk":%d,"from":%d,"to":%d,"quantity":"5","tracking":[{"type":20,"deltas":{"location":%d,"quantity":"5"}}]}`,
		item, shelf, bin, bin)
	res, err := s.App.Store.Append(ctx, stream, eventstore.Exact(uint64(len(evs))), eventstore.NewEvent{
		ID: uuid.Must(uuid.NewV7()), Type: stock.TypeItemMoved, Schema: 1, Data: json.RawMessage(old),
		Metadata: eventstore.Metadata{User: "admin", UserID: s.Admin.PK, RequestID: "old-request", CorrelationID: "old-request"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.WaitForStreams(stream)
	stored, err := s.App.Store.ReadStream(ctx, stream, res.Version, 1)
	if err != nil || len(stored) != 1 || stored[0].Schema != 1 || string(stored[0].Data) != old {
		t.Fatalf("the log holds %+v, %v", stored, err)
	}
	movedAt := stored[0].RecordedAt

	// The stock read model moved the item and tracked the move.
	it := getObject(t, a, stockItemURL(item))
	if it["location"] != float64(bin) || it["tracking_items"] != 2.0 {
		t.Errorf("item after the old move: at %v, %v tracking entries", it["location"], it["tracking_items"])
	}
	wantTracking(t, a, item,
		trackingEntry{1, `{"status":10,"quantity":5.0}`},
		trackingEntry{20, fmt.Sprintf(`{"location":%d,"quantity":5.0}`, bin)})
	if l := getObject(t, a, locationURL(bin)); l["items"] != 1.0 {
		t.Errorf("the bin holds %v items", l["items"])
	}

	// A command loads the item through the old event: it moves from the bin.
	head := s.Head()
	a.Call(http.MethodPost, "/api/stock/transfer/", map[string]any{"items": []map[string]any{{"pk": item, "quantity": 5}}, "location": shelf}, http.StatusCreated)
	moves := s.EventsAfter(head)
	if len(moves) != 1 || moves[0].Schema != 2 {
		t.Fatalf("the transfer appended %+v", moves)
	}
	var back stock.ItemMoved
	if err := json.Unmarshal(moves[0].Data, &back); err != nil || back.Location != (stock.Change[int64]{Old: bin, New: shelf}) {
		t.Errorf("the transfer after the old move: %s, %v", moves[0].Data, err)
	}

	// The audit log shows the old event in the current shape, and says it was stored in
	// the old one.
	entries := auditList(t, a, "stream", stream, "event_type", stock.TypeItemMoved, "ordering", "version")
	if len(entries) != 2 {
		t.Fatalf("audit: %d moves", len(entries))
	}
	e := entries[0]
	loc, _ := e.Data["location"].(map[string]any)
	if e.StoredSchemaVersion != 1 || e.SchemaVersion != 2 || loc["old"] != float64(shelf) || loc["new"] != float64(bin) ||
		e.Data["from"] != nil || e.Data["to"] != nil || *e.RequestID != "old-request" {
		t.Errorf("audit entry of the old event: %+v", e)
	}
	if e2 := entries[1]; e2.StoredSchemaVersion != 2 || e2.SchemaVersion != 2 {
		t.Errorf("audit entry of the new event: %+v", e2)
	}

	// The stock levels and time travel put the item in the bin at the old move.
	if got := levelRows(t, a, "part", fmt.Sprint(bolt), "at", at(movedAt)); len(got) != 1 || got[bin] != 5 {
		t.Errorf("levels at the old move: %v", got)
	}
	if got := levelRows(t, a, "part", fmt.Sprint(bolt)); len(got) != 1 || got[shelf] != 5 {
		t.Errorf("levels now: %v", got)
	}
	if it := getObject(t, a, stockItemURL(item)+"?as_of="+at(movedAt)); it["location"] != float64(bin) {
		t.Errorf("as of the old move, the item is at %v", it["location"])
	}
}
