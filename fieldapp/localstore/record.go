package localstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// Sync states of a record: whether the server holds every local change of it.
const (
	StateSynced   = "synced"   // nothing of it waits in the outbox
	StatePending  = "pending"  // a change waits to be pushed
	StateRejected = "rejected" // the server refused a change; the inspector should fix it
)

// Record is a merged record as the screens see it.
type Record struct {
	ID        string
	Entity    string
	Unit      string
	Date      string
	Kind      string // events only
	Deleted   bool
	SyncState string
	Version   string // greatest hlc of any field
	// Outside is true when another device (an officer) moved the record to a unit outside this
	// device's scope: it is read-only here (see scope.go).
	Outside bool
	Values  map[string]json.RawMessage // merged values, without nulls
	Merged  merge.Record               // every field with its hlc and writer
}

// Draft is what a form saves: the fields it sets. Fields not named keep their value; a nil value
// (JSON null) clears an optional field. Values are anything encoding/json encodes, including
// json.RawMessage.
//
// Base is what the form loaded: the record's values when it was opened (Record.Values; a field
// absent from Base was empty). When Base is non-nil, a field of Fields counts as edited only when
// its value differs from Base, not from what is stored now: a field another device changed by a
// pull while the form was open, and that the inspector did not touch, keeps the pulled value
// instead of being reverted to the one the form loaded. A field that differs from Base but already
// equals the stored value is not sent either. Base is ignored for a new record; leave it nil to
// compare with the stored values as before.
type Draft struct {
	Entity string // record.EntityEvent or record.EntitySurvey; may be empty for an existing record
	ID     string // empty for a new record, which gets a UUIDv7
	Fields map[string]any
	Base   map[string]json.RawMessage
}

// Save validates d with shared/record and writes the record and its outbox change in one
// transaction. It returns the record's id, and the problems that stopped it (nothing is written
// then). The change carries only the fields whose value differs from the stored one; a save that
// changes nothing writes nothing. A save of a record with rejected changes supersedes them: the new
// change carries their fields too, with the values the record now holds.
//
// The change's hlc orders after the hlc of every field it replaces (the clock observes them
// first), so an edit made after seeing a value stamped by a clock far ahead still wins. Should it
// still change nothing, Save writes nothing and returns ErrNotApplied.
func (db *DB) Save(ctx context.Context, d Draft) (string, []record.Problem, error) {
	fields := make(map[string]json.RawMessage, len(d.Fields))
	for k, v := range d.Fields {
		b, err := json.Marshal(v)
		if err != nil {
			return "", nil, fmt.Errorf("save: field %s: %w", k, err)
		}
		fields[k] = merge.Compact(b)
	}
	var base map[string]json.RawMessage
	if d.Base != nil {
		base = make(map[string]json.RawMessage, len(d.Base))
		for k, v := range d.Base {
			base[k] = merge.Compact(v)
		}
	}
	return db.save(ctx, d.Entity, d.ID, fields, base)
}

// Delete marks a record deleted (a tombstone that syncs like any field).
func (db *DB) Delete(ctx context.Context, id string) error {
	return db.setDeleted(ctx, id, true)
}

// Restore undoes a delete: it sets the tombstone field back to false.
func (db *DB) Restore(ctx context.Context, id string) error {
	return db.setDeleted(ctx, id, false)
}

func (db *DB) setDeleted(ctx context.Context, id string, del bool) error {
	if _, err := db.FindRecordByID(ctx, id); err != nil {
		return err
	}
	v := json.RawMessage("false")
	if del {
		v = json.RawMessage("true")
	}
	_, problems, err := db.save(ctx, "", id, map[string]json.RawMessage{record.FieldDeleted: v}, nil)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		// Only a superseded rejected change can bring problems here; the inspector fixes it in the form.
		return fmt.Errorf("%w: %v", &Error{"invalid", "the record has problems to fix first"}, problems)
	}
	return nil
}

