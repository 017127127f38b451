-- +goose Up
-- The users read model: accounts, groups, their rule sets, memberships and API tokens,
-- as projected from the user and group streams. No secret is here: a password or a
-- token key is named by its credential id (internal/auth's credentials table).

CREATE TABLE users (
    pk                  bigint PRIMARY KEY,
    username            text NOT NULL,
    email               text NOT NULL DEFAULT '',
    first_name          text NOT NULL DEFAULT '',
    last_name           text NOT NULL DEFAULT '',
    is_staff            boolean NOT NULL DEFAULT false,
    is_superuser        boolean NOT NULL DEFAULT false,
    is_active           boolean NOT NULL DEFAULT true,
    password_credential uuid,
    date_joined         timestamptz NOT NULL
);
-- Not UNIQUE: uniqueness is decided on the write side (claim streams); a projection
-- records facts and must never refuse one.
CREATE INDEX users_username ON users (username);

CREATE TABLE user_groups (
    pk   bigint PRIMARY KEY,
    name text NOT NULL
);

-- One row per group and role, as InvenTree's RuleSet; pk = group * 100 + the role's
-- place in InvenTree's order (1..11), so that it is stable across rebuilds.
CREATE TABLE user_group_rulesets (
    pk         bigint PRIMARY KEY,
    group_pk   bigint NOT NULL REFERENCES user_groups (pk) ON DELETE CASCADE,
    role       text NOT NULL,
    can_view   boolean NOT NULL DEFAULT false,
    can_add    boolean NOT NULL DEFAULT false,
    can_change boolean NOT NULL DEFAULT false,
    can_delete boolean NOT NULL DEFAULT false,
    UNIQUE (group_pk, role)
);

CREATE TABLE user_group_members (
    user_pk  bigint NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    group_pk bigint NOT NULL REFERENCES user_groups (pk) ON DELETE CASCADE,
    PRIMARY KEY (user_pk, group_pk)
);
CREATE INDEX user_group_members_group ON user_group_members (group_pk);

CREATE TABLE user_api_tokens (
    pk         bigint PRIMARY KEY,
    user_pk    bigint NOT NULL REFERENCES users (pk) ON DELETE CASCADE,
    name       text NOT NULL DEFAULT '',
    key_hint   text NOT NULL,
    credential uuid NOT NULL,
    created    timestamptz NOT NULL,
    expiry     date NOT NULL,
    revoked    boolean NOT NULL DEFAULT false,
    revoked_at timestamptz
);
-- The authenticator goes from a key's credential to its token.
CREATE UNIQUE INDEX user_api_tokens_credential ON user_api_tokens (credential);
CREATE INDEX user_api_tokens_user ON user_api_tokens (user_pk);

-- +goose Down
DROP TABLE user_api_tokens;
DROP TABLE user_group_members;
DROP TABLE user_group_rulesets;
DROP TABLE user_groups;
DROP TABLE users;
