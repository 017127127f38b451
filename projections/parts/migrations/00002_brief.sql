-- +goose Up

-- Each part's PartBrief as the API writes it (parts.BriefSQL, compacted): stock item
-- lists show it as part_detail on every row, so it is rendered when the part or the
-- categories above it change rather than on every read. The projector keeps it; Migrate
-- renders it for the parts that existed before this column.
ALTER TABLE parts ADD COLUMN brief text;

-- +goose Down
ALTER TABLE parts DROP COLUMN brief;
