// Package users is the users read model: the projector that keeps it and the queries
// the API serves from it (users, groups and their rule sets, API tokens, a user's
// effective roles).
package users

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stockledger/stockledger/domain"
	"github.com/stockledger/stockledger/domain/user"
	"github.com/stockledger/stockledger/eventstore"
	"github.com/stockledger/stockledger/internal/migrate"
)

// Name is the projector's checkpoint name. Stored: renaming it rebuilds the read model.
const Name = "users"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations is the read model's schema.
func Migrations() migrate.Set { return migrate.Embedded("readmodel_users", migrationFiles) }

// Migrate creates or upgrades the read model's tables.
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	return migrate.Up(ctx, pool, Migrations(), logger)
}

// Projector folds the user and group streams into the read model.
type Projector struct {
	codec *domain.Codec
}

// NewProjector returns the users projector.
func NewProjector() *Projector {
	codec, err := domain.NewCodec(user.Events())
	if err != nil {
		panic(err) // user.Events() is a fixed table; a duplicate is a programming error
	}
	return &Projector{codec: codec}
}

// Name identifies the projector's checkpoint.
func (*Projector) Name() string { return Name }

// Migrations implements projections.Projector.
func (*Projector) Migrations() migrate.Set { return Migrations() }

// Project applies a batch of events; it reads the user and group streams and skips the
// rest (the name claims included: they carry nothing the read model shows).
func (p *Projector) Project(ctx context.Context, tx pgx.Tx, batch []eventstore.Recorded) error {
	for _, r := range batch {
		if c := r.Category(); c != user.CategoryUser && c != user.CategoryGroup {
			continue
		}
		ev, err := p.codec.Decode(r.Type, r.Schema, r.Data)
		if errors.Is(err, domain.ErrUnknownEvent) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s@%d: %w", r.Stream, r.Version, err)
		}
		if err := apply(ctx, tx, r, ev); err != nil {
			return fmt.Errorf("%s@%d %s: %w", r.Stream, r.Version, r.Type, err)
		}
	}
	return nil
}

func apply(ctx context.Context, tx pgx.Tx, r eventstore.Recorded, ev domain.Event) error {
	var err error
	switch e := ev.(type) {
	case user.UserCreated:
		_, err = tx.Exec(ctx, `INSERT INTO users
			(pk, username, email, first_name, last_name, is_staff, is_superuser, is_active, date_joined)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			e.User, e.Username, e.Email, e.FirstName, e.LastName, e.IsStaff, e.IsSuperuser, e.IsActive, e.DateJoined)
	case user.UserUpdated:
		_, err = tx.Exec(ctx, `UPDATE users SET
			username = COALESCE($2, username), email = COALESCE($3, email),
			first_name = COALESCE($4, first_name), last_name = COALESCE($5, last_name),
			is_staff = COALESCE($6, is_staff), is_superuser = COALESCE($7, is_superuser),
			is_active = COALESCE($8, is_active)
			WHERE pk = $1`,
			e.User, e.Username, e.Email, e.FirstName, e.LastName, e.IsStaff, e.IsSuperuser, e.IsActive)
	case user.UserPasswordChanged:
		_, err = tx.Exec(ctx, `UPDATE users SET password_credential = $2 WHERE pk = $1`, e.User, e.Credential)
	case user.UserGroupsChanged:
		if _, err = tx.Exec(ctx, `DELETE FROM user_group_members WHERE user_pk = $1`, e.User); err == nil {
			// A group deleted after the command checked it is simply not a membership.
			_, err = tx.Exec(ctx, `INSERT INTO user_group_members (user_pk, group_pk)
				SELECT $1, g.pk FROM user_groups g WHERE g.pk = ANY($2)`, e.User, e.Groups)
		}
	case user.UserDeleted:
		_, err = tx.Exec(ctx, `DELETE FROM users WHERE pk = $1`, e.User)
	case user.ApiTokenCreated:
		_, err = tx.Exec(ctx, `INSERT INTO user_api_tokens (pk, user_pk, name, key_hint, credential, created, expiry)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.Token, e.User, e.Name, e.KeyHint, e.Credential, e.Created, e.Expiry.Time())
	case user.ApiTokenRevoked:
		_, err = tx.Exec(ctx, `UPDATE user_api_tokens SET revoked = true, revoked_at = $2, revoke_reason = $3
			WHERE pk = $1 AND NOT revoked`, e.Token, r.RecordedAt, e.Reason)
	case user.GroupCreated:
		if _, err = tx.Exec(ctx, `INSERT INTO user_groups (pk, name) VALUES ($1, $2)`, e.Group, e.Name); err == nil {
			roles, pks := make([]string, 0, 11), make([]int64, 0, 11)
			for _, role := range user.Roles() {
				roles, pks = append(roles, string(role)), append(pks, RuleSetPK(e.Group, role))
			}
			_, err = tx.Exec(ctx, `INSERT INTO user_group_rulesets (pk, group_pk, role)
				SELECT pk, $1, role FROM unnest($2::bigint[], $3::text[]) AS x(pk, role)`, e.Group, pks, roles)
		}
	case user.GroupRenamed:
		_, err = tx.Exec(ctx, `UPDATE user_groups SET name = $2 WHERE pk = $1`, e.Group, e.Name)
	case user.GroupRuleSetChanged:
		_, err = tx.Exec(ctx, `INSERT INTO user_group_rulesets (pk, group_pk, role, can_view, can_add, can_change, can_delete)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (group_pk, role) DO UPDATE SET can_view = $4, can_add = $5, can_change = $6, can_delete = $7`,
			RuleSetPK(e.Group, e.Role), e.Group, string(e.Role), e.View, e.Add, e.Change, e.Delete)
	case user.GroupDeleted:
		_, err = tx.Exec(ctx, `DELETE FROM user_groups WHERE pk = $1`, e.Group)
	}
	return err
}

// RuleSetPK is the pk under which a group's rule set for role is served
// (/api/user/ruleset/{id}/): group * 100 + the role's place in InvenTree's order.
func RuleSetPK(group int64, role user.Role) int64 {
	for i, r := range user.Roles() {
		if r == role {
			return group*100 + int64(i) + 1
		}
	}
	return group*100 + 99 // not a role of this version; kept apart from the known ones
}

// RuleSetOf is the group and role of a rule set pk; ok is false for a pk that names none.
func RuleSetOf(pk int64) (group int64, role user.Role, ok bool) {
	group, i := pk/100, int(pk%100)-1
	roles := user.Roles()
	if group <= 0 || i < 0 || i >= len(roles) {
		return 0, "", false
	}
	return group, roles[i], true
}
