// Package postgres is the PostgreSQL event store, the default.
//
// The hard part of a SQL event log is the global order. A sequence number is assigned
// at insert but transactions commit in another order, so a reader that has seen
// position 11 may later find 10 committed behind it. Here each row also stores its
// transaction's id; the log is ordered by (transaction id, sequence) and readers only
// read rows whose transaction id is below the oldest transaction still running
// (pg_snapshot_xmin). Every such transaction has finished, and any later one gets a
// larger id, so nothing can appear behind a reader. This is the scheme of watermill-sql's
// PostgreSQL adapter; it costs appends nothing (no global lock), and a reader waits at
// most as long as the oldest open writing transaction in the cluster.
//
// An exact append is one INSERT: the unique (stream, version) index turns two appends
// at the same version into one success and one conflict, with no lock and no second
// table to update. One round trip, one commit; appends to different streams never wait
// for each other. An AppendMulti of exact appends is one INSERT as well.
//
// A process's subscribers share one reader of the log's end (see tail): the newest
// events are read once per process, not once per subscriber.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the event store's schema.
func Migrations() migrate.Set { return migrate.Embedded("eventstore", migrationFiles) }

// Migrate creates or upgrades the event store's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// notifyChannel is the LISTEN/NOTIFY channel appends signal on. Stored in other
// processes' LISTEN calls: renaming it needs every server restarted at once.
const notifyChannel = "stockledger_events"

// notifyEvery is the shortest time between two NOTIFYs.
const notifyEvery = 10 * time.Millisecond

// Config configures a Store. Every field is optional.
type Config struct {
	// Logger receives the store's background errors. Default: discard.
	Logger *slog.Logger
	// PollInterval bounds how long a subscriber sleeps when no notification arrives.
	// Default: 1s.
	PollInterval time.Duration
	// BatchSize is how many events a subscriber reads per query. Default: 1000.
	BatchSize int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
}

// Store is the PostgreSQL event store. Close it to stop its background work.
type Store struct {
	pool *pgxpool.Pool
	cfg  Config
	wake *broadcast
	tail *tail
	// id is this store's NOTIFY payload: its listener ignores its own notifications,
	// since its appends wake its subscribers directly.
	id string

	// notify asks the notifier to tell other processes that events were appended.
	notify chan struct{}
	stop   context.CancelFunc
	done   sync.WaitGroup

	listenOnce sync.Once
	bgCtx      context.Context

	// ownPool: Close closes the pool (Open made it).
	ownPool bool

	// beforeCommit, when set, runs inside every append's transaction just before
	// COMMIT. Tests use it to hold transactions open and commit out of order.
	beforeCommit func(ctx context.Context) error
}

var _ eventstore.Store = (*Store)(nil)

// ConfigurePool sets a pool's connections up for the store. The store's statements are
// written so that one plan serves every argument (an index lookup by stream, a range
// scan of the log), but PostgreSQL cannot see that for some of them: with an array or
// a LIMIT as a parameter, it keeps planning them anew on every call, which cost the
// log's tail reader and multi-stream appends more time than running them. Forcing
// generic plans plans each once per connection. Read models' queries may want custom
// plans, so the store is best given a pool of its own (see Open).
func ConfigurePool(c *pgxpool.Config) {
	c.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
}

// Open returns a Store on a pool of its own for the database at url, set up by
// ConfigurePool with at most maxConns connections; Close closes the pool.
func Open(ctx context.Context, url string, maxConns int32, cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres store: database URL: %w", err)
	}
	ConfigurePool(pc)
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres store: connect: %w", err)
	}
	s, err := New(pool, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.ownPool = true
	return s, nil
}

// New returns a Store on pool. The tables must exist (see Migrate).
func New(pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("postgres store: nil pool")
	}
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Store{
		pool:   pool,
		cfg:    cfg,
		wake:   newBroadcast(),
		tail:   newTail(2 * cfg.BatchSize),
		id:     uuid.NewString(),
		notify: make(chan struct{}, 1),
		stop:   cancel,
		bgCtx:  ctx,
	}
	s.done.Add(1)
	go s.runNotifier(ctx)
	return s, nil
}

