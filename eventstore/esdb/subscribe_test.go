package esdb

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/stockledger/stockledger/eventstore"
)

func appeared(stream, typ string, rev, pos uint64) received {
	return received{ev: &esclient.RecordedEvent{
		EventID:      uuid.New(),
		EventType:    typ,
		StreamID:     stream,
		EventNumber:  rev,
		Position:     esclient.Position{Commit: pos, Prepare: pos},
		Data:         []byte(`{}`),
		UserMetadata: []byte(`{"schema":1}`),
	}}
}

// queued is a subscription buffer holding msgs, as the reader goroutine would leave it.
func queued(msgs ...received) chan received {
	ch := make(chan received, len(msgs)+1)
	for _, m := range msgs {
		ch <- m
	}
	return ch
}

func positions(batch []eventstore.Recorded) []uint64 {
	var ps []uint64
	for _, r := range batch {
		ps = append(ps, r.Position.Commit)
	}
	return ps
}

func equal(a, b []uint64) bool {
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

func TestCollect(t *testing.T) {
	dropped := errors.New("rpc error: code = Unavailable")
	pos := func(c uint64) eventstore.Position { return eventstore.Position{Commit: c, Prepare: c} }
	tests := []struct {
		name    string
		after   eventstore.Position
		first   received
		rest    []received
		closed  bool
		want    []uint64
		dropErr error
	}{
		{
			name:  "takes what has arrived, without waiting",
			after: eventstore.Start,
			first: appeared("stock-1", "Moved", 0, 10),
			rest:  []received{appeared("stock-1", "Moved", 1, 20), appeared("stock-2", "Moved", 0, 30)},
			want:  []uint64{10, 20, 30},
		},
		{
			name:  "a single event is a batch",
			after: eventstore.Start,
			first: appeared("stock-1", "Moved", 0, 10),
			want:  []uint64{10},
		},
		{
			name:  "skips system events",
			after: eventstore.Start,
			first: appeared("$stats-1", "$statsCollected", 0, 5),
			rest:  []received{appeared("stock-1", "Moved", 0, 10), appeared("$ce-stock", "$>", 0, 11), appeared("stock-1", "$metadata", 1, 12)},
			want:  []uint64{10},
		},
		{
			name:  "a resubscription skips what was delivered",
			after: pos(20),
			first: appeared("stock-1", "Moved", 0, 10),
			rest:  []received{appeared("stock-1", "Moved", 1, 20), appeared("stock-1", "Moved", 2, 30)},
			want:  []uint64{30},
		},
		{
			name:    "a drop ends the batch and is reported",
			after:   eventstore.Start,
			first:   appeared("stock-1", "Moved", 0, 10),
			rest:    []received{{err: dropped}, appeared("stock-1", "Moved", 1, 20)},
			want:    []uint64{10},
			dropErr: dropped,
		},
		{
			name:    "a drop first",
			after:   eventstore.Start,
			first:   received{err: dropped},
			dropErr: dropped,
		},
		{
			name:   "a closed buffer is a drop",
			after:  eventstore.Start,
			first:  appeared("stock-1", "Moved", 0, 10),
			closed: true,
			want:   []uint64{10},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch := queued(tc.rest...)
			if tc.closed {
				close(ch)
			}
			batch, dropErr, err := collect(tc.after, tc.first, ch)
			if err != nil {
				t.Fatal(err)
			}
			if got := positions(batch); !equal(got, tc.want) {
				t.Errorf("batch = %v, want %v", got, tc.want)
			}
			switch {
			case tc.dropErr != nil && !errors.Is(dropErr, tc.dropErr):
				t.Errorf("dropErr = %v, want %v", dropErr, tc.dropErr)
			case tc.closed && dropErr == nil:
				t.Error("a closed buffer was not reported as a drop")
			case tc.dropErr == nil && !tc.closed && dropErr != nil:
				t.Errorf("dropErr = %v, want none", dropErr)
			}
		})
	}
}

func TestCollectCapsBatch(t *testing.T) {
	var rest []received
	for i := range maxBatch + 10 {
		rest = append(rest, appeared("stock-1", "Moved", uint64(i+1), uint64(i+2)))
	}
	ch := queued(rest...)
	batch, dropErr, err := collect(eventstore.Start, appeared("stock-1", "Moved", 0, 1), ch)
	if err != nil || dropErr != nil {
		t.Fatal(err, dropErr)
	}
	if len(batch) != maxBatch {
		t.Fatalf("batch of %d, want %d", len(batch), maxBatch)
	}
	if len(ch) != 11 {
		t.Fatalf("%d left queued, want 11", len(ch))
	}
	for i := 1; i < len(batch); i++ {
		if !batch[i-1].Position.Before(batch[i].Position) {
			t.Fatalf("batch out of order at %d", i)
		}
	}
}

