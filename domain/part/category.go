package part

import (
	"fmt"
	"slices"

	"github.com/stockledger/stockledger/domain"
)

// Field limits of a category (InvenTree/models.py InvenTreeTree.name/description,
// part/models.py PartCategory.default_keywords/icon).
const (
	MaxCategoryName        = 100
	MaxCategoryDescription = 250
	MaxDefaultKeywords     = 250
	MaxIcon                = 100
)

// Messages InvenTree answers with for category rules.
const (
	// InvenTreeTree.save turns mptt's InvalidMove (a node under itself or under one of
	// its descendants) into this error on "parent".
	MsgInvalidParent = "Invalid choice"
	// PartCategory.clean, as a non-field error.
	MsgStructuralWithParts = "You cannot make this part category structural because some parts are already assigned to it!"
)

// CategoryFields are a part category's stored fields, as a client sets them.
type CategoryFields struct {
	Name            string `json:"name"`
	Description     string `json:"description"`
	Parent          int64  `json:"parent"`           // 0: a top-level category
	DefaultLocation int64  `json:"default_location"` // stock location; 0: none
	DefaultKeywords string `json:"default_keywords"`
	Structural      bool   `json:"structural"`
	Icon            string `json:"icon"`
}

func (f CategoryFields) validate() *domain.RuleError {
	errs := &domain.RuleError{}
	checkRequired(errs, "name", f.Name)
	checkLength(errs, "name", f.Name, MaxCategoryName)
	checkLength(errs, "description", f.Description, MaxCategoryDescription)
	checkLength(errs, "default_keywords", f.DefaultKeywords, MaxDefaultKeywords)
	checkLength(errs, "icon", f.Icon, MaxIcon)
	return errs
}

// CategoryPatch is a partial update: nil fields are left as they are (PATCH); a PUT sets
// every field.
type CategoryPatch struct {
	Name            *string
	Description     *string
	Parent          *int64
	DefaultLocation *int64
	DefaultKeywords *string
	Structural      *bool
	Icon            *string
}

// Apply returns f with the patch's fields set.
func (p CategoryPatch) Apply(f CategoryFields) CategoryFields {
	set(&f.Name, p.Name)
	set(&f.Description, p.Description)
	set(&f.Parent, p.Parent)
	set(&f.DefaultLocation, p.DefaultLocation)
	set(&f.DefaultKeywords, p.DefaultKeywords)
	set(&f.Structural, p.Structural)
	set(&f.Icon, p.Icon)
	return f
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// CategoryRef is what a decision needs to know about another category, as the command
// read it from that category's stream.
type CategoryRef struct {
	ID         int64
	Exists     bool // created and not deleted
	Structural bool
	// Ancestors are the category's ancestors, nearest first: its parent, that parent's
	// parent, up to the top level.
	Ancestors []int64
}

// CategoryCreated: a part category was created.
type CategoryCreated struct {
	ID int64 `json:"id"`
	CategoryFields
}

// CategoryUpdated: some of a category's fields were edited; only changed fields are set.
// A parent change is a move of the category and its whole subtree.
type CategoryUpdated struct {
	ID              int64           `json:"id"`
	Name            *Change[string] `json:"name,omitempty"`
	Description     *Change[string] `json:"description,omitempty"`
	Parent          *Change[int64]  `json:"parent,omitempty"`
	DefaultLocation *Change[int64]  `json:"default_location,omitempty"`
	DefaultKeywords *Change[string] `json:"default_keywords,omitempty"`
	Structural      *Change[bool]   `json:"structural,omitempty"`
	Icon            *Change[string] `json:"icon,omitempty"`
}

// CategoryParentChanged: a category moved up to From's parent because its parent From
// was deleted (InvenTree's default for child categories of a deleted category).
type CategoryParentChanged struct {
	ID   int64 `json:"id"`
	From int64 `json:"from"` // the deleted parent
	To   int64 `json:"to"`   // the deleted parent's parent; 0: top level
}

// CategoryDeleted: a category was deleted, with InvenTree's delete options.
type CategoryDeleted struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Parent int64  `json:"parent"`
	// DeleteParts and DeleteChildCategories are the options the deletion was asked with.
	DeleteParts           bool `json:"delete_parts"`
	DeleteChildCategories bool `json:"delete_child_categories"`
	// DeletedWith is the ancestor whose deletion with delete_child_categories took this
	// category along; 0 when this category was the one deleted.
	DeletedWith int64 `json:"deleted_with,omitempty"`
}

