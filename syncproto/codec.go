package syncproto

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Codec errors, mapped by the server to 413, 415 and 400.
var (
	ErrBodyTooLarge        = errors.New("body exceeds the size limit")
	ErrUnsupportedEncoding = errors.New("unsupported content encoding")
)

// ReadBody returns the decompressed body, reading at most limit bytes after decompression, so a
// gzip bomb is refused after limit bytes rather than inflated.
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

// DecodePush decodes a push body change by change and stops at the first change past
// maxChanges, so a small body of millions of empty changes costs nothing before it is refused.
func DecodePush(b []byte, maxChanges int) (PushRequest, error) {
	var req PushRequest
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
				req.Changes = append(req.Changes, c)
			}
			err = expectDelim(dec, ']')
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
