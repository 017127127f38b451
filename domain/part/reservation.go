package part

import (
	"fmt"
	"strconv"

	"github.com/stockledger/stockledger/domain"
)

// Scope names a uniqueness rule that spans aggregates. It is stored in events: never
// rename one.
type Scope string

// The uniqueness rules InvenTree enforces on parts and categories.
const (
	// ScopePartName: name+IPN+revision among parts (Part.validate_unique), key NameKey.
	ScopePartName Scope = "part_name"
	// ScopePartRevision: revision code among the revisions of one part
	// (Part.validate_unique), key RevisionKey.
	ScopePartRevision Scope = "part_revision"
	// ScopeCategoryName: name among sibling categories (InvenTreeTree.validate_unique),
	// key CategoryNameKey.
	ScopeCategoryName Scope = "category_name"
)

// MsgDuplicateCategoryName is InvenTreeTree.validate_unique's error, on "name".
const MsgDuplicateCategoryName = "Duplicate names cannot exist under the same parent"

// violation is the error InvenTree reports when a scope's key is taken.
func (s Scope) violation() *domain.RuleError {
	switch s {
	case ScopePartName:
		return domain.Invalid("", MsgDuplicatePart)
	case ScopePartRevision:
		return domain.Invalid("", MsgDuplicateRevision)
	case ScopeCategoryName:
		return domain.Invalid("name", MsgDuplicateCategoryName)
	}
	return domain.Invalid("", fmt.Sprintf("%s already taken", s))
}

// CategoryNameKey is the key that keeps a category name unique under one parent
// (0: among top-level categories). Names compare exactly, as InvenTree's filter does.
func CategoryNameKey(parent int64, name string) string {
	return strconv.FormatInt(parent, 10) + "/" + strconv.Quote(name)
}

// UniqueKeyReserved: owner (a part or category pk) took a unique key.
type UniqueKeyReserved struct {
	Scope Scope  `json:"scope"`
	Key   string `json:"key"`
	Owner int64  `json:"owner"`
}

// UniqueKeyReleased: owner gave a unique key up (renamed, moved or deleted).
type UniqueKeyReleased struct {
	Scope Scope  `json:"scope"`
	Key   string `json:"key"`
	Owner int64  `json:"owner"`
}

func (UniqueKeyReserved) EventType() string { return TypeUniqueKeyReserved }
func (UniqueKeyReleased) EventType() string { return TypeUniqueKeyReleased }

// Reservation is one unique key (a scope and a key) and who holds it. Uniqueness across
// aggregates is kept by appending the reservation's events in the same atomic append
// as the owner's own events, with the reservation's expected version: of two commands
// taking the same key at once, one conflicts, retries and then finds the key taken.
type Reservation struct {
	scope Scope
	key   string
	owner int64 // 0: free
}

// Owner is the pk holding the key, 0 when it is free.
func (r *Reservation) Owner() int64 { return r.owner }

// Apply folds an event into the reservation.
func (r *Reservation) Apply(e domain.Event) {
	switch e := e.(type) {
	case UniqueKeyReserved:
		r.scope, r.key, r.owner = e.Scope, e.Key, e.Owner
	case UniqueKeyReleased:
		if r.owner == e.Owner {
			r.owner = 0
		}
	}
}

// Reserve decides that owner takes key in scope. Taking a key one already holds
// decides nothing; a key held by another is InvenTree's uniqueness error.
func (r *Reservation) Reserve(scope Scope, key string, owner int64) ([]domain.Event, error) {
	if r.owner != 0 && r.scope == scope && r.key == key {
		if r.owner == owner {
			return nil, nil
		}
		return nil, scope.violation()
	}
	if r.owner != 0 {
		// Two keys hashed to one stream: refuse rather than lose the first key.
		return nil, fmt.Errorf("reserve %s %q: the reservation holds %s %q", scope, key, r.scope, r.key)
	}
	return []domain.Event{UniqueKeyReserved{Scope: scope, Key: key, Owner: owner}}, nil
}

// Release decides that owner gives the key up. It decides nothing when owner does not
// hold it.
func (r *Reservation) Release(owner int64) []domain.Event {
	if r.owner == 0 || r.owner != owner {
		return nil
	}
	return []domain.Event{UniqueKeyReleased{Scope: r.scope, Key: r.key, Owner: owner}}
}
