package history

import (
	"github.com/stockledger/stockledger/domain/part"
	"github.com/stockledger/stockledger/domain/stock"
	"github.com/stockledger/stockledger/domain/user"
)

// Kind is how `stockledger replay` folds and shows the aggregates of one stream
// category: the domain aggregate and the fields it holds. (Stock items and parts are
// also shown as the API shows them, by Service.)
type Kind struct {
	// New returns a fresh aggregate.
	New func() Aggregate
	// State describes a folded aggregate: its fields, and whether it exists.
	State func(Aggregate) any
}

// kinds are the aggregate kinds Describe knows, by stream category (the categories are
// stored in stream names; see commands and domain/user).
var kinds = map[string]Kind{
	"stockitem": {
		New: func() Aggregate { return &stock.Item{} },
		State: func(a Aggregate) any {
			it := a.(*stock.Item)
			return struct {
				PK     int64 `json:"pk"`
				Exists bool  `json:"exists"`
				stock.ItemData
				Installed []int64 `json:"installed"`
			}{it.PK(), it.Exists(), it.Data(), it.Installed()}
		},
	},
	"stocklocation": {
		New: func() Aggregate { return &stock.Location{} },
		State: func(a Aggregate) any {
			l := a.(*stock.Location)
			return map[string]any{"pk": l.PK(), "exists": l.Exists(), "name": l.Name(), "parent": l.Parent(),
				"structural": l.Facts().Structural}
		},
	},
	"part": {
		New: func() Aggregate { return &part.Part{} },
		State: func(a Aggregate) any {
			p := a.(*part.Part)
			return struct {
				ID     int64 `json:"id"`
				Exists bool  `json:"exists"`
				part.PartFields
			}{p.ID(), p.Exists(), p.Fields()}
		},
	},
	"partcategory": {
		New: func() Aggregate { return &part.Category{} },
		State: func(a Aggregate) any {
			c := a.(*part.Category)
			return struct {
				ID     int64 `json:"id"`
				Exists bool  `json:"exists"`
				part.CategoryFields
			}{c.ID(), c.Exists(), c.Fields()}
		},
	},
	"user": {
		New: func() Aggregate { return &user.User{} },
		State: func(a Aggregate) any {
			u := a.(*user.User)
			return map[string]any{"id": u.ID(), "exists": u.Exists(), "username": u.Username(), "is_active": u.Active(),
				"is_staff": u.Staff(), "is_superuser": u.Superuser(), "groups": u.Groups()}
		},
	},
	"group": {
		New: func() Aggregate { return &user.Group{} },
		State: func(a Aggregate) any {
			g := a.(*user.Group)
			rules := map[user.Role][]user.Perm{}
			for _, r := range user.Roles() {
				if perms := g.RuleSet(r).List(); perms != nil {
					rules[r] = perms
				}
			}
			return map[string]any{"id": g.ID(), "exists": g.Exists(), "name": g.Name(), "rule_sets": rules}
		},
	},
	stock.SerialCategory:       reservation(func() holder { return &stock.Reservation{} }),
	stock.LocationNameCategory: reservation(func() holder { return &stock.Reservation{} }),
	"partunique": {
		New:   func() Aggregate { return &part.Reservation{} },
		State: func(a Aggregate) any { return map[string]any{"owner": a.(*part.Reservation).Owner()} },
	},
	user.CategoryUsername:  reservation(func() holder { return &user.UsernameClaim{} }),
	user.CategoryGroupName: reservation(func() holder { return &user.GroupNameClaim{} }),
}

// holder is a reservation of a unique key: which aggregate holds it, 0 for none.
type holder interface {
	Aggregate
	Holder() int64
}

func reservation(fresh func() holder) Kind {
	return Kind{
		New:   func() Aggregate { return fresh() },
		State: func(a Aggregate) any { return map[string]any{"holder": a.(holder).Holder()} },
	}
}

// Describe is how to fold and show the aggregates of a stream category; ok is false for
// a category this version does not know.
func Describe(category string) (k Kind, ok bool) {
	k, ok = kinds[category]
	return k, ok
}
