-- +goose Up
-- The purchase orders read model, shaped for /api/order/po/..., and the outstanding
-- quantities /api/part/ and /api/company/part/ show as on order. A line keeps its
-- order's status (order_status) so that "on order" is one scan of the lines.

CREATE TABLE purchase_orders (
    pk                 bigint PRIMARY KEY,
    reference          text NOT NULL,
    reference_int      bigint NOT NULL,
    description        text NOT NULL DEFAULT '',
    supplier           bigint,
    supplier_reference text NOT NULL DEFAULT '',
    link               text NOT NULL DEFAULT '',
    creation_date      date,
    issue_date         date,
    start_date         date,
    target_date        date,
    complete_date      date,
    responsible        bigint,
    contact            bigint,
    address            bigint,
    notes              text NOT NULL DEFAULT '',
    order_currency     text,
    destination        bigint,
    status             int NOT NULL,
    created_by         bigint,
    updated_at         timestamptz NOT NULL
);
CREATE INDEX purchase_orders_reference ON purchase_orders (reference_int, reference, pk);
CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier);

CREATE TABLE purchase_order_lines (
    pk                      bigint PRIMARY KEY,
    purchase_order          bigint NOT NULL,
    order_status            int NOT NULL,
    supplier_part           bigint NOT NULL,
    quantity                numeric NOT NULL,
    received                numeric NOT NULL DEFAULT 0,
    reference               text NOT NULL DEFAULT '',
    notes                   text NOT NULL DEFAULT '',
    link                    text NOT NULL DEFAULT '',
    target_date             date,
    purchase_price          numeric,
    purchase_price_currency text NOT NULL DEFAULT '',
    destination             bigint,
    line                    text NOT NULL DEFAULT '',
    discount                numeric NOT NULL DEFAULT 0,
    received_location       bigint
);
CREATE INDEX purchase_order_lines_order ON purchase_order_lines (purchase_order, pk);
CREATE INDEX purchase_order_lines_supplier_part ON purchase_order_lines (supplier_part);

CREATE TABLE purchase_order_extra_lines (
    pk             bigint PRIMARY KEY,
    purchase_order bigint NOT NULL,
    description    text NOT NULL DEFAULT '',
    quantity       numeric NOT NULL,
    reference      text NOT NULL DEFAULT '',
    notes          text NOT NULL DEFAULT '',
    link           text NOT NULL DEFAULT '',
    target_date    date,
    price          numeric,
    price_currency text NOT NULL DEFAULT '',
    line           text NOT NULL DEFAULT '',
    discount       numeric NOT NULL DEFAULT 0
);
CREATE INDEX purchase_order_extra_lines_order ON purchase_order_extra_lines (purchase_order, pk);

-- +goose Down
DROP TABLE purchase_order_extra_lines;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
