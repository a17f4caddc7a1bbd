package push

import (
	"bytes"
	"encoding/json"
	"sort"
	"time"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/merge"
)

// ConflictSet is the set of conflicts of one record given every change of it the log holds,
// in any order, repeats and a move's derived copies included: a function of the set of
// changes, never of the order they arrived in, so every server and every delivery order keeps
// the same ones. sr is the record as merged from them (its unit and division label the rows).
//
// A write is one value one change set on one field (a leaf such as "reached.herders", or
// "_deleted": true for a delete, false for a restore), named by (field, hlc, writer). The field's
// winner is its greatest (hlc, writer), as the merge decides. A write w of another device than
// the winner's is kept as lost on its field when
//   - w carries a base for the field (a change without one, an epoch re-send or the record's
//     first upsert, tells nothing about what its writer had seen, so it is never kept as lost),
//   - no change was edited from w (none has w's hlc as its base for the field: whoever replaced
//     w knowingly took it into account, so w is no longer a concurrent value), and
//   - w is its writer's last write of the field (a later one supersedes it: the writer moved on);
//   - on "_deleted" only, w's value differs from the winner's (two concurrent deletes agree).
//
// An edit lost to a delete: when the record ends deleted (the winner of "_deleted" is a delete
// T), an upsert u that sets no "_deleted" is kept as lost on "_deleted" (value false, u's hlc and
// writer, kept: T) when both carry the record's version (Base["*"]) and neither saw the other —
// u's hlc is after T's "*" and T's hlc after u's "*" — and u is its writer's last change of the
// record. A delete that saw u (its "*" at or after u's hlc) removed it knowingly, and an edit
// that saw the delete was made on a deleted record knowingly.
//
// Kept is always the field's current winner, so a row's kept value is the record's current one.
func ConflictSet(sr *store.StoredRecord, entries []store.LogEntry, now time.Time) []store.Conflict {
	type write struct {
		f     merge.Field
		base  string
		based bool
	}
	type change struct {
		h, d                  string
		edits, restores, dels bool
		seen                  string
		hasSeen               bool
	}
	writes := map[string]map[[2]string]*write{}
	changes := map[[2]string]*change{}
	lastOf := map[string]string{} // each writer's greatest hlc of any change of the record
	based := false
	for _, e := range entries {
		c, dev := e.Change, e.DeviceID
		key := [2]string{c.HLC, dev}
		ch := changes[key]
		if ch == nil {
			ch = &change{h: c.HLC, d: dev}
			changes[key] = ch
		}
		if c.HLC > lastOf[dev] {
			lastOf[dev] = c.HLC
		}
		if s, ok := c.Base[syncproto.BaseRecord]; ok && !ch.hasSeen {
			ch.seen, ch.hasSeen = s, true
		}
		leaves := map[string]json.RawMessage{record.FieldDeleted: tombstone}
		if c.Op == syncproto.OpDelete {
			ch.dels = true
		} else {
			leaves = merge.Leaves(c.Fields)
		}
		for k, v := range leaves {
			if k == record.FieldDeleted {
				if c.Op != syncproto.OpDelete {
					ch.restores = ch.restores || !bytes.Equal(merge.Compact(v), tombstone)
				}
			} else {
				ch.edits = true
			}
			if writes[k] == nil {
				writes[k] = map[[2]string]*write{}
			}
			w := writes[k][key]
			if w == nil {
				w = &write{f: merge.Field{V: merge.Compact(v), H: c.HLC, D: dev}}
				writes[k][key] = w
			}
			if b, ok := c.Base[k]; ok && !w.based {
				w.base, w.based = b, true
				based = true
			}
		}
		based = based || ch.hasSeen
	}
	if !based {
		return nil
	}
	var out []store.Conflict
	add := func(field string, lost, kept merge.Field) {
		out = append(out, store.Conflict{RecordID: sr.Rec.ID, Entity: sr.Rec.Entity, Unit: sr.Unit, Division: sr.Division,
			Field: field, Lost: store.Version{Value: lost.V, HLC: lost.H, Device: lost.D}, Kept: store.Version{Value: kept.V, HLC: kept.H, Device: kept.D},
			Detected: now, State: store.ConflictOpen})
	}
	winners := map[string]merge.Field{}
	for k, ws := range writes {
		var win merge.Field
		replaced := map[string]bool{} // hlcs some write of this field was edited from
		latest := map[string]string{}
		for _, w := range ws {
			if win.H == "" || merge.Beats(w.f, win) {
				win = w.f
			}
			if w.based {
				replaced[w.base] = true
			}
			if w.f.H > latest[w.f.D] {
				latest[w.f.D] = w.f.H
			}
		}
		winners[k] = win
		for _, w := range ws {
			if !w.based || w.f.D == win.D || replaced[w.f.H] || latest[w.f.D] != w.f.H {
				continue
			}
			if k == record.FieldDeleted && bytes.Equal(w.f.V, win.V) {
				continue
			}
			add(k, w.f, win)
		}
	}
	if t, ok := winners[record.FieldDeleted]; ok && bytes.Equal(t.V, tombstone) {
		if tc := changes[[2]string{t.H, t.D}]; tc != nil && tc.hasSeen {
			for _, u := range changes {
				if !u.edits || u.restores || !u.hasSeen || u.d == t.D || u.h <= tc.seen || t.H <= u.seen || lastOf[u.d] != u.h {
					continue
				}
				add(record.FieldDeleted, merge.Field{V: json.RawMessage("false"), H: u.h, D: u.d}, t)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		if a.Lost.HLC != b.Lost.HLC {
			return a.Lost.HLC < b.Lost.HLC
		}
		return a.Lost.Device < b.Lost.Device
	})
	return out
}

var tombstone = json.RawMessage("true")
