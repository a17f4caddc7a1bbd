package syncproto

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"talbar/shared/record"
)

// ContentTypeDense is the content type of a push in the dense encoding (DensePush): the same
// changes as a PushRequest, written column by column, so that the compressor sees runs of like
// values. A server that predates it answers 415 and the client sends plain JSON again.
const ContentTypeDense = "application/vnd.talbar.dense+json"

// DensePush is a push written by columns. Ids are 16 raw bytes each (base64 of all of them
// together); hlcs are 64-bit numbers, the first in hex and each next as its difference to the one
// before; a change's field names are a "shape" (an index into Shapes); each field's values are
// in Cols under its name, in the order of the changes that set it. Columns that are empty for
// every change (device ids, bases, writer names) are left out.
type DensePush struct {
	Protocol   int          `json:"protocol"`
	DeviceID   string       `json:"device_id"`
	DeviceTime string       `json:"device_time"`
	Outbox     OutboxHealth `json:"outbox"`
	N          int          `json:"n"`
	// An id's first 6 bytes (a UUIDv7's milliseconds) go as numbers: IDTime[i] is change i's
	// minus change i-1's (the first as it is), RIDTime[i] its record id's minus its own id's; the
	// other 10 bytes of each go raw, base64 of N×10 bytes.
	IDTime    []int64 `json:"id_time"`
	RIDTime   []int64 `json:"rid_time"`
	IDs       string  `json:"ids"`
	RecordIDs string  `json:"record_ids"`
	// Kinds lists the distinct "entity op" pairs; Kind is one byte per change, '0'+index.
	Kinds []string `json:"kinds"`
	Kind  string   `json:"kind"`
	HLC0  string   `json:"hlc0,omitempty"`
	HLC   []int64  `json:"hlc"` // differences; HLC[0] is 0
	// Shapes lists the distinct sorted field-name lists; Shape is each change's index.
	Shapes [][]string                   `json:"shapes"`
	Shape  []int                        `json:"shape"`
	Cols   map[string][]json.RawMessage `json:"cols"`
	// Refs, for a field some of whose values name a record changed earlier in this push (a
	// survey's event_id), has one entry per value of the field: 0 takes the next value of Cols,
	// d > 0 the record id of the change d places before.
	Refs   map[string][]int    `json:"refs,omitempty"`
	Device []string            `json:"device,omitempty"`
	Base   []map[string]string `json:"base,omitempty"`
	Writer []string            `json:"writer,omitempty"`
}

// errNotDense says a change cannot be written densely (an id that is not a canonical UUID, an hlc
// that is not 16 hex digits): the push goes as plain JSON, and the server judges it as it is.
var errNotDense = errors.New("change not representable densely")

// maxKinds bounds Kinds so each fits one printable byte.
const maxKinds = 64

// MaxDenseShape bounds the field names of one change in the dense encoding: without the names
// repeated, a dense body of 8 MiB could carry more field values than a plain one. A change with
// more (refused per change by the server anyway) goes plain.
const MaxDenseShape = 256