// Close stops the store's background goroutines, and closes the pool if Open made it.
func (s *Store) Close() error {
	s.tail.mu.Lock()
	s.tail.closed = true
	s.tail.mu.Unlock()
	s.stop()
	s.done.Wait()
	if s.ownPool {
		s.pool.Close()
	}
	return nil
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream string, expected eventstore.Expected, events ...eventstore.NewEvent) (eventstore.AppendResult, error) {
	if err := eventstore.ValidateAppend(stream, events); err != nil {
		return eventstore.AppendResult{}, err
	}
	if s.beforeCommit != nil {
		res, err := s.AppendMulti(ctx, eventstore.StreamAppend{Stream: stream, Expected: expected, Events: events})
		if err != nil {
			return eventstore.AppendResult{}, err
		}
		return res[0], nil
	}
	res, err := appendStream(ctx, s.pool, stream, expected, events)
	if err != nil {
		return s.afterFailedAppend(ctx, stream, expected, events, err)
	}
	s.appended()
	return res, nil
}

// AppendMulti implements eventstore.Store in one transaction.
func (s *Store) AppendMulti(ctx context.Context, appends ...eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	if err := eventstore.ValidateMulti(appends); err != nil {
		return nil, err
	}
	var results []eventstore.AppendResult
	var err error
	if s.beforeCommit == nil && exactAppends(appends) {
		results, err = appendAll(ctx, s.pool, appends)
	} else {
		results, err = s.appendInTx(ctx, appends)
		for errors.Is(err, errRaced) && ctx.Err() == nil {
			results, err = s.appendInTx(ctx, appends)
		}
	}
	if err == nil {
		s.appended()
		return results, nil
	}
	// Nothing was written. It may have been a client retry of appends that are all
	// stored already; then the retry succeeds with the original results. Otherwise the
	// error names a stream whose expectation failed, not one that was merely rolled
	// back with it.
	results = make([]eventstore.AppendResult, len(appends))
	var rolledBack error
	for i, a := range appends {
		res, retryErr := s.afterFailedAppend(ctx, a.Stream, a.Expected, a.Events, err)
		var wrong *eventstore.WrongVersionError
		if errors.As(retryErr, &wrong) && wrong.Expected.Allows(wrong.Actual) {
			rolledBack = cmp.Or(rolledBack, retryErr)
			continue
		}
		if retryErr != nil {
			return nil, retryErr
		}
		results[i] = res
	}
	if rolledBack != nil {
		return nil, rolledBack
	}
	return results, nil
}

// exactAppends reports whether every append expects an exact version or no stream, as
// commands' appends do: then the whole AppendMulti is one statement (see appendAll).
func exactAppends(appends []eventstore.StreamAppend) bool {
	for _, a := range appends {
		if _, exact := a.Expected.Version(); !exact && !a.Expected.IsNoStream() {
			return false
		}
	}
	return true
}

// insertAll appends to several streams in one statement, so one round trip and one
// implicit transaction: every event's version is computed from its stream's expected
// version, and the guard checks that each expected version exists (the unique index
// refuses a version that is taken). The guard holds for all streams or the statement
// inserts nothing; a unique violation aborts all of it. Rows are inserted, and so get
// their positions, in the order of the arrays.
const insertAll = `
INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata)
SELECT e.id, e.stream, e.version, e.type, e.schema, e.data, e.meta
FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[], $5::int[], $6::json[], $7::json[])
	WITH ORDINALITY AS e(stream, version, id, type, schema, data, meta, ord)
WHERE NOT EXISTS (
	SELECT 1 FROM unnest($8::text[], $9::bigint[]) AS x(stream, after)
	WHERE NOT EXISTS (SELECT 1 FROM events WHERE stream_id = x.stream AND version = x.after))
ORDER BY e.ord
RETURNING tx_id, position, stream_id, version`

