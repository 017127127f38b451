// Package storetest is the contract every eventstore.Store implementation passes.
//
// A driver's test calls Run with the guarantees it makes and a constructor. The suite
// uses stream categories unique to each test, so it also runs against a shared server
// whose log holds other events.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/eventstore"
)

// Features are the guarantees a driver makes beyond the common contract.
type Features struct {
	// AtomicMultiStream: AppendMulti writes several streams all-or-nothing.
	AtomicMultiStream bool
	// UniqueEventIDs: an event id stored in one place is refused in any other, forever.
	UniqueEventIDs bool
	// Stall, if set, returns a store on the same log whose appends call hold inside
	// their transaction, just before committing. The suite uses it to commit
	// transactions out of order and check that subscribers skip nothing.
	Stall func(t *testing.T, s eventstore.Store, hold func(context.Context) error) eventstore.Store
}

// Run runs the contract. newStore returns a ready store; it registers its own cleanup.
func Run(t *testing.T, f Features, newStore func(t *testing.T) eventstore.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Features, eventstore.Store)
	}{
		{"AppendAndReadStream", testAppendAndReadStream},
		{"ExpectedVersions", testExpectedVersions},
		{"ConcurrentAppendsAtOneVersion", testConcurrentAppendsAtOneVersion},
		{"IdempotentAppend", testIdempotentAppend},
		{"SubscriberNeverSkips", testSubscriberNeverSkips},
		{"Paging", testPaging},
		{"InvalidInput", testInvalidInput},
		{"LargePayload", testLargePayload},
		{"AppendMulti", testAppendMulti},
		{"Subscribe", testSubscribe},
		{"Head", testHead},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, f, newStore(t))
		})
	}
}

// category returns a stream category no other test uses.
func category() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var sb strings.Builder
	sb.WriteString("t")
	for _, c := range b {
		sb.WriteByte('a' + c%26)
	}
	return sb.String()
}

func event(typ string, data any) eventstore.NewEvent {
	raw, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return eventstore.NewEvent{
		ID:       uuid.Must(uuid.NewV7()),
		Type:     typ,
		Data:     raw,
		Metadata: eventstore.Metadata{User: "tester", UserID: 7, RequestID: "req-1", CorrelationID: "corr-1"},
	}
}

func events(n int) []eventstore.NewEvent {
	evs := make([]eventstore.NewEvent, n)
	for i := range evs {
		evs[i] = event("Counted", map[string]any{"n": i})
	}
	return evs
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func mustAppend(t *testing.T, s eventstore.Store, stream string, exp eventstore.Expected, evs ...eventstore.NewEvent) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxFor(t, 30*time.Second), stream, exp, evs...)
	if err != nil {
		t.Fatalf("append %s at %s: %v", stream, exp, err)
	}
	return res
}

