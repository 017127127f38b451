-- +goose Up
-- The ledger. Rows are never updated or deleted (see the trigger below).
--
-- tx_id is the appending transaction's id. Readers of the global log order by
-- (tx_id, position) and only read rows whose tx_id is below the oldest transaction still
-- running (pg_snapshot_xmin), so a transaction that commits late can never land behind a
-- position a reader has already passed.
--
-- The unique (stream_id, version) index is the concurrency check: two appends at the
-- same expected version insert the same version, and the second one fails.
-- Indexes cost every append; add one only for a query the store itself runs.
CREATE TABLE events (
    position       bigint GENERATED ALWAYS AS IDENTITY,
    tx_id          bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    event_id       uuid NOT NULL,
    stream_id      text COLLATE "C" NOT NULL,
    version        bigint NOT NULL CHECK (version > 0),
    type           text NOT NULL,
    schema_version integer NOT NULL,
    data           json NOT NULL,
    metadata       json NOT NULL,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tx_id, position),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, version),
    CONSTRAINT events_event_id_key UNIQUE (event_id)
);

-- +goose StatementBegin
CREATE FUNCTION events_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are immutable: % refused', TG_OP;
END $$;
-- +goose StatementEnd

CREATE TRIGGER events_immutable
    BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_are_immutable();

-- +goose Down
DROP TABLE events;
DROP FUNCTION events_are_immutable();
