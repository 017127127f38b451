package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/pgtest"
	"github.com/stockledger/stockledger/internal/server"
)

// TestReplay replays a stock item whose move was stored with StockItemMoved's first
// schema, as an older Stockledger wrote it: the move is listed and folded in the
// current shape.
func TestReplay(t *testing.T) {
	ctx := context.Background()
	app, err := server.Open(ctx, server.Config{DatabaseURL: pgtest.NewDatabase(t), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	ev := func(typ string, schema int, data string) eventstore.NewEvent {
		return eventstore.NewEvent{ID: uuid.Must(uuid.NewV7()), Type: typ, Schema: schema, Data: []byte(data),
			Metadata: eventstore.Metadata{User: "ann", UserID: 4, RequestID: "req-1", CorrelationID: "req-1"}}
	}
	created, err := app.Store.Append(ctx, "stockitem-9", eventstore.NoStream,
		ev("StockItemCreated", 1, `{"pk":9,"part":2,"quantity":"5","location":3,"status":10,"delete_on_deplete":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.Append(ctx, "stockitem-9", eventstore.Exact(created.Version),
		ev("StockItemMoved", 1, `{"pk":9,"from":3,"to":8,"quantity":"5"}`)); err != nil {
		t.Fatal(err)
	}
	evs, err := app.Store.ReadStream(ctx, "stockitem-9", 1, 10)
	if err != nil || len(evs) != 2 {
		t.Fatalf("stream: %v, %v", evs, err)
	}

	var out bytes.Buffer
	if err := replay(ctx, &out, app, "stockitem-9", time.Time{}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"stockitem-9 as of now: 2 events",
		"StockItemCreated  by ann (user 4), request req-1",
		`StockItemMoved  by ann (user 4), request req-1 [stored with schema 1, read as 2]`,
		`{"pk":9,"location":{"old":3,"new":8},"quantity":"5"}`,
		`"location": 8`,
		`"status_text": "OK"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("replay output lacks %q:\n%s", want, got)
		}
	}

	// As of the creation: one event, the item where it was created.
	out.Reset()
	if err := replay(ctx, &out, app, "stockitem-9", evs[0].RecordedAt); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, ": 1 events") || !strings.Contains(got, `"location": 3`) {
		t.Errorf("replay as of the creation:\n%s", got)
	}
	// Before it: nothing.
	out.Reset()
	if err := replay(ctx, &out, app, "stockitem-9", evs[0].RecordedAt.Add(-time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, ": 0 events") || !strings.Contains(got, "did not exist then (404)") {
		t.Errorf("replay before the creation:\n%s", got)
	}
	// A kind this version does not know: its events would be listed, its state not.
	out.Reset()
	if err := replay(ctx, &out, app, "salesorder-1", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, `does not know aggregates of kind "salesorder"`) {
		t.Errorf("unknown kind:\n%s", got)
	}
}