func readStream(t *testing.T, s eventstore.Store, stream string) []eventstore.Recorded {
	t.Helper()
	var all []eventstore.Recorded
	from := uint64(1)
	for {
		page, err := s.ReadStream(ctxFor(t, 30*time.Second), stream, from, 500)
		if err != nil {
			t.Fatalf("read %s: %v", stream, err)
		}
		all = append(all, page...)
		if len(page) < 500 {
			return all
		}
		from = page[len(page)-1].Version + 1
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("unmarshal %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("unmarshal %q: %v", b, err)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

func testAppendAndReadStream(t *testing.T, _ Features, s eventstore.Store) {
	stream := category() + "-1"
	in := []eventstore.NewEvent{
		event("Created", map[string]any{"name": "resistor", "qty": "10.5"}),
		event("Counted", map[string]any{"qty": "9"}),
		event("Moved", map[string]any{"from": 1, "to": 2}),
	}
	in[2].Schema = 2
	before := time.Now().Add(-time.Minute)
	res := mustAppend(t, s, stream, eventstore.NoStream, in...)
	if res.Version != 3 {
		t.Fatalf("version after append = %d, want 3", res.Version)
	}
	got := readStream(t, s, stream)
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	for i, r := range got {
		if r.ID != in[i].ID || r.Type != in[i].Type || r.Stream != stream || r.Version != uint64(i+1) {
			t.Errorf("event %d = %s %s %s v%d, want %s %s %s v%d", i, r.ID, r.Type, r.Stream, r.Version, in[i].ID, in[i].Type, stream, i+1)
		}
		if !jsonEqual(t, r.Data, in[i].Data) {
			t.Errorf("event %d data = %s, want %s", i, r.Data, in[i].Data)
		}
		if r.Metadata != in[i].Metadata {
			t.Errorf("event %d metadata = %+v, want %+v", i, r.Metadata, in[i].Metadata)
		}
		if want := in[i].SchemaOrDefault(); r.Schema != want {
			t.Errorf("event %d schema = %d, want %d", i, r.Schema, want)
		}
		if r.RecordedAt.Before(before) || r.RecordedAt.After(time.Now().Add(time.Minute)) {
			t.Errorf("event %d recorded at %s, want about now", i, r.RecordedAt)
		}
		if r.Category() != strings.SplitN(stream, "-", 2)[0] {
			t.Errorf("category = %q", r.Category())
		}
		if i > 0 && !got[i-1].Position.Before(r.Position) {
			t.Errorf("positions not increasing: %s then %s", got[i-1].Position, r.Position)
		}
	}
	if res.Position != got[2].Position {
		t.Errorf("append returned position %s, last event is at %s", res.Position, got[2].Position)
	}
	if page, err := s.ReadStream(ctxFor(t, 10*time.Second), stream, 2, 1); err != nil || len(page) != 1 || page[0].Version != 2 {
		t.Errorf("ReadStream(from 2, limit 1) = %v, %v; want the event at version 2", page, err)
	}
	if none, err := s.ReadStream(ctxFor(t, 10*time.Second), category()+"-404", 1, 10); err != nil || len(none) != 0 {
		t.Errorf("reading a missing stream = %v, %v; want empty, no error", none, err)
	}
}

func testExpectedVersions(t *testing.T, _ Features, s eventstore.Store) {
	cat := category()
	mustAppend(t, s, cat+"-two", eventstore.NoStream, events(2)...)
	tests := []struct {
		name     string
		stream   string
		expected eventstore.Expected
		ok       bool
		actual   uint64
	}{
		{"any on missing", cat + "-a", eventstore.Any, true, 0},
		{"no stream on missing", cat + "-b", eventstore.NoStream, true, 0},
		{"exact 0 on missing", cat + "-c", eventstore.Exact(0), true, 0},
		{"exists on missing", cat + "-d", eventstore.StreamExists, false, 0},
		{"exact on missing", cat + "-e", eventstore.Exact(3), false, 0},
		{"no stream on existing", cat + "-two", eventstore.NoStream, false, 2},
		{"exact behind", cat + "-two", eventstore.Exact(1), false, 2},
		{"exact ahead", cat + "-two", eventstore.Exact(5), false, 2},
		{"exact", cat + "-two", eventstore.Exact(2), true, 0},
		{"exists", cat + "-two", eventstore.StreamExists, true, 0},
		{"any on existing", cat + "-two", eventstore.Any, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := readStream(t, s, tc.stream)
			res, err := s.Append(ctxFor(t, 10*time.Second), tc.stream, tc.expected, events(1)...)
			after := readStream(t, s, tc.stream)
			if tc.ok {
				if err != nil {
					t.Fatalf("append: %v", err)
				}
				if res.Version != uint64(len(before)+1) || len(after) != len(before)+1 {
					t.Fatalf("version %d, %d events; want %d", res.Version, len(after), len(before)+1)
				}
				return
			}
			if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
				t.Fatalf("err = %v, want ErrWrongExpectedVersion", err)
			}
			var wv *eventstore.WrongVersionError
			if !errors.As(err, &wv) || wv.Stream != tc.stream || wv.Actual != tc.actual {
				t.Fatalf("err = %#v, want WrongVersionError{%s, actual %d}", err, tc.stream, tc.actual)
			}
			if len(after) != len(before) {
				t.Fatalf("a refused append wrote %d events", len(after)-len(before))
			}
		})
	}
}

func testConcurrentAppendsAtOneVersion(t *testing.T, _ Features, s eventstore.Store) {
	stream := category() + "-1"
	mustAppend(t, s, stream, eventstore.NoStream, events(1)...)
	const writers = 50
	var ok, conflicts atomic.Int32
	var other []error
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Append(ctxFor(t, 30*time.Second), stream, eventstore.Exact(1), events(1)...)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, eventstore.ErrWrongExpectedVersion):
				conflicts.Add(1)
			default:
				mu.Lock()
				other = append(other, err)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Fatalf("unexpected errors: %v", other)
	}
	if ok.Load() != 1 || conflicts.Load() != writers-1 {
		t.Fatalf("%d succeeded and %d conflicted; want 1 and %d", ok.Load(), conflicts.Load(), writers-1)
	}
	if got := readStream(t, s, stream); len(got) != 2 {
		t.Fatalf("stream has %d events, want 2", len(got))
	}
}

