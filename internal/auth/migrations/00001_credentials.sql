-- +goose Up
-- Secrets live here, never in the event log: an event names a credential by its id.
-- A password is kept as its argon2id hash (PHC string), an API token as the SHA-256 of
-- its key. Rows are written before the event that refers to them, so a failed append
-- can leave a row nothing refers to; such a row authenticates nobody.
CREATE TABLE credentials (
    id            uuid PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('password', 'token')),
    password_hash text,
    token_digest  bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- When a token last authenticated a request, written at most about once a minute.
    last_used_at  timestamptz,
    CHECK ((kind = 'password') = (password_hash IS NOT NULL)),
    CHECK ((kind = 'token') = (token_digest IS NOT NULL))
);

-- Every token request looks its key up by digest.
CREATE UNIQUE INDEX credentials_token_digest ON credentials (token_digest) WHERE token_digest IS NOT NULL;

-- +goose Down
DROP TABLE credentials;
