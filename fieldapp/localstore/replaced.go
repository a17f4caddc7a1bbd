package localstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/merge"
)

// Replacement is a value of this device's that a concurrent edit replaced: its writer had not
// seen it, and it won the merge. The screens say so and offer to restore it.
type Replacement struct {
	ID       int64
	RecordID string
	Field    string // a field or a count ("reached.herders"), or "_deleted" when the record was deleted
	Mine     json.RawMessage
	Theirs   json.RawMessage
	Writer   string // the name of the person whose edit won, when the server said it
	At       time.Time
	Record   Record // the record as it is now
}

// noteReplaced keeps, for a pulled change c about to be merged into r, every value of this
// device's that c replaces without having seen it (its base names another version).
func noteReplaced(ctx context.Context, tx *sql.Tx, r *merge.Record, c syncproto.Change, dev string, at time.Time) error {
	if c.Base == nil || dev == "" || c.DeviceID == dev {
		return nil
	}
	fields := map[string]json.RawMessage{record.FieldDeleted: json.RawMessage("true")}
	if c.Op == syncproto.OpUpsert {
		fields = merge.Leaves(c.Fields)
	}
	keep := func(k string, mine, theirs merge.Field) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO replaced (record_id, field, mine, mine_hlc, theirs, theirs_hlc, writer_name, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (record_id, field, mine_hlc) DO NOTHING`,
			c.RecordID, k, string(mine.V), mine.H, string(theirs.V), theirs.H, c.WriterName, at.UTC().Format(time.RFC3339Nano)); err != nil {
			return fmt.Errorf("note replaced value: %w", err)
		}
		return nil
	}
	if seen, ok := c.Base[syncproto.BaseRecord]; ok && c.Op == syncproto.OpDelete && !r.Deleted() {
		// A delete by someone who had not seen my latest edit of the record.
		var latest merge.Field
		for name, f := range r.Fields {
			if name != record.FieldDeleted && f.D == dev && f.H > seen && f.H > latest.H {
				latest = f
			}
		}
		if latest.H != "" {
			if err := keep(record.FieldDeleted, merge.Field{V: json.RawMessage("false"), H: latest.H},
				merge.Field{V: json.RawMessage("true"), H: c.HLC}); err != nil {
				return err
			}
		}
	}
	for k, v := range fields {
		base, ok := c.Base[k]
		mine, has := r.Fields[k]
		if !ok || !has || mine.D != dev || mine.H == base {
			continue
		}
		theirs := merge.Field{V: merge.Compact(v), H: c.HLC, D: c.DeviceID}
		if bytes.Equal(theirs.V, mine.V) || !merge.Beats(theirs, mine) {
			continue
		}
		if err := keep(k, mine, theirs); err != nil {
			return err
		}
	}
	return nil
}

// Replaced lists the open notices, newest first, with each record as it is now.
func (db *DB) Replaced(ctx context.Context) ([]Replacement, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, record_id, field, mine, theirs, writer_name, at FROM replaced WHERE state = 'open' ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("list replaced values: %w", err)
	}
	var out []Replacement
	for rows.Next() {
		var x Replacement
		var mine, theirs, at string
		if err := rows.Scan(&x.ID, &x.RecordID, &x.Field, &mine, &theirs, &x.Writer, &at); err != nil {
			rows.Close()
			return nil, err
		}
		x.Mine, x.Theirs = json.RawMessage(mine), json.RawMessage(theirs)
		x.At, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		r, err := db.FindRecordByID(ctx, out[i].RecordID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		out[i].Record = r
	}
	return out, nil
}

// RestoreReplaced writes this device's value back as a new edit (it syncs like any save, and
// settles the server's conflict as the writer's own later choice) and closes the notice.
func (db *DB) RestoreReplaced(ctx context.Context, id int64) error {
	var rid, field, mine string
	err := db.read.QueryRowContext(ctx, `SELECT record_id, field, mine FROM replaced WHERE id = ? AND state = 'open'`, id).Scan(&rid, &field, &mine)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("read replaced value: %w", err)
	}
	if field == record.FieldDeleted {
		err = db.Restore(ctx, rid)
	} else {
		var probs []record.Problem
		_, probs, err = db.save(ctx, "", rid, map[string]json.RawMessage{field: json.RawMessage(mine)}, nil)
		if err == nil && len(probs) > 0 {
			err = fmt.Errorf("%w: %v", &Error{"invalid", "the record has problems to fix first"}, probs)
		}
	}
	if err != nil {
		return fmt.Errorf("restore replaced value: %w", err)
	}
	return db.closeReplaced(ctx, id, "restored")
}

// DismissReplaced closes a notice and keeps the value that replaced it.
func (db *DB) DismissReplaced(ctx context.Context, id int64) error {
	return db.closeReplaced(ctx, id, "dismissed")
}

func (db *DB) closeReplaced(ctx context.Context, id int64, state string) error {
	res, err := db.write.ExecContext(ctx, `UPDATE replaced SET state = ? WHERE id = ? AND state = 'open'`, state, id)
	if err != nil {
		return fmt.Errorf("close replaced notice: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