func testIdempotentAppend(t *testing.T, f Features, s eventstore.Store) {
	cat := category()
	stream := cat + "-1"
	evs := events(2)
	first := mustAppend(t, s, stream, eventstore.NoStream, evs...)

	again, err := s.Append(ctxFor(t, 10*time.Second), stream, eventstore.NoStream, evs...)
	if err != nil {
		t.Fatalf("retry at the same expected version: %v", err)
	}
	if again != first {
		t.Errorf("retry returned %+v, first append %+v", again, first)
	}
	if _, err := s.Append(ctxFor(t, 10*time.Second), stream, eventstore.Any, evs...); err != nil {
		t.Fatalf("retry with Any: %v", err)
	}
	if got := readStream(t, s, stream); len(got) != 2 {
		t.Fatalf("after retries the stream has %d events, want 2", len(got))
	}

	// Concurrent retries of one new append: stored once.
	retried := events(3)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Append(ctxFor(t, 10*time.Second), stream, eventstore.Exact(2), retried...)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent retry %d: %v", i, err)
		}
	}
	if got := readStream(t, s, stream); len(got) != 5 {
		t.Fatalf("after concurrent retries the stream has %d events, want 5", len(got))
	}

	if !f.UniqueEventIDs {
		return
	}
	if _, err := s.Append(ctxFor(t, 10*time.Second), cat+"-2", eventstore.Any, evs...); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Errorf("same ids in another stream: err = %v, want ErrDuplicateEvent", err)
	}
	if _, err := s.Append(ctxFor(t, 10*time.Second), stream, eventstore.Exact(5), evs...); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Errorf("same ids at another version: err = %v, want ErrDuplicateEvent", err)
	}
	mixed := append([]eventstore.NewEvent{events(1)[0]}, evs[0])
	if _, err := s.Append(ctxFor(t, 10*time.Second), stream, eventstore.Any, mixed...); !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Errorf("a new id beside a stored one: err = %v, want ErrDuplicateEvent", err)
	}
	if got := readStream(t, s, stream); len(got) != 5 {
		t.Fatalf("refused appends wrote events: stream has %d, want 5", len(got))
	}
	if got := readStream(t, s, cat+"-2"); len(got) != 0 {
		t.Fatalf("refused append wrote %d events to another stream", len(got))
	}
}

