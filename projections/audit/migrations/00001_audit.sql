-- +goose Up
-- The audit log: one row per ledger event, in log order, with who caused it, from which
-- request, and its payload in the event's current shape (older schema versions are
-- upcast by the projector, so readers never see a stored shape that is gone from the
-- code). pk counts the events in log order (the projector numbers them), so a rebuilt
-- log gives every event the pk it had. Rows are only ever inserted.
CREATE TABLE audit_events (
    pk             bigint PRIMARY KEY,
    event_id       uuid NOT NULL,
    commit_pos     bigint NOT NULL,
    prepare_pos    bigint NOT NULL,
    stream         text COLLATE "C" NOT NULL,
    kind           text COLLATE "C" NOT NULL,   -- the stream's category
    version        bigint NOT NULL,
    event_type     text COLLATE "C" NOT NULL,
    schema_version int NOT NULL,                -- the shape of data: the current one
    stored_schema  int NOT NULL,                -- the shape the event was stored with
    data           json NOT NULL,
    user_id        bigint,
    username       text,
    request_id     text,
    correlation_id text,
    causation_id   text,
    recorded_at    timestamptz NOT NULL
);
-- One index per filter, each ending in pk: the list is ordered by pk (log order) unless
-- asked otherwise, so a filtered page is a range of one index.
CREATE INDEX audit_events_stream ON audit_events (stream, pk);
CREATE INDEX audit_events_kind ON audit_events (kind, pk);
-- The type index holds the kind too: a user's list is always limited to the kinds it
-- may read, and a page's count then needs no visit to the table.
CREATE INDEX audit_events_type ON audit_events (event_type, kind, pk);
CREATE INDEX audit_events_user ON audit_events (user_id, pk) WHERE user_id IS NOT NULL;
CREATE INDEX audit_events_correlation ON audit_events (correlation_id, pk) WHERE correlation_id IS NOT NULL;
CREATE INDEX audit_events_request ON audit_events (request_id, pk) WHERE request_id IS NOT NULL;
CREATE INDEX audit_events_recorded ON audit_events (recorded_at, pk);

-- +goose Down
DROP TABLE audit_events;