// save writes fields; base, when not nil, is what the form loaded (see Draft.Base).
func (db *DB) save(ctx context.Context, entity, id string, fields, base map[string]json.RawMessage) (string, []record.Problem, error) {
	if id == "" {
		u, err := uuid.NewV7()
		if err != nil {
			return "", nil, fmt.Errorf("save: new id: %w", err)
		}
		id = u.String()
	} else if _, err := uuid.Parse(id); err != nil {
		return "", nil, ErrInvalidID
	}
	units := db.units(ctx)
	cat, err := db.SurveyCatalogue(ctx)
	if err != nil {
		return "", nil, err
	}
	var problems []record.Problem
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		cur, _, found, err := loadRecord(ctx, tx, id)
		if err != nil {
			return err
		}
		if found && entity != "" && cur.Entity != entity {
			return ErrEntityMismatch
		}
		if !found && entity == "" {
			return ErrNotFound
		}
		if found {
			entity = cur.Entity
			scope, dev, err := db.scopeOf(ctx, tx)
			if err != nil {
				return err
			}
			if movedAway(scope, dev, cur) {
				return ErrOutsideScope
			}
		}
		if !record.KnownEntity(entity) {
			return ErrUnknownEntity
		}
		if !found {
			base = nil // a new record: every field is the form's
		}
		// Counts go count by count (protocol 2): a form's whole reached object becomes its leaves,
		// so only the counts the inspector changed are sent and merged.
		fields = merge.Leaves(fields)
		if base != nil {
			base = merge.Leaves(base)
		}
		cur.Upgrade()
		values := cur.FlatValues()
		changed := map[string]json.RawMessage{}
		for k, v := range fields {
			if base != nil && sameValue(base, k, v) {
				continue // not edited in the form: whatever is stored now stays
			}
			if sameValue(values, k, v) {
				continue
			}
			changed[k] = v
		}
		rej, err := rejectedOf(ctx, tx, id)
		if err != nil {
			return err
		}
		before := map[string]*merge.Field{}
		create, resent := !found, false
		for _, o := range rej {
			// A fix of re-sent state still carries values the server never held: so is the fix.
			resent = resent || o.resent
			for _, name := range o.names() {
				if _, ok := before[name]; !ok {
					before[name] = o.before[name]
				}
				if _, ok := changed[name]; ok {
					continue
				}
				if v, ok := fields[name]; ok && base == nil {
					changed[name] = v
				} else if v, ok := values[name]; ok {
					changed[name] = v
				} else {
					changed[name] = json.RawMessage("null")
				}
			}
			if o.op == syncproto.OpUpsert && coversRequired(entity, o.fields) {
				create = true // the server never took this record whole: send it whole again
			}
		}
		if len(changed) == 0 {
			return nil
		}
		if _, named := changed[record.FieldCatalogueVersion]; entity == record.EntitySurvey && !named && answersIn(changed) {
			if v, ok := values[record.FieldCatalogueVersion]; ok {
				// Every edit names the version its answers were asked under, so the server checks
				// them against it: an edit of one answer would otherwise carry only that answer.
				changed[record.FieldCatalogueVersion] = v
			}
		}
		problems, _ = record.Validate(entity, changed, record.Options{Create: create, Units: units, Survey: cat})
		if len(problems) > 0 {
			return nil
		}
		dev, err := db.deviceID(ctx, tx)
		if err != nil {
			return err
		}
		cid, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("new change id: %w", err)
		}
		// The edit causally follows every value the inspector saw: the clock moves past the hlc of
		// each field it replaces, so an edit of a field pulled from a device whose clock runs far
		// ahead still wins (the server's server_hlc does not move past such changes).
		for name := range changed {
			if f, ok := cur.Fields[name]; ok {
				if ts, err := hlc.Parse(f.H); err == nil {
					db.clock.Observe(ts)
				}
			}
		}
		ch := syncproto.Change{ID: cid.String(), Entity: entity, RecordID: id, Op: syncproto.OpUpsert,
			HLC: db.clock.Next().String(), Fields: changed}
		if len(rej) == 0 && len(changed) == 1 && string(changed[record.FieldDeleted]) == "true" {
			ch.Op, ch.Fields = syncproto.OpDelete, nil
		}
		for name := range changed {
			if _, ok := before[name]; ok {
				continue
			}
			if f, ok := cur.Fields[name]; ok {
				before[name] = &f
			} else {
				before[name] = nil
			}
		}
		if _, ok := before[syncproto.BaseRecord]; !ok && found {
			// The record's version as this device saw it: the server tells a delete or an edit
			// that had not seen the other (PendingChanges sends it as the change's base).
			before[syncproto.BaseRecord] = &merge.Field{H: cur.MaxHLC()}
		}
		if !merge.Apply(&cur, ch, dev) {
			// Every field kept a value that orders after this edit: saying "saved" would be a lie.
			return ErrNotApplied
		}
		for _, o := range rej {
			if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq = ?`, o.seq); err != nil {
				return fmt.Errorf("supersede rejected change: %w", err)
			}
		}
		if err := writeRecord(ctx, tx, &cur, StatePending); err != nil {
			return err
		}
		if err := insertOutbox(ctx, tx, ch, dev, db.now(), before, resent); err != nil {
			return err
		}
		return db.persistClock(ctx, tx)
	})
	if err != nil {
		return "", nil, fmt.Errorf("save record: %w", err)
	}
	return id, problems, nil
}

// coversRequired reports whether fields hold every required field of entity: such a change was
// the record's creation.
func coversRequired(entity string, fields map[string]json.RawMessage) bool {
	for _, f := range record.Required(entity) {
		if _, ok := fields[f]; !ok {
			return false
		}
	}
	return true
}

// sameValue reports whether values holds v for field k, an absent field holding null.
func sameValue(values map[string]json.RawMessage, k string, v json.RawMessage) bool {
	old, has := values[k]
	if !has || isNull(old) {
		return isNull(v)
	}
	return bytes.Equal(old, v)
}

func isNull(v json.RawMessage) bool {
	t := bytes.TrimSpace(v)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func decodeMerged(data string) (merge.Record, error) {
	var r merge.Record
	if err := json.Unmarshal([]byte(data), &r); err != nil {
		return r, fmt.Errorf("decode record: %w", err)
	}
	if len(r.Fields) == 0 {
		// The first form of merge.Record's JSON ({"fields": {name: {v, h, d}}}), which its
		// compact decoder reads as an empty record without an error.
		var legacy struct {
			ID     string                 `json:"id"`
			Entity string                 `json:"entity"`
			Fields map[string]merge.Field `json:"fields"`
		}
		if json.Unmarshal([]byte(data), &legacy) == nil && len(legacy.Fields) > 0 {
			r = merge.Record{ID: legacy.ID, Entity: legacy.Entity, Fields: legacy.Fields}
		}
	}
	if r.Fields == nil {
		r.Fields = map[string]merge.Field{}
	}
	return r, nil
}

// loadRecord reads one merged record; found is false when there is none.
func loadRecord(ctx context.Context, q querier, id string) (r merge.Record, state string, found bool, err error) {
	var data string
	err = q.QueryRowContext(ctx, `SELECT data, sync_state FROM records WHERE id = ?`, id).Scan(&data, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return merge.Record{Fields: map[string]merge.Field{}}, "", false, nil
	}
	if err != nil {
		return r, "", false, fmt.Errorf("load record: %w", err)
	}
	r, err = decodeMerged(data)
	return r, state, err == nil, err
}

// writeRecord stores r with its indexed columns. An empty state keeps the stored one (or synced
// for a new row).
func writeRecord(ctx context.Context, tx querier, r *merge.Record, state string) error {
	if _, err := tx.ExecContext(ctx, writeRecordSQL, recordArgs(r, state)...); err != nil {
		return fmt.Errorf("write record: %w", err)
	}
	return nil
}

const writeRecordSQL = `INSERT INTO records (id, entity, unit, date, kind, deleted, sync_state, search, version, data)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, coalesce(nullif(?7, ''), 'synced'), ?8, ?9, ?10)
		ON CONFLICT (id) DO UPDATE SET unit = ?3, date = ?4, kind = ?5, deleted = ?6,
			sync_state = coalesce(nullif(?7, ''), records.sync_state), search = ?8, version = ?9, data = ?10`

// recordArgs are writeRecordSQL's arguments for r. The columns are read from the record's
// leaves (FlatValues): none of them is a counts object, which Values would encode again.
func recordArgs(r *merge.Record, state string) []any {
	v := r.FlatValues()
	search := strings.ToLower(strings.Join([]string{record.Str(v, "place"), record.Str(v, "notes"), record.Str(v, "suggestion")}, "\n"))
	del := 0
	if record.Deleted(v) {
		del = 1
	}
	return []any{r.ID, r.Entity, record.Str(v, "unit"), record.Str(v, "date"), record.Str(v, "kind"), del, state,
		search, r.MaxHLC(), string(r.Marshal())}
}

// loadRecords reads the records of ids in one statement; a missing one is absent from the map.
func loadRecords(ctx context.Context, q querier, ids []string) (map[string]*merge.Record, error) {
	out := make(map[string]*merge.Record, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	b, _ := json.Marshal(ids)
	rows, err := q.QueryContext(ctx, `SELECT id, data FROM records WHERE id IN (SELECT value FROM json_each(?))`, string(b))
	if err != nil {
		return nil, fmt.Errorf("load records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("load records: %w", err)
		}
		r, err := decodeMerged(data)
		if err != nil {
			return nil, err
		}
		out[id] = &r
	}
	return out, rows.Err()
}

// refreshSyncState recomputes the sync state of records from their outbox entries.
func refreshSyncState(ctx context.Context, tx querier, ids map[string]bool) error {
	if len(ids) == 0 {
		return nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	b, _ := json.Marshal(list)
	// One statement for every record touched (a push answer names up to thousands), and one look
	// at each record's outbox entries (none after the usual acknowledgement: synced).
	if _, err := tx.ExecContext(ctx, `UPDATE records SET sync_state = coalesce((SELECT CASE WHEN max(state = 'rejected') THEN 'rejected' ELSE 'pending' END
		FROM outbox WHERE record_id = records.id GROUP BY record_id), 'synced') WHERE id IN (SELECT value FROM json_each(?))`, string(b)); err != nil {
		return fmt.Errorf("refresh sync state: %w", err)
	}
	return nil
}

// FindRecordByID returns one record, deleted or not; ErrNotFound when there is none.
func (db *DB) FindRecordByID(ctx context.Context, id string) (Record, error) {
	r, state, found, err := loadRecord(ctx, db.read, id)
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, ErrNotFound
	}
	scope, dev, err := db.scopeOf(ctx, db.read)
	if err != nil {
		return Record{}, err
	}
	rec := toRecord(r, state)
	rec.Outside = movedAway(scope, dev, r)
	return rec, nil
}

func toRecord(r merge.Record, state string) Record {
	v := r.Values()
	return Record{ID: r.ID, Entity: r.Entity, Unit: record.Str(v, "unit"), Date: record.Str(v, "date"),
		Kind: record.Str(v, "kind"), Deleted: record.Deleted(v), SyncState: state, Version: r.MaxHLC(),
		Values: v, Merged: r}
}

// outboxRow is one stored change.
type outboxRow struct {
	seq      int64
	id       string
	recordID string
	entity   string
	op       string
	hlc      string
	fields   map[string]json.RawMessage
	device   string
	created  string
	state    string
	code     string
	message  string
	problems []syncproto.Problem
	before   map[string]*merge.Field
	resent   bool // re-sent state: the values it replaced are its own (see Discard)
}

// names are the fields the change sets, the tombstone for a delete.
func (o outboxRow) names() []string {
	if o.op == syncproto.OpDelete {
		return []string{record.FieldDeleted}
	}
	out := make([]string, 0, len(o.fields))
	for k := range o.fields {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const outboxCols = `seq, id, record_id, entity, op, hlc, fields, device_id, created_at, state, code, message, problems, before, resent`

func scanOutbox(rows *sql.Rows) (outboxRow, error) {
	var o outboxRow
	var fields, problems, before string
	if err := rows.Scan(&o.seq, &o.id, &o.recordID, &o.entity, &o.op, &o.hlc, &fields, &o.device, &o.created,
		&o.state, &o.code, &o.message, &problems, &before, &o.resent); err != nil {
		return o, fmt.Errorf("scan outbox: %w", err)
	}
	var err error
	if o.fields, err = decodeFields(fields); err != nil {
		return o, fmt.Errorf("scan outbox fields: %w", err)
	}
	if problems != "" {
		_ = json.Unmarshal([]byte(problems), &o.problems)
	}
	o.before = decodeBefore(before)
	return o, nil
}

// decodeBefore reads a stored change's before column, what json.Unmarshal into
// map[string]*merge.Field gives: a new record's change holds a null per field, which needs no
// decoding at all.
func decodeBefore(s string) map[string]*merge.Field {
	flat, ok := scanFlatObject(s)
	if !ok {
		var out map[string]*merge.Field
		_ = json.Unmarshal([]byte(s), &out)
		return out
	}
	out := make(map[string]*merge.Field, len(flat))
	for k, v := range flat {
		if string(v) == "null" {
			out[k] = nil
			continue
		}
		var f merge.Field
		if json.Unmarshal(v, &f) == nil {
			out[k] = &f
		}
	}
	return out
}

func queryOutbox(ctx context.Context, q querier, where string, args ...any) ([]outboxRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+outboxCols+` FROM outbox `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		o, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func rejectedOf(ctx context.Context, q querier, recordID string) ([]outboxRow, error) {
	return queryOutbox(ctx, q, `WHERE record_id = ? AND state = 'rejected' ORDER BY seq`, recordID)
}

func insertOutbox(ctx context.Context, tx querier, ch syncproto.Change, device string, at time.Time, before map[string]*merge.Field, resent bool) error {
	fields := []byte("{}")
	if len(ch.Fields) > 0 {
		fields, _ = json.Marshal(ch.Fields)
	}
	b, _ := json.Marshal(before)
	if before == nil {
		b = []byte("{}")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, record_id, entity, op, hlc, fields, device_id, created_at, before, resent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, ch.ID, ch.RecordID, ch.Entity, ch.Op, ch.HLC, string(fields), device,
		at.UTC().Format(time.RFC3339Nano), string(b), resent); err != nil {
		return fmt.Errorf("insert outbox: %w", err)
	}
	return nil
}

// Discard drops a rejected change the inspector chose not to fix. The fields it set go back to
// what they held before it, unless a newer change has overwritten them since; a record the server
// never received and that has nothing else left is removed.
//
// Re-sent state (Change.Resent: queued for a server that lost data, or a save that superseded
// such a change) is refused with ErrResentState: the values it carries are the record's own,
// which the server never received, so dropping it would leave the device showing the record as
// synced while the server lacks it. The inspector fixes the record and saves it instead (the save
// supersedes the rejected change). Refusing was chosen over re-queuing the state: the server
// answered a permanent problem, so the same state would only be rejected again.
func (db *DB) Discard(ctx context.Context, changeID string) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := queryOutbox(ctx, tx, `WHERE id = ?`, changeID)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return ErrNotFound
		}
		o := rows[0]
		if o.state != StateRejected {
			return ErrNotRejected
		}
		if o.resent {
			return ErrResentState
		}
		r, _, found, err := loadRecord(ctx, tx, o.recordID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq = ?`, o.seq); err != nil {
			return fmt.Errorf("discard: %w", err)
		}
		if !found {
			return nil
		}
		for name, b := range o.before {
			f, ok := r.Fields[name]
			if !ok || f.H != o.hlc || f.D != o.device {
				continue // overwritten since: the newer value stays
			}
			if b == nil {
				delete(r.Fields, name)
			} else {
				r.Fields[name] = *b
			}
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE record_id = ?`, o.recordID).Scan(&left); err != nil {
			return fmt.Errorf("discard: %w", err)
		}
		if len(r.Fields) == 0 && left == 0 {
			_, err := tx.ExecContext(ctx, `DELETE FROM records WHERE id = ?`, o.recordID)
			return err
		}
		if err := writeRecord(ctx, tx, &r, ""); err != nil {
			return err
		}
		return refreshSyncState(ctx, tx, map[string]bool{o.recordID: true})
	})
	if err != nil {
		return fmt.Errorf("discard change: %w", err)
	}
	return nil
}

// answersIn reports whether a survey's changed fields hold an answer to a catalogue question.
func answersIn(changed map[string]json.RawMessage) bool {
	for k := range changed {
		if record.IsQuestionField(k) {
			return true
		}
	}
	return false
}
