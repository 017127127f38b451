package main

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/stockledger/stockledger/internal/pgtest"
)

// run runs the command line with args and returns what it printed.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot(slog.New(slog.DiscardHandler))
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// seed, rebuild and verify from the command line: a clean ledger verifies, a planted
// difference is printed and makes verify fail (the process exits non-zero).
func TestRebuildAndVerifyCommands(t *testing.T) {
	db := pgtest.NewDatabase(t)
	if out, err := run(t, "--database-url", db, "seed", "--events", "3000"); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	out, err := run(t, "--database-url", db, "rebuild", "--all")
	if err != nil || !strings.Contains(out, "stock: rebuilt and swapped in") {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	if out, err := run(t, "--database-url", db, "verify"); err != nil || !strings.Contains(out, "stock: no differences") {
		t.Fatalf("verify of a rebuilt ledger: %v\n%s", err, out)
	}

	conn, err := pgx.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var pk int64
	if err := conn.QueryRow(context.Background(),
		`UPDATE stock_items SET batch = 'planted' WHERE pk = (SELECT min(pk) FROM stock_items) RETURNING pk`).Scan(&pk); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "--database-url", db, "verify", "stock")
	if err == nil {
		t.Fatalf("verify passed a planted difference:\n%s", out)
	}
	for _, want := range []string{"stock: 1 rows differ", "stock_items (" + strconv.FormatInt(pk, 10) + "): batch: live \"planted\""} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %q:\n%s", want, out)
		}
	}
	if _, err := run(t, "--database-url", db, "verify", "nope"); err == nil {
		t.Error("verify of an unknown projection passed")
	}
}
