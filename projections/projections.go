// Package projections turns the global event log into PostgreSQL read models.
//
// A Projector folds batches of events into its tables. The Runner feeds each projector
// the log from its checkpoint and commits the projector's rows together with the new
// checkpoint, so every event is applied exactly once even across crashes and even when
// two servers run the same projector. Projectors decide nothing: they record facts.
package projections

import (
	"context"
	"embed"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

// Projector builds one read model.
type Projector interface {
	// Name identifies the projector's checkpoint. It is stored: renaming a projector
	// rebuilds it from the start of the log.
	Name() string
	// Project applies a batch of events, in log order, inside tx. It sees every event
	// and ignores those it does not need. An error rolls the batch back; the runner
	// retries it later.
	Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error
	// Migrations creates the read model's tables, functions and everything else it
	// keeps, unqualified, so that they land in the first schema of the search_path: the
	// live schema when the server migrates, a schema of their own when a rebuild or a
	// verification builds the read model beside the live one (see Runner.Rebuild).
	Migrations() migrate.Set
}

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the schema the runner needs (the checkpoints).
func Migrations() migrate.Set { return migrate.Embedded("projections", migrationFiles) }

// Migrate creates or upgrades the runner's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}
