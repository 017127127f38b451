package commands_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stockledger/stockledger/commands"
	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/ledgertest"
)

var partClock = time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)

type partFixture struct {
	*ledgertest.Ledger
	h *commands.PartHandlers
}

func newPartFixture(t *testing.T) partFixture {
	t.Helper()
	l := ledgertest.New(t, ledgertest.Options{Events: [][]domain.EventType{part.Events()}, MaxAttempts: 50})
	h, err := commands.NewPartHandlers(l.Executor, func() time.Time { return partClock })
	if err != nil {
		t.Fatal(err)
	}
	return partFixture{Ledger: l, h: h}
}

func (f partFixture) category(t *testing.T, name string, parent int64) int64 {
	t.Helper()
	id, _, err := f.h.CreatePartCategory(context.Background(), commands.CreatePartCategory{
		Fields: part.CategoryFields{Name: name, Parent: parent},
	})
	if err != nil {
		t.Fatalf("create category %s: %v", name, err)
	}
	return id
}

func (f partFixture) part(t *testing.T, name string, category int64, mutate ...func(*part.PartFields)) int64 {
	t.Helper()
	fields := part.DefaultPartFields()
	fields.Name, fields.Category = name, category
	for _, m := range mutate {
		m(&fields)
	}
	id, _, err := f.h.CreatePart(context.Background(), commands.CreatePart{Fields: fields})
	if err != nil {
		t.Fatalf("create part %s: %v", name, err)
	}
	return id
}

func (f partFixture) loadCategory(t *testing.T, id int64) *part.Category {
	t.Helper()
	c, _, err := commands.Load(context.Background(), f.Executor, eventstore.Stream("partcategory", id), func() *part.Category { return &part.Category{} })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f partFixture) loadPart(t *testing.T, id int64) *part.Part {
	t.Helper()
	p, _, err := commands.Load(context.Background(), f.Executor, eventstore.Stream("part", id), func() *part.Part { return &part.Part{} })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ref[T any](v T) *T { return &v }

func wantViolation(t *testing.T, err error, field, msg string) {
	t.Helper()
	var re *domain.RuleError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want %q: %q", err, field, msg)
	}
	for _, v := range re.Violations {
		if v.Field == field && v.Message == msg {
			return
		}
	}
	t.Fatalf("violations = %+v, want %q: %q", re.Violations, field, msg)
}

func TestNewPartHandlersRefusesMissingDependencies(t *testing.T) {
	if _, err := commands.NewPartHandlers(nil, nil); err == nil {
		t.Fatal("no error")
	}
}

