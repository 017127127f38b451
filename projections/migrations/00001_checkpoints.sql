-- +goose Up
-- Where each projector stands in the global log. A projector writes its rows and moves
-- its checkpoint in one transaction, so each event is applied exactly once.
CREATE TABLE projection_checkpoints (
    name       text PRIMARY KEY,
    commit_pos bigint NOT NULL DEFAULT 0,
    prepare_pos bigint NOT NULL DEFAULT 0,
    events     bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE projection_checkpoints;