// Densify writes req by columns, or returns errNotDense when a change does not fit.
func Densify(req PushRequest) (DensePush, error) {
	n := len(req.Changes)
	d := DensePush{Protocol: req.Protocol, DeviceID: req.DeviceID, DeviceTime: req.DeviceTime, Outbox: req.Outbox,
		N: n, HLC: make([]int64, n), Shape: make([]int, n), Cols: map[string][]json.RawMessage{},
		IDTime: make([]int64, n), RIDTime: make([]int64, n)}
	ids, rids := make([]byte, 0, 10*n), make([]byte, 0, 10*n)
	var prevMS int64
	lastRecord := make(map[string]int, n) // quoted record id → index of its last change
	refs := map[string][]int{}            // per field, filled once the field has a reference
	counts := map[string]int{}            // per field, values so far
	kind := make([]byte, n)
	kinds := map[string]int{}
	shapes := map[string]int{}
	var prev uint64
	anyDevice, anyBase, anyWriter := false, false, false
	keys := make([]string, 0, 16)
	for i, c := range req.Changes {
		id, ok := parseUUID(c.ID)
		if !ok {
			return d, errNotDense
		}
		rid, ok := parseUUID(c.RecordID)
		if !ok {
			return d, errNotDense
		}
		ms, rms := uuidMS(id), uuidMS(rid)
		d.IDTime[i], d.RIDTime[i], prevMS = ms-prevMS, rms-ms, ms
		ids, rids = append(ids, id[6:]...), append(rids, rid[6:]...)
		k := c.Entity + " " + c.Op
		ki, seen := kinds[k]
		if !seen {
			if len(kinds) == maxKinds || strings.Count(k, " ") != 1 {
				return d, errNotDense
			}
			ki = len(kinds)
			kinds[k] = ki
			d.Kinds = append(d.Kinds, k)
		}
		kind[i] = byte('0' + ki)
		h, ok := parseHLC(c.HLC)
		if !ok {
			return d, errNotDense
		}
		if i == 0 {
			d.HLC0 = c.HLC
		} else {
			d.HLC[i] = int64(h - prev)
		}
		prev = h
		keys = keys[:0]
		for f := range c.Fields {
			keys = append(keys, f)
		}
		if len(keys) > MaxDenseShape {
			return d, errNotDense
		}
		sort.Strings(keys)
		sk := strings.Join(keys, "\x00")
		si, seen := shapes[sk]
		if !seen {
			si = len(shapes)
			shapes[sk] = si
			d.Shapes = append(d.Shapes, append([]string{}, keys...))
		}
		d.Shape[i] = si
		for _, f := range keys {
			v := c.Fields[f]
			ref := 0
			if len(v) == 38 && v[0] == '"' {
				if j, ok := lastRecord[string(v)]; ok {
					ref = i - j
				}
			}
			if ref > 0 && refs[f] == nil {
				refs[f] = make([]int, counts[f], n)
			}
			if refs[f] != nil {
				refs[f] = append(refs[f], ref)
			}
			if ref == 0 {
				d.Cols[f] = append(d.Cols[f], v)
			}
			counts[f]++
		}
		lastRecord[`"`+c.RecordID+`"`] = i
		anyDevice = anyDevice || c.DeviceID != ""
		anyBase = anyBase || c.Base != nil
		anyWriter = anyWriter || c.WriterName != ""
	}
	if len(refs) > 0 {
		d.Refs = refs
	}
	d.IDs, d.RecordIDs, d.Kind = base64.StdEncoding.EncodeToString(ids), base64.StdEncoding.EncodeToString(rids), string(kind)
	if anyDevice || anyBase || anyWriter {
		for _, c := range req.Changes {
			if anyDevice {
				d.Device = append(d.Device, c.DeviceID)
			}
			if anyBase {
				d.Base = append(d.Base, c.Base)
			}
			if anyWriter {
				d.Writer = append(d.Writer, c.WriterName)
			}
		}
	}
	return d, nil
}

