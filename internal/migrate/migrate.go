// Package migrate applies a component's embedded SQL migrations with goose.
//
// Each component (the event store, the projections) owns its migrations and its own
// version table, so the event store can be migrated without the read models and a
// deployment on EventStoreDB never creates event tables in PostgreSQL.
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
)

// Set is one component's migrations.
type Set struct {
	// Name identifies the set; its version table is "<Name>_schema_version". Stored: a
	// rename re-runs every migration.
	Name string
	// FS holds the migration files (goose's NNNNN_name.sql format) at its root.
	FS fs.FS
}

// Embedded is the set of migrations a component embeds as the folder "migrations"
// (//go:embed migrations/*.sql), under the name that keeps its version table.
func Embedded(name string, files fs.FS) Set {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		panic(err) // fs.Sub refuses only an invalid path, and this one is valid
	}
	return Set{Name: name, FS: sub}
}

// Up applies every pending migration of set. Concurrent callers (several servers
// starting at once) are serialised by a PostgreSQL advisory lock.
func Up(ctx context.Context, pool *pgxpool.Pool, set Set, logger *slog.Logger) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := newProvider(db, set)
	if err != nil {
		return err
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", set.Name, err)
	}
	if logger != nil {
		for _, r := range results {
			logger.Info("migration applied", "set", set.Name, "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
		}
	}
	return nil
}

// VersionTable is the table, in the schema the set was migrated in, where goose keeps
// which of the set's migrations ran.
func (s Set) VersionTable() string { return s.Name + "_schema_version" }

func newProvider(db *sql.DB, set Set) (*goose.Provider, error) {
	store, err := database.NewStore(database.DialectPostgres, set.VersionTable())
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", set.Name, err)
	}
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(set.Name)))
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", set.Name, err)
	}
	provider, err := goose.NewProvider("", db, set.FS,
		goose.WithStore(store),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("migrate %s: %w", set.Name, err)
	}
	return provider, nil
}

// lockID derives a stable advisory lock id per set (FNV-1a), so two sets can migrate
// concurrently while two servers migrating the same set take turns.
func lockID(name string) int64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return int64(h >> 1)
}
