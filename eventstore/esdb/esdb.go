// Package esdb stores the ledger's events in EventStoreDB (KurrentDB), for deployments that
// run one instead of keeping events in PostgreSQL.
//
// It is a separate driver rather than a configuration of the PostgreSQL one because ESDB's
// guarantees differ, and the difference is visible to callers:
//   - ESDB appends to one stream at a time. AppendMulti with more than one stream fails with
//     ErrMultiStreamUnsupported instead of pretending to be atomic.
//   - Event ids are only checked by ESDB's idempotency window (a cache of recent writes), not
//     by a unique index: a retried append is recognised while the original is still
//     remembered, and an id reused elsewhere is not reported as eventstore.ErrDuplicateEvent.
//   - ESDB counts stream revisions from 0 and keeps its own bookkeeping events in the global
//     log ($all); this driver shifts revisions to the ledger's versions (first event is 1) and
//     hides every $-prefixed stream and event type.
//
// The schema version and eventstore.Metadata travel in ESDB's per-event metadata as one JSON
// object, {"schema":1,"user":...}; its field names are a stored contract.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"

	esclient "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/stockledger/stockledger/eventstore"
)

var _ eventstore.Store = (*Store)(nil)

// ErrMultiStreamUnsupported is returned by AppendMulti for more than one stream: ESDB has no
// transaction spanning streams, so the all-or-nothing promise cannot be kept.
var ErrMultiStreamUnsupported = errors.New("esdb: atomic append to several streams is not supported")

// Config configures a Store.
type Config struct {
	// URL is the connection string, e.g. "esdb://127.0.0.1:2113?tls=false". Required.
	URL string
	// Logger receives the driver's and the client library's messages. Optional; nil
	// discards them.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem with c.
func (c Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("URL is required"))
	}
	return errors.Join(errs...)
}

// errClosed is returned by every call after Close.
var errClosed = errors.New("esdb: store is closed")

// Store is an eventstore.Store on EventStoreDB. It is safe for concurrent use.
type Store struct {
	conf *esclient.Configuration
	log  *slog.Logger

	mu     sync.Mutex
	client *esclient.Client // replaced when it gives up, see call
	closed bool
}

// New connects to the server at cfg.URL and checks that it answers, so a wrong address fails
// at startup rather than at the first append.
func New(ctx context.Context, cfg Config) (*Store, error) {
	s, err := newStore(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := s.readAll(ctx, esclient.Backwards, esclient.End{}, 1); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("esdb: connect to %s: %w", s.conf.Address, err)
	}
	return s, nil
}

// newStore builds a Store without contacting the server: the client connects on first use.
func newStore(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("esdb: invalid config: %w", err)
	}
	cfg.setDefaults()
	conf, err := esclient.ParseConnectionString(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("esdb: parse connection string: %w", withoutURL(err))
	}
	conf.Logger = clientLogger(cfg.Logger)
	client, err := esclient.NewClient(conf)
	if err != nil {
		return nil, fmt.Errorf("esdb: new client: %w", err)
	}
	return &Store{conf: conf, client: client, log: cfg.Logger}, nil
}

// withoutURL keeps a parse error from echoing the connection string, which can hold a
// password.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// clientLogger routes the client library's messages to slog at debug level: every error it
// logs is also returned to us, and is logged once where it is handled.
func clientLogger(log *slog.Logger) esclient.LoggingFunc {
	return func(level esclient.LogLevel, format string, args ...any) {
		log.Debug(fmt.Sprintf(format, args...), "component", "esdb-client", "client_level", level)
	}
}

// call runs f with the current client. Client v4 closes itself for good once a discovery
// fails (the server was unreachable for MaxDiscoverAttempts tries, about a second by
// default), after which every call fails with ErrorCodeConnectionClosed before sending
// anything. A ledger must outlive a server restart, so call then puts a fresh client in its
// place and runs f once more on it.
func (s *Store) call(f func(*esclient.Client) error) error {
	s.mu.Lock()
	c, closed := s.client, s.closed
	s.mu.Unlock()
	if closed {
		return errClosed
	}
	err := f(c)
	if errorCode(err) != esclient.ErrorCodeConnectionClosed {
		return err
	}
	if c = s.replace(c); c == nil {
		return errClosed
	}
	return f(c)
}

