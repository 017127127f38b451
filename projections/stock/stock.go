// Package stock projects the stock events into the read models InvenTree's stock API
// serves: stock locations (/api/stock/location/), stock items (/api/stock/) and the
// stock tracking history (/api/stock/track/), and answers queries on them.
//
// One projector keeps all three tables, because they depend on each other: a location's
// item count follows item moves, a tracking entry names its item's part. It decides
// nothing; every value it writes is in an event or follows from events.
package stock

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	stockdomain "github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the stock read models' schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_stock", migrationFiles) }

// Migrate creates or upgrades the stock read models' tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// ProjectorName is the stock projector's checkpoint name. Stored: renaming it rebuilds
// the read models from the start of the log.
const ProjectorName = "stock"

// Projector keeps the stock read models.
type Projector struct {
	codec *domain.Codec
}

// NewProjector returns the stock projector.
func NewProjector() *Projector {
	codec, err := domain.NewCodec(stockdomain.Events())
	if err != nil {
		panic(err) // the event table is static; a duplicate is a programming error
	}
	return &Projector{codec: codec}
}

// Name implements projections.Projector.
func (*Projector) Name() string { return ProjectorName }

// Migrations implements projections.Projector.
func (*Projector) Migrations() migrate.Set { return Migrations() }

// Project applies a batch of events.
func (p *Projector) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	counts := itemCounts{}
	for _, rec := range batch {
		ev, err := p.decode(rec)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		a := applier{ctx: ctx, tx: tx, rec: rec, counts: counts}
		if err := apply(a, rec.RecordedAt, ev); err != nil {
			return fmt.Errorf("%s@%d %s: %w", rec.Stream, rec.Version, rec.Type, err)
		}
	}
	return applier{ctx: ctx, tx: tx, counts: counts}.flushCounts()
}

// decode decodes a stock event; it is nil for an event of another kind of stream.
func (p *Projector) decode(rec eventstore.Recorded) (domain.Event, error) {
	switch rec.Category() {
	case "stockitem", "stocklocation":
	default:
		return nil, nil
	}
	ev, err := p.codec.Decode(rec.Type, rec.Schema, rec.Data)
	if err != nil {
		return nil, fmt.Errorf("%s@%d: %w", rec.Stream, rec.Version, err)
	}
	return ev, nil
}

// marshal is json.Marshal for values that always marshal.
func marshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
