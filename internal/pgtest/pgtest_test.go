package pgtest

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

// TestDatabasesAreIsolated writes the same table in two parallel tests' databases; each
// must see only its own row.
func TestDatabasesAreIsolated(t *testing.T) {
	names := make(chan string, 2)
	for _, note := range []string{"first", "second"} {
		t.Run(note, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rawURL := NewDatabase(t)
			u, err := url.Parse(rawURL)
			if err != nil {
				t.Fatal(err)
			}
			names <- strings.TrimPrefix(u.Path, "/")
			conn, err := pgx.Connect(ctx, rawURL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := conn.Exec(ctx, "CREATE TABLE notes (note text)"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "INSERT INTO notes VALUES ($1)", note); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "SELECT note FROM notes")
			if err != nil {
				t.Fatal(err)
			}
			got, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != note {
				t.Errorf("notes = %q; want only %q", got, note)
			}
		})
	}
	t.Cleanup(func() { // after both subtests
		close(names)
		a, b := <-names, <-names
		if a == b {
			t.Errorf("both tests got database %s", a)
		}
	})
}

// TestDatabaseIsDroppedAfterTest checks that a test's database is gone once it ends,
// even with a connection still open.
func TestDatabaseIsDroppedAfterTest(t *testing.T) {
	ctx := context.Background()
	var name string
	t.Run("user", func(t *testing.T) {
		pool := NewPool(t)
		if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&name); err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(ctx, pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		_ = conn // left open on purpose
	})
	conn, err := pgx.Connect(ctx, adminURL.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if name == "" || exists {
		t.Errorf("database %q still exists after its test", name)
	}
}

func TestDatabaseNameIsValid(t *testing.T) {
	long := strings.Repeat("TestVeryLong/Sub test with spaces ", 5)
	for _, testName := range []string{"TestX", long, "Test/é/ü", "Test__a"} {
		name := databaseName(testName)
		if len(name) > 63 || strings.ContainsFunc(name, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
		}) {
			t.Errorf("databaseName(%q) = %q; want at most 63 of [a-z0-9_]", testName, name)
		}
	}
	if databaseName("TestX") == databaseName("TestX") {
		t.Error("two calls gave the same name")
	}
}
