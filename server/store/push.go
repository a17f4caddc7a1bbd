package store

// The push engine (server/push) decides a push in memory and writes it through a PushTx: the
// few steps a backend must provide, so that no backend repeats the sequence or the rules.

import (
	"context"
	"encoding/json"
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
	// KeepConflicts keeps the values this push overwrote against concurrent edits (a lost value
	// already kept is kept once), then marks superseded the open conflicts whose lost value's own
	// writer has now edited the field again.
	KeepConflicts(ctx context.Context, conflicts []Conflict, superseded []ConflictKey, at time.Time) error
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
