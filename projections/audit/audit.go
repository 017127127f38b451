// Package audit projects the whole ledger into the audit log that /api/audit/ serves:
// every event, in log order, with who caused it, when, what it says and the request it
// came from.
//
// The log is a read model like any other, so it is served the same way whether the
// events are kept in PostgreSQL or in EventStoreDB, and its indexes are the audit
// filters'. Payloads are stored in their event's current shape: the projector decodes
// each event through the codec, which upcasts older schema versions, and encodes it
// again.
package audit

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the audit log's schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_audit", migrationFiles) }

// Migrate creates or upgrades the audit log's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// ProjectorName is the audit projector's checkpoint name. Stored: renaming it rebuilds
// the audit log from the start of the log.
const ProjectorName = "audit"

// Codec reads stored events in their current shape (*domain.Codec).
type Codec interface {
	Decode(typ string, schema int, data []byte) (domain.Event, error)
	Schema(typ string) int
}

// Projector keeps the audit log.
type Projector struct {
	codec Codec
}

// NewProjector returns the audit projector. codec must know every event type the log
// holds: an event it cannot read stops the audit log (and is retried) rather than
// leaving a hole in it.
func NewProjector(codec Codec) (*Projector, error) {
	if codec == nil {
		return nil, errors.New("audit projector: no codec")
	}
	return &Projector{codec: codec}, nil
}

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations implements projections.Projector.
func (*Projector) Migrations() migrate.Set { return Migrations() }

// Project appends a batch of events to the audit log, in one statement.
func (p *Projector) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	if len(batch) == 0 {
		return nil
	}
	var r rows
	for _, rec := range batch {
		ev, err := p.codec.Decode(rec.Type, rec.Schema, rec.Data)
		if err != nil {
			return fmt.Errorf("%s@%d: %w", rec.Stream, rec.Version, err)
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("%s@%d: encode %s: %w", rec.Stream, rec.Version, rec.Type, err)
		}
		r.add(rec, p.codec.Schema(rec.Type), data)
	}
	// The pks count on from the highest stored, in log order: not drawn from a sequence,
	// which does not roll back with a failed batch, so a rebuild gives every entry the pk
	// it has live. Empty metadata is NULL: the event was the system's, or came from no
	// request.
	const insert = `INSERT INTO audit_events (pk, event_id, commit_pos, prepare_pos, stream, kind, version,
			event_type, schema_version, stored_schema, data, user_id, username, request_id, correlation_id,
			causation_id, recorded_at)
		SELECT (SELECT coalesce(max(pk), 0) FROM audit_events) + e.ord, e.id, e.c, e.p, e.stream, e.kind, e.version, e.type, e.schema, e.stored, e.data::json,
			nullif(e.user_id, 0), nullif(e.username, ''), nullif(e.request, ''), nullif(e.correlation, ''),
			nullif(e.causation, ''), e.at
		FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[],
			$8::int[], $9::int[], $10::text[], $11::bigint[], $12::text[], $13::text[], $14::text[], $15::text[],
			$16::timestamptz[])
			WITH ORDINALITY AS e(id, c, p, stream, kind, version, type, schema, stored, data, user_id, username,
				request, correlation, causation, at, ord)
		ORDER BY e.ord`
	args := []any{r.ids, r.commits, r.prepares, r.streams, r.kinds, r.versions, r.types, r.schemas, r.stored, r.data,
		r.users, r.usernames, r.requests, r.correlations, r.causations, r.at}
	// With the runner's transaction (projections.Tx) the insert needs no round trip of
	// its own: it travels with the checkpoint and the COMMIT, so the batch's transaction,
	// which holds back every reader of the log while it is open, is as short as it gets.
	if d, ok := tx.(interface{ Defer(string, ...any) }); ok {
		d.Defer(insert, args...)
		return nil
	}
	_, err := tx.Exec(ctx, insert, args...)
	return err
}

// rows are a batch's audit rows, column by column, for one INSERT from arrays.
type rows struct {
	ids                                           []uuid.UUID
	commits, prepares, versions, users            []int64
	streams, kinds, types, data                   []string
	usernames, requests, correlations, causations []string
	schemas, stored                               []int32
	at                                            []time.Time
}

func (r *rows) add(rec eventstore.Recorded, schema int, data []byte) {
	m := rec.Metadata
	r.ids = append(r.ids, rec.ID)
	r.commits = append(r.commits, int64(rec.Position.Commit))
	r.prepares = append(r.prepares, int64(rec.Position.Prepare))
	r.streams = append(r.streams, rec.Stream)
	r.kinds = append(r.kinds, rec.Category())
	r.versions = append(r.versions, int64(rec.Version))
	r.types = append(r.types, rec.Type)
	r.schemas = append(r.schemas, int32(schema))
	r.stored = append(r.stored, int32(max(rec.Schema, 1)))
	r.data = append(r.data, string(data))
	r.users = append(r.users, m.UserID)
	r.usernames = append(r.usernames, m.User)
	r.requests = append(r.requests, m.RequestID)
	r.correlations = append(r.correlations, m.CorrelationID)
	r.causations = append(r.causations, m.CausationID)
	r.at = append(r.at, rec.RecordedAt)
}