// appendAll runs an AppendMulti of exact appends as insertAll. Like appendStream it
// returns errNotAppended when an expectation does not hold.
func appendAll(ctx context.Context, q querier, appends []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	n := 0
	for _, a := range appends {
		n += len(a.Events)
	}
	var (
		streams  = make([]string, 0, n)
		versions = make([]int64, 0, n)
		ids      = make([][16]byte, 0, n) // pgx encodes [16]byte without reflection
		types    = make([]string, 0, n)
		schemas  = make([]int32, 0, n)
		data     = make([]string, 0, n)
		metas    = make([]string, 0, n)
		checked  []string // streams whose expected version must exist
		afters   []int64
	)
	for _, a := range appends {
		after, _ := a.Expected.Version() // 0 for NoStream
		if after > 0 {
			checked, afters = append(checked, a.Stream), append(afters, int64(after))
		}
		for i, e := range a.Events {
			m, err := json.Marshal(e.Metadata)
			if err != nil {
				return nil, fmt.Errorf("append %s: metadata: %w", a.Stream, err)
			}
			streams, versions = append(streams, a.Stream), append(versions, int64(after)+int64(i)+1)
			ids, types, schemas = append(ids, [16]byte(e.ID)), append(types, e.Type), append(schemas, int32(e.SchemaOrDefault()))
			data, metas = append(data, string(e.Data)), append(metas, string(m))
		}
	}
	rows, err := q.Query(ctx, insertAll, streams, versions, ids, types, schemas, data, metas, checked, afters)
	if err != nil {
		return nil, appendAllError(err)
	}
	last := make(map[string]eventstore.AppendResult, len(appends))
	inserted := 0
	for rows.Next() {
		var txID, position, version int64
		var stream string
		if err := rows.Scan(&txID, &position, &stream, &version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("append: %w", err)
		}
		if r, ok := last[stream]; !ok || r.Version < uint64(version) {
			last[stream] = eventstore.AppendResult{
				Version:  uint64(version),
				Position: eventstore.Position{Commit: uint64(txID), Prepare: uint64(position)},
			}
		}
		inserted++
	}
	if err := rows.Err(); err != nil {
		return nil, appendAllError(err)
	}
	if inserted == 0 {
		return nil, errNotAppended
	}
	results := make([]eventstore.AppendResult, len(appends))
	for i, a := range appends {
		results[i] = last[a.Stream]
	}
	return results, nil
}

// appendAllError says what a failed insertAll means: a version taken by a concurrent
// append is an expectation that did not hold; a stored event id goes to
// afterFailedAppend as it is, to tell a retry from a duplicate.
func appendAllError(err error) error {
	switch {
	case isUniqueViolation(err, "events_stream_version_key"):
		return errNotAppended
	case isUniqueViolation(err, "events_event_id_key"):
		return err
	}
	return fmt.Errorf("append: %w", err)
}

