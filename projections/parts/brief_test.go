package parts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/projections/parts"
)

// checkBriefs compares every stored brief with BriefSQL rendered from the rows as they
// are now and compacted as encoding/json compacts a json.RawMessage.
func (f *fixture) checkBriefs(when string) {
	f.t.Helper()
	rows, err := f.Pool.Query(context.Background(),
		`SELECT p.pk, p.brief, (`+parts.BriefSQL+`)::jsonb::text FROM parts p ORDER BY p.pk`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var pk int64
		var stored *string
		var rendered []byte
		if err := rows.Scan(&pk, &stored, &rendered); err != nil {
			f.t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, rendered); err != nil {
			f.t.Fatal(err)
		}
		if stored == nil || *stored != want.String() {
			f.t.Errorf("%s: part %d brief %v, want %s", when, pk, stored, want.String())
		}
		n++
	}
	if err := rows.Err(); err != nil || n == 0 {
		f.t.Fatalf("%s: %d parts, %v", when, n, err)
	}
}

// The stored briefs follow the parts and the default locations their categories pass
// down, through edits, moves and deletions, a rebuild, and a migration that finds
// parts without one.
func TestBriefsFollowPartsAndCategories(t *testing.T) {
	f := newFixture(t)
	s := buildShop(f)
	f.checkBriefs("after the shop is built")

	f.updatePart(s.r10k, part.PartPatch{Name: ptr(`R "10k" <0805> & co`), Revision: ptr("B"), IPN: ptr("")})
	f.updateCategory(s.electronics, part.CategoryPatch{DefaultLocation: ptr(int64(70))})
	f.updateCategory(s.ic, part.CategoryPatch{DefaultLocation: ptr(int64(0))})
	f.checkBriefs("after edits of default locations")
	if !f.briefHas(s.max232, `"category_default_location":70`) {
		t.Error("the transceiver does not inherit Electronics' default location")
	}

	f.updateCategory(s.transceivers, part.CategoryPatch{Parent: &s.mechanical})
	f.updatePart(s.r4k7, part.PartPatch{Category: &s.fasteners})
	f.checkBriefs("after moves")
	f.updateCategory(s.mechanical, part.CategoryPatch{DefaultLocation: ptr(int64(5))})
	f.checkBriefs("after a default location above moved parts")
	f.deleteCategory(s.mechanical, part.DeleteOptions{})
	f.checkBriefs("after a deletion")

	f.Stop()
	if err := f.Runner.Rebuild(context.Background(), parts.Name, nil); err != nil {
		t.Fatal(err)
	}
	f.checkBriefs("after a rebuild")

	if _, err := f.Pool.Exec(context.Background(), `UPDATE parts SET brief = NULL`); err != nil {
		t.Fatal(err)
	}
	if err := parts.Migrate(context.Background(), f.Pool, nil); err != nil {
		t.Fatal(err)
	}
	f.checkBriefs("after a migration")
}

func (f *fixture) briefHas(pk int64, want string) bool {
	f.t.Helper()
	var brief string
	if err := f.Pool.QueryRow(context.Background(), `SELECT brief FROM parts WHERE pk = $1`, pk).Scan(&brief); err != nil {
		f.t.Fatal(err)
	}
	return bytes.Contains([]byte(brief), []byte(want))
}
