// Package merge is the per-field last-writer-wins rule of PROTOCOL.md. For every field the value
// with the greatest (hlc, device_id) wins; a delete is the tombstone field "_deleted" set to true,
// merged like any other field. Because the winner of each field is a maximum over a total order,
// the merged record does not depend on the order, duplication or batching of the changes.
//
// The merge unit is the leaf: each count of a counts object (reached, materials) is a field of
// its own ("reached.herders"). A whole counts object (protocol 1, or the log of a server that ran
// it) stands for every count of its list, a count it lacks being cleared, and merges as those
// leaves; Values puts the objects back together for validation, totals and screens.
package merge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

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

// Beats reports whether a wins over b under the merge rule.
func Beats(a, b Field) bool { return a.beats(b) }

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
		nf := Field{V: Compact(v), H: c.HLC, D: device}
		old, ok := r.Fields[name]
		if ok && !nf.beats(old) {
			return false
		}
		r.Fields[name] = nf
		return true
	}
	changed := r.Upgrade()
	switch c.Op {
	case syncproto.OpDelete:
		changed = set(record.FieldDeleted, tombstone) || changed
	default:
		// Each field is merged on its own, so the order they are visited in cannot matter.
		for k, v := range Leaves(c.Fields) {
			if set(k, v) {
				changed = true
			}
		}
	}
	return changed
}

var null = json.RawMessage("null")

// Leaves returns fields with every counts object replaced by its leaves: one per code of its
// list, null for a code it lacks (a whole object says every count). fields itself is returned
// when it holds no counts object, the usual case of protocol 2.
func Leaves(fields map[string]json.RawMessage) map[string]json.RawMessage {
	has := false
	for _, name := range record.CountsFields {
		if _, ok := fields[name]; ok {
			has = true
		}
	}
	if !has {
		return fields
	}
	out := make(map[string]json.RawMessage, len(fields)+16)
	for k, v := range fields {
		if !record.IsCounts(k) {
			out[k] = v
			continue
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil && !isNull(v) {
			out[k] = v // not an object: validation refused it; kept as sent
			continue
		}
		for _, code := range record.CountsCodes(k) {
			leaf := record.Leaf(k, code)
			if _, ok := fields[leaf]; ok {
				continue // a leaf named alongside its object is the more precise
			}
			if n, ok := obj[code]; ok {
				out[leaf] = Compact(n)
			} else {
				out[leaf] = null
			}
		}
	}
	return out
}

func isNull(v json.RawMessage) bool { return len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), null) }

// Upgrade turns the whole counts objects a record holds from protocol 1 into leaves that keep
// the object's hlc and writer; a leaf already present keeps whichever of the two wins. It reports
// whether anything changed.
func (r *Record) Upgrade() bool {
	changed := false
	for _, name := range record.CountsFields {
		f, ok := r.Fields[name]
		if !ok {
			continue
		}
		delete(r.Fields, name)
		changed = true
		leaves := Leaves(map[string]json.RawMessage{name: f.V})
		if _, still := leaves[name]; still {
			continue // not an object: nothing to keep of it
		}
		for leaf, v := range leaves {
			nf := Field{V: v, H: f.H, D: f.D}
			if old, ok := r.Fields[leaf]; !ok || nf.beats(old) {
				r.Fields[leaf] = nf
			}
		}
	}
	return changed
}

// Compact gives every value one byte form, so equal values from different encoders merge alike.
// A value that is not valid JSON comes back unchanged.
func Compact(v json.RawMessage) json.RawMessage {
	if isCompact(v) {
		return v
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return append(json.RawMessage(nil), v...)
	}
	return b.Bytes()
}

// isCompact reports whether v has no whitespace outside strings, the common case from Go clients.
func isCompact(v []byte) bool {
	in := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\n' || c == '\t' || c == '\r'):
			return false
		}
	}
	return len(v) > 0
}

// Values returns the merged values, without null values (a null clears a field), with the
// leaves of each counts object put back together as one object ("reached": {"herders": 25}).
func (r *Record) Values() map[string]json.RawMessage {
	leaves := r.FlatValues()
	out := make(map[string]json.RawMessage, len(leaves))
	var counts map[string]map[string]json.RawMessage
	for k, v := range leaves {
		if parent, code, ok := record.LeafOf(k); ok {
			if counts == nil {
				counts = map[string]map[string]json.RawMessage{}
			}
			if counts[parent] == nil {
				counts[parent] = map[string]json.RawMessage{}
			}
			counts[parent][code] = v
			continue
		}
		out[k] = v
	}
	for parent, m := range counts {
		out[parent] = countsObject(m)
	}
	return out
}

// countsObject encodes one counts object with sorted keys, the byte form json.Marshal gives. It
// runs for every record a push validates, so the usual object (plain codes, numbers) is written
// by hand and anything else goes through json.Marshal.
func countsObject(m map[string]json.RawMessage) json.RawMessage {
	codes := make([]string, 0, len(m))
	size := 2
	for k, v := range m {
		if !plainCode(k) || !plainNumber(v) {
			b, _ := json.Marshal(m) // sorted keys: one byte form
			return b
		}
		codes = append(codes, k)
		size += len(k) + len(v) + 4
	}
	sort.Strings(codes)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range codes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		b = append(b, m[k]...)
	}
	return append(b, '}')
}

