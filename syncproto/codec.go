package syncproto

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"talbar/shared/record"

	"github.com/klauspost/compress/zstd"
)

// Codec errors, mapped by the server to 413, 415 and 400.
var (
	ErrBodyTooLarge        = errors.New("body exceeds the size limit")
	ErrUnsupportedEncoding = errors.New("unsupported content encoding")
)

// ReadBody returns the decompressed body (identity, gzip or zstd with the dictionary), reading at
// most limit bytes after decompression, so a gzip or zstd bomb is refused after limit bytes
// rather than inflated.
func ReadBody(r io.Reader, encoding string, limit int64) ([]byte, error) {
	switch encoding {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("gzip header: %w", err)
		}
		defer zr.Close()
		r = zr
	case EncodingZstd:
		zr, done, err := zstdReader(r, limit)
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		defer done()
		w := &limitWriter{limit: limit}
		_, err = zr.WriteTo(w)
		b := w.buf.Bytes()
		switch {
		case errors.Is(err, ErrBodyTooLarge):
			return nil, ErrBodyTooLarge
		case errors.Is(err, zstd.ErrUnknownDictionary):
			return nil, fmt.Errorf("%w: %v", ErrUnknownDictionary, err)
		case errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded):
			return nil, ErrBodyTooLarge
		case err != nil:
			return nil, fmt.Errorf("zstd body: %w", err)
		case int64(len(b)) > limit:
			return nil, ErrBodyTooLarge
		}
		return b, nil
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedEncoding, encoding)
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}

// limitWriter keeps what is written to it up to limit bytes and refuses more: the decoder
// writes its blocks straight into it.
type limitWriter struct {
	buf   bytes.Buffer
	limit int64
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if int64(w.buf.Len()+len(p)) > w.limit {
		return 0, ErrBodyTooLarge
	}
	return w.buf.Write(p)
}

// Gzip compresses JSON of v for a request body.
func Gzip(v any) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(v); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}

// ErrTooManyChanges is returned by DecodePush for a push of more than its limit of changes.
var ErrTooManyChanges = errors.New("too many changes in one push")

// ErrTooDeep is returned by DecodePush for a body nested deeper than MaxPushDepth.
var ErrTooDeep = errors.New("push body nested too deep")

// MaxPushDepth bounds the nesting of a push body: the push, its changes, a change, its fields and
// twice record.MaxUnknownDepth inside one field's value, so a value a little too deep is refused
// by name (too_deep) and only a hostile one refuses the whole push.
const MaxPushDepth = 4 + 2*record.MaxUnknownDepth

// CanonicalUUID lower-cases s when it is a UUID in the 36-character form; any other text is
// returned as it is (and refused later as an invalid id).
func CanonicalUUID(s string) string {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return s
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'F' {
			return strings.ToLower(s)
		}
	}
	return s
}

// DecodePush decodes a push body change by change and stops at the first change past
// maxChanges, so a small body of millions of empty changes costs nothing before it is refused.
//
// The nesting of the whole body is bounded first (MaxPushDepth), counted from the body's first
// bracket, not per change, so no change can carry a value too deep for a device to pull back.
// Ids that are UUIDs in upper case are lower-cased: they name the same record.
func DecodePush(b []byte, maxChanges int) (PushRequest, error) {
	var req PushRequest
	if d := record.Depth(b); d > MaxPushDepth {
		return req, fmt.Errorf("%w: nested %d deep, at most %d allowed", ErrTooDeep, d, MaxPushDepth)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := expectDelim(dec, '{'); err != nil {
		return req, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return req, fmt.Errorf("read key: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "protocol":
			err = dec.Decode(&req.Protocol)
		case "device_id":
			err = dec.Decode(&req.DeviceID)
		case "device_time":
			err = dec.Decode(&req.DeviceTime)
		case "outbox":
			err = dec.Decode(&req.Outbox)
		case "changes":
			tok, err := dec.Token()
			if err != nil {
				return req, fmt.Errorf("changes: %w", err)
			}
			if tok == nil {
				continue // "changes": null, as encoding/json writes an empty slice
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return req, fmt.Errorf("changes: want a list, got %v", tok)
			}
			for dec.More() {
				if len(req.Changes) == maxChanges {
					return req, ErrTooManyChanges
				}
				var c Change
				if err := dec.Decode(&c); err != nil {
					return req, fmt.Errorf("change %d: %w", len(req.Changes), err)
				}
				c.ID, c.RecordID, c.DeviceID = CanonicalUUID(c.ID), CanonicalUUID(c.RecordID), CanonicalUUID(c.DeviceID)
				req.Changes = append(req.Changes, c)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return req, fmt.Errorf("changes: %w", err)
			}
		default:
			var skip json.RawMessage // unknown keys of a newer client are ignored
			err = dec.Decode(&skip)
		}
		if err != nil {
			return req, fmt.Errorf("%s: %w", key, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return req, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, errors.New("data after the push object")
	}
	return req, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("want %q: %w", want, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}
