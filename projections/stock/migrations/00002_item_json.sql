-- +goose Up

-- Stock items and locations keep their API rendering: each item its StockItem JSON
-- object without the detail blocks (stock_items.doc), each location its LocationBrief
-- (stock_locations.brief). Lists then copy stored bytes instead of building JSON per row
-- on every request. Both are generated columns, so PostgreSQL renders them with every
-- change of the row, whoever writes it, and a rebuild gives the same bytes.
--
-- The functions write values exactly as the API's Go encoder does (encoding/json, HTML
-- escaping off; the tests hold the two together): strings with escape_json's escapes
-- (to_json's) plus U+2028 and U+2029, which Go always escapes; quantities as Python
-- floats; times in UTC (a read model configured with another zone renders its items
-- itself). They are PL/pgSQL because a generated column's expression is set up by
-- every statement that writes the row, while PL/pgSQL keeps its plan for the session,
-- and they use to_json, to_char and format, which are only STABLE in general, in ways
-- that do not depend on any setting (no localised to_char fields): IMMUTABLE is true
-- of them, as a generated column requires.

-- InvenTree's StockStatus labels (domain/status; a test holds the two together).
-- +goose StatementBegin
CREATE FUNCTION stock_status_label(code int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE code
        WHEN 10 THEN 'OK' WHEN 50 THEN 'Attention needed' WHEN 55 THEN 'Damaged'
        WHEN 60 THEN 'Destroyed' WHEN 65 THEN 'Rejected' WHEN 70 THEN 'Lost'
        WHEN 75 THEN 'Quarantined' WHEN 85 THEN 'Returned' ELSE '' END
$$;
-- +goose StatementEnd

-- An item's StockItem object (projections/stock.Item) without location_detail,
-- location_path and part_detail, and with "expired" and "stale" false: the read model
-- adds the details and marks expired and stale items, which depend on the day of the
-- request. in_stock repeats the in_stock column's expression, as a generated column
-- cannot read another. The strings are the only values that can hold U+2028 or U+2029,
-- so those are escaped over the whole object at once.
-- +goose StatementBegin
CREATE FUNCTION stock_item_json(
    pk bigint, part bigint, quantity numeric, serial text, batch text, location bigint,
    belongs_to bigint, build bigint, consumed_by bigint, customer bigint,
    delete_on_deplete boolean, expiry_date date, is_building boolean, link text, notes text,
    owner bigint, packaging text, parent bigint, purchase_order bigint, sales_order bigint,
    status int, supplier_part bigint, creation_date timestamptz, stocktake_date date,
    updated timestamptz, purchase_price numeric, purchase_price_currency text,
    tracking_items int, installed_items int, child_items int
) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN replace(replace(format(
        '{"pk":%s,"part":%s,"quantity":%s,"serial":%s,"batch":%s,"location":%s,"belongs_to":%s,'
        '"build":%s,"consumed_by":%s,"customer":%s,"delete_on_deplete":%s,"expiry_date":%s,'
        '"in_stock":%s,"is_building":%s,"link":%s,"notes":%s,"owner":%s,"packaging":%s,"parent":%s,'
        '"purchase_order":%s,"purchase_order_reference":null,"sales_order":%s,'
        '"sales_order_reference":null,"status":%s,"status_text":%s,"status_custom_key":%s,'
        '"supplier_part":%s,"SKU":null,"MPN":null,"barcode_hash":"","creation_date":%s,'
        '"stocktake_date":%s,"updated":%s,"purchase_price":%s,"purchase_price_currency":%s,'
        '"allocated":0.0,"expired":false,"installed_items":%s,"child_items":%s,"stale":false,'
        '"tags":[],"tracking_items":%s}',
        pk, part,
        -- A float's repr: trailing zeros dropped, ".0" on integral values.
        trim_scale(quantity)::text || CASE WHEN quantity = trunc(quantity) THEN '.0' ELSE '' END,
        coalesce(to_json(serial)::text, 'null'), to_json(batch),
        coalesce(location::text, 'null'), coalesce(belongs_to::text, 'null'),
        coalesce(build::text, 'null'), coalesce(consumed_by::text, 'null'),
        coalesce(customer::text, 'null'), delete_on_deplete::text,
        coalesce('"' || to_char(expiry_date, 'YYYY-MM-DD') || '"', 'null'),
        (quantity > 0 AND sales_order IS NULL AND belongs_to IS NULL AND customer IS NULL
            AND consumed_by IS NULL AND NOT is_building AND status IN (10, 50, 55, 85))::text,
        is_building::text, to_json(link), coalesce(to_json(notes)::text, 'null'),
        coalesce(owner::text, 'null'), coalesce(to_json(packaging)::text, 'null'),
        coalesce(parent::text, 'null'), coalesce(purchase_order::text, 'null'),
        coalesce(sales_order::text, 'null'),
        status, to_json(stock_status_label(status)), status, coalesce(supplier_part::text, 'null'),
        '"' || to_char(creation_date AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || '"',
        coalesce('"' || to_char(stocktake_date, 'YYYY-MM-DD') || '"', 'null'),
        '"' || to_char(updated AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || '"',
        coalesce('"' || round(purchase_price, 6)::text || '"', 'null'), to_json(purchase_price_currency),
        installed_items, child_items, tracking_items),
        chr(8232), E'\\u2028'), chr(8233), E'\\u2029');
END
$$;
-- +goose StatementEnd

-- A location's LocationBrief (projections/stock.LocationBrief), as the item lists show
-- it in location_detail: marshalled on its own, so with HTML escaping too.
-- +goose StatementBegin
CREATE FUNCTION stock_location_json(pk bigint, name text, pathstring text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN replace(replace(replace(replace(replace(
        format('{"pk":%s,"name":%s,"pathstring":%s}', pk, to_json(name), to_json(pathstring)),
        '<', E'\\u003c'), '>', E'\\u003e'), '&', E'\\u0026'), chr(8232), E'\\u2028'), chr(8233), E'\\u2029');
END
$$;
-- +goose StatementEnd

-- Items installed in an item (belongs_to) and items split from it (parent), which the
-- rendering shows: kept by triggers whenever a row gains, loses or changes either
-- reference, so a list needs no count per row. An AFTER trigger sees the statement's
-- rows, so a recount is exact however many rows the statement changed. An item is
-- always created before anything refers to it (splits, installations and merges
-- refer to existing items), so a new row starts with no links of its own.
ALTER TABLE stock_items
    ADD COLUMN installed_items int NOT NULL DEFAULT 0,
    ADD COLUMN child_items int NOT NULL DEFAULT 0;
UPDATE stock_items i SET installed_items = c.n
    FROM (SELECT belongs_to, count(*) AS n FROM stock_items WHERE belongs_to IS NOT NULL GROUP BY belongs_to) c
    WHERE i.pk = c.belongs_to;
UPDATE stock_items i SET child_items = c.n
    FROM (SELECT parent, count(*) AS n FROM stock_items WHERE parent IS NOT NULL GROUP BY parent) c
    WHERE i.pk = c.parent;

-- +goose StatementBegin
CREATE FUNCTION stock_items_count_links() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    linked bigint[] := '{}';
BEGIN
    IF TG_OP <> 'DELETE' THEN
        linked := linked || NEW.parent || NEW.belongs_to;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        linked := linked || OLD.parent || OLD.belongs_to;
    END IF;
    UPDATE stock_items t SET installed_items = n.installed, child_items = n.children
    FROM (SELECT x.pk,
            (SELECT count(*) FROM stock_items c WHERE c.belongs_to = x.pk) AS installed,
            (SELECT count(*) FROM stock_items c WHERE c.parent = x.pk) AS children
        FROM unnest(linked) AS x(pk) WHERE x.pk IS NOT NULL) AS n
    WHERE t.pk = n.pk AND (t.installed_items, t.child_items) IS DISTINCT FROM (n.installed, n.children);
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER stock_items_links_insert AFTER INSERT ON stock_items FOR EACH ROW
    WHEN (NEW.parent IS NOT NULL OR NEW.belongs_to IS NOT NULL)
    EXECUTE FUNCTION stock_items_count_links();
CREATE TRIGGER stock_items_links_update AFTER UPDATE OF parent, belongs_to ON stock_items FOR EACH ROW
    WHEN (OLD.parent IS DISTINCT FROM NEW.parent OR OLD.belongs_to IS DISTINCT FROM NEW.belongs_to)
    EXECUTE FUNCTION stock_items_count_links();
CREATE TRIGGER stock_items_links_delete AFTER DELETE ON stock_items FOR EACH ROW
    WHEN (OLD.parent IS NOT NULL OR OLD.belongs_to IS NOT NULL)
    EXECUTE FUNCTION stock_items_count_links();

ALTER TABLE stock_items ADD COLUMN doc text NOT NULL GENERATED ALWAYS AS (stock_item_json(
    pk, part, quantity, serial, batch, location, belongs_to, build, consumed_by, customer,
    delete_on_deplete, expiry_date, is_building, link, notes, owner, packaging, parent,
    purchase_order, sales_order, status, supplier_part, creation_date, stocktake_date,
    updated, purchase_price, purchase_price_currency, tracking_items, installed_items,
    child_items)) STORED;

ALTER TABLE stock_locations ADD COLUMN brief text NOT NULL
    GENERATED ALWAYS AS (stock_location_json(pk, name, pathstring)) STORED;

-- The location filter must find a location's items through the location index
-- whatever the statistics say. The stock list hands the planner the locations as an
-- array it cannot see into (so that its plan is the same for every location and can be
-- prepared once per connection), and the planner then estimates "items at one of them"
-- from the number of distinct locations alone. Stale statistics (ANALYZE ran when a few
-- locations held every item, and never again) would make that most of the table and
-- choose a scan of all of it. Pinned as a share of the rows, the estimate stays a few
-- items per location however the table grows; ANALYZE applies it at once.
ALTER TABLE stock_items ALTER COLUMN location SET (n_distinct = -0.02);
ANALYZE stock_items;

-- +goose Down
ALTER TABLE stock_items ALTER COLUMN location RESET (n_distinct);
ALTER TABLE stock_locations DROP COLUMN brief;
ALTER TABLE stock_items DROP COLUMN doc;
DROP TRIGGER stock_items_links_delete ON stock_items;
DROP TRIGGER stock_items_links_update ON stock_items;
DROP TRIGGER stock_items_links_insert ON stock_items;
DROP FUNCTION stock_items_count_links();
ALTER TABLE stock_items DROP COLUMN child_items, DROP COLUMN installed_items;
DROP FUNCTION stock_location_json(bigint, text, text);
DROP FUNCTION stock_item_json(bigint, bigint, numeric, text, text, bigint, bigint, bigint, bigint,
    bigint, boolean, date, boolean, text, text, bigint, text, bigint, bigint, bigint, int, bigint,
    timestamptz, date, timestamptz, numeric, text, int, int, int);
DROP FUNCTION stock_status_label(int);
