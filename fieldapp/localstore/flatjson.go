package localstore

import "encoding/json"

// decodeFields reads a stored change's fields, a JSON object json.Marshal wrote (compact, keys
// without escapes), into one map whose values share a single copy of the bytes. Reading the
// outbox before a push was the largest cost on the device, most of it encoding/json's generic
// decoder. The column is only ever written by insertOutbox; anything but that plain form goes to
// json.Unmarshal.
func decodeFields(s string) (map[string]json.RawMessage, error) {
	if out, ok := scanFlatObject(s); ok {
		return out, nil
	}
	var out map[string]json.RawMessage
	err := json.Unmarshal([]byte(s), &out)
	return out, err
}

// scanFlatObject splits a compact JSON object into its keys and raw values; ok is false for
// anything but the plain form (whitespace, escaped keys, a malformed value), left to the caller.
func scanFlatObject(s string) (map[string]json.RawMessage, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return nil, false
	}
	b := []byte(s)
	out := make(map[string]json.RawMessage, 16)
	i := 1
	if b[i] == '}' {
		return out, i == len(b)-1
	}
	for {
		// key
		if b[i] != '"' {
			return nil, false
		}
		j := i + 1
		for j < len(b) && b[j] != '"' {
			if b[j] == '\\' || b[j] < 0x20 {
				return nil, false
			}
			j++
		}
		if j+1 >= len(b) || b[j+1] != ':' {
			return nil, false
		}
		key := s[i+1 : j]
		i = j + 2
		end, ok := valueEnd(b, i)
		if !ok || end == i {
			return nil, false
		}
		out[key] = json.RawMessage(b[i:end:end])
		i = end
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i++
		case '}':
			return out, i == len(b)-1
		default:
			return nil, false
		}
	}
}

// valueEnd is the index just past the compact JSON value starting at b[i]: strings with their
// escapes, nested arrays and objects, and bare literals (numbers, true, false, null).
func valueEnd(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if i >= len(b) {
				return 0, false
			}
			i++
		case '[', '{':
			depth++
			i++
		case ']', '}':
			if depth == 0 {
				return i, true // the end of the enclosing object
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i, true
			}
			i++
		case ' ', '\t', '\n', '\r':
			return 0, false // not the compact form
		default:
			i++
		}
		if depth == 0 && i < len(b) && (b[i] == ',' || b[i] == '}') {
			return i, true
		}
	}
	return 0, false
}