// Changes turns a dense push back into changes, refusing one whose columns do not add up, or
// with more than maxChanges changes before it builds any.
func (d DensePush) Changes(maxChanges int) ([]Change, error) {
	n := d.N
	if n < 0 {
		return nil, errors.New("dense: negative count")
	}
	if n > maxChanges {
		return nil, ErrTooManyChanges
	}
	ids, err := base64.StdEncoding.DecodeString(d.IDs)
	if err != nil || len(ids) != 10*n {
		return nil, errors.New("dense: ids are not 10 bytes per change")
	}
	rids, err := base64.StdEncoding.DecodeString(d.RecordIDs)
	if err != nil || len(rids) != 10*n {
		return nil, errors.New("dense: record ids are not 10 bytes per change")
	}
	if len(d.IDTime) != n || len(d.RIDTime) != n || len(d.Kind) != n || len(d.HLC) != n || len(d.Shape) != n {
		return nil, errors.New("dense: kind, hlc and shape need one entry per change")
	}
	if (d.Device != nil && len(d.Device) != n) || (d.Base != nil && len(d.Base) != n) || (d.Writer != nil && len(d.Writer) != n) {
		return nil, errors.New("dense: device, base and writer need one entry per change when present")
	}
	var h uint64
	if n > 0 {
		var ok bool
		if h, ok = parseHLC(d.HLC0); !ok {
			return nil, errors.New("dense: hlc0 is not 16 hex digits")
		}
	}
	used := make(map[string]int, len(d.Cols)) // values taken from Cols, per field
	nth := make(map[string]int, len(d.Refs))  // values of the field so far, per field
	var ms int64
	out := make([]Change, n)
	for i := range out {
		c := &out[i]
		ki := int(d.Kind[i]) - '0'
		if ki < 0 || ki >= len(d.Kinds) {
			return nil, fmt.Errorf("dense: change %d: kind out of range", i)
		}
		c.Entity, c.Op, _ = strings.Cut(d.Kinds[ki], " ")
		ms += d.IDTime[i]
		if ms < 0 || ms >= 1<<48 || ms+d.RIDTime[i] < 0 || ms+d.RIDTime[i] >= 1<<48 {
			return nil, fmt.Errorf("dense: change %d: id time out of range", i)
		}
		c.ID, c.RecordID = formatUUID(ms, ids[10*i:10*i+10]), formatUUID(ms+d.RIDTime[i], rids[10*i:10*i+10])
		h += uint64(d.HLC[i])
		c.HLC = fmt.Sprintf("%016x", h)
		si := d.Shape[i]
		if si < 0 || si >= len(d.Shapes) {
			return nil, fmt.Errorf("dense: change %d: shape out of range", i)
		}
		if keys := d.Shapes[si]; len(keys) > MaxDenseShape {
			return nil, fmt.Errorf("dense: shape %d: %d field names, at most %d", si, len(keys), MaxDenseShape)
		} else if len(keys) > 0 {
			c.Fields = make(map[string]json.RawMessage, len(keys))
			for _, f := range keys {
				if r := d.Refs[f]; r != nil {
					k := nth[f]
					if k >= len(r) {
						return nil, fmt.Errorf("dense: change %d: refs of %q too short", i, f)
					}
					nth[f] = k + 1
					if back := r[k]; back != 0 {
						if back < 0 || back > i {
							return nil, fmt.Errorf("dense: change %d: ref of %q out of range", i, f)
						}
						c.Fields[f] = json.RawMessage(`"` + out[i-back].RecordID + `"`)
						continue
					}
				}
				col, j := d.Cols[f], used[f]
				if j >= len(col) {
					return nil, fmt.Errorf("dense: change %d: column %q too short", i, f)
				}
				c.Fields[f] = col[j]
				used[f] = j + 1
			}
		}
		if d.Device != nil {
			c.DeviceID = d.Device[i]
		}
		if d.Base != nil {
			c.Base = d.Base[i]
		}
		if d.Writer != nil {
			c.WriterName = d.Writer[i]
		}
	}
	for f, r := range d.Refs {
		if nth[f] != len(r) {
			return nil, fmt.Errorf("dense: refs of %q has %d entries, the shapes use %d", f, len(r), nth[f])
		}
	}
	for f, col := range d.Cols {
		if used[f] != len(col) {
			return nil, fmt.Errorf("dense: column %q has %d values, the shapes use %d", f, len(col), used[f])
		}
	}
	return out, nil
}

