// Package pgtest gives each test a fresh database on a real PostgreSQL server.
//
// A test package calls Main from TestMain:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
// and each test that needs a database calls NewDatabase (or NewPool). The server is the
// one TEST_DATABASE_URL names, when set: a postgres:// URL of an account that may create
// and drop databases, such as postgres://postgres@127.0.0.1:5432/postgres, on PostgreSQL
// 13 or later. Otherwise Main starts a private server with localpg in a temporary folder,
// one per test binary, and removes it after the tests.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/internal/localpg"
)

// EnvURL names the environment variable with the URL of a server to use instead of a
// private one.
const EnvURL = "TEST_DATABASE_URL"

// adminURL is the server's admin URL, set by Main before any test runs and only read
// afterwards. TestMain is the only hook a test binary has, hence a package variable.
var adminURL *url.URL

// privateSettings make the throwaway server fast (nothing survives a crash, nothing
// needs to) and let many parallel tests hold pools at once.
var privateSettings = map[string]string{
	"fsync":              "off",
	"synchronous_commit": "off",
	"full_page_writes":   "off",
	"max_connections":    "300",
}

// Main runs the tests of m against the server of TEST_DATABASE_URL or a private one,
// then exits with m.Run's code.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if raw := os.Getenv(EnvURL); raw != "" {
		u, err := parseURL(raw)
		if err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %s: %v\n", EnvURL, err)
			return 2
		}
		adminURL = u
		return m.Run()
	}

	dir, err := os.MkdirTemp("", "stockledger-pgtest-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := localpg.Start(context.Background(), localpg.Config{
		Dir:       dir,
		Settings:  privateSettings,
		Temporary: true,
		Logger:    log,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: start a private PostgreSQL (or set %s): %v\n", EnvURL, err)
		return 2
	}
	adminURL, err = parseURL(srv.URL())
	if err != nil {
		_ = srv.Stop()
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		return 2
	}
	code := m.Run()
	if err := srv.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, fmt.Errorf("%q is not a postgres:// URL", u.Redacted())
	}
	return u, nil
}

// NewDatabase creates an empty database for tb alone, drops it when tb ends, and
// returns its URL. It is safe to call from parallel tests.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	if adminURL == nil {
		tb.Fatal("pgtest: Main was not called; add func TestMain(m *testing.M) { pgtest.Main(m) } to this package's tests")
	}
	name := databaseName(tb.Name())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		// tb's context is done by now.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u := *adminURL
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// NewPool is a pool on a fresh database of NewDatabase, closed when tb ends.
func NewPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), NewDatabase(tb))
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(pool.Close) // runs before the database is dropped
	return pool
}

// admin runs one statement on the server's admin database; CREATE and DROP DATABASE
// cannot run in a transaction, so each gets a connection of its own.
func admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, adminURL.String())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// databaseName is a unique, valid name that says which test it belongs to.
func databaseName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	suffix := make([]byte, 6)
	_, _ = rand.Read(suffix)
	return "test_" + strings.TrimSuffix(b.String(), "_") + "_" + hex.EncodeToString(suffix)
}
