package commands

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/eventstore"
)

// Stream categories of the part aggregates. Stored in stream names: never rename one.
const (
	PartStreamCategory         = "part"
	PartCategoryStreamCategory = "partcategory"
	// PartUniqueStreamCategory holds part.Reservation streams, one per unique key,
	// named "partunique-<scope>.<sha256 of the key>".
	PartUniqueStreamCategory = "partunique"
)

// partMaxTreeDepth bounds walks up the category and variant trees, so that a corrupt log
// cannot make a command loop.
const partMaxTreeDepth = 1000

// PartHandlers runs the commands on parts and part categories.
//
// Uniqueness that InvenTree checks with a query (name+IPN+revision of parts, revision
// codes of one part, names of sibling categories) is kept with part.Reservation streams
// appended in the same atomic append as the part or category: two commands taking the
// same key conflict on the reservation's expected version, and the retry sees the key
// taken. A unique index on a read model could not do this, since read models lag behind
// the log and are rebuilt from it.
type PartHandlers struct {
	x   *Executor
	now func() time.Time
}

// NewPartHandlers returns the handlers. now is the clock that stamps creation times.
func NewPartHandlers(x *Executor, now func() time.Time) (*PartHandlers, error) {
	var errs []error
	if x == nil {
		errs = append(errs, errors.New("no executor"))
	}
	if now == nil {
		errs = append(errs, errors.New("no clock"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("part handlers: %w", err)
	}
	return &PartHandlers{x: x, now: now}, nil
}

func partStream(pk int64) string         { return eventstore.Stream(PartStreamCategory, pk) }
func partCategoryStream(pk int64) string { return eventstore.Stream(PartCategoryStreamCategory, pk) }

// partReservationStream names the stream of one unique key. The key is hashed because it
// holds user text that stream names cannot.
func partReservationStream(scope part.Scope, key string) string {
	sum := sha256.Sum256([]byte(key))
	return PartUniqueStreamCategory + "-" + string(scope) + "." + hex.EncodeToString(sum[:])
}

func newPartCategory() *part.Category       { return &part.Category{} }
func newPartAggregate() *part.Part          { return &part.Part{} }
func newPartReservation() *part.Reservation { return &part.Reservation{} }

// CreatePartCategory creates a category.
type CreatePartCategory struct {
	Fields part.CategoryFields
}

// CreatePartCategory runs cmd and returns the new category's pk.
func (h *PartHandlers) CreatePartCategory(ctx context.Context, cmd CreatePartCategory) (int64, Result, error) {
	id, err := h.x.NextKey(ctx, PartCategoryStreamCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create part category: %w", err)
	}
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		stream := partCategoryStream(id)
		if err := tx.Create(stream); err != nil {
			return err
		}
		parent, err := h.categoryRef(ctx, cmd.Fields.Parent, false)
		if err != nil {
			return err
		}
		evs, err := (&part.Category{}).Create(id, cmd.Fields, parent)
		if err != nil {
			return err
		}
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		r := newPartKeys(tx)
		return r.reserve(ctx, part.ScopeCategoryName, part.CategoryNameKey(cmd.Fields.Parent, cmd.Fields.Name), id)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("create part category %d: %w", id, err)
	}
	return id, res, nil
}

// UpdatePartCategory edits a category (PATCH sets some fields, PUT all of them).
type UpdatePartCategory struct {
	ID    int64
	Patch part.CategoryPatch
	// DirectParts is how many parts are filed directly in the category, which api/
	// reads from the parts read model; it decides whether the category may be
	// structural. A part filed there after that read can slip past the rule, as it can
	// in InvenTree, which checks with an unlocked query too.
	DirectParts int
}

// UpdatePartCategory runs cmd.
func (h *PartHandlers) UpdatePartCategory(ctx context.Context, cmd UpdatePartCategory) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		stream := partCategoryStream(cmd.ID)
		c := newPartCategory()
		if _, err := tx.Load(ctx, stream, c); err != nil {
			return err
		}
		old, f := c.Fields(), cmd.Patch.Apply(c.Fields())
		facts := part.CategoryUpdateFacts{DirectParts: cmd.DirectParts}
		if c.Exists() && f.Parent != old.Parent {
			var err error
			if facts.Parent, err = h.categoryRef(ctx, f.Parent, true); err != nil {
				return err
			}
		}
		evs, err := c.Update(cmd.Patch, facts)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		oldKey, newKey := part.CategoryNameKey(old.Parent, old.Name), part.CategoryNameKey(f.Parent, f.Name)
		if oldKey == newKey {
			return nil
		}
		r := newPartKeys(tx)
		if err := r.release(ctx, part.ScopeCategoryName, oldKey, cmd.ID); err != nil {
			return err
		}
		return r.reserve(ctx, part.ScopeCategoryName, newKey, cmd.ID)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update part category %d: %w", cmd.ID, err)
	}
	return res, nil
}

