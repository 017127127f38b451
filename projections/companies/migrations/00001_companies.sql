-- +goose Up
-- The companies read model: companies with their addresses and contacts, manufacturer
-- parts and supplier parts, shaped for /api/company/... Uniqueness is decided on the
-- write side (reservation streams); nothing here is UNIQUE beyond the keys, because a
-- projection records facts and must never refuse one.

CREATE TABLE companies (
    pk              bigint PRIMARY KEY,
    name            text NOT NULL,
    description     text NOT NULL DEFAULT '',
    website         text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    email           text,
    currency        text NOT NULL,
    contact         text NOT NULL DEFAULT '',
    link            text NOT NULL DEFAULT '',
    active          boolean NOT NULL,
    is_customer     boolean NOT NULL,
    is_manufacturer boolean NOT NULL,
    is_supplier     boolean NOT NULL,
    notes           text NOT NULL DEFAULT '',
    tax_id          text NOT NULL DEFAULT ''
);
CREATE INDEX companies_name ON companies (name, pk);

CREATE TABLE company_addresses (
    pk                      bigint PRIMARY KEY,
    company                 bigint NOT NULL,
    title                   text NOT NULL,
    is_primary              boolean NOT NULL,
    line1                   text NOT NULL DEFAULT '',
    line2                   text NOT NULL DEFAULT '',
    postal_code             text NOT NULL DEFAULT '',
    postal_city             text NOT NULL DEFAULT '',
    province                text NOT NULL DEFAULT '',
    country                 text NOT NULL DEFAULT '',
    shipping_notes          text NOT NULL DEFAULT '',
    internal_shipping_notes text NOT NULL DEFAULT '',
    link                    text NOT NULL DEFAULT ''
);
CREATE INDEX company_addresses_company ON company_addresses (company);

CREATE TABLE company_contacts (
    pk      bigint PRIMARY KEY,
    company bigint NOT NULL,
    name    text NOT NULL,
    phone   text NOT NULL DEFAULT '',
    email   text NOT NULL DEFAULT '',
    role    text NOT NULL DEFAULT ''
);
CREATE INDEX company_contacts_company ON company_contacts (company);

CREATE TABLE manufacturer_parts (
    pk           bigint PRIMARY KEY,
    part         bigint NOT NULL,
    manufacturer bigint NOT NULL,
    mpn          text,
    description  text NOT NULL DEFAULT '',
    link         text NOT NULL DEFAULT '',
    notes        text NOT NULL DEFAULT ''
);
CREATE INDEX manufacturer_parts_part ON manufacturer_parts (part);
CREATE INDEX manufacturer_parts_manufacturer ON manufacturer_parts (manufacturer);

CREATE TABLE supplier_parts (
    pk                   bigint PRIMARY KEY,
    part                 bigint NOT NULL,
    supplier             bigint NOT NULL,
    sku                  text NOT NULL,
    active               boolean NOT NULL,
    is_primary           boolean NOT NULL,
    manufacturer_part    bigint,
    link                 text NOT NULL DEFAULT '',
    description          text NOT NULL DEFAULT '',
    note                 text NOT NULL DEFAULT '',
    packaging            text NOT NULL DEFAULT '',
    pack_quantity        text NOT NULL,
    pack_quantity_native numeric NOT NULL,
    available            numeric NOT NULL DEFAULT 0,
    availability_updated timestamptz,
    notes                text NOT NULL DEFAULT '',
    updated              timestamptz NOT NULL
);
CREATE INDEX supplier_parts_part ON supplier_parts (part);
CREATE INDEX supplier_parts_supplier ON supplier_parts (supplier);
CREATE INDEX supplier_parts_manufacturer_part ON supplier_parts (manufacturer_part) WHERE manufacturer_part IS NOT NULL;

-- +goose Down
DROP TABLE supplier_parts;
DROP TABLE manufacturer_parts;
DROP TABLE company_contacts;
DROP TABLE company_addresses;
DROP TABLE companies;
