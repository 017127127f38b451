-- +goose Up
-- Stock levels through time, for /api/report/stock-level/ and stock-history: how much
-- of each part was in stock at each location at any instant.
--
-- Every change of what a stock item contributes to a (part, location) is a movement
-- row: its quantity while it is in stock (InvenTree's IN_STOCK_FILTER), and 1 while it
-- exists. Each row also holds the pair's balances after it, so the level of a pair at
-- an instant is its last row up to that instant: one probe of the primary key per
-- pair, however long the history. location 0 is "no location".
--
-- at is the event's recorded time, raised where needed so that it never goes back
-- within a pair: the store stamps an event when its transaction began, and a
-- transaction that began earlier may commit (and come in the log) later. Its change
-- then counts from the time of the change before it. seq numbers the rows in log order
-- (the projector counts on from the highest, so a rebuild numbers them alike).
CREATE TABLE stock_level_moves (
    part        bigint NOT NULL,
    location    bigint NOT NULL,
    at          timestamptz NOT NULL,
    seq         bigint NOT NULL,
    qty_delta   numeric NOT NULL,
    qty         numeric NOT NULL,
    items_delta int NOT NULL,
    items       bigint NOT NULL,
    PRIMARY KEY (part, location, at, seq)
);
CREATE UNIQUE INDEX stock_level_moves_seq ON stock_level_moves (seq);

-- Each (part, location) pair's current balances: the pairs a query probes, and where
-- the next movement of a pair starts from.
CREATE TABLE stock_level_balances (
    part     bigint NOT NULL,
    location bigint NOT NULL,
    qty      numeric NOT NULL,
    items    bigint NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (part, location)
);

-- Each stock item's fields as the projector last folded them (domain/stock ItemData),
-- so that it folds an item's next event without reading the item's stream. Deleted
-- items are removed.
CREATE TABLE stock_level_items (
    pk   bigint PRIMARY KEY,
    data text NOT NULL
);

-- The location tree through time: a row per change of a location's parent or external
-- flag, so that "a location and the locations below it" and "external" are answered
-- as they stood at the instant asked about.
CREATE TABLE stock_level_locations (
    location bigint NOT NULL,
    at       timestamptz NOT NULL,
    seq      bigint NOT NULL,                 -- log order, as in stock_level_moves
    parent   bigint NOT NULL,          -- 0: top level
    external boolean NOT NULL,
    deleted  boolean NOT NULL DEFAULT false,
    PRIMARY KEY (location, at, seq)
);
CREATE INDEX stock_level_locations_parent ON stock_level_locations (parent);
CREATE UNIQUE INDEX stock_level_locations_seq ON stock_level_locations (seq);

-- The locations the tree held at instant at, each with its parent and flags then.
-- +goose StatementBegin
CREATE FUNCTION stock_level_tree(at timestamptz)
RETURNS TABLE (location bigint, parent bigint, external boolean, deleted boolean)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT DISTINCT ON (l.location) l.location, l.parent, l.external, l.deleted
    FROM stock_level_locations l WHERE l.at <= $1
    ORDER BY l.location, l.at DESC, l.seq DESC
$$;
-- +goose StatementEnd

-- root and the locations below it as the tree stood at instant at. UNION, not UNION
-- ALL: a corrupt tree with a cycle ends instead of looping.
-- +goose StatementBegin
CREATE FUNCTION stock_level_subtree(root bigint, at timestamptz) RETURNS SETOF bigint
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH RECURSIVE tree AS (SELECT * FROM stock_level_tree($2)),
    below(location) AS (
        SELECT $1
        UNION
        SELECT t.location FROM tree t JOIN below b ON t.parent = b.location
    )
    SELECT location FROM below
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION stock_level_subtree(bigint, timestamptz);
DROP FUNCTION stock_level_tree(timestamptz);
DROP TABLE stock_level_locations;
DROP TABLE stock_level_items;
DROP TABLE stock_level_balances;
DROP TABLE stock_level_moves;
