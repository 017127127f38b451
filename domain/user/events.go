package user

import (
	"time"

	"github.com/google/uuid"

	"github.com/stockledger/stockledger/domain"
)

// Stream categories. Users and groups live in "<category>-<pk>" streams; API tokens are
// entities of their user and live in its stream, but take their pks from their own key
// sequence. The claim streams "<category>-<key>" make names unique (see UsernameKey).
const (
	CategoryUser      = "user"
	CategoryGroup     = "group"
	CategoryToken     = "apitoken"
	CategoryUsername  = "username"
	CategoryGroupName = "groupname"
)

// Event type names. Stored: never rename one.
const (
	TypeUserCreated         = "UserCreated"
	TypeUserUpdated         = "UserUpdated"
	TypeUserPasswordChanged = "UserPasswordChanged"
	TypeUserGroupsChanged   = "UserGroupsChanged"
	TypeUserDeleted         = "UserDeleted"
	TypeApiTokenCreated     = "ApiTokenCreated"
	TypeApiTokenRevoked     = "ApiTokenRevoked"
	TypeGroupCreated        = "GroupCreated"
	TypeGroupRenamed        = "GroupRenamed"
	TypeGroupRuleSetChanged = "GroupRuleSetChanged"
	TypeGroupDeleted        = "GroupDeleted"
	TypeUsernameClaimed     = "UsernameClaimed"
	TypeUsernameReleased    = "UsernameReleased"
	TypeGroupNameClaimed    = "GroupNameClaimed"
	TypeGroupNameReleased   = "GroupNameReleased"
)

// Events lists every event type of this package, for the codec.
func Events() []domain.EventType {
	return []domain.EventType{
		domain.JSONEvent[UserCreated](TypeUserCreated),
		domain.JSONEvent[UserUpdated](TypeUserUpdated),
		domain.JSONEvent[UserPasswordChanged](TypeUserPasswordChanged),
		domain.JSONEvent[UserGroupsChanged](TypeUserGroupsChanged),
		domain.JSONEvent[UserDeleted](TypeUserDeleted),
		domain.JSONEvent[ApiTokenCreated](TypeApiTokenCreated),
		domain.JSONEvent[ApiTokenRevoked](TypeApiTokenRevoked),
		domain.JSONEvent[GroupCreated](TypeGroupCreated),
		domain.JSONEvent[GroupRenamed](TypeGroupRenamed),
		domain.JSONEvent[GroupRuleSetChanged](TypeGroupRuleSetChanged),
		domain.JSONEvent[GroupDeleted](TypeGroupDeleted),
		domain.JSONEvent[UsernameClaimed](TypeUsernameClaimed),
		domain.JSONEvent[UsernameReleased](TypeUsernameReleased),
		domain.JSONEvent[GroupNameClaimed](TypeGroupNameClaimed),
		domain.JSONEvent[GroupNameReleased](TypeGroupNameReleased),
	}
}

// UserCreated: a user account exists. It starts without a usable password; a
// UserPasswordChanged in the same append gives it one.
type UserCreated struct {
	User        int64     `json:"user"`
	Username    string    `json:"username"`
	Email       string    `json:"email"`
	FirstName   string    `json:"first_name"`
	LastName    string    `json:"last_name"`
	IsStaff     bool      `json:"is_staff"`
	IsSuperuser bool      `json:"is_superuser"`
	IsActive    bool      `json:"is_active"`
	DateJoined  time.Time `json:"date_joined"`
}

// UserUpdated carries only the fields that changed; a nil field kept its value.
// Deactivating a user is IsActive false.
type UserUpdated struct {
	User        int64   `json:"user"`
	Username    *string `json:"username,omitempty"`
	Email       *string `json:"email,omitempty"`
	FirstName   *string `json:"first_name,omitempty"`
	LastName    *string `json:"last_name,omitempty"`
	IsStaff     *bool   `json:"is_staff,omitempty"`
	IsSuperuser *bool   `json:"is_superuser,omitempty"`
	IsActive    *bool   `json:"is_active,omitempty"`
}

// UserPasswordChanged: the user's password is now the one stored under Credential in
// the credentials table. The event never holds the password or its hash.
type UserPasswordChanged struct {
	User       int64     `json:"user"`
	Credential uuid.UUID `json:"credential"`
}

