-- +goose Up
-- The items received against a purchase order or bought as a supplier part
-- (/api/stock/?purchase_order=, ?supplier_part=). Few items have either, so the partial
-- indexes cost nothing to the writes of the others.
CREATE INDEX stock_items_purchase_order ON stock_items (purchase_order) WHERE purchase_order IS NOT NULL;
CREATE INDEX stock_items_supplier_part ON stock_items (supplier_part) WHERE supplier_part IS NOT NULL;

-- +goose Down
DROP INDEX stock_items_supplier_part;
DROP INDEX stock_items_purchase_order;
