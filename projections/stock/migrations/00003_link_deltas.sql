-- +goose Up
-- The link counts (installed_items, child_items) were recounted on every change to a
-- reference, which made an item split a thousand times cost a thousand-row count on
-- every split. Counted once by 00002, they are now kept by adding and taking away one:
-- the triggers are row-level, so each row's change is seen exactly once.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION stock_items_count_links() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_parent bigint;
    old_into bigint;
    new_parent bigint;
    new_into bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_parent := OLD.parent;
        old_into := OLD.belongs_to;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_parent := NEW.parent;
        new_into := NEW.belongs_to;
    END IF;
    IF old_parent IS NOT DISTINCT FROM new_parent THEN
        old_parent := NULL;
        new_parent := NULL;
    END IF;
    IF old_into IS NOT DISTINCT FROM new_into THEN
        old_into := NULL;
        new_into := NULL;
    END IF;
    UPDATE stock_items SET
        child_items = child_items + CASE WHEN pk = new_parent THEN 1 ELSE 0 END
            - CASE WHEN pk = old_parent THEN 1 ELSE 0 END,
        installed_items = installed_items + CASE WHEN pk = new_into THEN 1 ELSE 0 END
            - CASE WHEN pk = old_into THEN 1 ELSE 0 END
    WHERE pk IN (new_parent, old_parent, new_into, old_into);
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION stock_items_count_links() RETURNS trigger
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