// UserGroupsChanged: the user is now a member of exactly Groups (sorted pks); Added and
// Removed say what changed, for the audit trail.
type UserGroupsChanged struct {
	User    int64   `json:"user"`
	Groups  []int64 `json:"groups"`
	Added   []int64 `json:"added,omitempty"`
	Removed []int64 `json:"removed,omitempty"`
}

// UserDeleted: the account is gone, with its memberships and tokens (each live token is
// revoked by an ApiTokenRevoked just before).
type UserDeleted struct {
	User     int64  `json:"user"`
	Username string `json:"username"`
}

// ApiTokenCreated: a token was issued to User. KeyHint is InvenTree's redacted form of
// the key; the key's SHA-256 is in the credentials table under Credential.
type ApiTokenCreated struct {
	Token      int64     `json:"token"`
	User       int64     `json:"user"`
	Name       string    `json:"name"`
	Expiry     Date      `json:"expiry"`
	KeyHint    string    `json:"key_hint"`
	Credential uuid.UUID `json:"credential"`
	Created    time.Time `json:"created"`
}

// Why a token was revoked.
const (
	RevokedByRequest = "revoked"      // DELETE /api/user/tokens/{id}/
	RevokedReplaced  = "replaced"     // a new token of the same name was requested
	RevokedUserGone  = "user_deleted" // its user was deleted
)

// ApiTokenRevoked: the token no longer authenticates, for good.
type ApiTokenRevoked struct {
	Token  int64  `json:"token"`
	User   int64  `json:"user"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// GroupCreated: a group exists, with no permission in any role.
type GroupCreated struct {
	Group int64  `json:"group"`
	Name  string `json:"name"`
}

// GroupRenamed carries the previous name for the audit trail.
type GroupRenamed struct {
	Group    int64  `json:"group"`
	Name     string `json:"name"`
	Previous string `json:"previous"`
}

// GroupRuleSetChanged: the group's rule set for Role is now exactly these permissions.
type GroupRuleSetChanged struct {
	Group  int64 `json:"group"`
	Role   Role  `json:"role"`
	View   bool  `json:"view"`
	Add    bool  `json:"add"`
	Change bool  `json:"change"`
	Delete bool  `json:"delete"`
}

// Perms is the rule set the event sets.
func (e GroupRuleSetChanged) Perms() PermSet {
	return PermSet{View: e.View, Add: e.Add, Change: e.Change, Delete: e.Delete}
}

// GroupDeleted: the group is gone; its members lose its roles.
type GroupDeleted struct {
	Group int64  `json:"group"`
	Name  string `json:"name"`
}

// UsernameClaimed: User holds the username (in the claim stream of its key).
type UsernameClaimed struct {
	Username string `json:"username"`
	User     int64  `json:"user"`
}

// UsernameReleased: the username is free again.
type UsernameReleased struct {
	Username string `json:"username"`
	User     int64  `json:"user"`
}

// GroupNameClaimed: Group holds the name.
type GroupNameClaimed struct {
	Name  string `json:"name"`
	Group int64  `json:"group"`
}

// GroupNameReleased: the group name is free again.
type GroupNameReleased struct {
	Name  string `json:"name"`
	Group int64  `json:"group"`
}

func (UserCreated) EventType() string         { return TypeUserCreated }
func (UserUpdated) EventType() string         { return TypeUserUpdated }
func (UserPasswordChanged) EventType() string { return TypeUserPasswordChanged }
func (UserGroupsChanged) EventType() string   { return TypeUserGroupsChanged }
func (UserDeleted) EventType() string         { return TypeUserDeleted }
func (ApiTokenCreated) EventType() string     { return TypeApiTokenCreated }
func (ApiTokenRevoked) EventType() string     { return TypeApiTokenRevoked }
func (GroupCreated) EventType() string        { return TypeGroupCreated }
func (GroupRenamed) EventType() string        { return TypeGroupRenamed }
func (GroupRuleSetChanged) EventType() string { return TypeGroupRuleSetChanged }
func (GroupDeleted) EventType() string        { return TypeGroupDeleted }
func (UsernameClaimed) EventType() string     { return TypeUsernameClaimed }
func (UsernameReleased) EventType() string    { return TypeUsernameReleased }
func (GroupNameClaimed) EventType() string    { return TypeGroupNameClaimed }
func (GroupNameReleased) EventType() string   { return TypeGroupNameReleased }