func (s *Store) appendInTx(ctx context.Context, appends []eventstore.StreamAppend) ([]eventstore.AppendResult, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("append: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	results := make([]eventstore.AppendResult, len(appends))
	for i, a := range appends {
		if results[i], err = appendStream(ctx, tx, a.Stream, a.Expected, a.Events); err != nil {
			return nil, err
		}
	}
	if s.beforeCommit != nil {
		if err := s.beforeCommit(ctx); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("append: commit: %w", err)
	}
	return results, nil
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// insertEvents inserts the events after version $7. The check that version $7 exists
// (unless it is 0) keeps an exact expectation from writing past the stream's end; a
// stream that has moved past $7 already holds version $7+1, and the unique index
// refuses the insert. insertEvent is the same for one event with scalar parameters:
// most appends carry one event, and arrays cost them a third of their throughput.
const (
	insertEvents = `
INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata)
SELECT e.id, $1, $7 + e.ord, e.type, e.schema, e.data, e.meta
FROM unnest($2::uuid[], $3::text[], $4::int[], $5::json[], $6::json[])
	WITH ORDINALITY AS e(id, type, schema, data, meta, ord)
WHERE $7 = 0 OR EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND version = $7)
ORDER BY e.ord
RETURNING tx_id, position, version`
	insertEvent = `
INSERT INTO events (event_id, stream_id, version, type, schema_version, data, metadata)
SELECT $2::uuid, $1, $7 + 1, $3::text, $4::int, $5::json, $6::json
WHERE $7 = 0 OR EXISTS (SELECT 1 FROM events WHERE stream_id = $1 AND version = $7)
RETURNING tx_id, position, version`
)

const streamVersion = `SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1`

var (
	// errNotAppended means the expectation did not hold and nothing was written.
	errNotAppended = errors.New("expectation not met")
	// errRaced means an Any or StreamExists append in a transaction lost a race for a
	// version; the whole transaction is tried again.
	errRaced = errors.New("raced for a version")
)

// appendStream appends events to one stream. Any and StreamExists read the stream's
// version first; if another append takes that version meanwhile, they read again.
func appendStream(ctx context.Context, q querier, stream string, expected eventstore.Expected, events []eventstore.NewEvent) (eventstore.AppendResult, error) {
	sql, args, err := insertArgs(stream, events)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	for {
		after, exact := expected.Version()
		if !exact && !expected.IsNoStream() {
			var current int64
			if err := q.QueryRow(ctx, streamVersion, stream).Scan(&current); err != nil {
				return eventstore.AppendResult{}, fmt.Errorf("append %s: read version: %w", stream, err)
			}
			if !expected.Allows(uint64(current)) {
				return eventstore.AppendResult{}, errNotAppended
			}
			after = uint64(current)
		}
		args[6] = int64(after)
		res, err := insert(ctx, q, sql, args)
		switch {
		case err == nil:
			return res, nil
		case errors.Is(err, errNotAppended):
			return eventstore.AppendResult{}, errNotAppended
		case isUniqueViolation(err, "events_stream_version_key"):
			if exact || expected.IsNoStream() {
				return eventstore.AppendResult{}, errNotAppended
			}
			if _, inTx := q.(pgx.Tx); inTx {
				return eventstore.AppendResult{}, errRaced // the transaction is aborted
			}
			if ctx.Err() != nil {
				return eventstore.AppendResult{}, ctx.Err()
			}
			continue // someone appended after we read the version: read it again
		default:
			return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
		}
	}
}

// afterFailedAppend decides what a refused append means: a retry of events already
// stored at exactly this place succeeds with the stored result; event ids stored
// elsewhere are ErrDuplicateEvent; otherwise the expectation did not hold.
func (s *Store) afterFailedAppend(ctx context.Context, stream string, expected eventstore.Expected, events []eventstore.NewEvent, cause error) (eventstore.AppendResult, error) {
	if !errors.Is(cause, errNotAppended) && !isUniqueViolation(cause, "events_event_id_key") {
		return eventstore.AppendResult{}, cause
	}
	ids := make([]uuid.UUID, len(events))
	for i, e := range events {
		ids[i] = e.ID
	}
	rows, err := s.pool.Query(ctx,
		`SELECT event_id, stream_id, version, tx_id, position FROM events WHERE event_id = ANY($1)`, ids)
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: look up event ids: %w", stream, err)
	}
	type stored struct {
		stream           string
		version, tx, pos int64
	}
	found := make(map[uuid.UUID]stored, len(events))
	for rows.Next() {
		var id uuid.UUID
		var st stored
		if err := rows.Scan(&id, &st.stream, &st.version, &st.tx, &st.pos); err != nil {
			rows.Close()
			return eventstore.AppendResult{}, fmt.Errorf("append %s: look up event ids: %w", stream, err)
		}
		found[id] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: look up event ids: %w", stream, err)
	}
	if len(found) > 0 {
		first, ok := found[events[0].ID]
		same := ok && first.stream == stream
		if v, exact := expected.Version(); same && exact && uint64(first.version) != v+1 {
			same = false
		}
		if same && expected.IsNoStream() && first.version != 1 {
			same = false
		}
		for i, e := range events {
			st, ok := found[e.ID]
			if !same || !ok || st.stream != stream || st.version != first.version+int64(i) {
				return eventstore.AppendResult{}, fmt.Errorf("append %s: %w: %s is stored elsewhere or the retry differs", stream, eventstore.ErrDuplicateEvent, e.ID)
			}
		}
		last := found[events[len(events)-1].ID]
		return eventstore.AppendResult{
			Version:  uint64(last.version),
			Position: eventstore.Position{Commit: uint64(last.tx), Prepare: uint64(last.pos)},
		}, nil
	}
	var current int64
	if err := s.pool.QueryRow(ctx, streamVersion, stream).Scan(&current); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: read version: %w", stream, err)
	}
	return eventstore.AppendResult{}, &eventstore.WrongVersionError{Stream: stream, Expected: expected, Actual: uint64(current)}
}

