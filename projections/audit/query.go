package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/drftime"
)

// Entry is one event of the audit log as /api/audit/ shows it.
type Entry struct {
	PK int64 `json:"pk"`
	// EventID is the event's id in the ledger; Position its place in the global log.
	EventID  string `json:"event_id"`
	Position string `json:"position"`
	// Stream is the aggregate's stream ("stockitem-42"), Kind its category ("stockitem")
	// and AggregateID the rest ("42"); Version is the event's place in the stream.
	Stream      string `json:"stream"`
	Kind        string `json:"kind"`
	AggregateID string `json:"aggregate_id"`
	Version     int64  `json:"version"`
	// EventType is what happened; Data says it, in the event's current shape
	// (SchemaVersion), whatever shape it was stored with (StoredSchemaVersion).
	EventType           string          `json:"event_type"`
	SchemaVersion       int             `json:"schema_version"`
	StoredSchemaVersion int             `json:"stored_schema_version"`
	Data                json.RawMessage `json:"data"`
	// User and Username are who caused it, null for the system; Date is when the
	// ledger recorded it.
	User     *int64  `json:"user"`
	Username *string `json:"username"`
	Date     string  `json:"date"`
	// RequestID is the request the event came from; CorrelationID groups the events of
	// one user action; CausationID is what caused this one.
	RequestID     *string `json:"request_id"`
	CorrelationID *string `json:"correlation_id"`
	CausationID   *string `json:"causation_id"`
}

// Filter selects audit entries. Empty fields do not filter.
type Filter struct {
	Stream    string
	EventType string
	// Kinds limits the entries to these aggregate kinds (stream categories); nil does
	// not filter, an empty non-nil slice selects nothing.
	Kinds         []string
	User          *int64
	CorrelationID string
	RequestID     string
	// MinDate and MaxDate bound the recorded time, both included.
	MinDate, MaxDate *time.Time
	// Ordering is DRF's ordering parameter over pk (log order), date, stream, version,
	// event_type and user; the default is "-pk", the newest first.
	Ordering string
	Limit    int
	Offset   int
}

// ReadModel answers queries on the audit log.
type ReadModel struct {
	pool *pgxpool.Pool
}

// NewReadModel returns the audit log's queries on pool.
func NewReadModel(pool *pgxpool.Pool) (*ReadModel, error) {
	if pool == nil {
		return nil, errors.New("audit read model: no pool")
	}
	return &ReadModel{pool: pool}, nil
}

const entryColumns = `pk, event_id, commit_pos, prepare_pos, stream, kind, version, event_type, schema_version,
	stored_schema, data::text, user_id, username, request_id, correlation_id, causation_id, recorded_at`

// Get returns one entry, or a domain.NotFoundError.
func (r *ReadModel) Get(ctx context.Context, pk int64) (Entry, error) {
	rows, err := r.pool.Query(ctx, "SELECT "+entryColumns+" FROM audit_events WHERE pk = $1", pk)
	if err != nil {
		return Entry{}, fmt.Errorf("audit entry %d: %w", pk, err)
	}
	out, err := scanEntries(rows)
	if err != nil {
		return Entry{}, fmt.Errorf("audit entry %d: %w", pk, err)
	}
	if len(out) == 0 {
		return Entry{}, &domain.NotFoundError{Kind: "AuditEntry", ID: pk}
	}
	return out[0], nil
}

// List returns the entries f selects and, when f.Limit is set, how many it selects in
// all.
func (r *ReadModel) List(ctx context.Context, f Filter) ([]Entry, int, error) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	eq := func(col string, v string) {
		if v != "" {
			conds = append(conds, col+" = "+arg(v))
		}
	}
	eq("stream", f.Stream)
	eq("event_type", f.EventType)
	eq("correlation_id", f.CorrelationID)
	eq("request_id", f.RequestID)
	if f.Kinds != nil {
		conds = append(conds, "kind = ANY("+arg(f.Kinds)+"::text[])")
	}
	if f.User != nil {
		conds = append(conds, "user_id = "+arg(*f.User))
	}
	if f.MinDate != nil {
		conds = append(conds, "recorded_at >= "+arg(*f.MinDate))
	}
	if f.MaxDate != nil {
		conds = append(conds, "recorded_at <= "+arg(*f.MaxDate))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	total := -1
	if f.Limit > 0 {
		if err := r.pool.QueryRow(ctx, "SELECT count(*) FROM audit_events"+where, args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count audit entries: %w", err)
		}
	}
	sql := "SELECT " + entryColumns + " FROM audit_events" + where + " ORDER BY " + orderBy(f.Ordering)
	if f.Limit > 0 {
		sql += " LIMIT " + arg(f.Limit)
	}
	if f.Offset > 0 {
		sql += " OFFSET " + arg(f.Offset)
	}
	rows, err := r.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	out, err := scanEntries(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit entries: %w", err)
	}
	if total < 0 {
		total = len(out)
	}
	return out, total, nil
}

// ordering maps the audit list's ordering fields to columns.
var ordering = map[string][]string{
	"pk":         {"pk"},
	"date":       {"recorded_at"},
	"stream":     {"stream", "version"},
	"version":    {"version"},
	"event_type": {"event_type"},
	"user":       {"user_id"},
}

// orderBy is DRF's OrderingFilter over ordering: unknown fields are dropped, none left
// is the default, and pk breaks ties in the direction of the first term so that pages
// are stable and a descending order stays newest first.
func orderBy(param string) string {
	var terms []string
	desc := false
	for _, f := range strings.Split(param, ",") {
		f = strings.TrimSpace(f)
		dir := ""
		if strings.HasPrefix(f, "-") {
			f, dir = f[1:], " DESC"
		}
		cols, ok := ordering[f]
		if !ok {
			continue
		}
		if len(terms) == 0 {
			desc = dir != ""
		}
		for _, c := range cols {
			terms = append(terms, c+dir)
		}
	}
	if len(terms) == 0 {
		return "pk DESC"
	}
	if desc {
		return strings.Join(terms, ", ") + ", pk DESC"
	}
	return strings.Join(terms, ", ") + ", pk"
}

func scanEntries(rows pgx.Rows) ([]Entry, error) {
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var commit, prepare int64
		var data string
		var at time.Time
		if err := rows.Scan(&e.PK, &e.EventID, &commit, &prepare, &e.Stream, &e.Kind, &e.Version, &e.EventType,
			&e.SchemaVersion, &e.StoredSchemaVersion, &data, &e.User, &e.Username, &e.RequestID,
			&e.CorrelationID, &e.CausationID, &at); err != nil {
			return nil, err
		}
		e.Position = eventstore.Position{Commit: uint64(commit), Prepare: uint64(prepare)}.String()
		_, e.AggregateID, _ = strings.Cut(e.Stream, "-")
		e.Data = json.RawMessage(data)
		e.Date = drftime.Format(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