// replace swaps the client that gave up for a new one, once however many calls saw it fail,
// and returns the current client (nil after Close). The old client is not closed: its
// connection is already gone, and closing its request channel would panic any goroutine
// still blocked sending to it.
func (s *Store) replace(dead *esclient.Client) *esclient.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if s.client != dead {
		return s.client
	}
	c, err := esclient.NewClient(s.conf)
	if err != nil {
		// Only an invalid configuration fails here, and New has accepted this one.
		s.log.Error("esdb: cannot replace the closed client", "err", err)
		return dead
	}
	s.client = c
	s.log.Info("esdb: client had given up reconnecting; replaced it")
	return c
}

// Close releases the connection. Subscriptions still running end with an error, and so
// does every later call.
func (s *Store) Close() error {
	s.mu.Lock()
	c, closed := s.client, s.closed
	s.closed = true
	s.mu.Unlock()
	if closed {
		return nil
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("esdb: close: %w", err)
	}
	return nil
}

// Append writes events to stream if its version satisfies expected. Retrying an append with
// the same event ids succeeds without writing again while ESDB still remembers the first
// attempt (its idempotency window); the same ids elsewhere are not detected.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.NewEvent) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	data := make([]esclient.EventData, len(events))
	for i, e := range events {
		d, err := toEventData(e)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
		}
		data[i] = d
	}
	var res *esclient.WriteResult
	err := s.call(func(c *esclient.Client) error {
		var err error
		res, err = c.AppendToStream(ctx, stream, esclient.AppendToStreamOptions{ExpectedRevision: expectedRevision(expected)}, data...)
		return err
	})
	if err != nil {
		return eventstore.AppendResult{}, s.appendFailed(ctx, stream, expected, err)
	}
	// ESDB reports the position of the write's commit, which for a batch appended in one
	// request is the position of its last event.
	pos := positionOf(esclient.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition})
	if pos == eventstore.Start {
		// A retry recognised under Any or StreamExists comes back without a position.
		pos = s.eventPosition(ctx, stream, res.NextExpectedVersion)
	}
	return eventstore.AppendResult{Version: versionOf(res.NextExpectedVersion), Position: pos}, nil
}

// eventPosition looks up the log position of the event at revision rev of stream. The events
// are stored by then, so a failed lookup does not fail the append: it is logged and the
// position reported as Start.
func (s *Store) eventPosition(ctx context.Context, stream string, rev uint64) eventstore.Position {
	evs, err := s.readStream(ctx, stream, esclient.ReadStreamOptions{Direction: esclient.Forwards, From: esclient.Revision(rev)}, 1)
	if err == nil && len(evs) == 0 {
		err = errors.New("event not found")
	}
	if err != nil {
		s.log.WarnContext(ctx, "esdb: position of appended events unknown", "stream", stream, "version", versionOf(rev), "err", err)
		return eventstore.Start
	}
	return positionOf(evs[0].Position)
}

// appendFailed maps an append error. When a conflict's answer does not say where the stream
// is, it reads the stream's version, so a WrongVersionError never claims a version it did
// not see reported.
func (s *Store) appendFailed(ctx context.Context, stream string, expected eventstore.Expected, err error) error {
	mapped, actualKnown := mapAppendError(stream, expected, err)
	var wv *eventstore.WrongVersionError
	if actualKnown || !errors.As(mapped, &wv) {
		return mapped
	}
	v, rerr := s.streamVersion(ctx, stream)
	if rerr != nil {
		return fmt.Errorf("append %s: %w (current version unknown: %v)", stream, eventstore.ErrWrongExpectedVersion, rerr)
	}
	wv.Actual = v
	return wv
}

// streamVersion is the version of stream's last event, 0 when it has none.
func (s *Store) streamVersion(ctx context.Context, stream string) (uint64, error) {
	evs, err := s.readStream(ctx, stream, esclient.ReadStreamOptions{Direction: esclient.Backwards, From: esclient.End{}}, 1)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	return versionOf(evs[0].EventNumber), nil
}

// AppendMulti appends to a single stream only. EventStoreDB has no transaction spanning
// streams, so for two or more streams it writes nothing and returns an error wrapping
// ErrMultiStreamUnsupported; a caller needing atomicity across aggregates must use the
// PostgreSQL store, or model the change as events on one stream.
func (s *Store) AppendMulti(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if err := eventstore.ValidateMulti(appends); err != nil {
		return nil, err
	}
	if len(appends) > 1 {
		return nil, fmt.Errorf("append to %d streams: %w", len(appends), ErrMultiStreamUnsupported)
	}
	a := appends[0]
	res, err := s.Append(ctx, a.Stream, a.Expected, a.Events...)
	if err != nil {
		return nil, err
	}
	return []eventstore.AppendResult{res}, nil
}