// PartCategoryContents is what lies below a category, as api/ reads it from the parts
// read model before a delete.
type PartCategoryContents struct {
	Children     []int64 // categories directly under it
	Descendants  []int64 // every category below it, children included
	Parts        []int64 // parts filed directly in it
	SubtreeParts []int64 // parts filed in it or in any category below it
}

// DeletePartCategory deletes a category with InvenTree's options (see
// part.DeleteOptions). Children and parts are moved up or deleted in the same atomic
// append as the category's deletion.
//
// The lists come from the read model, so they can be stale. The handler loads every
// listed child and part and acts only on those still under the category; each is
// appended with the version it was loaded at, so a concurrent edit of one of them makes
// the whole delete retry on fresh state. What the lists cannot show is a child or part
// filed under the category after the read model was read: it is left pointing at the
// deleted category. api/ narrows that window to commands still in flight by waiting
// for the projection to reach the log's head before reading the contents; closing it
// entirely would need every part and child category creation to append to its
// category's stream, serialising them per category.
type DeletePartCategory struct {
	ID       int64
	Options  part.DeleteOptions
	Contents PartCategoryContents
}

// DeletePartCategory runs cmd.
func (h *PartHandlers) DeletePartCategory(ctx context.Context, cmd DeletePartCategory) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		return h.deleteCategory(ctx, tx, cmd)
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete part category %d: %w", cmd.ID, err)
	}
	return res, nil
}

func (h *PartHandlers) deleteCategory(ctx context.Context, tx *Tx, cmd DeletePartCategory) error {
	id, opts := cmd.ID, cmd.Options

	// Load parts, then categories below, then the category, so that the log reads in
	// the order things happen: the contents move or go, then the category goes.
	var categoryIDs, partIDs []int64
	if opts.DeleteChildCategories {
		categoryIDs, partIDs = cmd.Contents.Descendants, cmd.Contents.SubtreeParts
	} else {
		categoryIDs, partIDs = cmd.Contents.Children, cmd.Contents.Parts
	}
	// A category is never below itself, whatever a stale list says.
	categoryIDs = slices.DeleteFunc(slices.Clone(categoryIDs), func(c int64) bool { return c == id })
	parts, err := loadEachPartAggregate(ctx, tx, partIDs, partStream, newPartAggregate)
	if err != nil {
		return err
	}
	cats, err := loadEachPartAggregate(ctx, tx, categoryIDs, partCategoryStream, newPartCategory)
	if err != nil {
		return err
	}
	c := newPartCategory()
	if _, err := tx.Load(ctx, partCategoryStream(id), c); err != nil {
		return err
	}
	evs, err := c.Delete(opts)
	if err != nil {
		return err
	}
	to := c.Fields().Parent
	r := newPartKeys(tx)
	// The category's own name goes first: a child of the same name may take it.
	if err := r.release(ctx, part.ScopeCategoryName, part.CategoryNameKey(to, c.Fields().Name), id); err != nil {
		return err
	}

	// under is the set of categories whose parts and children this delete handles.
	under := map[int64]bool{id: true}
	if opts.DeleteChildCategories {
		// A listed descendant counts only if it still hangs below the category.
		for grown := true; grown; {
			grown = false
			for _, d := range cats {
				if d.Exists() && !under[d.ID()] && under[d.Fields().Parent] {
					under[d.ID()], grown = true, true
				}
			}
		}
	}

	for _, p := range parts {
		if !p.Exists() || !under[p.Fields().Category] {
			continue
		}
		var pevs []domain.Event
		if opts.DeleteParts {
			if pevs, err = p.DeleteWithCategory(id); err == nil {
				err = r.releasePart(ctx, p.Fields(), p.ID())
			}
		} else {
			pevs, err = p.MoveForCategoryDelete(id, to)
		}
		if err != nil {
			return err
		}
		if err := tx.Emit(partStream(p.ID()), pevs...); err != nil {
			return err
		}
	}

	for _, d := range cats {
		if !d.Exists() {
			continue
		}
		f := d.Fields()
		var devs []domain.Event
		switch {
		case opts.DeleteChildCategories && under[d.ID()]:
			if devs, err = d.DeleteWith(id, opts); err == nil {
				err = r.release(ctx, part.ScopeCategoryName, part.CategoryNameKey(f.Parent, f.Name), d.ID())
			}
		case !opts.DeleteChildCategories && f.Parent == id:
			if devs, err = d.MoveUp(id, to); err == nil {
				err = r.moveCategoryName(ctx, d.ID(), f.Name, id, to)
			}
		default:
			continue // no longer below the category
		}
		if err != nil {
			return err
		}
		if err := tx.Emit(partCategoryStream(d.ID()), devs...); err != nil {
			return err
		}
	}
	return tx.Emit(partCategoryStream(id), evs...)
}

