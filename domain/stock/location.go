package stock

import (
	"slices"

	"github.com/stockledger/stockledger/domain"
)

// Location is a stock location (InvenTree StockLocation): a node of the location tree
// that stock items are kept in.
type Location struct {
	pk           int64
	created      bool
	deleted      bool
	name         string
	description  string
	parent       int64
	structural   bool
	external     bool
	owner        int64
	locationType int64
	customIcon   string
}

// LocationSpec is a new location's fields.
type LocationSpec struct {
	Name         string
	Description  string
	Parent       int64
	Structural   bool
	External     bool
	Owner        int64
	LocationType int64
	CustomIcon   string
}

// LocationEdit is a PUT/PATCH of a location: nil fields are left unchanged. Parent 0
// moves the location to the top level.
type LocationEdit struct {
	Name         *string
	Description  *string
	Parent       *int64
	Structural   *bool
	External     *bool
	Owner        *int64
	LocationType *int64
	CustomIcon   *string
}

// ParentFacts is what a decision needs to know about a location's (new) parent.
type ParentFacts struct {
	Exists bool
	// Ancestors are the parent's ancestors' pks and the parent's own, from the top
	// level down, to refuse a move under the location's own subtree.
	Ancestors []int64
}

// LocationCreated records a new location.
type LocationCreated struct {
	PK           int64  `json:"pk"`
	Name         string `json:"name"`
	Description  string `json:"description,omitempty"`
	Parent       int64  `json:"parent,omitempty"`
	Structural   bool   `json:"structural,omitempty"`
	External     bool   `json:"external,omitempty"`
	Owner        int64  `json:"owner,omitempty"`
	LocationType int64  `json:"location_type,omitempty"`
	CustomIcon   string `json:"custom_icon,omitempty"`
}

// LocationUpdated records changed fields of a location. A Parent change moves the
// location with its whole subtree.
type LocationUpdated struct {
	PK           int64           `json:"pk"`
	Name         *Change[string] `json:"name,omitempty"`
	Description  *Change[string] `json:"description,omitempty"`
	Parent       *Change[int64]  `json:"parent,omitempty"`
	Structural   *Change[bool]   `json:"structural,omitempty"`
	External     *Change[bool]   `json:"external,omitempty"`
	Owner        *Change[int64]  `json:"owner,omitempty"`
	LocationType *Change[int64]  `json:"location_type,omitempty"`
	CustomIcon   *Change[string] `json:"custom_icon,omitempty"`
	// Reason is "location_deleted" when the parent was deleted and this location was
	// moved up to the deleted parent's parent; empty for an edit.
	Reason string `json:"reason,omitempty"`
}

// LocationDeleted records that a location was deleted. Its sub-locations and items
// were deleted with it or moved to Parent, as the options say; each of them has an
// event of its own. DeletedWith is the location whose deletion (with
// delete_sub_locations) deleted this one, 0 for the location the request named.
type LocationDeleted struct {
	PK                 int64  `json:"pk"`
	Name               string `json:"name"`
	Parent             int64  `json:"parent,omitempty"`
	DeleteStockItems   bool   `json:"delete_stock_items,omitempty"`
	DeleteSubLocations bool   `json:"delete_sub_locations,omitempty"`
	DeletedWith        int64  `json:"deleted_with,omitempty"`
}

func (LocationCreated) EventType() string { return TypeLocationCreated }
func (LocationUpdated) EventType() string { return TypeLocationUpdated }
func (LocationDeleted) EventType() string { return TypeLocationDeleted }

// Reason values of moves that were not asked for but follow from a deletion.
const ReasonLocationDeleted = "location_deleted"

// Apply folds a location event.
func (l *Location) Apply(e domain.Event) {
	switch e := e.(type) {
	case LocationCreated:
		l.pk, l.created = e.PK, true
		l.name, l.description, l.parent = e.Name, e.Description, e.Parent
		l.structural, l.external, l.owner = e.Structural, e.External, e.Owner
		l.locationType, l.customIcon = e.LocationType, e.CustomIcon
	case LocationUpdated:
		applyChange(&l.name, e.Name)
		applyChange(&l.description, e.Description)
		applyChange(&l.parent, e.Parent)
		applyChange(&l.structural, e.Structural)
		applyChange(&l.external, e.External)
		applyChange(&l.owner, e.Owner)
		applyChange(&l.locationType, e.LocationType)
		applyChange(&l.customIcon, e.CustomIcon)
	case LocationDeleted:
		l.deleted = true
	}
}

func applyChange[T any](field *T, c *Change[T]) {
	if c != nil {
		*field = c.New
	}
}

// Exists reports whether the location was created and not deleted.
func (l *Location) Exists() bool { return l.created && !l.deleted }

// PK is the location's primary key.
func (l *Location) PK() int64 { return l.pk }

// Name is the location's name.
func (l *Location) Name() string { return l.name }

// Parent is the parent location's pk, 0 at the top level.
func (l *Location) Parent() int64 { return l.parent }

// Facts are what item decisions need to know about this location.
func (l *Location) Facts() LocationFacts {
	return LocationFacts{Exists: l.Exists(), Structural: l.structural}
}