// ReadStream returns up to limit events of stream from version from on (a limit <= 0 means
// 1000). A stream that does not exist reads as empty.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Recorded, error) {
	if err := eventstore.ValidateStream(stream); err != nil {
		return nil, err
	}
	evs, err := s.readStream(ctx, stream, esclient.ReadStreamOptions{Direction: esclient.Forwards, From: streamFrom(from)}, readLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read %s from %d: %w", stream, from, err)
	}
	out := make([]eventstore.Recorded, 0, len(evs))
	for _, ev := range evs {
		r, err := toRecorded(ev)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", stream, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// readStream reads up to n events of one stream; a missing stream has none.
func (s *Store) readStream(ctx context.Context, stream string, opts esclient.ReadStreamOptions, n int) ([]*esclient.RecordedEvent, error) {
	var evs []*esclient.RecordedEvent
	err := s.call(func(c *esclient.Client) error {
		rs, err := c.ReadStream(ctx, stream, opts, uint64(n))
		if err != nil {
			return err
		}
		evs, err = drain(rs)
		return err
	})
	if isStreamNotFound(err) {
		return nil, nil
	}
	return evs, err
}

// ReadAll returns up to limit events of the log after the position after (a limit <= 0 means
// 1000), leaving out ESDB's system events.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Recorded, error) {
	limit = readLimit(limit)
	out := make([]eventstore.Recorded, 0, min(limit, 64))
	cursor := after // the last log position looked at, system events included
	for {
		// One more than wanted, because a read from cursor returns the event at cursor too.
		want := limit - len(out) + 1
		evs, err := s.readAll(ctx, esclient.Forwards, allFrom(cursor), want)
		if err != nil {
			return nil, fmt.Errorf("read $all after %s: %w", after, err)
		}
		for _, ev := range evs {
			p := positionOf(ev.Position)
			if !comesAfter(cursor, p) {
				continue
			}
			cursor = p
			if isSystem(ev.StreamID, ev.EventType) {
				continue
			}
			r, err := toRecorded(ev)
			if err != nil {
				return nil, fmt.Errorf("read $all after %s: %w", after, err)
			}
			out = append(out, r)
			if len(out) == limit {
				return out, nil
			}
		}
		// A short page is the end of the log. A full one had at most one repeat, so cursor
		// moved and the next page makes progress.
		if len(evs) < want {
			return out, nil
		}
	}
}

// headPage is how many events Head reads per step back through system events.
const headPage = 256

// Head is the position of the newest non-system event, eventstore.Start when there is none.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	var from esclient.AllPosition = esclient.End{}
	var seen *eventstore.Position // the oldest position looked at so far
	for {
		evs, err := s.readAll(ctx, esclient.Backwards, from, headPage)
		if err != nil {
			return eventstore.Start, fmt.Errorf("head: %w", err)
		}
		for _, ev := range evs {
			p := positionOf(ev.Position)
			if seen != nil && !p.Before(*seen) {
				continue // the page starts where the last one ended
			}
			if !isSystem(ev.StreamID, ev.EventType) {
				return p, nil
			}
			seen = &p
		}
		if len(evs) < headPage || seen == nil {
			return eventstore.Start, nil
		}
		from = allFrom(*seen)
	}
}

// readAll reads up to n events of $all, system events included.
func (s *Store) readAll(ctx context.Context, dir esclient.Direction, from esclient.AllPosition, n int) ([]*esclient.RecordedEvent, error) {
	var evs []*esclient.RecordedEvent
	err := s.call(func(c *esclient.Client) error {
		rs, err := c.ReadAll(ctx, esclient.ReadAllOptions{Direction: dir, From: from}, uint64(n))
		if err != nil {
			return err
		}
		evs, err = drain(rs)
		return err
	})
	return evs, err
}

// drain collects what a read returns and releases it.
func drain(rs *esclient.ReadStream) ([]*esclient.RecordedEvent, error) {
	defer rs.Close()
	var evs []*esclient.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return nil, err
		}
		// Links are not resolved, so the original event is the record itself.
		if e := ev.OriginalEvent(); e != nil {
			evs = append(evs, e)
		}
	}
}