func TestCollectUndecodable(t *testing.T) {
	bad := appeared("stock-1", "Moved", 1, 20)
	bad.ev.UserMetadata = []byte("not json")
	batch, _, err := collect(eventstore.Start, appeared("stock-1", "Moved", 0, 10), queued(bad))
	if err == nil || batch != nil {
		t.Fatalf("collect = %v, %v; want no batch and a decode error", batch, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no url", Config{}, "URL is required"},
		{"not a connection string", Config{URL: "http://127.0.0.1:2113"}, "parse connection string"},
		{"password kept out of errors", Config{URL: "esdb://admin:s3cret@%zz:2113"}, "parse connection string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(context.Background(), tc.cfg)
			if err == nil {
				_ = s.Close()
				t.Fatal("New accepted a bad config")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("err = %v leaks the password", err)
			}
		})
	}
}

// recorder counts log records by message.
type recorder struct {
	mu   sync.Mutex
	msgs map[string]int
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs[rec.Message]++
	return nil
}

func (r *recorder) count(msg string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.msgs[msg]
}

// TestUnreachableServer runs the real client against a port nothing listens on: New fails,
// Subscribe keeps resubscribing with a backoff (and replaces the client, which gives up after
// a failed discovery) until its context ends, and Close ends everything.
func TestUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	url := "esdb://" + addr + "?tls=false&maxDiscoverAttempts=2&discoveryInterval=10&gossipTimeout=1"

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, err := New(ctx, Config{URL: url}); err == nil {
		_ = s.Close()
		t.Fatalf("New succeeded against %s, where nothing listens", addr)
	} else if !strings.Contains(err.Error(), "connect to "+addr) {
		t.Fatalf("New: err = %v, want a connect error naming %s", err, addr)
	}

	rec := &recorder{msgs: map[string]int{}}
	s, err := newStore(Config{URL: url, Logger: slog.New(rec)})
	if err != nil {
		t.Fatal(err)
	}
	subCtx, stop := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer stop()
	start := time.Now()
	err = s.Subscribe(subCtx, eventstore.Start, func(context.Context, []eventstore.Recorded) error {
		t.Error("handler called without a server")
		return nil
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Subscribe = %v, want the context's error", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("Subscribe returned %s after its context ended", took-1500*time.Millisecond)
	}
	// Backoff waits 100+200+400+800ms, so 1.5s holds at most 4 resubscriptions.
	if n := rec.count("esdb subscription dropped, resubscribing"); n < 1 || n > 5 {
		t.Errorf("%d resubscriptions in 1.5s, want a few, backing off", n)
	}
	if rec.count("esdb: client had given up reconnecting; replaced it") == 0 {
		t.Error("the client that gave up was never replaced")
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(context.Background(), "stock-1", 1, 10); !errors.Is(err, errClosed) {
		t.Errorf("ReadStream after Close = %v, want errClosed", err)
	}
	if _, err := s.Append(context.Background(), "stock-1", eventstore.Any, eventstore.NewEvent{ID: uuid.New(), Type: "Moved", Data: []byte(`{}`)}); !errors.Is(err, errClosed) {
		t.Errorf("Append after Close = %v, want errClosed", err)
	}
	if err := s.Subscribe(context.Background(), eventstore.Start, nil); !errors.Is(err, errClosed) {
		t.Errorf("Subscribe after Close = %v, want errClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestValidationComesFirst(t *testing.T) {
	// No server and a closed store: bad input must still fail as invalid, like every driver.
	s, err := newStore(Config{URL: "esdb://127.0.0.1:1?tls=false"})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	ctx := context.Background()
	good := eventstore.NewEvent{ID: uuid.New(), Type: "Moved", Data: []byte(`{}`)}
	if _, err := s.Append(ctx, "Bad Stream", eventstore.Any, good); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Errorf("Append to a bad stream = %v, want ErrInvalidStream", err)
	}
	if _, err := s.Append(ctx, "stock-1", eventstore.Any, eventstore.NewEvent{ID: uuid.New(), Type: "Moved", Data: []byte(`[1]`)}); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("Append of an array = %v, want ErrInvalidEvent", err)
	}
	if _, err := s.ReadStream(ctx, "$all", 1, 10); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Errorf("ReadStream($all) = %v, want ErrInvalidStream", err)
	}
	if _, err := s.AppendMulti(ctx); !errors.Is(err, eventstore.ErrInvalidEvent) {
		t.Errorf("empty AppendMulti = %v, want ErrInvalidEvent", err)
	}
	two := []eventstore.StreamAppend{
		{Stream: "stock-1", Expected: eventstore.Any, Events: []eventstore.NewEvent{good}},
		{Stream: "stock-2", Expected: eventstore.Any, Events: []eventstore.NewEvent{{ID: uuid.New(), Type: "Moved", Data: []byte(`{}`)}}},
	}
	if _, err := s.AppendMulti(ctx, two...); !errors.Is(err, ErrMultiStreamUnsupported) {
		t.Errorf("AppendMulti of two streams = %v, want ErrMultiStreamUnsupported", err)
	}
	if _, err := s.AppendMulti(ctx, two[0], two[0]); !errors.Is(err, eventstore.ErrInvalidStream) {
		t.Errorf("AppendMulti naming a stream twice = %v, want ErrInvalidStream", err)
	}
	if _, err := s.AppendMulti(ctx, two[0]); !errors.Is(err, errClosed) {
		t.Errorf("AppendMulti of one stream = %v, want it to reach Append (errClosed here)", err)
	}
}