// validateLocationFields applies the StockLocation field rules (InvenTree models:
// name CharField(max_length=100, blank=False), description max 250, custom_icon max
// 100).
func validateLocationFields(errs *domain.RuleError, name, description, icon string) {
	if name == "" {
		errs.Add("name", msgBlank)
	}
	checkLength(errs, "name", name, 100)
	checkLength(errs, "description", description, 250)
	checkLength(errs, "custom_icon", icon, 100)
}

// Create decides a new location. The parent must exist. Sibling names are unique
// (InvenTreeTree.validate_unique); the command enforces that with a Reservation of
// LocationNameStream(parent, name).
func (l *Location) Create(pk int64, spec LocationSpec, parent ParentFacts) ([]domain.Event, error) {
	if l.created {
		return nil, domain.Invalid("", "Stock location already exists")
	}
	errs := &domain.RuleError{}
	validateLocationFields(errs, spec.Name, spec.Description, spec.CustomIcon)
	if spec.Parent != 0 && !parent.Exists {
		errs.Add("parent", msgInvalidPK(spec.Parent))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return []domain.Event{LocationCreated{
		PK: pk, Name: spec.Name, Description: spec.Description, Parent: spec.Parent,
		Structural: spec.Structural, External: spec.External, Owner: spec.Owner,
		LocationType: spec.LocationType, CustomIcon: spec.CustomIcon,
	}}, nil
}

// Update decides an edit. A new parent must exist and may not be the location itself
// or below it (mptt's InvalidMove, which InvenTree reports as "Invalid choice"). A
// location holding stock items cannot be made structural (StockLocation.clean);
// hasItems says whether items are located directly in it.
func (l *Location) Update(edit LocationEdit, parent ParentFacts, hasItems bool) ([]domain.Event, error) {
	if !l.Exists() {
		return nil, &domain.NotFoundError{Kind: "StockLocation", ID: l.pk}
	}
	ev := LocationUpdated{PK: l.pk}
	name, description, icon := l.name, l.description, l.customIcon
	if edit.Name != nil {
		name = *edit.Name
	}
	if edit.Description != nil {
		description = *edit.Description
	}
	if edit.CustomIcon != nil {
		icon = *edit.CustomIcon
	}
	errs := &domain.RuleError{}
	validateLocationFields(errs, name, description, icon)
	if edit.Parent != nil && *edit.Parent != l.parent && *edit.Parent != 0 {
		switch {
		case *edit.Parent == l.pk || slices.Contains(parent.Ancestors, l.pk):
			errs.Add("parent", "Invalid choice")
		case !parent.Exists:
			errs.Add("parent", msgInvalidPK(*edit.Parent))
		}
	}
	if edit.Structural != nil && *edit.Structural && !l.structural && hasItems {
		errs.Add("", "You cannot make this stock location structural because some stock items are already located into it!")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	ev.Name = changed(l.name, edit.Name)
	ev.Description = changed(l.description, edit.Description)
	ev.Parent = changed(l.parent, edit.Parent)
	ev.Structural = changed(l.structural, edit.Structural)
	ev.External = changed(l.external, edit.External)
	ev.Owner = changed(l.owner, edit.Owner)
	ev.LocationType = changed(l.locationType, edit.LocationType)
	ev.CustomIcon = changed(l.customIcon, edit.CustomIcon)
	if ev == (LocationUpdated{PK: l.pk}) {
		return nil, nil
	}
	return []domain.Event{ev}, nil
}

// changed is a Change when v is set and differs from old.
func changed[T comparable](old T, v *T) *Change[T] {
	if v == nil || *v == old {
		return nil
	}
	return &Change[T]{Old: old, New: *v}
}

// Reparent moves the location under newParent because its parent was deleted
// (InvenTreeTree.handle_tree_delete moves direct children up, without validation).
func (l *Location) Reparent(newParent int64) []domain.Event {
	if !l.Exists() || l.parent == newParent {
		return nil
	}
	return []domain.Event{LocationUpdated{PK: l.pk, Parent: &Change[int64]{Old: l.parent, New: newParent}, Reason: ReasonLocationDeleted}}
}

// DeleteOptions are InvenTree's location delete options (LocationDeleteSerializer).
// Without them, the location's items and direct sub-locations move to its parent.
type DeleteOptions struct {
	DeleteStockItems   bool
	DeleteSubLocations bool
}

// Delete decides the deletion of the location the request named.
func (l *Location) Delete(opts DeleteOptions) ([]domain.Event, error) {
	if !l.Exists() {
		return nil, &domain.NotFoundError{Kind: "StockLocation", ID: l.pk}
	}
	return []domain.Event{LocationDeleted{
		PK: l.pk, Name: l.name, Parent: l.parent,
		DeleteStockItems: opts.DeleteStockItems, DeleteSubLocations: opts.DeleteSubLocations,
	}}, nil
}

// DeleteWith decides the deletion of a sub-location deleted with root
// (delete_sub_locations).
func (l *Location) DeleteWith(root int64, opts DeleteOptions) []domain.Event {
	if !l.Exists() {
		return nil
	}
	return []domain.Event{LocationDeleted{
		PK: l.pk, Name: l.name, Parent: l.parent, DeletedWith: root,
		DeleteStockItems: opts.DeleteStockItems, DeleteSubLocations: opts.DeleteSubLocations,
	}}
}