// plainCode says whether a count's code needs no escaping in JSON (lower-case letters, digits, _).
func plainCode(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return len(s) > 0
}

// plainNumber says whether v is a compact integer literal, which json.Marshal leaves as it is.
func plainNumber(v json.RawMessage) bool {
	if len(v) == 0 {
		return false
	}
	for i, c := range v {
		if !(c >= '0' && c <= '9' || c == '-' && i == 0) {
			return false
		}
	}
	return true
}

// FlatValues returns the merged values without nulls, each count a leaf of its own: what a save
// compares a form's fields with.
func (r *Record) FlatValues() map[string]json.RawMessage {
	fields := r.Fields
	for _, name := range record.CountsFields {
		if _, ok := fields[name]; ok {
			// A record stored by protocol 1 and not migrated: read it as its leaves.
			cp := Record{Fields: make(map[string]Field, len(r.Fields))}
			for k, f := range r.Fields {
				cp.Fields[k] = f
			}
			cp.Upgrade()
			fields = cp.Fields
			break
		}
	}
	out := make(map[string]json.RawMessage, len(fields))
	for k, f := range fields {
		if !isNull(f.V) {
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

// Marshal encodes the record deterministically and compactly. Each distinct (hlc, device) writer is
// written once in "w", sorted, and every field refers to its writer by index: a record created by
// one change carries its 36-character device id once instead of once per field, which halves the
// bytes every push writes. It runs for every record of every push, so it appends by hand.
//
//	{"id":"…","entity":"event","w":[["0193…","dev"]],"f":{"kind":[0,"open_day"],…}}
func (r *Record) Marshal() []byte {
	type wr struct{ h, d string }
	names := make([]string, 0, len(r.Fields))
	writers := make([]wr, 0, 2)
	size := 64
	for k, f := range r.Fields {
		names = append(names, k)
		size += len(k) + len(f.V) + 10
		found := false
		for _, w := range writers {
			if w.h == f.H && w.d == f.D {
				found = true
				break
			}
		}
		if !found {
			writers = append(writers, wr{f.H, f.D})
			size += len(f.H) + len(f.D) + 8
		}
	}
	sort.Strings(names)
	sort.Slice(writers, func(i, j int) bool {
		if writers[i].h != writers[j].h {
			return writers[i].h < writers[j].h
		}
		return writers[i].d < writers[j].d
	})
	b := make([]byte, 0, size)
	b = append(b, `{"id":`...)
	b = appendString(b, r.ID)
	b = append(b, `,"entity":`...)
	b = appendString(b, r.Entity)
	b = append(b, `,"w":[`...)
	for i, w := range writers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendString(b, w.h)
		b = append(b, ',')
		b = appendString(b, w.d)
		b = append(b, ']')
	}
	b = append(b, `],"f":{`...)
	for i, k := range names {
		f := r.Fields[k]
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':', '[')
		for j, w := range writers {
			if w.h == f.H && w.d == f.D {
				b = strconv.AppendInt(b, int64(j), 10)
				break
			}
		}
		b = append(b, ',')
		if len(f.V) == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, f.V...)
		}
		b = append(b, ']')
	}
	return append(b, "}}"...)
}

// MarshalJSON makes encoding/json use the compact form.
func (r Record) MarshalJSON() ([]byte, error) { return r.Marshal(), nil }

// UnmarshalJSON reads the compact form.
func (r *Record) UnmarshalJSON(b []byte) error {
	var w struct {
		ID     string                       `json:"id"`
		Entity string                       `json:"entity"`
		W      [][2]string                  `json:"w"`
		F      map[string][]json.RawMessage `json:"f"`
		Fields map[string]Field             `json:"fields"` // the first, per-field form
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	r.ID, r.Entity = w.ID, w.Entity
	if w.F == nil && w.Fields != nil {
		r.Fields = w.Fields
		return nil
	}
	r.Fields = make(map[string]Field, len(w.F))
	for k, pair := range w.F {
		if len(pair) != 2 {
			return fmt.Errorf("record %s field %s: want [writer, value]", w.ID, k)
		}
		i, err := strconv.Atoi(string(pair[0]))
		if err != nil || i < 0 || i >= len(w.W) {
			return fmt.Errorf("record %s field %s: bad writer %s", w.ID, k, pair[0])
		}
		r.Fields[k] = Field{V: pair[1], H: w.W[i][0], D: w.W[i][1]}
	}
	return nil
}

// appendString appends s as a JSON string, taking the fast path for the plain ASCII of ids,
// codes and timestamps.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// EncodeFields encodes a change's fields with sorted keys and compacted values.
func EncodeFields(fields map[string]json.RawMessage) []byte {
	names := make([]string, 0, len(fields))
	size := 2
	for k, v := range fields {
		names = append(names, k)
		size += len(k) + len(v) + 4
	}
	sort.Strings(names)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if v := fields[k]; len(v) == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, Compact(v)...)
		}
	}
	return append(b, '}')
}
