package syncclient

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/klauspost/compress/zstd"

	"talbar/syncproto"
)

// TestZstdAnswers: the client asks for zstd answers with the dictionary (or gzip only, as an old
// client), reads a good one, and refuses a bomb after its answer limit, a corrupt or cut body,
// and an encoding it did not ask for, each by name and without inflating more than the limit.
func TestZstdAnswers(t *testing.T) {
	good, _ := syncproto.ZstdAnswer(syncproto.PullResponse{Cursor: "7", ServerEpoch: "e"})
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderDict(syncproto.Dict))
	bomb := enc.EncodeAll(append([]byte(`{"cursor":"`), bytes.Repeat([]byte("7"), 64<<20)...), nil)
	corrupt := append([]byte{}, good...)
	corrupt[len(corrupt)-2] ^= 0xff
	var answer []byte
	var encoding string
	var asked http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", encoding)
		w.Write(answer)
	}))
	defer srv.Close()
	c := &Client{MaxAttempts: 1, MaxAnswerBytes: 1 << 20}
	get := func(body []byte, enc string) (syncproto.PullResponse, error) {
		answer, encoding = body, enc
		var out syncproto.PullResponse
		_, _, err := c.callPayload(context.Background(), http.MethodGet, srv.URL+"/api/v1/pull", "", nil, &out)
		return out, err
	}
	if out, err := get(good, "zstd"); err != nil || out.Cursor != "7" {
		t.Fatalf("good: %+v %v", out, err)
	}
	if asked.Get("Accept-Encoding") != "zstd, gzip" || asked.Get(syncproto.HeaderZstdDicts) != "1" {
		t.Fatalf("asked with %v", asked)
	}
	for name, tc := range map[string]struct {
		body []byte
		enc  string
		code string
	}{
		"bomb":          {bomb, "zstd", CodeTooLarge},
		"corrupt":       {corrupt, "zstd", CodeUnreachable},
		"cut":           {good[:len(good)/2], "zstd", CodeUnreachable},
		"gzip as zstd":  {must(syncproto.Gzip(map[string]string{"cursor": "7"})), "zstd", CodeUnreachable},
		"unasked br":    {good, "br", CodeUnreachable},
		"zstd as gzip":  {good, "gzip", CodeUnreachable},
		"plain as zstd": {[]byte(`{"cursor":"7"}`), "zstd", CodeUnreachable},
	} {
		_, err := get(tc.body, tc.enc)
		var se *Error
		if !errors.As(err, &se) || se.Code != tc.code {
			t.Errorf("%s: %v, want %s", name, err, tc.code)
		}
	}
	c.GzipOnly = true
	get(must(syncproto.Gzip(map[string]string{"cursor": "7"})), "gzip")
	if asked.Get("Accept-Encoding") != "gzip" || asked.Get(syncproto.HeaderZstdDicts) != "" {
		t.Fatalf("an old client asked with %v", asked)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
