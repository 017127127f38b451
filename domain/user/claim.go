package user

import (
	"errors"
	"fmt"

	"github.com/stockledger/stockledger/domain"
)

// Uniqueness of usernames and group names spans aggregates, so no user or group stream
// can decide it. Each name has a claim stream of its own ("username-<key>",
// "groupname-<key>", see UsernameKey): whoever takes a name appends the claim in the
// same atomic append as its creation or rename, expecting the version it read. Two
// commands taking one name conflict on that stream; the loser reloads, sees the name
// held and gets the 400 Django gives. The decision stays in the log (it holds on
// EventStoreDB too) and never rests on a read model that may lag.

// ErrNotHolder is a release of a name by someone who does not hold it.
var ErrNotHolder = errors.New("name not held by the releaser")

// UsernameClaim is the claim stream of one username key.
type UsernameClaim struct {
	holder   int64
	username string
}

// Apply folds one event of the claim stream.
func (c *UsernameClaim) Apply(e domain.Event) {
	switch e := e.(type) {
	case UsernameClaimed:
		c.holder, c.username = e.User, e.Username
	case UsernameReleased:
		c.holder, c.username = 0, ""
	}
}

// Holder is the pk of the user holding the name, 0 when it is free.
func (c *UsernameClaim) Holder() int64 { return c.holder }

// Claim decides that user takes username. Held by another user, it is Django's 400;
// already held by user, nothing happens (a change of case keeps the claim).
func (c *UsernameClaim) Claim(user int64, username string) ([]domain.Event, error) {
	switch c.holder {
	case user:
		return nil, nil
	case 0:
		return []domain.Event{UsernameClaimed{Username: username, User: user}}, nil
	}
	return nil, domain.Invalid("username", msgUsernameTaken)
}

// CheckFree reports the refusal a new user taking the name would get; nil when the
// name is free.
func (c *UsernameClaim) CheckFree() error {
	if c.holder != 0 {
		return domain.Invalid("username", msgUsernameTaken)
	}
	return nil
}

// Release decides that user gives the name up.
func (c *UsernameClaim) Release(user int64) ([]domain.Event, error) {
	if c.holder != user {
		return nil, fmt.Errorf("release username %q by user %d (held by %d): %w", c.username, user, c.holder, ErrNotHolder)
	}
	return []domain.Event{UsernameReleased{Username: c.username, User: user}}, nil
}

// GroupNameClaim is the claim stream of one group name key.
type GroupNameClaim struct {
	holder int64
	name   string
}

// Apply folds one event of the claim stream.
func (c *GroupNameClaim) Apply(e domain.Event) {
	switch e := e.(type) {
	case GroupNameClaimed:
		c.holder, c.name = e.Group, e.Name
	case GroupNameReleased:
		c.holder, c.name = 0, ""
	}
}

// Holder is the pk of the group holding the name, 0 when it is free.
func (c *GroupNameClaim) Holder() int64 { return c.holder }

// Claim decides that group takes name.
func (c *GroupNameClaim) Claim(group int64, name string) ([]domain.Event, error) {
	switch c.holder {
	case group:
		return nil, nil
	case 0:
		return []domain.Event{GroupNameClaimed{Name: name, Group: group}}, nil
	}
	return nil, domain.Invalid("name", msgGroupNameTaken)
}

// Release decides that group gives the name up.
func (c *GroupNameClaim) Release(group int64) ([]domain.Event, error) {
	if c.holder != group {
		return nil, fmt.Errorf("release group name %q by group %d (held by %d): %w", c.name, group, c.holder, ErrNotHolder)
	}
	return []domain.Event{GroupNameReleased{Name: c.name, Group: group}}, nil
}