// insertArgs chooses the insert statement for events and encodes its parameters; the
// last one, the version to append after, is filled in by the caller.
func insertArgs(stream string, events []eventstore.NewEvent) (string, []any, error) {
	metas := make([]string, len(events))
	for i, e := range events {
		m, err := json.Marshal(e.Metadata)
		if err != nil {
			return "", nil, fmt.Errorf("append %s: metadata: %w", stream, err)
		}
		metas[i] = string(m)
	}
	if len(events) == 1 {
		e := events[0]
		return insertEvent, []any{stream, [16]byte(e.ID), e.Type, int32(e.SchemaOrDefault()), string(e.Data), metas[0], nil}, nil
	}
	ids := make([][16]byte, len(events))
	types := make([]string, len(events))
	schemas := make([]int32, len(events))
	data := make([]string, len(events))
	for i, e := range events {
		ids[i], types[i], schemas[i], data[i] = [16]byte(e.ID), e.Type, int32(e.SchemaOrDefault()), string(e.Data)
	}
	return insertEvents, []any{stream, ids, types, schemas, data, metas, nil}, nil
}

// insert runs an insert statement and returns where the last event landed; the rows
// come back in insertion order.
func insert(ctx context.Context, q querier, sql string, args []any) (eventstore.AppendResult, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return eventstore.AppendResult{}, err
	}
	var txID, position, version int64
	n := 0
	for rows.Next() {
		if err := rows.Scan(&txID, &position, &version); err != nil {
			rows.Close()
			return eventstore.AppendResult{}, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return eventstore.AppendResult{}, err
	}
	if n == 0 {
		return eventstore.AppendResult{}, errNotAppended
	}
	return eventstore.AppendResult{
		Version:  uint64(version),
		Position: eventstore.Position{Commit: uint64(txID), Prepare: uint64(position)},
	}, nil
}

func isUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == constraint
}

const selectEvents = `SELECT tx_id, position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at FROM events `

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.Recorded, error) {
	if err := eventstore.ValidateStream(stream); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = s.cfg.BatchSize
	}
	rows, err := s.pool.Query(ctx, selectEvents+`WHERE stream_id = $1 AND version >= $2 ORDER BY version LIMIT $3`,
		stream, int64(from), limit)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	evs, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	return evs, nil
}

// ReadStreams returns up to limit events of the streams, grouped by stream and in
// version order within each, in one query (commands.StreamsReader).
func (s *Store) ReadStreams(ctx context.Context, streams []string, limit int) ([]eventstore.Recorded, error) {
	for _, stream := range streams {
		if err := eventstore.ValidateStream(stream); err != nil {
			return nil, err
		}
	}
	if limit <= 0 {
		limit = s.cfg.BatchSize
	}
	rows, err := s.pool.Query(ctx, selectEvents+`WHERE stream_id = ANY($1) ORDER BY stream_id, version LIMIT $2`,
		streams, limit)
	if err != nil {
		return nil, fmt.Errorf("read %d streams: %w", len(streams), err)
	}
	evs, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read %d streams: %w", len(streams), err)
	}
	return evs, nil
}

