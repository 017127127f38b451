package esdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/stockledger/stockledger/eventstore"
)

// clientError builds the client's *esdb.Error with a code. The client has no exported
// constructor for it, and the mapping must be tested against the real type (its Error text,
// its Unwrap), so the unexported fields are set through reflection. If a client upgrade
// renames them, this fails loudly rather than testing something else.
func clientError(t *testing.T, code esclient.ErrorCode, cause error) *esclient.Error {
	t.Helper()
	e := &esclient.Error{}
	v := reflect.ValueOf(e).Elem()
	set := func(name string, val any) {
		f := v.FieldByName(name)
		if !f.IsValid() {
			t.Fatalf("the client's esdb.Error has no field %q any more; update clientError", name)
		}
		reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(val))
	}
	set("code", code)
	if cause != nil {
		set("err", cause)
	}
	if e.Code() != code {
		t.Fatalf("clientError: code %d did not stick", code)
	}
	return e
}

// wrongVersion is the error client v4.2.0 returns for a refused append (client.go).
func wrongVersion(t *testing.T, expected, current string) error {
	return clientError(t, esclient.ErrorCodeWrongExpectedVersion,
		fmt.Errorf("wrong expected version: expecting '%s' but got '%s'", expected, current))
}

func TestExpectedRevision(t *testing.T) {
	tests := []struct {
		in   eventstore.Expected
		want esclient.ExpectedRevision
	}{
		{eventstore.Any, esclient.Any{}},
		{eventstore.NoStream, esclient.NoStream{}},
		{eventstore.Exact(0), esclient.NoStream{}},
		{eventstore.StreamExists, esclient.StreamExists{}},
		{eventstore.Exact(1), esclient.Revision(0)},
		{eventstore.Exact(2), esclient.Revision(1)},
		{eventstore.Exact(1000), esclient.Revision(999)},
	}
	for _, tc := range tests {
		t.Run(tc.in.String(), func(t *testing.T) {
			if got := expectedRevision(tc.in); got != tc.want {
				t.Errorf("expectedRevision(%s) = %#v, want %#v", tc.in, got, tc.want)
			}
		})
	}
}

func TestVersionOf(t *testing.T) {
	for rev, want := range map[uint64]uint64{0: 1, 1: 2, 41: 42} {
		if got := versionOf(rev); got != want {
			t.Errorf("versionOf(%d) = %d, want %d", rev, got, want)
		}
	}
}

func TestStreamFrom(t *testing.T) {
	tests := []struct {
		from uint64
		want esclient.StreamPosition
	}{
		{0, esclient.Start{}},
		{1, esclient.Start{}},
		{2, esclient.Revision(1)},
		{334, esclient.Revision(333)},
	}
	for _, tc := range tests {
		if got := streamFrom(tc.from); got != tc.want {
			t.Errorf("streamFrom(%d) = %#v, want %#v", tc.from, got, tc.want)
		}
	}
}

