package stock

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The lookups below implement commands.StockLookup. The read model may lag the log;
// the commands only take these answers as candidates and hints.

// LatestSerial is the highest serial number in a serial scope, by InvenTree's order
// (serial_int, then serial, then pk, descending), "" if the scope has none.
func (r *ReadModel) LatestSerial(ctx context.Context, scope int64) (string, error) {
	var serial string
	err := r.pool.QueryRow(ctx, `SELECT serial FROM stock_items WHERE serial_scope = $1 AND serial IS NOT NULL
		ORDER BY serial_int DESC, serial DESC, pk DESC LIMIT 1`, scope).Scan(&serial)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("latest serial in scope %d: %w", scope, err)
	}
	return serial, nil
}

// SubLocations lists the locations directly below location, or all of them with
// cascade, top down.
func (r *ReadModel) SubLocations(ctx context.Context, location int64, cascade bool) ([]int64, error) {
	sql := `SELECT pk FROM stock_locations WHERE parent = $1 ORDER BY pk`
	if cascade {
		sql = `SELECT pk FROM stock_locations WHERE path_pks @> ARRAY[$1::bigint] AND pk <> $1 ORDER BY level, pk`
	}
	return r.pks(ctx, sql, location)
}

// LocationItems lists the items directly at location, or with cascade also below it.
func (r *ReadModel) LocationItems(ctx context.Context, location int64, cascade bool) ([]int64, error) {
	sql := `SELECT pk FROM stock_items WHERE location = $1 ORDER BY pk`
	if cascade {
		sql = `SELECT pk FROM stock_items WHERE location IN
			(SELECT pk FROM stock_locations WHERE path_pks @> ARRAY[$1::bigint]) ORDER BY pk`
	}
	return r.pks(ctx, sql, location)
}

// MergeCandidates lists the items of part at location, in pk order.
func (r *ReadModel) MergeCandidates(ctx context.Context, part, location int64) ([]int64, error) {
	rows, err := r.pool.Query(ctx, `SELECT pk FROM stock_items WHERE part = $1 AND location = $2 ORDER BY pk`, part, location)
	if err != nil {
		return nil, fmt.Errorf("merge candidates: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

func (r *ReadModel) pks(ctx context.Context, sql string, arg int64) ([]int64, error) {
	rows, err := r.pool.Query(ctx, sql, arg)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("stock lookup for %d: %w", arg, err)
	}
	return out, nil
}

// The lookups below answer the API's questions about other objects a request names.

// LocationExists reports whether the read model holds location pk.
func (r *ReadModel) LocationExists(ctx context.Context, pk int64) (bool, error) {
	var ok bool
	if err := r.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM stock_locations WHERE pk = $1)`, pk).Scan(&ok); err != nil {
		return false, fmt.Errorf("location %d exists: %w", pk, err)
	}
	return ok, nil
}

// PartVariants lists part and every part below it in its variant tree (InvenTree's
// part.get_descendants(include_self=True)), nil when the parts read model does not
// hold the part. Without a parts join it is the part alone, unchecked.
func (r *ReadModel) PartVariants(ctx context.Context, part int64) ([]int64, error) {
	if r.parts == nil {
		return []int64{part}, nil
	}
	j := r.parts
	sql := fmt.Sprintf(`SELECT %s FROM %s WHERE %s = $1`, j.PK, j.Table, j.PK)
	if j.VariantOf != "" {
		sql = fmt.Sprintf(`WITH RECURSIVE tree(pk) AS (
				SELECT %[1]s FROM %[2]s WHERE %[1]s = $1
				UNION SELECT v.%[1]s FROM %[2]s v JOIN tree t ON v.%[3]s = t.pk)
			SELECT pk FROM tree ORDER BY pk`, j.PK, j.Table, j.VariantOf)
	}
	rows, err := r.pool.Query(ctx, sql, part)
	if err != nil {
		return nil, fmt.Errorf("variants of part %d: %w", part, err)
	}
	pks, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("variants of part %d: %w", part, err)
	}
	if len(pks) == 0 {
		return nil, nil
	}
	return pks, nil
}