// CreatePart creates a part. api/ starts Fields from part.DefaultPartFields and sets
// CreationUser to the requesting user unless the request names one.
type CreatePart struct {
	Fields part.PartFields
}

// CreatePart runs cmd and returns the new part's pk.
func (h *PartHandlers) CreatePart(ctx context.Context, cmd CreatePart) (int64, Result, error) {
	id, err := h.x.NextKey(ctx, PartStreamCategory)
	if err != nil {
		return 0, Result{}, fmt.Errorf("create part: %w", err)
	}
	at := h.now()
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		stream := partStream(id)
		if err := tx.Create(stream); err != nil {
			return err
		}
		facts, err := h.partFacts(ctx, cmd.Fields)
		if err != nil {
			return err
		}
		evs, err := (&part.Part{}).Create(id, cmd.Fields, facts, at)
		if err != nil {
			return err
		}
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		return newPartKeys(tx).reservePart(ctx, cmd.Fields, id)
	})
	if err != nil {
		return 0, Result{}, fmt.Errorf("create part %d: %w", id, err)
	}
	return id, res, nil
}

// UpdatePart edits a part (PATCH sets some fields, PUT all of them).
type UpdatePart struct {
	ID    int64
	Patch part.PartPatch
}

// UpdatePart runs cmd.
func (h *PartHandlers) UpdatePart(ctx context.Context, cmd UpdatePart) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		stream := partStream(cmd.ID)
		p := newPartAggregate()
		if _, err := tx.Load(ctx, stream, p); err != nil {
			return err
		}
		var facts part.PartFacts
		old, f := p.Fields(), cmd.Patch.Apply(p.Fields())
		if p.Exists() {
			var err error
			if facts, err = h.partFacts(ctx, f); err != nil {
				return err
			}
		}
		evs, err := p.Update(cmd.Patch, facts)
		var missing *domain.NotFoundError
		if errors.As(err, &missing) && missingWasThere(missing, old) {
			// What the part referred to is gone, which a delete only does while it
			// moves the part away: the part loaded above is stale.
			if stale, serr := tx.stale(ctx, stream); serr != nil || stale {
				return cmp.Or(serr, errStale)
			}
		}
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		r := newPartKeys(tx)
		if err := r.switchKey(ctx, part.ScopePartName, old.NameKey, f.NameKey, cmd.ID); err != nil {
			return err
		}
		return r.switchKey(ctx, part.ScopePartRevision, old.RevisionKey, f.RevisionKey, cmd.ID)
	})
	if err != nil {
		return Result{}, fmt.Errorf("update part %d: %w", cmd.ID, err)
	}
	return res, nil
}

// missingWasThere reports whether the missing reference is one the stored part
// already had.
func missingWasThere(missing *domain.NotFoundError, old part.PartFields) bool {
	switch missing.Field {
	case "category":
		return missing.ID == old.Category
	case "variant_of":
		return missing.ID == old.VariantOf
	case "revision_of":
		return missing.ID == old.RevisionOf
	}
	return false
}

// DeletePart deletes a part.
type DeletePart struct {
	ID int64
}

