package store

// The push engine (server/push) decides a push in memory and writes it through a PushTx: the
// few steps a backend must provide, so that no backend repeats the sequence or the rules.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
	"talbar/syncproto/merge"
)

// LogEntry is one row of the change log.
type LogEntry struct {
	Change   syncproto.Change
	DeviceID string // the tie-breaking writer: always the authenticated device that pushed it
	Unit     string // the record's merged unit after the change
	Division string
	Derived  bool // added by the server (a move's extra entries), not sent by a device
}

// StoredRecord is a merged record with its derived, indexed columns.
type StoredRecord struct {
	Rec      merge.Record
	Unit     string
	Units    []string // every unit the record has belonged to, sorted: who may edit it
	Division string
	Date     string
	Year     int
	Deleted  bool
	Existed  bool
}

// Columns recomputes the derived columns from the merged state.
func (s *StoredRecord) Columns(tree *unit.Tree) {
	v := map[string]json.RawMessage{}
	for _, k := range [...]string{"unit", "date", record.FieldDeleted} {
		if f, ok := s.Rec.Fields[k]; ok {
			v[k] = f.V
		}
	}
	s.Unit = record.Str(v, "unit")
	s.Division = string(tree.Division(unit.Code(s.Unit)))
	s.Date = record.Str(v, "date")
	s.Year = 0
	if d, ok := record.Date(v); ok {
		s.Year = d.Year()
	}
	s.Deleted = record.Deleted(v)
	if s.Unit != "" && !slices.Contains(s.Units, s.Unit) {
		s.Units = append(slices.Clone(s.Units), s.Unit)
		slices.Sort(s.Units)
	}
}

// HeldBy reports whether any unit the record has belonged to is in scope.
func (s *StoredRecord) HeldBy(inScope func(string) bool) bool {
	for _, u := range s.Units {
		if inScope(u) {
			return true
		}
	}
	return false
}

// PushTx is one push's transaction: the steps the push engine takes, in this order, between
// BeginPush and Commit. Every step but Commit and Rollback may be skipped when it has nothing to
// do. Implementations hold whatever lock or snapshot they need until Commit or Rollback.
type PushTx interface {
	// KnownChanges reports which of ids the change log holds already.
	KnownChanges(ctx context.Context, ids []string) (map[string]bool, error)
	// NamedDevices returns the inspector's unit of each enrolled device, other than pusher, that
	// a change names in device_id (the planner keeps such a writer only within related units).
	NamedDevices(ctx context.Context, pusher string, cs []syncproto.Change) (map[string]string, error)
	// LoadRecords returns the stored records of ids that exist, by id, with Existed set.
	LoadRecords(ctx context.Context, ids []string) (map[string]*StoredRecord, error)
	// AppendLog appends accepted changes to the change log, in order, giving each a pull cursor
	// that no puller can have passed (the cursor contract of Store.Pull).
	AppendLog(ctx context.Context, log []LogEntry, pusher string, at time.Time) error
	// PutRecords creates or replaces merged records.
	PutRecords(ctx context.Context, recs map[string]*StoredRecord) error
	// AddTotals moves the totals of each (leaf, year, month) and of every roll-up above it.
	AddTotals(ctx context.Context, deltas map[tally.Key]tally.Vector) error
	// KeepRejections keeps refused changes for headquarters, pruning the oldest.
	KeepRejections(ctx context.Context, rejs []Rejection, at time.Time) error
	// History returns every logged change of each of ids (a move's derived entries included),
	// by record id, each with its writer in DeviceID, for the planner's conflict rules.
	History(ctx context.Context, ids []string) (map[string][]LogEntry, error)
	// KeepConflicts makes the kept conflicts of each of records equal conflicts, their whole
	// conflict set as the push engine now decides it: a row not kept yet is added; an open row
	// gets the current kept value, unit and division; a superseded row in the set is open again;
	// an open row not in the set is marked superseded (a later change took its value into
	// account). Settled rows stay as they were settled.
	KeepConflicts(ctx context.Context, records []string, conflicts []Conflict, at time.Time) error
	// NoteDevice records the push in the device's sync health.
	NoteDevice(ctx context.Context, deviceID string, n DevicePush) error
	// Commit makes the push durable and advances the server's clock past maxHLC; it returns the
	// store's epoch and a fresh server timestamp for the answer.
	Commit(ctx context.Context, maxHLC hlc.Timestamp) (epoch, serverHLC string, err error)
	// Rollback abandons the push; after Commit it does nothing.
	Rollback()
}

// DevicePush is what one push tells about its device.
type DevicePush struct {
	At                             time.Time
	SkewMillis                     int64
	OutboxPending                  int
	OutboxOldest                   string
	Accepted, Duplicates, Rejected int
}

// KeptConflict is what KeepConflicts reads of a kept row to reconcile it.
type KeptConflict struct {
	ID           int64
	Field, State string
	Unit         string
	Lost, Kept   Version
}

// ReconcileConflicts compares a record's kept rows with its conflict set as now decided: the
// conflicts to add, the rows to refresh (open ones whose kept value or unit changed, and
// superseded ones back in the set, each with ID set) and the open rows to withdraw. Written once
// so both backends keep alike.
func ReconcileConflicts(kept []KeptConflict, want []Conflict) (add, refresh []Conflict, withdraw []KeptConflict) {
	type key struct{ field, hlc, dev string }
	rows := make(map[key]KeptConflict, len(kept))
	for _, k := range kept {
		rows[key{k.Field, k.Lost.HLC, k.Lost.Device}] = k
	}
	in := make(map[key]bool, len(want))
	for _, c := range want {
		k := key{c.Field, c.Lost.HLC, c.Lost.Device}
		in[k] = true
		row, ok := rows[k]
		switch {
		case !ok:
			add = append(add, c)
		case row.State == ConflictSuperseded,
			row.State == ConflictOpen && (row.Kept.HLC != c.Kept.HLC || row.Kept.Device != c.Kept.Device ||
				string(row.Kept.Value) != string(c.Kept.Value) || row.Unit != c.Unit):
			c.ID = row.ID
			refresh = append(refresh, c)
		}
	}
	for _, k := range kept {
		if k.State == ConflictOpen && !in[key{k.Field, k.Lost.HLC, k.Lost.Device}] {
			withdraw = append(withdraw, k)
		}
	}
	return add, refresh, withdraw
}

// DecodeLogged fills a logged change's fields and base from their stored JSON.
func DecodeLogged(c *syncproto.Change, fields, base []byte) error {
	if len(fields) > 0 {
		if err := json.Unmarshal(fields, &c.Fields); err != nil {
			return fmt.Errorf("decode fields of a change of %s: %w", c.RecordID, err)
		}
	}
	if len(base) > 0 {
		if err := json.Unmarshal(base, &c.Base); err != nil {
			return fmt.Errorf("decode base of a change of %s: %w", c.RecordID, err)
		}
	}
	return nil
}

// CurrentOf is a field's value in a record's stored state (records.state), or the zero Version
// when the record or the field is missing.
func CurrentOf(state []byte, field string) (Version, error) {
	if len(state) == 0 {
		return Version{}, nil
	}
	var r merge.Record
	if err := json.Unmarshal(state, &r); err != nil {
		return Version{}, fmt.Errorf("decode record state: %w", err)
	}
	f, ok := r.Fields[field]
	if !ok {
		return Version{}, nil
	}
	return Version{Value: f.V, HLC: f.H, Device: f.D}, nil
}
