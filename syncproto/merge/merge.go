// Package merge is the per-field last-writer-wins rule of PROTOCOL.md. For every field the value
// with the greatest (hlc, device_id) wins; a delete is the tombstone field "_deleted" set to true,
// merged like any other field. Because the winner of each field is a maximum over a total order,
// the merged record does not depend on the order, duplication or batching of the changes.
package merge

import (
	"bytes"
	"encoding/json"
	"sort"

	"talbar/shared/record"
	"talbar/syncproto"
)

// Field is one field's winning value and who wrote it when.
type Field struct {
	V json.RawMessage `json:"v"`
	H string          `json:"h"`
	D string          `json:"d"`
}

// beats reports whether a wins over b. Ties on (hlc, device) cannot happen for distinct changes
// of one honest device; comparing the value bytes keeps even that case deterministic.
func (a Field) beats(b Field) bool {
	if a.H != b.H {
		return a.H > b.H
	}
	if a.D != b.D {
		return a.D > b.D
	}
	return bytes.Compare(a.V, b.V) > 0
}

// Record is a merged record.
type Record struct {
	ID     string           `json:"id"`
	Entity string           `json:"entity"`
	Fields map[string]Field `json:"fields"`
}

var tombstone = json.RawMessage("true")

// Apply merges one change made by device into r and reports whether any field changed.
// It does not validate; callers validate first.
func Apply(r *Record, c syncproto.Change, device string) bool {
	if r.Fields == nil {
		r.Fields = map[string]Field{}
	}
	if r.ID == "" {
		r.ID, r.Entity = c.RecordID, c.Entity
	}
	set := func(name string, v json.RawMessage) bool {
		nf := Field{V: compact(v), H: c.HLC, D: device}
		old, ok := r.Fields[name]
		if ok && !nf.beats(old) {
			return false
		}
		r.Fields[name] = nf
		return true
	}
	changed := false
	switch c.Op {
	case syncproto.OpDelete:
		changed = set(record.FieldDeleted, tombstone)
	default:
		names := make([]string, 0, len(c.Fields))
		for k := range c.Fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if set(k, c.Fields[k]) {
				changed = true
			}
		}
	}
	return changed
}

// compact gives every value one byte form, so equal values from different encoders merge alike.
func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return append(json.RawMessage(nil), v...)
	}
	return b.Bytes()
}

// Values returns the merged values, without null values (a null clears a field).
func (r *Record) Values() map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(r.Fields))
	for k, f := range r.Fields {
		if !bytes.Equal(f.V, []byte("null")) {
			out[k] = f.V
		}
	}
	return out
}

// Deleted reports whether the merged tombstone is set.
func (r *Record) Deleted() bool { return record.Deleted(r.Values()) }

// MaxHLC is the greatest hlc of any field, the record's version.
func (r *Record) MaxHLC() string {
	m := ""
	for _, f := range r.Fields {
		if f.H > m {
			m = f.H
		}
	}
	return m
}

// State returns changes that carry the record's current state field by field with each field's
// original hlc and device, grouped by (hlc, device). Re-sending them after a server restore
// changes nothing that is already there and restores whatever was lost (PROTOCOL.md, epoch).
func (r *Record) State() []StateChange {
	type key struct{ h, d string }
	groups := map[key]map[string]json.RawMessage{}
	for name, f := range r.Fields {
		k := key{f.H, f.D}
		if groups[k] == nil {
			groups[k] = map[string]json.RawMessage{}
		}
		groups[k][name] = f.V
	}
	out := make([]StateChange, 0, len(groups))
	for k, fields := range groups {
		out = append(out, StateChange{Device: k.d, Change: syncproto.Change{
			Entity: r.Entity, RecordID: r.ID, Op: syncproto.OpUpsert, HLC: k.h, Fields: fields}})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].HLC != out[j].HLC {
			return out[i].HLC < out[j].HLC
		}
		return out[i].Device < out[j].Device
	})
	return out
}

// StateChange is a change of a record's state together with the device that made it.
type StateChange struct {
	syncproto.Change
	Device string
}

// Marshal encodes the record deterministically (map keys sorted by encoding/json).
func (r *Record) Marshal() []byte {
	b, _ := json.Marshal(r)
	return b
}
