// Package sequence allocates the integer primary keys InvenTree clients expect. A key is
// taken before the creating event is appended and travels in that event, so the event
// log, not the sequence, is the record of what exists: a key taken by a command that
// then failed is simply never used.
package sequence

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Sequences hands out keys from one PostgreSQL sequence per category, created on first
// use.
type Sequences struct {
	pool    *pgxpool.Pool
	mu      sync.Mutex
	created map[string]bool
}

// New returns Sequences on pool.
func New(pool *pgxpool.Pool) *Sequences {
	return &Sequences{pool: pool, created: map[string]bool{}}
}

// Next returns a new key for category (a stream category such as "stockitem").
func (s *Sequences) Next(ctx context.Context, category string) (int64, error) {
	if !validName(category) {
		return 0, fmt.Errorf("next key: invalid category %q", category)
	}
	name := "pk_" + category
	if err := s.ensure(ctx, name); err != nil {
		return 0, err
	}
	var id int64
	if err := s.pool.QueryRow(ctx, `SELECT nextval($1::regclass)`, name).Scan(&id); err != nil {
		return 0, fmt.Errorf("next key for %s: %w", category, err)
	}
	return id, nil
}

// NextN returns n new keys for category in one round trip, for bulk creation.
func (s *Sequences) NextN(ctx context.Context, category string, n int) ([]int64, error) {
	if !validName(category) {
		return nil, fmt.Errorf("next keys: invalid category %q", category)
	}
	name := "pk_" + category
	if err := s.ensure(ctx, name); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT nextval($1::regclass) FROM generate_series(1, $2)`, name, n)
	if err != nil {
		return nil, fmt.Errorf("next keys for %s: %w", category, err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("next keys for %s: %w", category, err)
	}
	return keys, nil
}

func (s *Sequences) ensure(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.created[name] {
		return nil
	}
	// The name is checked by validName: plain lower-case letters, digits and '_'.
	if _, err := s.pool.Exec(ctx, `CREATE SEQUENCE IF NOT EXISTS `+name); err != nil {
		return fmt.Errorf("create sequence %s: %w", name, err)
	}
	s.created[name] = true
	return nil
}

func validName(category string) bool {
	if category == "" || len(category) > 50 {
		return false
	}
	for _, c := range category {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