func (CategoryCreated) EventType() string       { return TypeCategoryCreated }
func (CategoryUpdated) EventType() string       { return TypeCategoryUpdated }
func (CategoryParentChanged) EventType() string { return TypeCategoryParentChanged }
func (CategoryDeleted) EventType() string       { return TypeCategoryDeleted }

// Category is a part category: a node of the category tree that parts are filed under.
//
// Rules:
//   - name is required; name, description, default_keywords and icon have InvenTree's
//     maximum lengths;
//   - the parent must exist, and a category cannot be moved under itself or any of its
//     descendants (mptt InvalidMove, "Invalid choice" on parent);
//   - a category holding parts directly cannot be structural (PartCategory.clean);
//   - names are unique among siblings (InvenTreeTree.validate_unique), which the
//     command keeps with a Reservation, see CategoryNameKey.
type Category struct {
	id      int64
	fields  CategoryFields
	created bool
	deleted bool
}

// ID is the category's primary key; 0 before creation.
func (c *Category) ID() int64 { return c.id }

// Exists reports whether the category was created and not deleted.
func (c *Category) Exists() bool { return c.created && !c.deleted }

// Fields are the category's current fields.
func (c *Category) Fields() CategoryFields { return c.fields }

// Apply folds an event into the category.
func (c *Category) Apply(e domain.Event) {
	switch e := e.(type) {
	case CategoryCreated:
		c.id, c.fields, c.created = e.ID, e.CategoryFields, true
	case CategoryUpdated:
		applyChange(&c.fields.Name, e.Name)
		applyChange(&c.fields.Description, e.Description)
		applyChange(&c.fields.Parent, e.Parent)
		applyChange(&c.fields.DefaultLocation, e.DefaultLocation)
		applyChange(&c.fields.DefaultKeywords, e.DefaultKeywords)
		applyChange(&c.fields.Structural, e.Structural)
		applyChange(&c.fields.Icon, e.Icon)
	case CategoryParentChanged:
		c.fields.Parent = e.To
	case CategoryDeleted:
		c.deleted = true
	}
}

func applyChange[T any](dst *T, c *Change[T]) {
	if c != nil {
		*dst = c.New
	}
}

func (c *Category) notFound() error {
	return &domain.NotFoundError{Kind: "PartCategory", ID: c.id}
}

// Create decides the creation of category id with fields f. parent describes f.Parent
// and is ignored for a top-level category.
func (c *Category) Create(id int64, f CategoryFields, parent CategoryRef) ([]domain.Event, error) {
	if c.created {
		return nil, fmt.Errorf("create part category %d: already exists", id)
	}
	if err := f.validate().Err(); err != nil {
		return nil, err
	}
	if f.Parent != 0 && (parent.ID != f.Parent || !parent.Exists) {
		return nil, &domain.NotFoundError{Kind: "PartCategory", ID: f.Parent, Field: "parent"}
	}
	return []domain.Event{CategoryCreated{ID: id, CategoryFields: f}}, nil
}

// CategoryUpdateFacts are what an update needs to know beyond the category itself.
type CategoryUpdateFacts struct {
	// Parent describes the patched parent, with its ancestors; needed when the parent
	// changes to another category.
	Parent CategoryRef
	// DirectParts is how many parts are filed directly in this category (not in its
	// subcategories); needed when the category is or becomes structural.
	DirectParts int
}

