package sqlite

import (
	"context"
	"fmt"

	"talbar/shared/tally"
)

// TotalsByLeafMonths implements store.Store over the per-month totals table, so its cost
// is bounded by units × months, not by the number of records.
func (db *DB) TotalsByLeafMonths(ctx context.Context, year, from, to int) (map[string]tally.Vector, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT unit, `+sumCols+` FROM totals WHERE year = ? AND month BETWEEN ? AND ? AND scope = 'leaf' GROUP BY unit`,
		year, from, to)
	if err != nil {
		return nil, fmt.Errorf("totals by leaf and months: %w", err)
	}
	defer rows.Close()
	out := map[string]tally.Vector{}
	for rows.Next() {
		var u string
		v, err := scanVector(rows, &u)
		if err != nil {
			return nil, fmt.Errorf("scan totals: %w", err)
		}
		out[u] = v
	}
	return out, rows.Err()
}