// testSubscriberNeverSkips: 16 writers append 500 events each, some holding their
// transactions open for a random while, so commits land out of order. A subscriber
// started before them, and a reader paging ReadAll from checkpoints, must each see every
// event exactly once, in increasing position order.
func testSubscriberNeverSkips(t *testing.T, f Features, s eventstore.Store) {
	const writers, perWriter = 16, 500
	cat := category()
	ctx := ctxFor(t, 3*time.Minute)
	start, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}

	writer := s
	if f.Stall != nil {
		writer = f.Stall(t, s, func(ctx context.Context) error {
			if mrand.IntN(8) == 0 { // one append in eight commits late
				select {
				case <-time.After(time.Duration(mrand.IntN(20)) * time.Millisecond):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}

	type seen struct {
		positions []eventstore.Position
		ids       map[uuid.UUID]int
	}
	collect := func(sn *seen, batch []eventstore.Recorded) {
		for _, r := range batch {
			if r.Category() != cat {
				continue
			}
			sn.positions = append(sn.positions, r.Position)
			sn.ids[r.ID]++
		}
	}
	subSeen := &seen{ids: map[uuid.UUID]int{}}
	readSeen := &seen{ids: map[uuid.UUID]int{}}
	total := writers * perWriter

	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	subDone := make(chan error, 1)
	go func() {
		subDone <- s.Subscribe(subCtx, start, func(_ context.Context, batch []eventstore.Recorded) error {
			collect(subSeen, batch)
			if len(subSeen.positions) >= total {
				stopSub()
			}
			return nil
		})
	}()
	readDone := make(chan error, 1)
	go func() {
		after := start
		for len(readSeen.positions) < total {
			batch, err := s.ReadAll(ctx, after, 97)
			if err != nil {
				readDone <- err
				return
			}
			if len(batch) == 0 {
				time.Sleep(time.Millisecond)
				continue
			}
			collect(readSeen, batch)
			after = batch[len(batch)-1].Position
		}
		readDone <- nil
	}()

	var wg sync.WaitGroup
	appendErrs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				// Writers share a few streams each, so conflicts and retries happen too.
				stream := fmt.Sprintf("%s-%d", cat, (w*perWriter+i)%(writers*4))
				for {
					_, err := writer.Append(ctx, stream, eventstore.Any, event("Counted", map[string]any{"w": w, "i": i}))
					if err == nil {
						break
					}
					if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
						appendErrs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(appendErrs)
	for err := range appendErrs {
		t.Fatalf("append: %v", err)
	}
	if err := <-subDone; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("subscribe: %v", err)
	}
	if err := <-readDone; err != nil {
		t.Fatalf("read all: %v", err)
	}
	for name, sn := range map[string]*seen{"subscriber": subSeen, "reader": readSeen} {
		if len(sn.ids) != total || len(sn.positions) != total {
			t.Errorf("%s saw %d events (%d distinct), want %d", name, len(sn.positions), len(sn.ids), total)
		}
		for id, n := range sn.ids {
			if n != 1 {
				t.Errorf("%s saw %s %d times", name, id, n)
			}
		}
		for i := 1; i < len(sn.positions); i++ {
			if !sn.positions[i-1].Before(sn.positions[i]) {
				t.Fatalf("%s saw position %s after %s", name, sn.positions[i], sn.positions[i-1])
			}
		}
	}
}

func testPaging(t *testing.T, _ Features, s eventstore.Store) {
	const n = 2500
	stream := category() + "-long"
	start, err := s.Head(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i += 100 {
		mustAppend(t, s, stream, eventstore.Exact(uint64(i)), events(100)...)
	}
	var got []eventstore.Recorded
	for from := uint64(1); ; {
		page, err := s.ReadStream(ctxFor(t, 10*time.Second), stream, from, 333)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		from = page[len(page)-1].Version + 1
	}
	if len(got) != n {
		t.Fatalf("paged %d events, want %d", len(got), n)
	}
	for i, r := range got {
		if r.Version != uint64(i+1) {
			t.Fatalf("event %d has version %d", i, r.Version)
		}
	}
	var all []eventstore.Recorded
	deadline := time.Now().Add(20 * time.Second)
	for after := start; len(all) < n; {
		page, err := s.ReadAll(ctxFor(t, 10*time.Second), after, 250)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			// Committed events may be held back while an older transaction is open.
			if time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		for _, r := range page {
			if r.Stream == stream {
				all = append(all, r)
			}
		}
		after = page[len(page)-1].Position
	}
	if len(all) != n {
		t.Fatalf("read %d events from the global log, want %d", len(all), n)
	}
	for i := range all {
		if all[i].ID != got[i].ID {
			t.Fatalf("global log order differs from stream order at %d", i)
		}
	}
}

func testInvalidInput(t *testing.T, _ Features, s eventstore.Store) {
	ctx := ctxFor(t, 10*time.Second)
	badStreams := []string{"", "nocategory", "-1", "Upper-1", "two words-1", "stock-", "stock-1 2", "$all-1", "stock-\x00", strings.Repeat("a", 150) + "-" + strings.Repeat("1", 60)}
	for _, stream := range badStreams {
		if _, err := s.Append(ctx, stream, eventstore.Any, events(1)...); !errors.Is(err, eventstore.ErrInvalidStream) {
			t.Errorf("Append(%q) err = %v, want ErrInvalidStream", stream, err)
		}
		if _, err := s.ReadStream(ctx, stream, 1, 10); !errors.Is(err, eventstore.ErrInvalidStream) {
			t.Errorf("ReadStream(%q) err = %v, want ErrInvalidStream", stream, err)
		}
		if _, err := s.AppendMulti(ctx, eventstore.StreamAppend{Stream: stream, Expected: eventstore.Any, Events: events(1)}); !errors.Is(err, eventstore.ErrInvalidStream) {
			t.Errorf("AppendMulti(%q) err = %v, want ErrInvalidStream", stream, err)
		}
	}
	stream := category() + "-1"
	valid := events(1)[0]
	mutate := func(f func(*eventstore.NewEvent)) eventstore.NewEvent {
		e := valid
		e.ID = uuid.Must(uuid.NewV7())
		f(&e)
		return e
	}
	badEvents := map[string][]eventstore.NewEvent{
		"no events":      nil,
		"no id":          {mutate(func(e *eventstore.NewEvent) { e.ID = uuid.Nil })},
		"no type":        {mutate(func(e *eventstore.NewEvent) { e.Type = "" })},
		"reserved type":  {mutate(func(e *eventstore.NewEvent) { e.Type = "$system" })},
		"not json":       {mutate(func(e *eventstore.NewEvent) { e.Data = []byte("not json") })},
		"truncated json": {mutate(func(e *eventstore.NewEvent) { e.Data = []byte(`{"a":`) })},
		"json array":     {mutate(func(e *eventstore.NewEvent) { e.Data = []byte(`[1,2]`) })},
		"json string":    {mutate(func(e *eventstore.NewEvent) { e.Data = []byte(`"x"`) })},
		"nil data":       {mutate(func(e *eventstore.NewEvent) { e.Data = nil })},
		"repeated id":    {valid, valid},
		"bad beside good": {mutate(func(*eventstore.NewEvent) {}),
			mutate(func(e *eventstore.NewEvent) { e.Data = []byte("{") })},
	}
	for name, evs := range badEvents {
		if _, err := s.Append(ctx, stream, eventstore.Any, evs...); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: err = %v, want ErrInvalidEvent", name, err)
		}
	}
	if got := readStream(t, s, stream); len(got) != 0 {
		t.Errorf("invalid appends wrote %d events", len(got))
	}
}

func testLargePayload(t *testing.T, _ Features, s eventstore.Store) {
	stream := category() + "-big"
	blob := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	e := event("Attached", map[string]any{"blob": blob, "n": 1})
	mustAppend(t, s, stream, eventstore.NoStream, e)
	got := readStream(t, s, stream)
	if len(got) != 1 || !jsonEqual(t, got[0].Data, e.Data) {
		t.Fatalf("1 MiB payload did not round-trip")
	}
}

func testAppendMulti(t *testing.T, f Features, s eventstore.Store) {
	if !f.AtomicMultiStream {
		t.Skip("the store does not write several streams atomically")
	}
	cat := category()
	ctx := ctxFor(t, 10*time.Second)
	res, err := s.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: cat + "-1", Expected: eventstore.NoStream, Events: events(2)},
		eventstore.StreamAppend{Stream: cat + "-2", Expected: eventstore.NoStream, Events: events(3)},
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Version != 2 || res[1].Version != 3 {
		t.Fatalf("results = %+v", res)
	}
	// The second append's expectation fails: the first must not be written either.
	_, err = s.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: cat + "-3", Expected: eventstore.NoStream, Events: events(1)},
		eventstore.StreamAppend{Stream: cat + "-1", Expected: eventstore.Exact(1), Events: events(1)},
	)
	if !errors.Is(err, eventstore.ErrWrongExpectedVersion) {
		t.Fatalf("err = %v, want ErrWrongExpectedVersion", err)
	}
	if got := readStream(t, s, cat+"-3"); len(got) != 0 {
		t.Fatalf("half an AppendMulti was written: %d events", len(got))
	}
	if _, err := s.AppendMulti(ctx,
		eventstore.StreamAppend{Stream: cat + "-4", Expected: eventstore.Any, Events: events(1)},
		eventstore.StreamAppend{Stream: cat + "-4", Expected: eventstore.Any, Events: events(1)},
	); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Fatalf("a stream named twice: err = %v, want ErrInvalidStream", err)
	}
	// A retry of a whole multi-append succeeds once.
	a := eventstore.StreamAppend{Stream: cat + "-5", Expected: eventstore.NoStream, Events: events(1)}
	b := eventstore.StreamAppend{Stream: cat + "-6", Expected: eventstore.NoStream, Events: events(2)}
	first, err := s.AppendMulti(ctx, a, b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.AppendMulti(ctx, a, b)
	if err != nil || again[0] != first[0] || again[1] != first[1] {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, first)
	}
}

