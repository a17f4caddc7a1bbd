package localstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"talbar/shared/record"
	"talbar/syncproto/merge"
)

// goMigrations run inside the transaction of the SQL migration of the same version, after it.
var goMigrations = map[int]func(ctx context.Context, tx *sql.Tx) error{3: upgradeLeaves}

// upgradeLeaves rewrites a protocol-1 store for protocol 2: every record's counts objects become
// leaves with the object's hlc and writer, and every outbox entry sends leaves (a whole object
// stands for all its counts, those it lacks cleared, exactly as protocol 1 merged it); what the
// entry replaced (before) is split the same way, so a discard still puts each count back.
func upgradeLeaves(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, data FROM records`)
	if err != nil {
		return fmt.Errorf("read records: %w", err)
	}
	var recs []merge.Record
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		r, err := decodeMerged(data)
		if err != nil {
			rows.Close()
			return fmt.Errorf("record %s: %w", id, err)
		}
		if r.Upgrade() {
			recs = append(recs, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range recs {
		if _, err := tx.ExecContext(ctx, `UPDATE records SET data = ? WHERE id = ?`, string(recs[i].Marshal()), recs[i].ID); err != nil {
			return fmt.Errorf("rewrite record %s: %w", recs[i].ID, err)
		}
	}
	outbox, err := queryOutbox(ctx, tx, `ORDER BY seq`)
	if err != nil {
		return err
	}
	for _, o := range outbox {
		leaves := merge.Leaves(o.fields)
		before, split := splitBefore(o.before)
		if len(leaves) == len(o.fields) && !split {
			continue
		}
		f, _ := json.Marshal(leaves)
		b, _ := json.Marshal(before)
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET fields = ?, before = ? WHERE seq = ?`, string(f), string(b), o.seq); err != nil {
			return fmt.Errorf("rewrite outbox %s: %w", o.id, err)
		}
	}
	return nil
}

// splitBefore splits the counts objects of an outbox entry's before into leaves.
func splitBefore(before map[string]*merge.Field) (map[string]*merge.Field, bool) {
	split := false
	out := make(map[string]*merge.Field, len(before))
	for k, f := range before {
		if !record.IsCounts(k) {
			out[k] = f
			continue
		}
		split = true
		for _, code := range record.CountsCodes(k) {
			out[record.Leaf(k, code)] = nil
		}
		if f == nil {
			continue
		}
		r := merge.Record{Fields: map[string]merge.Field{k: *f}}
		r.Upgrade()
		for leaf, lf := range r.Fields {
			out[leaf] = &lf
		}
	}
	if before == nil {
		out = nil
	}
	return out, split
}
