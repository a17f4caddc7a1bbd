package record

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Problem codes for values that are well-formed but too big or not text, which a hostile or
// broken client could send to fill the disk or break every device that pulls them.
const (
	ErrTooDeep     = "too_deep"
	ErrTooLarge    = "too_large"
	ErrTooMany     = "too_many"
	ErrInvalidText = "invalid_text"
)

// Bounds on fields this version does not know. A newer app may send fields an older server does
// not know, so they are kept, but only small and flat enough that every device can pull them.
const (
	MaxUnknownDepth  = 8        // nesting of objects and lists in one unknown field's value
	MaxFieldBytes    = 4 << 10  // one unknown field's JSON
	MaxRecordBytes   = 16 << 10 // all the fields of one change, and the unknown fields of a record
	MaxUnknownFields = 32       // unknown fields of one record
	MaxFieldNameLen  = 64       // bytes of a field name
)

// Depth returns the greatest nesting of objects and lists in JSON b, not counting brackets
// inside strings. It does not validate b.
func Depth(b []byte) int {
	depth, max, in := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case in:
			if c == '\\' {
				i++
			} else if c == '"' {
				in = false
			}
		case c == '"':
			in = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				max = depth
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return max
}

// hasNUL reports whether JSON b holds a NUL, raw or escaped as \u0000.
func hasNUL(b []byte) bool {
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case 0:
			return true
		case '\\':
			if i+5 < len(b) && b[i+1] == 'u' && string(b[i+2:i+6]) == "0000" {
				return true
			}
			i++
		}
	}
	return false
}

// checkName refuses a field name that is not a short ASCII identifier: every field of the
// protocol is one, and JSON decoding would silently replace broken bytes in anything else.
func checkName(name string) *Problem {
	if len(name) > MaxFieldNameLen {
		return &Problem{truncName(name), ErrTooLong, fmt.Sprintf("field name is %d bytes, at most %d allowed", len(name), MaxFieldNameLen)}
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return &Problem{truncName(name), ErrInvalidText, "field name may hold only letters a-z, digits, _, - and ."}
		}
	}
	if name == "" {
		return &Problem{name, ErrInvalidText, "field name is empty"}
	}
	return nil
}

func truncName(name string) string {
	if len(name) > MaxFieldNameLen {
		name = name[:MaxFieldNameLen]
	}
	return string([]rune(name)) // invalid bytes become U+FFFD, so the answer stays valid JSON
}

// printable reports whether s has no control characters; multiline text may hold tabs and
// line breaks.
func printable(s string, multiline bool) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			if multiline && (r == '\n' || r == '\t' || r == '\r') {
				continue
			}
			return false
		}
	}
	return true
}

// checkUnknown bounds one unknown field's value: size, depth and text.
func checkUnknown(name string, raw json.RawMessage) *Problem {
	if len(raw) > MaxFieldBytes {
		return &Problem{name, ErrTooLarge, fmt.Sprintf("is %d bytes, at most %d allowed for a field this server does not know", len(raw), MaxFieldBytes)}
	}
	if d := Depth(raw); d > MaxUnknownDepth {
		return &Problem{name, ErrTooDeep, fmt.Sprintf("is nested %d deep, at most %d allowed", d, MaxUnknownDepth)}
	}
	if !utf8.Valid(raw) || hasNUL(raw) {
		return &Problem{name, ErrInvalidText, "must be valid UTF-8 without NUL characters"}
	}
	return nil
}

// UnknownBudget checks that a record's unknown fields stay within MaxUnknownFields and
// MaxRecordBytes once change's fields are merged over stored ones (nil for a new record), so
// many small changes cannot grow one record without bound. It returns nil when they do.
func UnknownBudget(entity string, stored, change map[string]json.RawMessage) *Problem {
	spec := specFor(entity)
	n, size := 0, 0
	for k, v := range stored {
		if isKnown(spec, k) {
			continue
		}
		if nv, ok := change[k]; ok {
			v = nv
		}
		n++
		size += len(k) + len(v)
	}
	for k, v := range change {
		if isKnown(spec, k) {
			continue
		}
		if _, ok := stored[k]; ok {
			continue
		}
		n++
		size += len(k) + len(v)
	}
	if n > MaxUnknownFields {
		return &Problem{"fields", ErrTooMany, fmt.Sprintf("the record would have %d fields this server does not know, at most %d allowed", n, MaxUnknownFields)}
	}
	if size > MaxRecordBytes {
		return &Problem{"fields", ErrTooLarge, fmt.Sprintf("the record's fields this server does not know would be %d bytes, at most %d allowed", size, MaxRecordBytes)}
	}
	return nil
}

// CanonicalID reports whether s is a UUID in its canonical form: 36 characters, lower-case hex
// and dashes, an RFC 9562 variant with a defined version (1–8: the apps make v7, the server's
// derived ids are v5), not the nil UUID. Upper-case or braced forms name the same UUID, so they
// are refused (or lower-cased first) lest one record be counted twice.
func CanonicalID(s string) bool {
	if len(s) != 36 || s == "00000000-0000-0000-0000-000000000000" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return '1' <= s[14] && s[14] <= '8' && strings.IndexByte("89ab", s[19]) >= 0
}

// isKnown reports whether name is a field of spec or one count of a counts field (protocol 2).
func isKnown(spec map[string]fieldSpec, name string) bool {
	if _, ok := spec[name]; ok {
		return true
	}
	parent, _, leaf := LeafOf(name)
	return leaf && spec[parent].kind == fCounts
}