func testSubscribe(t *testing.T, _ Features, s eventstore.Store) {
	cat := category()
	ctx := ctxFor(t, 30*time.Second)
	mustAppend(t, s, cat+"-1", eventstore.NoStream, events(3)...)
	middle := mustAppend(t, s, cat+"-2", eventstore.NoStream, events(2)...)
	mustAppend(t, s, cat+"-3", eventstore.NoStream, events(4)...)

	// From a position: only what follows it, then live events.
	got := make(chan eventstore.Recorded, 100)
	subCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- s.Subscribe(subCtx, middle.Position, func(_ context.Context, batch []eventstore.Recorded) error {
			if len(batch) == 0 {
				return errors.New("empty batch")
			}
			for _, r := range batch {
				if r.Category() == cat {
					got <- r
				}
			}
			return nil
		})
	}()
	expect := func(stream string, n int) {
		t.Helper()
		for i := range n {
			select {
			case r := <-got:
				if r.Stream != stream || r.Version != uint64(i+1) {
					t.Fatalf("got %s v%d, want %s v%d", r.Stream, r.Version, stream, i+1)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("waited 10s for %s v%d", stream, i+1)
			}
		}
	}
	expect(cat+"-3", 4)
	mustAppend(t, s, cat+"-4", eventstore.NoStream, events(2)...)
	expect(cat+"-4", 2)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel Subscribe returned %v, want context.Canceled", err)
	}

	// A handler's error stops the subscription and is returned.
	boom := errors.New("boom")
	err := s.Subscribe(ctx, eventstore.Start, func(context.Context, []eventstore.Recorded) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Subscribe returned %v, want the handler's error", err)
	}
}

func testHead(t *testing.T, _ Features, s eventstore.Store) {
	ctx := ctxFor(t, 10*time.Second)
	res := mustAppend(t, s, category()+"-1", eventstore.NoStream, events(2)...)
	// Head covers every committed event at once, even while ReadAll holds some back.
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head.Before(res.Position) {
		t.Fatalf("head %s is before the last committed append at %s", head, res.Position)
	}
	after, err := s.ReadAll(ctx, head, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range after {
		if !head.Before(r.Position) {
			t.Fatalf("ReadAll after head returned %s", r.Position)
		}
	}
}
