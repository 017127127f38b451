-- +goose Up
-- pathstring as InvenTree builds it (InvenTree.helpers.constructPathString): names
-- joined by '/', and when longer than 250 characters the middle replaced by '...'.
-- +goose StatementBegin
CREATE FUNCTION part_category_pathstring(names text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN char_length(s) > 250 THEN left(s, 123) || '...' || right(s, 123) ELSE s END
    FROM (SELECT array_to_string(names, '/') AS s) joined
$$;
-- +goose StatementEnd

-- One row per part category. A category's place in the tree is its path from the top
-- level down to itself, as pks and as names: ancestors are path_ids minus its last
-- element, descendants are the rows whose path_ids contain its pk.
CREATE TABLE part_categories (
    pk               bigint PRIMARY KEY,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    parent           bigint,
    default_location bigint,
    default_keywords text NOT NULL DEFAULT '',
    structural       boolean NOT NULL DEFAULT false,
    icon             text NOT NULL DEFAULT '',
    path_ids         bigint[] NOT NULL,
    path_names       text[] NOT NULL,
    level            integer GENERATED ALWAYS AS (cardinality(path_ids) - 1) STORED,
    pathstring       text GENERATED ALWAYS AS (part_category_pathstring(path_names)) STORED,
    -- Kept up to date by the projector: parts filed in this category or below it, and
    -- categories below it. Lists show them on every row, so they are stored rather than
    -- counted over the subtree on each read.
    part_count       bigint NOT NULL DEFAULT 0,
    subcategories    bigint NOT NULL DEFAULT 0
);
CREATE INDEX part_categories_parent ON part_categories (parent);
CREATE INDEX part_categories_path_ids ON part_categories USING gin (path_ids);
CREATE INDEX part_categories_path_names ON part_categories (path_names, pk);

-- One row per part, with every stored field. Stock figures are not here: they come
-- from the stock read model, joined at query time.
CREATE TABLE parts (
    pk               bigint PRIMARY KEY,
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    ipn              text NOT NULL DEFAULT '',
    revision         text NOT NULL DEFAULT '',
    keywords         text NOT NULL DEFAULT '',
    category         bigint,
    default_location bigint,
    default_expiry   bigint NOT NULL DEFAULT 0,
    units            text NOT NULL DEFAULT '',
    minimum_stock    numeric NOT NULL DEFAULT 0,
    maximum_stock    numeric NOT NULL DEFAULT 0,
    active           boolean NOT NULL,
    assembly         boolean NOT NULL,
    component        boolean NOT NULL,
    is_template      boolean NOT NULL,
    purchaseable     boolean NOT NULL,
    salable          boolean NOT NULL,
    trackable        boolean NOT NULL,
    testable         boolean NOT NULL,
    virtual          boolean NOT NULL,
    locked           boolean NOT NULL,
    consumable       boolean NOT NULL,
    link             text NOT NULL DEFAULT '',
    notes            text NOT NULL DEFAULT '',
    variant_of       bigint,
    revision_of      bigint,
    responsible      bigint,
    creation_user    bigint,
    created_at       timestamptz NOT NULL,
    creation_date    date NOT NULL
);
CREATE INDEX parts_category ON parts (category);
CREATE INDEX parts_name ON parts (name, pk);
CREATE INDEX parts_variant_of ON parts (variant_of) WHERE variant_of IS NOT NULL;
CREATE INDEX parts_revision_of ON parts (revision_of) WHERE revision_of IS NOT NULL;

-- +goose Down
DROP TABLE parts;
DROP TABLE part_categories;
DROP FUNCTION part_category_pathstring(text[]);