// DecodeDensePush decodes a dense push body into a PushRequest, bounded as DecodePush is.
//
// A field's value sits one level higher in a dense body ({"cols":{"f":[value) than in a plain one
// ({"changes":[{"fields":{"f":value), so the bound is one less: a value has the same room.
func DecodeDensePush(b []byte, maxChanges int) (PushRequest, error) {
	var req PushRequest
	if d, most := record.Depth(b), MaxPushDepth-1; d > most {
		return req, fmt.Errorf("%w: nested %d deep, at most %d allowed", ErrTooDeep, d, most)
	}
	// The count is read first, so a small body claiming millions of changes costs nothing.
	var head struct {
		N *int `json:"n"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return req, fmt.Errorf("dense push: %w", err)
	}
	if head.N == nil {
		return req, errors.New("dense push without its count (n): a plain push sent as dense?")
	}
	if *head.N > maxChanges {
		return req, ErrTooManyChanges
	}
	var d DensePush
	if err := json.Unmarshal(b, &d); err != nil {
		return req, fmt.Errorf("dense push: %w", err)
	}
	changes, err := d.Changes(maxChanges)
	if err != nil {
		return req, err
	}
	for i := range changes {
		changes[i].DeviceID = CanonicalUUID(changes[i].DeviceID) // as DecodePush does
	}
	return PushRequest{Protocol: d.Protocol, DeviceID: d.DeviceID, DeviceTime: d.DeviceTime, Outbox: d.Outbox, Changes: changes}, nil
}

// parseUUID reads s, a lower-case UUID in its 36-character form.
func parseUUID(s string) ([16]byte, bool) {
	var raw [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return raw, false
	}
	j := 0
	for _, part := range [5][2]int{{0, 8}, {9, 13}, {14, 18}, {19, 23}, {24, 36}} {
		seg := s[part[0]:part[1]]
		if strings.ToLower(seg) != seg {
			return raw, false // upper case goes plain, to be judged as sent
		}
		if _, err := hex.Decode(raw[j:], []byte(seg)); err != nil {
			return raw, false
		}
		j += len(seg) / 2
	}
	return raw, true
}

// uuidMS is the first 6 bytes of an id, a UUIDv7's milliseconds.
func uuidMS(b [16]byte) int64 {
	var ms int64
	for _, x := range b[:6] {
		ms = ms<<8 | int64(x)
	}
	return ms
}

func formatUUID(ms int64, rest []byte) string {
	var b [16]byte
	for k := 5; k >= 0; k-- {
		b[k] = byte(ms)
		ms >>= 8
	}
	copy(b[6:], rest)
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], b[10:16])
	return string(s[:])
}

// parseHLC reads an hlc of exactly 16 lower-case hex digits.
func parseHLC(s string) (uint64, bool) {
	if len(s) != 16 || strings.ToLower(s) != s {
		return 0, false
	}
	h, err := strconv.ParseUint(s, 16, 64)
	return h, err == nil
}

// DecodePushAs decodes a push body by its Content-Type: the dense encoding (ContentTypeDense) or
// plain JSON.
func DecodePushAs(contentType string, b []byte, maxChanges int) (PushRequest, error) {
	if strings.HasPrefix(contentType, ContentTypeDense) {
		return DecodeDensePush(b, maxChanges)
	}
	return DecodePush(b, maxChanges)
}

// UnmarshalJSON decodes a pull page, turning a dense one (Dense) back into Changes.
func (p *PullResponse) UnmarshalJSON(b []byte) error {
	type plain PullResponse // without this method
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Dense != nil {
		changes, err := v.Dense.Changes(MaxPullLimit)
		if err != nil {
			return fmt.Errorf("dense pull page: %w", err)
		}
		v.Changes, v.Dense = changes, nil
	}
	*p = PullResponse(v)
	return nil
}

// Densify writes the page's changes by columns in Dense, when every one fits.
func (p *PullResponse) Densify() {
	d, err := Densify(PushRequest{Changes: p.Changes})
	if err == nil && len(p.Changes) > 0 {
		p.Dense, p.Changes = &d, nil
	}
}