func TestPositionOf(t *testing.T) {
	tests := []struct {
		name string
		in   esclient.Position
		want eventstore.Position
	}{
		{"log position", esclient.Position{Commit: 1234, Prepare: 1200}, eventstore.Position{Commit: 1234, Prepare: 1200}},
		{"zero", esclient.Position{}, eventstore.Start},
		{"not reported", esclient.Position{Commit: math.MaxUint64, Prepare: math.MaxUint64}, eventstore.Start},
		{"commit not reported", esclient.Position{Commit: math.MaxUint64, Prepare: 5}, eventstore.Start},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := positionOf(tc.in); got != tc.want {
				t.Errorf("positionOf(%+v) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestAllFrom(t *testing.T) {
	tests := []struct {
		in   eventstore.Position
		want esclient.AllPosition
	}{
		{eventstore.Start, esclient.Start{}},
		{eventstore.Position{Commit: 10, Prepare: 10}, esclient.Position{Commit: 10, Prepare: 10}},
		{eventstore.Position{Commit: 0, Prepare: 7}, esclient.Position{Commit: 0, Prepare: 7}},
	}
	for _, tc := range tests {
		if got := allFrom(tc.in); got != tc.want {
			t.Errorf("allFrom(%s) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestComesAfter(t *testing.T) {
	p := func(c, pr uint64) eventstore.Position { return eventstore.Position{Commit: c, Prepare: pr} }
	tests := []struct {
		name     string
		after, p eventstore.Position
		want     bool
	}{
		{"start keeps everything", eventstore.Start, p(1, 1), true},
		{"start keeps even the zero position", eventstore.Start, eventstore.Start, true},
		{"the read's own start is skipped", p(100, 100), p(100, 100), false},
		{"later commit", p(100, 100), p(200, 200), true},
		{"same commit, later prepare", p(100, 90), p(100, 95), true},
		{"same commit, earlier prepare", p(100, 95), p(100, 90), false},
		{"earlier", p(200, 200), p(100, 100), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := comesAfter(tc.after, tc.p); got != tc.want {
				t.Errorf("comesAfter(%s, %s) = %v, want %v", tc.after, tc.p, got, tc.want)
			}
		})
	}
}

func TestIsSystem(t *testing.T) {
	tests := []struct {
		stream, typ string
		want        bool
	}{
		{"stockitem-1", "StockItemMoved", false},
		{"$stats-127.0.0.1:2113", "$statsCollected", true},
		{"$ce-stockitem", "$>", true},
		{"$$stockitem-1", "$metadata", true},
		{"$scavenges", "ScavengeStarted", true},
		{"stockitem-1", "$>", true},
		{"stock$item-1", "Moved$", false},
		{"", "", false},
	}
	for _, tc := range tests {
		if got := isSystem(tc.stream, tc.typ); got != tc.want {
			t.Errorf("isSystem(%q, %q) = %v, want %v", tc.stream, tc.typ, got, tc.want)
		}
	}
}

func TestMetadataEncoding(t *testing.T) {
	full := eventstore.Metadata{User: "ann", UserID: 7, RequestID: "req-1", CorrelationID: "corr-1", CausationID: "cause-1"}
	tests := []struct {
		name   string
		schema int
		meta   eventstore.Metadata
		json   string
	}{
		{"everything", 2, full, `{"schema":2,"user":"ann","user_id":7,"request_id":"req-1","correlation_id":"corr-1","causation_id":"cause-1"}`},
		{"system event", 1, eventstore.Metadata{}, `{"schema":1}`},
		{"some context", 1, eventstore.Metadata{RequestID: "r", CausationID: "c"}, `{"schema":1,"request_id":"r","causation_id":"c"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeMetadata(tc.schema, tc.meta)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.json {
				t.Errorf("encoded %s, want %s", b, tc.json)
			}
			schema, meta, err := decodeMetadata(b)
			if err != nil {
				t.Fatal(err)
			}
			if schema != tc.schema || meta != tc.meta {
				t.Errorf("round trip = %d %+v, want %d %+v", schema, meta, tc.schema, tc.meta)
			}
		})
	}
}

func TestDecodeMetadata(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		schema  int
		meta    eventstore.Metadata
		wantErr bool
	}{
		{"none", "", 1, eventstore.Metadata{}, false},
		{"empty object", `{}`, 1, eventstore.Metadata{}, false},
		{"null", `null`, 1, eventstore.Metadata{}, false},
		{"schema zero", `{"schema":0,"user":"bo"}`, 1, eventstore.Metadata{User: "bo"}, false},
		{"unknown fields", `{"schema":3,"$correlationId":"x","user_id":9}`, 3, eventstore.Metadata{UserID: 9}, false},
		{"not json", `user=bo`, 0, eventstore.Metadata{}, true},
		{"wrong type", `{"schema":"one"}`, 0, eventstore.Metadata{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema, meta, err := decodeMetadata([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err == nil && (schema != tc.schema || meta != tc.meta) {
				t.Errorf("decoded %d %+v, want %d %+v", schema, meta, tc.schema, tc.meta)
			}
		})
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	in := eventstore.NewEvent{
		ID:       uuid.Must(uuid.NewV7()),
		Type:     "StockItemMoved",
		Data:     json.RawMessage(`{"from":1,"to":2,"qty":"1.5"}`),
		Metadata: eventstore.Metadata{User: "ann", UserID: 7, CorrelationID: "c"},
	}
	for _, schema := range []int{0, 1, 3} {
		in.Schema = schema
		d, err := toEventData(in)
		if err != nil {
			t.Fatal(err)
		}
		if d.EventID != in.ID || d.EventType != in.Type || d.ContentType != esclient.ContentTypeJson || string(d.Data) != string(in.Data) {
			t.Errorf("event data = %+v", d)
		}

		at := time.Date(2026, 11, 22, 10, 0, 0, 100, time.UTC)
		got, err := toRecorded(&esclient.RecordedEvent{
			EventID:      d.EventID,
			EventType:    d.EventType,
			ContentType:  "application/json",
			StreamID:     "stockitem-42",
			EventNumber:  4,
			Position:     esclient.Position{Commit: 900, Prepare: 880},
			CreatedDate:  at,
			Data:         d.Data,
			UserMetadata: d.Metadata,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := eventstore.Recorded{
			ID:         in.ID,
			Stream:     "stockitem-42",
			Version:    5,
			Position:   eventstore.Position{Commit: 900, Prepare: 880},
			Type:       in.Type,
			Schema:     in.SchemaOrDefault(),
			Data:       in.Data,
			Metadata:   in.Metadata,
			RecordedAt: at,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("schema %d: recorded = %+v, want %+v", schema, got, want)
		}
	}
}

func TestToRecordedBadMetadata(t *testing.T) {
	_, err := toRecorded(&esclient.RecordedEvent{EventID: uuid.New(), StreamID: "stockitem-1", EventNumber: 2, UserMetadata: []byte("{")})
	if err == nil || !strings.Contains(err.Error(), "stockitem-1@3") {
		t.Fatalf("err = %v, want a decode error naming stockitem-1@3", err)
	}
}

func TestMapAppendError(t *testing.T) {
	transport := errors.New("connection reset")
	tests := []struct {
		name     string
		expected eventstore.Expected
		err      error
		conflict bool
		actual   uint64
		known    bool
	}{
		{"exact behind", eventstore.Exact(1), wrongVersion(t, "0", "1"), true, 2, true},
		{"exact ahead", eventstore.Exact(5), wrongVersion(t, "4", "1"), true, 2, true},
		{"exists on missing", eventstore.StreamExists, wrongVersion(t, "stream_exists", "no_stream"), true, 0, true},
		{"no stream on existing", eventstore.NoStream, wrongVersion(t, "no_stream", "0"), true, 1, true},
		{"wrapped by the client", eventstore.Exact(3), fmt.Errorf("could not send: %w", wrongVersion(t, "2", "9")), true, 10, true},
		{"current not reported", eventstore.Exact(3), clientError(t, esclient.ErrorCodeWrongExpectedVersion, nil), true, 0, false},
		{"garbled current", eventstore.Exact(3), wrongVersion(t, "2", "-1"), true, 0, false},
		{"deadline", eventstore.Any, clientError(t, esclient.ErrorCodeDeadlineExceeded, transport), false, 0, true},
		{"stream deleted", eventstore.Any, clientError(t, esclient.ErrorCodeStreamDeleted, nil), false, 0, true},
		{"plain error", eventstore.Any, transport, false, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, known := mapAppendError("stockitem-1", tc.expected, tc.err)
			if known != tc.known {
				t.Errorf("actualKnown = %v, want %v", known, tc.known)
			}
			var wv *eventstore.WrongVersionError
			if !tc.conflict {
				if errors.As(got, &wv) || errors.Is(got, eventstore.ErrWrongExpectedVersion) {
					t.Fatalf("%v became a conflict", tc.err)
				}
				if !errors.Is(got, tc.err) || !strings.HasPrefix(got.Error(), "append stockitem-1: ") {
					t.Fatalf("err = %v, want %v wrapped with the stream", got, tc.err)
				}
				return
			}
			if !errors.Is(got, eventstore.ErrWrongExpectedVersion) || !errors.As(got, &wv) {
				t.Fatalf("err = %v, want a *WrongVersionError", got)
			}
			want := eventstore.WrongVersionError{Stream: "stockitem-1", Expected: tc.expected, Actual: tc.actual}
			if *wv != want {
				t.Errorf("err = %+v, want %+v", *wv, want)
			}
		})
	}
}

func TestReportedVersion(t *testing.T) {
	tests := []struct {
		msg   string
		want  uint64
		known bool
	}{
		{"wrong expected version: expecting '1' but got '4'", 5, true},
		{"wrong expected version: expecting 'any' but got 'no_stream'", 0, true},
		{"wrong expected version: expecting '1' but got '0'", 1, true},
		{"wrong expected version", 0, false},
		{"expecting '1' but got ''", 0, false},
		{"expecting '1' but got 'x'", 0, false},
	}
	for _, tc := range tests {
		got, known := reportedVersion(tc.msg)
		if got != tc.want || known != tc.known {
			t.Errorf("reportedVersion(%q) = %d, %v; want %d, %v", tc.msg, got, known, tc.want, tc.known)
		}
	}
}

func TestIsStreamNotFound(t *testing.T) {
	notFound := clientError(t, esclient.ErrorCodeResourceNotFound, errors.New("stream 'stockitem-1' is not found"))
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"not found", notFound, true},
		{"wrapped", fmt.Errorf("read: %w", notFound), true},
		{"deleted", clientError(t, esclient.ErrorCodeStreamDeleted, nil), false},
		{"other", errors.New("boom"), false},
		{"unknown via FromError", func() error { e, _ := esclient.FromError(errors.New("x")); return e }(), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := isStreamNotFound(tc.err); got != tc.want {
			t.Errorf("%s: isStreamNotFound = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"unavailable", clientError(t, esclient.ErrorUnavailable, nil), true},
		{"deadline", clientError(t, esclient.ErrorCodeDeadlineExceeded, nil), true},
		{"not leader", clientError(t, esclient.ErrorCodeNotLeader, nil), true},
		{"transport", errors.New("rpc error: code = Unavailable"), true},
		{"unauthenticated", fmt.Errorf("subscribe: %w", clientError(t, esclient.ErrorCodeUnauthenticated, nil)), false},
		{"access denied", clientError(t, esclient.ErrorCodeAccessDenied, nil), false},
		{"unsupported", clientError(t, esclient.ErrorCodeUnsupportedFeature, nil), false},
		{"client gave up", clientError(t, esclient.ErrorCodeConnectionClosed, nil), true},
		{"store closed", fmt.Errorf("subscribe: %w", errClosed), false},
	}
	for _, tc := range tests {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("%s: retryable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, 100 * time.Millisecond},
		{1, 200 * time.Millisecond},
		{2, 400 * time.Millisecond},
		{6, 6400 * time.Millisecond},
		{7, 10 * time.Second},
		{1000, 10 * time.Second},
	}
	for _, tc := range tests {
		if got := backoff(tc.n); got != tc.want {
			t.Errorf("backoff(%d) = %s, want %s", tc.n, got, tc.want)
		}
	}
	for n := range 100 {
		if d := backoff(n); d < minBackoff || d > maxBackoff || d < backoff(max(n-1, 0)) {
			t.Fatalf("backoff(%d) = %s: not within [%s, %s] or not growing", n, d, minBackoff, maxBackoff)
		}
	}
}

func TestReadLimit(t *testing.T) {
	for in, want := range map[int]int{-1: 1000, 0: 1000, 1: 1, 97: 97, 5000: 5000} {
		if got := readLimit(in); got != want {
			t.Errorf("readLimit(%d) = %d, want %d", in, got, want)
		}
	}
}