// DeletePart runs cmd.
func (h *PartHandlers) DeletePart(ctx context.Context, cmd DeletePart) (Result, error) {
	res, err := ExecuteTx(ctx, h.x, func(ctx context.Context, tx *Tx) error {
		stream := partStream(cmd.ID)
		p := newPartAggregate()
		if _, err := tx.Load(ctx, stream, p); err != nil {
			return err
		}
		evs, err := p.Delete()
		if err != nil {
			return err
		}
		if err := tx.Emit(stream, evs...); err != nil {
			return err
		}
		return newPartKeys(tx).releasePart(ctx, p.Fields(), cmd.ID)
	})
	if err != nil {
		return Result{}, fmt.Errorf("delete part %d: %w", cmd.ID, err)
	}
	return res, nil
}

// PartState is a part as other aggregates' commands need to know it.
type PartState struct {
	// Exists is false for a part never created or deleted.
	Exists bool
	Fields part.PartFields
	// VariantRoot is the top of the part's variant tree (the part itself when it is no
	// variant): InvenTree's tree_id, within which serial numbers are unique.
	VariantRoot int64
}

// PartState reads part pk from its stream, for commands of other aggregates (a stock
// command's PartFacter adapts it). It never consults a read model.
func (h *PartHandlers) PartState(ctx context.Context, pk int64) (PartState, error) {
	p, _, err := Load(ctx, h.x, partStream(pk), newPartAggregate)
	if err != nil {
		return PartState{}, fmt.Errorf("part %d: %w", pk, err)
	}
	if !p.Exists() {
		return PartState{}, nil
	}
	chain, err := walkPartTree(ctx, h.x, pk, p.Fields().VariantOf, partStream, newPartAggregate,
		func(a *part.Part) int64 { return a.Fields().VariantOf })
	if err != nil {
		return PartState{}, fmt.Errorf("part %d: %w", pk, err)
	}
	root := pk
	if n := len(chain); n > 0 {
		root = chain[n-1]
	}
	return PartState{Exists: true, Fields: p.Fields(), VariantRoot: root}, nil
}

// categoryRef reads the facts about category id from its stream, with its ancestors
// when asked. A category that does not exist comes back with Exists false.
func (h *PartHandlers) categoryRef(ctx context.Context, id int64, ancestors bool) (part.CategoryRef, error) {
	if id == 0 {
		return part.CategoryRef{}, nil
	}
	c, _, err := Load(ctx, h.x, partCategoryStream(id), newPartCategory)
	if err != nil {
		return part.CategoryRef{}, err
	}
	if !c.Exists() || !ancestors {
		return c.Ref(nil), nil
	}
	chain, err := walkPartTree(ctx, h.x, id, c.Fields().Parent, partCategoryStream, newPartCategory,
		func(a *part.Category) int64 { return a.Fields().Parent })
	if err != nil {
		return part.CategoryRef{}, err
	}
	return c.Ref(chain), nil
}

// partRef reads the facts about part id from its stream, with its templates when
// asked.
func (h *PartHandlers) partRef(ctx context.Context, id int64, ancestors bool) (part.PartRef, error) {
	if id == 0 {
		return part.PartRef{}, nil
	}
	p, _, err := Load(ctx, h.x, partStream(id), newPartAggregate)
	if err != nil {
		return part.PartRef{}, err
	}
	if !p.Exists() || !ancestors {
		return p.Ref(nil), nil
	}
	chain, err := walkPartTree(ctx, h.x, id, p.Fields().VariantOf, partStream, newPartAggregate,
		func(a *part.Part) int64 { return a.Fields().VariantOf })
	if err != nil {
		return part.PartRef{}, err
	}
	return p.Ref(chain), nil
}

// partFacts reads what a part decision needs about the aggregates f names.
func (h *PartHandlers) partFacts(ctx context.Context, f part.PartFields) (part.PartFacts, error) {
	var facts part.PartFacts
	var err error
	if facts.Category, err = h.categoryRef(ctx, f.Category, false); err != nil {
		return facts, err
	}
	if facts.VariantOf, err = h.partRef(ctx, f.VariantOf, true); err != nil {
		return facts, err
	}
	if facts.RevisionOf, err = h.partRef(ctx, f.RevisionOf, false); err != nil {
		return facts, err
	}
	return facts, nil
}

// walkPartTree follows parent links from first, loading each aggregate, and returns the pks
// met, nearest first. It stops at the top, at a missing aggregate, or at a loop (which
// the rules prevent, but a walk must not trust).
func walkPartTree[A Aggregate](ctx context.Context, x *Executor, start, first int64, stream func(int64) string, fresh func() A, parent func(A) int64) ([]int64, error) {
	var chain []int64
	seen := map[int64]bool{start: true}
	for id := first; id != 0 && !seen[id] && len(chain) < partMaxTreeDepth; {
		seen[id] = true
		chain = append(chain, id)
		a, version, err := Load(ctx, x, stream(id), fresh)
		if err != nil {
			return nil, err
		}
		if version == 0 {
			break
		}
		id = parent(a)
	}
	return chain, nil
}

