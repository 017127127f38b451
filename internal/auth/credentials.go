// Package auth keeps Stockledger's secrets and authenticates requests.
//
// Secrets never enter the event log. Passwords and API token keys live in the
// credentials table under an opaque id; events (UserPasswordChanged, ApiTokenCreated)
// carry only that id. The Authenticator answers `Authorization: Token <key>` with one
// indexed query over the credentials and the users read model, and HTTP Basic with an
// argon2id verification.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"log/slog"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/internal/migrate"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the credentials schema.
func Migrations() migrate.Set { return migrate.Embedded("auth", migrationFiles) }

// Migrate creates or upgrades the credentials table.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// Credentials stores passwords and token keys. It is safe for concurrent use.
type Credentials struct {
	pool   *pgxpool.Pool
	params Argon2Params
}

// NewCredentials returns the credentials store on pool, hashing with DefaultArgon2.
func NewCredentials(pool *pgxpool.Pool) *Credentials {
	return &Credentials{pool: pool, params: DefaultArgon2}
}

// NewPassword hashes password and stores it; the id goes into UserPasswordChanged.
func (c *Credentials) NewPassword(ctx context.Context, password string) (uuid.UUID, error) {
	hash, err := HashPassword(password, c.params)
	if err != nil {
		return uuid.Nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("new password: %w", err)
	}
	if _, err := c.pool.Exec(ctx, `INSERT INTO credentials (id, kind, password_hash) VALUES ($1, 'password', $2)`, id, hash); err != nil {
		return uuid.Nil, fmt.Errorf("store password: %w", err)
	}
	return id, nil
}

// NewTokenKey generates an API token key created on the given day and stores its
// digest. The key is returned once, for the client; only its id and redacted form
// (user.RedactTokenKey) go into ApiTokenCreated.
func (c *Credentials) NewTokenKey(ctx context.Context, created user.Date) (uuid.UUID, string, error) {
	key := NewTokenKey(created)
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, "", fmt.Errorf("new token: %w", err)
	}
	if _, err := c.pool.Exec(ctx, `INSERT INTO credentials (id, kind, token_digest) VALUES ($1, 'token', $2)`, id, TokenDigest(key)); err != nil {
		return uuid.Nil, "", fmt.Errorf("store token: %w", err)
	}
	return id, key, nil
}

// Forget deletes credentials nothing should use any more (a replaced password, the
// secrets of a deleted user).
func (c *Credentials) Forget(ctx context.Context, ids ...uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := c.pool.Exec(ctx, `DELETE FROM credentials WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("forget %d credentials: %w", len(ids), err)
	}
	return nil
}

// NewTokenKey is a fresh key in InvenTree's format: "inv-", 40 hex digits (160 random
// bits, as DRF's generate_key), "-" and the creation day as YYYYMMDD.
func NewTokenKey(created user.Date) string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	return "inv-" + hex.EncodeToString(b) + "-" + created.Compact()
}

// TokenDigest is what the credentials table keeps of a key. A plain SHA-256 suffices: a
// key carries 160 random bits, so the digest cannot be reversed by guessing, and a fast
// hash lets every request be checked cheaply.
func TokenDigest(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}