func TestPartLifecycle(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	elec := f.category(t, "Electronics", 0)
	res := f.category(t, "Resistors", elec)

	fields := part.DefaultPartFields()
	fields.Name, fields.IPN, fields.Category, fields.CreationUser = "R_10K", " R-10K ", res, 7
	id, created, err := f.h.CreatePart(ctx, commands.CreatePart{Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	if created.Position == (eventstore.Position{}) || created.Appended != 2 {
		t.Fatalf("create result = %+v; want a position and the part plus its name reservation", created)
	}
	p := f.loadPart(t, id)
	if got := p.Fields(); got.IPN != "R-10K" || got.Category != res || got.CreationUser != 7 {
		t.Fatalf("fields = %+v", got)
	}

	upd, err := f.h.UpdatePart(ctx, commands.UpdatePart{ID: id, Patch: part.PartPatch{Description: ref("10k resistor"), Active: ref(false)}})
	if err != nil || upd.Appended != 1 {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	// An edit that changes nothing appends nothing.
	if upd, err := f.h.UpdatePart(ctx, commands.UpdatePart{ID: id, Patch: part.PartPatch{Active: ref(false)}}); err != nil || upd.Appended != 0 {
		t.Fatalf("empty update: %+v, %v", upd, err)
	}
	if _, err := f.h.DeletePart(ctx, commands.DeletePart{ID: id}); err != nil {
		t.Fatal(err)
	}
	if f.loadPart(t, id).Exists() {
		t.Fatal("deleted part exists")
	}
	// Its name, IPN and revision are free again.
	f.part(t, "R_10K", res, func(p *part.PartFields) { p.IPN = "R-10K" })

	if _, err := f.h.UpdatePart(ctx, commands.UpdatePart{ID: 999, Patch: part.PartPatch{Name: ref("x")}}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("update of a missing part: %v", err)
	}
}

func TestPartRulesUseFactsFromOtherStreams(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	structural := f.category(t, "Structural", 0)
	if _, err := f.h.UpdatePartCategory(ctx, commands.UpdatePartCategory{ID: structural, Patch: part.CategoryPatch{Structural: ref(true)}}); err != nil {
		t.Fatal(err)
	}
	plain := f.category(t, "Plain", 0)

	fields := part.DefaultPartFields()
	fields.Name, fields.Category = "P", structural
	_, _, err := f.h.CreatePart(ctx, commands.CreatePart{Fields: fields})
	wantViolation(t, err, "category", part.MsgStructuralCategory)

	fields.Category = 12345
	_, _, err = f.h.CreatePart(ctx, commands.CreatePart{Fields: fields})
	var nf *domain.NotFoundError
	if !errors.As(err, &nf) || nf.Field != "category" {
		t.Fatalf("missing category: %v", err)
	}

	id := f.part(t, "P", plain)
	_, err = f.h.UpdatePart(ctx, commands.UpdatePart{ID: id, Patch: part.PartPatch{Category: ref(structural)}})
	wantViolation(t, err, "category", part.MsgStructuralCategory)

	// Variants: only of templates, and never in a loop.
	tmpl := f.part(t, "T", plain, func(p *part.PartFields) { p.IsTemplate = true })
	sub := f.part(t, "T2", plain, func(p *part.PartFields) { p.IsTemplate = true; p.VariantOf = tmpl })
	_, err = f.h.UpdatePart(ctx, commands.UpdatePart{ID: tmpl, Patch: part.PartPatch{VariantOf: ref(sub)}})
	wantViolation(t, err, "variant_of", part.MsgInvalidParent)
	_, err = f.h.UpdatePart(ctx, commands.UpdatePart{ID: tmpl, Patch: part.PartPatch{VariantOf: ref(id)}})
	if !errors.As(err, &nf) || nf.Field != "variant_of" {
		t.Fatalf("variant of a non-template: %v", err)
	}

	// Revisions: a revision of a revision is refused.
	rev := f.part(t, "P", plain, func(p *part.PartFields) { p.RevisionOf = id; p.Revision = "B" })
	fields = part.DefaultPartFields()
	fields.Name, fields.RevisionOf, fields.Revision = "P", rev, "C"
	_, _, err = f.h.CreatePart(ctx, commands.CreatePart{Fields: fields})
	wantViolation(t, err, "revision_of", part.MsgRevisionOfRevision)
	// And two revisions of one part cannot share a code.
	fields.Name, fields.RevisionOf, fields.Revision = "P-other-name", id, "B"
	_, _, err = f.h.CreatePart(ctx, commands.CreatePart{Fields: fields})
	wantViolation(t, err, "", part.MsgDuplicateRevision)

	// Deleting: an active part is refused with InvenTree's message, a locked one too.
	_, err = f.h.DeletePart(ctx, commands.DeletePart{ID: id})
	wantViolation(t, err, "", part.MsgDeleteActive)
	if _, err := f.h.UpdatePart(ctx, commands.UpdatePart{ID: id, Patch: part.PartPatch{Active: ref(false), Locked: ref(true)}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.h.DeletePart(ctx, commands.DeletePart{ID: id})
	wantViolation(t, err, "", part.MsgDeleteLocked)
}

// Many clients create the same part at once: one wins, the others get InvenTree's
// uniqueness error, and parts without an IPN or revision may share a name.
func TestPartUniquenessUnderConcurrency(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	const clients = 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	var won, refused int
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fields := part.DefaultPartFields()
			fields.Name, fields.IPN = "M3 screw", "SCR-M3"
			_, _, err := f.h.CreatePart(ctx, commands.CreatePart{Fields: fields})
			mu.Lock()
			defer mu.Unlock()
			var re *domain.RuleError
			switch {
			case err == nil:
				won++
			case errors.As(err, &re) && re.Violations[0].Message == part.MsgDuplicatePart:
				refused++
			default:
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || refused != clients-1 {
		t.Fatalf("%d created, %d refused; want 1 and %d", won, refused, clients-1)
	}

	// Without IPN or revision, InvenTree allows duplicate names.
	f.part(t, "M3 screw", 0)
	f.part(t, "M3 screw", 0)

	// Renaming into a taken key is refused; renaming frees the old key.
	other := f.part(t, "M4 screw", 0, func(p *part.PartFields) { p.IPN = "SCR-M4" })
	_, err := f.h.UpdatePart(ctx, commands.UpdatePart{ID: other, Patch: part.PartPatch{Name: ref("M3 screw"), IPN: ref("SCR-M3")}})
	wantViolation(t, err, "", part.MsgDuplicatePart)
	if _, err := f.h.UpdatePart(ctx, commands.UpdatePart{ID: other, Patch: part.PartPatch{IPN: ref("SCR-M4B")}}); err != nil {
		t.Fatal(err)
	}
	f.part(t, "M4 screw", 0, func(p *part.PartFields) { p.IPN = "SCR-M4" })
}

func TestCategoryNamesAreUniqueAmongSiblings(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	a := f.category(t, "A", 0)
	b := f.category(t, "B", 0)
	f.category(t, "X", a)
	f.category(t, "X", b) // same name, other parent

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = f.h.CreatePartCategory(ctx, commands.CreatePartCategory{Fields: part.CategoryFields{Name: "Y", Parent: a}})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		wantViolation(t, err, "name", part.MsgDuplicateCategoryName)
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent creations succeeded, want 1", ok, len(errs))
	}

	// Moving next to a sibling of the same name is refused.
	xb := f.category(t, "Z", b)
	f.category(t, "Z", a)
	_, err := f.h.UpdatePartCategory(ctx, commands.UpdatePartCategory{ID: xb, Patch: part.CategoryPatch{Parent: ref(a)}})
	wantViolation(t, err, "name", part.MsgDuplicateCategoryName)
	// Renaming frees the old name.
	if _, err := f.h.UpdatePartCategory(ctx, commands.UpdatePartCategory{ID: xb, Patch: part.CategoryPatch{Name: ref("Z2")}}); err != nil {
		t.Fatal(err)
	}
	f.category(t, "Z", b)
}

func TestCategoryCannotMoveUnderItsDescendant(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	a := f.category(t, "A", 0)
	b := f.category(t, "B", a)
	c := f.category(t, "C", b)
	for _, target := range []int64{a, b, c} {
		_, err := f.h.UpdatePartCategory(ctx, commands.UpdatePartCategory{ID: a, Patch: part.CategoryPatch{Parent: ref(target)}})
		wantViolation(t, err, "parent", part.MsgInvalidParent)
	}
	// Sideways and up is fine.
	d := f.category(t, "D", 0)
	if _, err := f.h.UpdatePartCategory(ctx, commands.UpdatePartCategory{ID: c, Patch: part.CategoryPatch{Parent: ref(d)}}); err != nil {
		t.Fatal(err)
	}
	if got := f.loadCategory(t, c).Fields().Parent; got != d {
		t.Fatalf("parent = %d, want %d", got, d)
	}
	// Structural with parts is refused with the count api/ passes.
	_, err := f.h.UpdatePartCategory(ctx, commands.UpdatePartCategory{ID: d, Patch: part.CategoryPatch{Structural: ref(true)}, DirectParts: 1})
	wantViolation(t, err, "", part.MsgStructuralWithParts)
}

// tree builds A > B > C with parts in each, and returns the pks.
type tree struct {
	top, a, b, c           int64
	partA, partB, partC    int64
	lockedActiveB          int64
	contentsA              commands.PartCategoryContents
	childOfBWithNameOfA    int64
	unrelated, unrelatedPt int64
}

func buildTree(t *testing.T, f partFixture) tree {
	var tr tree
	tr.top = f.category(t, "Top", 0)
	tr.a = f.category(t, "A", tr.top)
	tr.b = f.category(t, "B", tr.a)
	tr.c = f.category(t, "C", tr.b)
	tr.childOfBWithNameOfA = f.category(t, "A", tr.a)
	tr.partA = f.part(t, "PA", tr.a, func(p *part.PartFields) { p.IPN = "PA" })
	tr.partB = f.part(t, "PB", tr.b)
	tr.partC = f.part(t, "PC", tr.c)
	tr.lockedActiveB = f.part(t, "PL", tr.b, func(p *part.PartFields) { p.Locked = true })
	tr.unrelated = f.category(t, "Elsewhere", 0)
	tr.unrelatedPt = f.part(t, "PE", tr.unrelated)
	tr.contentsA = commands.PartCategoryContents{
		// Stale entries (a category and a part that are not below A) must be ignored.
		Children:     []int64{tr.b, tr.childOfBWithNameOfA, tr.unrelated},
		Descendants:  []int64{tr.c, tr.b, tr.childOfBWithNameOfA, tr.unrelated},
		Parts:        []int64{tr.partA, tr.unrelatedPt},
		SubtreeParts: []int64{tr.partA, tr.partB, tr.partC, tr.lockedActiveB, tr.unrelatedPt},
	}
	return tr
}

func TestDeleteCategoryOptions(t *testing.T) {
	tests := []struct {
		name string
		opts part.DeleteOptions
		// what becomes of each: parent/category pk, or -1 for deleted
		b, c, childA          int64
		partA, partB, partC   int64
		wantDeletedCategories int
	}{
		{name: "move everything up", opts: part.DeleteOptions{},
			b: 0 /*top*/, c: 0 /*b*/, childA: 0 /*top*/, partA: 0 /*top*/, partB: 0 /*b*/, partC: 0 /*c*/},
		{name: "delete parts, move children up", opts: part.DeleteOptions{DeleteParts: true},
			partA: -1},
		{name: "delete children, move all parts up", opts: part.DeleteOptions{DeleteChildCategories: true},
			b: -1, c: -1, childA: -1},
		{name: "delete everything", opts: part.DeleteOptions{DeleteParts: true, DeleteChildCategories: true},
			b: -1, c: -1, childA: -1, partA: -1, partB: -1, partC: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPartFixture(t)
			ctx := context.Background()
			tr := buildTree(t, f)
			res, err := f.h.DeletePartCategory(ctx, commands.DeletePartCategory{ID: tr.a, Options: tt.opts, Contents: tr.contentsA})
			if err != nil {
				t.Fatal(err)
			}
			if f.loadCategory(t, tr.a).Exists() {
				t.Fatal("category still exists")
			}

			resolve := func(v, dflt int64) int64 {
				if v == -1 {
					return -1
				}
				return dflt
			}
			wantCat := map[int64]int64{
				tr.b:                   resolve(tt.b, tr.top),
				tr.c:                   resolve(tt.c, tr.b),
				tr.childOfBWithNameOfA: resolve(tt.childA, tr.top),
				tr.unrelated:           0,
			}
			for id, want := range wantCat {
				c := f.loadCategory(t, id)
				switch {
				case want == -1 && c.Exists():
					t.Errorf("category %s still exists", c.Fields().Name)
				case want != -1 && (!c.Exists() || c.Fields().Parent != want):
					t.Errorf("category %s: exists %v, parent %d; want parent %d", c.Fields().Name, c.Exists(), c.Fields().Parent, want)
				}
			}
			// Parts in the subtree move to A's parent when child categories go, and stay
			// in their category otherwise.
			up := func(v int64, kept int64) int64 {
				if v == -1 {
					return -1
				}
				if tt.opts.DeleteChildCategories {
					return tr.top
				}
				return kept
			}
			wantPart := map[int64]int64{
				tr.partA:         resolve(tt.partA, tr.top),
				tr.partB:         up(tt.partB, tr.b),
				tr.partC:         up(tt.partC, tr.c),
				tr.lockedActiveB: up(tt.partB, tr.b),
				tr.unrelatedPt:   tr.unrelated,
			}
			for id, want := range wantPart {
				p := f.loadPart(t, id)
				switch {
				case want == -1 && p.Exists():
					t.Errorf("part %s still exists", p.Fields().Name)
				case want != -1 && (!p.Exists() || p.Fields().Category != want):
					t.Errorf("part %s: exists %v, category %d; want %d", p.Fields().Name, p.Exists(), p.Fields().Category, want)
				}
			}

			// Everything landed in one append: one transaction in the log, with the
			// deleted category's event after everything below it.
			var last []eventstore.Recorded
			for _, stream := range []string{
				eventstore.Stream("partcategory", tr.a), eventstore.Stream("partcategory", tr.b),
				eventstore.Stream("partcategory", tr.c), eventstore.Stream("partcategory", tr.childOfBWithNameOfA),
				eventstore.Stream("part", tr.partA), eventstore.Stream("part", tr.partB),
				eventstore.Stream("part", tr.partC), eventstore.Stream("part", tr.lockedActiveB),
			} {
				evs, err := f.Store.ReadStream(ctx, stream, 1, 100)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range evs {
					if e.Position.Commit == res.Position.Commit {
						last = append(last, e)
					}
				}
			}
			slices.SortFunc(last, func(x, y eventstore.Recorded) int { return x.Position.Compare(y.Position) })
			if len(last) < 2 {
				t.Fatalf("the delete's events are not one append: %d events share its commit", len(last))
			}
			if got := last[len(last)-1]; got.Stream != eventstore.Stream("partcategory", tr.a) || got.Type != part.TypeCategoryDeleted {
				t.Fatalf("last event of the delete is %s on %s; want the category's deletion", got.Type, got.Stream)
			}
		})
	}
}

// A child that moves up next to a sibling of the same name keeps its place (InvenTree
// moves without checking names), and the names freed by a delete can be reused.
func TestDeleteCategoryReservations(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	tr := buildTree(t, f)
	if _, err := f.h.DeletePartCategory(ctx, commands.DeletePartCategory{ID: tr.a, Contents: tr.contentsA}); err != nil {
		t.Fatal(err)
	}
	// The child named "A" took the name A freed under Top.
	_, _, err := f.h.CreatePartCategory(ctx, commands.CreatePartCategory{Fields: part.CategoryFields{Name: "A", Parent: tr.top}})
	wantViolation(t, err, "name", part.MsgDuplicateCategoryName)
	// B now lives under Top, so the name B is taken there and free under the deleted A.
	_, _, err = f.h.CreatePartCategory(ctx, commands.CreatePartCategory{Fields: part.CategoryFields{Name: "B", Parent: tr.top}})
	wantViolation(t, err, "name", part.MsgDuplicateCategoryName)

	// Deleting parts with their category frees their unique keys.
	g := newPartFixture(t)
	tr = buildTree(t, g)
	if _, err := g.h.DeletePartCategory(ctx, commands.DeletePartCategory{ID: tr.a, Options: part.DeleteOptions{DeleteParts: true}, Contents: tr.contentsA}); err != nil {
		t.Fatal(err)
	}
	g.part(t, "PA", 0, func(p *part.PartFields) { p.IPN = "PA" })
}

func TestDeleteMissingCategory(t *testing.T) {
	f := newPartFixture(t)
	_, err := f.h.DeletePartCategory(context.Background(), commands.DeletePartCategory{ID: 77})
	if !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

// A delete whose contents list names a part that someone edits at the same time is
// retried on fresh state rather than overwriting that edit.
func TestDeleteCategoryRetriesOnConcurrentEdits(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	cat := f.category(t, "Busy", 0)
	var pks []int64
	for i := range 20 {
		pks = append(pks, f.part(t, fmt.Sprintf("P%d", i), cat))
	}
	var wg sync.WaitGroup
	for _, pk := range pks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.h.UpdatePart(ctx, commands.UpdatePart{ID: pk, Patch: part.PartPatch{Description: ref("edited")}}); err != nil {
				t.Error(err)
			}
		}()
	}
	if _, err := f.h.DeletePartCategory(ctx, commands.DeletePartCategory{ID: cat, Contents: commands.PartCategoryContents{Parts: pks}}); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for _, pk := range pks {
		p := f.loadPart(t, pk)
		if p.Fields().Category != 0 || p.Fields().Description != "edited" {
			t.Fatalf("part %d: %+v", pk, p.Fields())
		}
	}
}

func TestPartState(t *testing.T) {
	f := newPartFixture(t)
	ctx := context.Background()
	top := f.part(t, "T", 0, func(p *part.PartFields) { p.IsTemplate = true })
	mid := f.part(t, "T2", 0, func(p *part.PartFields) { p.IsTemplate = true; p.VariantOf = top })
	leaf := f.part(t, "T3", 0, func(p *part.PartFields) { p.VariantOf = mid; p.Trackable = true })
	for pk, root := range map[int64]int64{top: top, mid: top, leaf: top} {
		st, err := f.h.PartState(ctx, pk)
		if err != nil || !st.Exists || st.VariantRoot != root {
			t.Fatalf("state of %d = %+v, %v; want root %d", pk, st, err, root)
		}
	}
	st, err := f.h.PartState(ctx, leaf)
	if err != nil || !st.Fields.Trackable || st.Fields.Name != "T3" {
		t.Fatalf("state = %+v, %v", st, err)
	}
	if st, err := f.h.PartState(ctx, 4242); err != nil || st.Exists {
		t.Fatalf("missing part: %+v, %v", st, err)
	}
}
