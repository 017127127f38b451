package user

import (
	"fmt"

	"github.com/stockledger/stockledger/domain"
)

// Group is a named set of rule sets; its members hold the union of its roles.
//
// Rules:
//   - a group is created once, with no permission in any of the eleven roles
//     (InvenTree creates every rule set of a new group with all four flags off);
//   - its name is required, at most 150 characters, and unique (decided by
//     GroupNameClaim, appended in the same atomic step);
//   - a rule set is normalised as InvenTree's RuleSet.save does: add, change or delete
//     implies view, and add or delete implies change;
//   - a deleted group takes no more decisions.
type Group struct {
	id      int64
	created bool
	deleted bool
	name    string
	rules   map[Role]PermSet
}

// Apply folds one event of the group's stream.
func (g *Group) Apply(e domain.Event) {
	switch e := e.(type) {
	case GroupCreated:
		g.id, g.created, g.name = e.Group, true, e.Name
		g.rules = map[Role]PermSet{}
	case GroupRenamed:
		g.name = e.Name
	case GroupRuleSetChanged:
		if g.rules == nil {
			g.rules = map[Role]PermSet{}
		}
		g.rules[e.Role] = e.Perms()
	case GroupDeleted:
		g.deleted = true
	}
}

// ID is the group's pk.
func (g *Group) ID() int64 { return g.id }

// Exists reports whether the group was created and not deleted.
func (g *Group) Exists() bool { return g.created && !g.deleted }

// Name is the group's current name.
func (g *Group) Name() string { return g.name }

// RuleSet is the group's permissions in role.
func (g *Group) RuleSet(role Role) PermSet { return g.rules[role] }

func (g *Group) notFound() error { return &domain.NotFoundError{Kind: "Group", ID: g.id} }

// CheckGroupName reports what is wrong with a normalised group name, under "name".
func CheckGroupName(name string) error {
	errs := &domain.RuleError{}
	checkGroupName(name, "name", errs)
	return errs.Err()
}

// Create decides to create the group.
func (g *Group) Create(id int64, name string) ([]domain.Event, error) {
	if g.created {
		return nil, fmt.Errorf("create group %d: %w", g.id, ErrAlreadyCreated)
	}
	if id <= 0 {
		return nil, fmt.Errorf("create group: invalid pk %d", id)
	}
	name = NormalizeGroupName(name)
	if err := CheckGroupName(name); err != nil {
		return nil, err
	}
	return []domain.Event{GroupCreated{Group: id, Name: name}}, nil
}

// Rename decides a new name; the same name is no change.
func (g *Group) Rename(name string) ([]domain.Event, error) {
	if !g.Exists() {
		return nil, g.notFound()
	}
	name = NormalizeGroupName(name)
	if err := CheckGroupName(name); err != nil {
		return nil, err
	}
	if name == g.name {
		return nil, nil
	}
	return []domain.Event{GroupRenamed{Group: g.id, Name: name, Previous: g.name}}, nil
}

// NormalizeRuleSet applies InvenTree's implications between permissions: whoever may
// add, change or delete may view, and whoever may add or delete may change.
func NormalizeRuleSet(p PermSet) PermSet {
	if p.Add || p.Delete {
		p.Change = true
	}
	if p.Add || p.Change || p.Delete {
		p.View = true
	}
	return p
}

// SetRuleSet decides the group's permissions in role (normalised); the same permissions
// are no change.
func (g *Group) SetRuleSet(role Role, perms PermSet) ([]domain.Event, error) {
	if !g.Exists() {
		return nil, g.notFound()
	}
	if !role.Valid() {
		return nil, domain.Invalid("name", fmt.Sprintf("%q is not a valid choice.", string(role)))
	}
	perms = NormalizeRuleSet(perms)
	if perms == g.rules[role] {
		return nil, nil
	}
	return []domain.Event{GroupRuleSetChanged{
		Group: g.id, Role: role, View: perms.View, Add: perms.Add, Change: perms.Change, Delete: perms.Delete,
	}}, nil
}

// Delete decides to delete the group.
func (g *Group) Delete() ([]domain.Event, error) {
	if !g.Exists() {
		return nil, g.notFound()
	}
	return []domain.Event{GroupDeleted{Group: g.id, Name: g.name}}, nil
}
