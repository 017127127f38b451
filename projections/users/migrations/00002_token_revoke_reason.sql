-- +goose Up
-- Why a token was revoked: a token replaced by name is answered as unknown, as InvenTree
-- (which deletes it) does; one revoked on request says so.
ALTER TABLE user_api_tokens ADD COLUMN revoke_reason text;

-- +goose Down
ALTER TABLE user_api_tokens DROP COLUMN revoke_reason;
