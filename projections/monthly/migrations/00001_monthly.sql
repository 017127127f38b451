-- +goose Up
-- What the monthly summary needs to know of each stock item: most stock events name
-- only the item, and the summary is per part, with the item's unit price.
CREATE TABLE monthly_items (
    pk       bigint PRIMARY KEY,
    part     bigint NOT NULL,
    price    numeric,             -- purchase price per unit; NULL when the item has none
    currency text NOT NULL DEFAULT ''
);

-- Stock movements per part and calendar month (UTC), by kind. Quantities count every
-- item; values only the priced ones, in their currency ('' holds the unpriced items'
-- quantities, with zero values).
CREATE TABLE part_monthly_movements (
    part           bigint NOT NULL,
    month          date NOT NULL,     -- the first day of the month
    currency       text NOT NULL,
    received       numeric NOT NULL DEFAULT 0,
    received_value numeric NOT NULL DEFAULT 0,
    shipped        numeric NOT NULL DEFAULT 0,
    shipped_value  numeric NOT NULL DEFAULT 0,
    consumed       numeric NOT NULL DEFAULT 0,
    consumed_value numeric NOT NULL DEFAULT 0,
    adjusted       numeric NOT NULL DEFAULT 0,
    adjusted_value numeric NOT NULL DEFAULT 0,
    PRIMARY KEY (part, month, currency)
);
CREATE INDEX part_monthly_movements_month ON part_monthly_movements (month, part);

-- +goose Down
DROP TABLE part_monthly_movements;
DROP TABLE monthly_items;
