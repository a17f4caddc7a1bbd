package syncproto

//go:generate go run ../fieldapp/cmd/zstddict -out dict/1.dict

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// DictID is the id of the zstd dictionary this package holds (dict/1.dict, trained on typical
// changes by fieldapp/cmd/zstddict). The id is in every zstd frame compressed with it, so a
// server that does not hold it says so (ErrUnknownDictionary) and the client falls back to gzip.
const DictID = 1

// Dict is the dictionary's bytes, in zstd's dictionary format.
//
//go:embed dict/1.dict
var Dict []byte

// Content codings besides gzip and identity.
const EncodingZstd = "zstd"

// HeaderZstdDicts is the request header in which a client lists (comma-separated) the ids of
// the zstd dictionaries it holds; with "zstd" in Accept-Encoding, the server compresses its
// answer with one it holds too. Without a dictionary in common, the answer goes as gzip.
const HeaderZstdDicts = "X-Zstd-Dicts"

// ErrUnknownDictionary is a zstd body compressed with a dictionary this side does not hold
// (415, code unknown_dictionary).
var ErrUnknownDictionary = errors.New("zstd dictionary unknown here")

// ErrDictionary is the whole-request error code of ErrUnknownDictionary (415): send gzip.
const ErrDictionary = "unknown_dictionary"

// Two shared encoders (EncodeAll may be called from many goroutines at once): pushes, made on
// the device once and sent over a slow link, compress harder; the server's answers, made for
// every device, faster.
var (
	encOnce         sync.Once
	encPush, encAns *zstd.Encoder
	encErr          error
)

func encoders() error {
	encOnce.Do(func() {
		encPush, encErr = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderDict(Dict),
			zstd.WithEncoderConcurrency(1))
		if encErr == nil {
			encAns, encErr = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderDict(Dict),
				zstd.WithEncoderConcurrency(1))
		}
	})
	if encErr != nil {
		return fmt.Errorf("zstd encoder: %w", encErr)
	}
	return nil
}

// Zstd compresses b with the dictionary, as for a push.
func Zstd(b []byte) ([]byte, error) {
	if err := encoders(); err != nil {
		return nil, err
	}
	return encPush.EncodeAll(b, make([]byte, 0, len(b)/4)), nil
}

// ZstdJSON compresses JSON of v with the dictionary, as for a push.
func ZstdJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return Zstd(b)
}

// ZstdAnswer compresses JSON of v with the dictionary at the server's faster level.
func ZstdAnswer(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	if err := encoders(); err != nil {
		return nil, err
	}
	return encAns.EncodeAll(b, make([]byte, 0, len(b)/4)), nil
}

// decoders pools zstd decoders by the largest window they accept (a power of two at or above a
// call's limit): making one and loading the dictionary costs more than inflating a push.
var decoders sync.Map // uint64 → *sync.Pool of *zstd.Decoder

// zstdReader inflates r with the dictionaries this package holds, never holding a window
// larger than limit (rounded up to a power of two): a frame that asks for more is refused, not
// allocated. done returns the decoder to its pool.
func zstdReader(r io.Reader, limit int64) (dec *zstd.Decoder, done func(), err error) {
	window := uint64(zstd.MinWindowSize)
	for window < uint64(limit) && window < zstd.MaxWindowSize {
		window <<= 1
	}
	p, _ := decoders.LoadOrStore(window, &sync.Pool{})
	pool := p.(*sync.Pool)
	dec, _ = pool.Get().(*zstd.Decoder)
	if dec == nil {
		dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderDicts(Dict),
			zstd.WithDecoderMaxWindow(window), zstd.WithDecoderMaxMemory(window))
		if err != nil {
			return nil, nil, err
		}
	}
	if err := dec.Reset(r); err != nil {
		return nil, nil, err
	}
	return dec, func() {
		if dec.Reset(nil) == nil {
			pool.Put(dec)
		}
	}, nil
}

// AcceptsDict reports whether a request's HeaderZstdDicts and Accept-Encoding let an answer go
// as zstd with this package's dictionary.
func AcceptsDict(acceptEncoding, dicts string) bool {
	if !strings.Contains(strings.ToLower(acceptEncoding), EncodingZstd) {
		return false
	}
	for _, f := range strings.Split(dicts, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n == DictID {
			return true
		}
	}
	return false
}

// IsZstd reports whether b starts with zstd's frame magic.
func IsZstd(b []byte) bool {
	return len(b) >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd
}

// DensePushBody is req in the dense encoding (DensePush), compressed with zstd and the
// dictionary; ok is false when a change does not fit the dense encoding (send it as Gzip).
func DensePushBody(req PushRequest) (body []byte, ok bool, err error) {
	d, err := Densify(req)
	if errors.Is(err, errNotDense) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	b, err := ZstdJSON(d)
	return b, err == nil, err
}