// readAllSQL reads the log after a position, below the oldest running transaction.
// The horizon comes from the statement's own snapshot, so every row below it that
// committed is visible to this very statement.
const readAllSQL = selectEvents + `
	WHERE (tx_id, position) > ($1, $2)
	  AND tx_id < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
	ORDER BY tx_id, position
	LIMIT $3`

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.Recorded, error) {
	if limit <= 0 {
		limit = s.cfg.BatchSize
	}
	rows, err := s.pool.Query(ctx, readAllSQL, int64(after.Commit), int64(after.Prepare), limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %s: %w", after, err)
	}
	evs, err := scanEvents(rows, limit)
	if err != nil {
		return nil, fmt.Errorf("read all after %s: %w", after, err)
	}
	return evs, nil
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	var tx, pos int64
	err := s.pool.QueryRow(ctx, `SELECT tx_id, position FROM events
		ORDER BY tx_id DESC, position DESC LIMIT 1`).Scan(&tx, &pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Start, nil
	}
	if err != nil {
		return eventstore.Position{}, fmt.Errorf("head: %w", err)
	}
	return eventstore.Position{Commit: uint64(tx), Prepare: uint64(pos)}, nil
}

func scanEvents(rows pgx.Rows, capacity int) ([]eventstore.Recorded, error) {
	defer rows.Close()
	evs := make([]eventstore.Recorded, 0, min(capacity, 256))
	for rows.Next() {
		r, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		evs = append(evs, r)
	}
	return evs, rows.Err()
}

// scanEvent scans a row of selectEvents' columns, after the leading ones given.
func scanEvent(rows pgx.Rows, leading ...any) (eventstore.Recorded, error) {
	var (
		r        eventstore.Recorded
		tx, pos  int64
		version  int64
		schema   int32
		data     []byte
		metadata []byte
	)
	dest := append(leading, &tx, &pos, &r.ID, &r.Stream, &version, &r.Type, &schema, &data, &metadata, &r.RecordedAt)
	if err := rows.Scan(dest...); err != nil {
		return eventstore.Recorded{}, err
	}
	if err := gojson.Unmarshal(metadata, &r.Metadata); err != nil { // as domain.Codec, for speed
		return eventstore.Recorded{}, fmt.Errorf("event %s: metadata: %w", r.ID, err)
	}
	r.Position = eventstore.Position{Commit: uint64(tx), Prepare: uint64(pos)}
	r.Version, r.Schema, r.Data = uint64(version), int(schema), data
	return r, nil
}

// appended wakes this process's subscribers and asks the notifier to wake others'.
func (s *Store) appended() {
	s.wake.signal()
	select {
	case s.notify <- struct{}{}:
	default: // a notification is already due; it will cover this append too
	}
}

// runNotifier sends NOTIFY on behalf of appends, outside their transactions: a NOTIFY
// inside an append would take PostgreSQL's global notify lock through the commit and
// serialise every append. Bursts of appends share one notification, and there is at
// most one every notifyEvery.
func (s *Store) runNotifier(ctx context.Context) {
	defer s.done.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.notify:
		}
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, s.id); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("event store: notify failed", "err", err)
		}
		// Each NOTIFY is a commit of its own. Under load one per append would cost
		// appends a sixth of their throughput; other processes can wait 10ms.
		select {
		case <-ctx.Done():
			return
		case <-time.After(notifyEvery):
		}
	}
}

// startListener wakes this process's subscribers when another process appends.
func (s *Store) startListener() {
	s.listenOnce.Do(func() {
		s.done.Add(1)
		go func() {
			defer s.done.Done()
			backoff := 100 * time.Millisecond
			for s.bgCtx.Err() == nil {
				err := s.listen(s.bgCtx)
				if s.bgCtx.Err() != nil {
					return
				}
				s.cfg.Logger.Warn("event store: listen failed; subscribers fall back to polling", "err", err, "retry_in", backoff)
				select {
				case <-s.bgCtx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, 10*time.Second)
			}
		}()
	})
}

func (s *Store) listen(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection carries a LISTEN: it never goes back to the pool.
	pc := conn.Hijack()
	defer pc.Close(context.Background()) //nolint:errcheck
	if _, err := pc.Exec(ctx, "LISTEN "+notifyChannel); err != nil {
		return err
	}
	// Whatever was appended while we were not listening.
	s.wake.signal()
	for {
		n, err := pc.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		if n.Payload != s.id {
			s.wake.signal()
		}
	}
}
