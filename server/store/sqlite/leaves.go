package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// goMigrations run inside the transaction of the SQL migration of the same name, after it.
var goMigrations = map[string]func(ctx context.Context, tx *sql.Tx) error{"migrations/0006_leaves.sql": upgradeLeaves}

// upgradeLeaves rewrites every merged record of a protocol-1 store with its counts objects as
// leaves (merge.Record.Upgrade). Totals stay: the record's values are the same.
func upgradeLeaves(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, state FROM records WHERE state LIKE '%"reached"%' OR state LIKE '%"materials"%'`)
	if err != nil {
		return fmt.Errorf("read records: %w", err)
	}
	type upd struct {
		id    string
		state []byte
	}
	var out []upd
	for rows.Next() {
		var id string
		var state []byte
		if err := rows.Scan(&id, &state); err != nil {
			rows.Close()
			return err
		}
		r, err := decodeRecord(state)
		if err != nil {
			rows.Close()
			return fmt.Errorf("decode record %s: %w", id, err)
		}
		if r.Upgrade() {
			out = append(out, upd{id, r.Marshal()})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range out {
		if _, err := tx.ExecContext(ctx, `UPDATE records SET state = ? WHERE id = ?`, u.state, u.id); err != nil {
			return fmt.Errorf("rewrite record %s: %w", u.id, err)
		}
	}
	return nil
}