// loadEachPartAggregate loads the aggregates of ids into tx, skipping repeated ids.
func loadEachPartAggregate[A Aggregate](ctx context.Context, tx *Tx, ids []int64, stream func(int64) string, fresh func() A) ([]A, error) {
	out := make([]A, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		a := fresh()
		if _, err := tx.Load(ctx, stream(id), a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// partKeys loads each reservation stream of a transaction once and folds what it
// emits into it, so that one transaction can release a key and take it again.
type partKeys struct {
	tx     *Tx
	loaded map[string]*part.Reservation
}

func newPartKeys(tx *Tx) *partKeys {
	return &partKeys{tx: tx, loaded: map[string]*part.Reservation{}}
}

func (r *partKeys) get(ctx context.Context, scope part.Scope, key string) (string, *part.Reservation, error) {
	stream := partReservationStream(scope, key)
	if res, ok := r.loaded[stream]; ok {
		return stream, res, nil
	}
	res := newPartReservation()
	if _, err := r.tx.Load(ctx, stream, res); err != nil {
		return "", nil, err
	}
	r.loaded[stream] = res
	return stream, res, nil
}

func (r *partKeys) emit(stream string, res *part.Reservation, evs []domain.Event) error {
	if len(evs) == 0 {
		return nil
	}
	for _, e := range evs {
		res.Apply(e)
	}
	return r.tx.Emit(stream, evs...)
}

// reserve takes key for owner or returns InvenTree's uniqueness error.
func (r *partKeys) reserve(ctx context.Context, scope part.Scope, key string, owner int64) error {
	stream, res, err := r.get(ctx, scope, key)
	if err != nil {
		return err
	}
	evs, err := res.Reserve(scope, key, owner)
	if err != nil {
		return err
	}
	return r.emit(stream, res, evs)
}

// release gives key up if owner holds it.
func (r *partKeys) release(ctx context.Context, scope part.Scope, key string, owner int64) error {
	stream, res, err := r.get(ctx, scope, key)
	if err != nil {
		return err
	}
	return r.emit(stream, res, res.Release(owner))
}

// switchKey moves owner from the key before to the key after (each with ok false when
// the fields need none).
func (r *partKeys) switchKey(ctx context.Context, scope part.Scope, before, after func() (string, bool), owner int64) error {
	oldKey, hadKey := before()
	newKey, hasKey := after()
	if hadKey == hasKey && oldKey == newKey {
		return nil
	}
	if hadKey {
		if err := r.release(ctx, scope, oldKey, owner); err != nil {
			return err
		}
	}
	if hasKey {
		return r.reserve(ctx, scope, newKey, owner)
	}
	return nil
}

func (r *partKeys) reservePart(ctx context.Context, f part.PartFields, owner int64) error {
	none := func() (string, bool) { return "", false }
	if err := r.switchKey(ctx, part.ScopePartName, none, f.NameKey, owner); err != nil {
		return err
	}
	return r.switchKey(ctx, part.ScopePartRevision, none, f.RevisionKey, owner)
}

func (r *partKeys) releasePart(ctx context.Context, f part.PartFields, owner int64) error {
	none := func() (string, bool) { return "", false }
	if err := r.switchKey(ctx, part.ScopePartName, f.NameKey, none, owner); err != nil {
		return err
	}
	return r.switchKey(ctx, part.ScopePartRevision, f.RevisionKey, none, owner)
}

// moveCategoryName moves a category's name reservation from under one parent to under
// another when a deletion moves it up. InvenTree moves such children without checking
// names, so a clash with a sibling is accepted; the moved category then holds no
// reservation, and the sibling keeps the name.
func (r *partKeys) moveCategoryName(ctx context.Context, owner int64, name string, from, to int64) error {
	if err := r.release(ctx, part.ScopeCategoryName, part.CategoryNameKey(from, name), owner); err != nil {
		return err
	}
	err := r.reserve(ctx, part.ScopeCategoryName, part.CategoryNameKey(to, name), owner)
	if _, taken := errors.AsType[*domain.RuleError](err); taken {
		return nil
	}
	return err
}