// Update decides an edit. It returns no events when nothing changes.
func (c *Category) Update(p CategoryPatch, facts CategoryUpdateFacts) ([]domain.Event, error) {
	if !c.Exists() {
		return nil, c.notFound()
	}
	old, f := c.fields, p.Apply(c.fields)
	errs := f.validate()
	if f.Parent != old.Parent && f.Parent != 0 {
		if facts.Parent.ID != f.Parent || !facts.Parent.Exists {
			return nil, &domain.NotFoundError{Kind: "PartCategory", ID: f.Parent, Field: "parent"}
		}
		if f.Parent == c.id || slices.Contains(facts.Parent.Ancestors, c.id) {
			errs.Add("parent", MsgInvalidParent)
		}
	}
	// InvenTree checks this on every save of a structural category, not only when the
	// flag is switched on.
	if f.Structural && facts.DirectParts > 0 {
		errs.Add("", MsgStructuralWithParts)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	ev := CategoryUpdated{
		ID:              c.id,
		Name:            change(old.Name, f.Name),
		Description:     change(old.Description, f.Description),
		Parent:          change(old.Parent, f.Parent),
		DefaultLocation: change(old.DefaultLocation, f.DefaultLocation),
		DefaultKeywords: change(old.DefaultKeywords, f.DefaultKeywords),
		Structural:      change(old.Structural, f.Structural),
		Icon:            change(old.Icon, f.Icon),
	}
	if ev == (CategoryUpdated{ID: c.id}) {
		return nil, nil
	}
	return []domain.Event{ev}, nil
}

// DeleteOptions are InvenTree's options for deleting a category
// (InvenTreeTree.handle_tree_delete):
//
//   - neither: parts directly in the category and its child categories move up to its
//     parent;
//   - DeleteParts: parts directly in it are deleted, child categories move up;
//   - DeleteChildCategories: every category below it is deleted and every part in the
//     subtree moves up to its parent;
//   - both: every category below it and every part in the subtree are deleted.
type DeleteOptions struct {
	DeleteParts           bool
	DeleteChildCategories bool
}

// Delete decides the deletion of the category itself. What happens below it is decided
// by MoveUp and DeleteWith on its children and by the parts' own decisions, all
// appended with this one.
func (c *Category) Delete(opts DeleteOptions) ([]domain.Event, error) {
	if !c.Exists() {
		return nil, c.notFound()
	}
	return []domain.Event{CategoryDeleted{
		ID: c.id, Name: c.fields.Name, Parent: c.fields.Parent,
		DeleteParts: opts.DeleteParts, DeleteChildCategories: opts.DeleteChildCategories,
	}}, nil
}

// MoveUp decides the move of a child of the deleted category to the deleted category's
// parent to. InvenTree moves children without re-validating them (a queryset update),
// so no rule beyond parenthood applies.
func (c *Category) MoveUp(deleted, to int64) ([]domain.Event, error) {
	if !c.Exists() {
		return nil, c.notFound()
	}
	if c.fields.Parent != deleted {
		return nil, fmt.Errorf("move part category %d up: its parent is %d, not the deleted %d", c.id, c.fields.Parent, deleted)
	}
	return []domain.Event{CategoryParentChanged{ID: c.id, From: deleted, To: to}}, nil
}

// DeleteWith decides the deletion of this category as part of the subtree of root,
// deleted with delete_child_categories.
func (c *Category) DeleteWith(root int64, opts DeleteOptions) ([]domain.Event, error) {
	if !c.Exists() {
		return nil, c.notFound()
	}
	return []domain.Event{CategoryDeleted{
		ID: c.id, Name: c.fields.Name, Parent: c.fields.Parent,
		DeleteParts: opts.DeleteParts, DeleteChildCategories: opts.DeleteChildCategories,
		DeletedWith: root,
	}}, nil
}

// Ref describes this category for a decision about another aggregate; ancestors are
// its ancestors nearest first, as the command walked them.
func (c *Category) Ref(ancestors []int64) CategoryRef {
	return CategoryRef{ID: c.id, Exists: c.Exists(), Structural: c.fields.Structural, Ancestors: ancestors}
}
