package syncclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// TestEncodePushPicksTheSmaller: a few changes go as plain JSON in zstd when that is smaller
// than the columns, many go dense; an old client's and an odd change's go gzip JSON.
func TestEncodePushPicksTheSmaller(t *testing.T) {
	var changes []syncproto.Change
	for i := 0; i < 300; i++ {
		changes = append(changes, syncproto.Change{ID: fmt.Sprintf("01a2373e-9047-710a-a3d0-%012x", i*7919), Entity: "event",
			RecordID: fmt.Sprintf("01a2373e-9046-7041-80e6-%012x", i*104729), Op: syncproto.OpUpsert, HLC: fmt.Sprintf("01a2373e9047%04x", i),
			Fields: map[string]json.RawMessage{"kind": json.RawMessage(`"herder_meeting"`), "consultations": json.RawMessage(strconv.Itoa(i % 7))}})
	}
	for _, tc := range []struct {
		n      int
		zstdOK bool
		want   string
	}{{1, true, "application/json"}, {300, true, syncproto.ContentTypeDense}, {300, false, ""}} {
		b, ct, err := encodePush(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: changes[:tc.n]}, tc.zstdOK)
		if err != nil || ct != tc.want || syncproto.IsZstd(b) != (ct != "") {
			t.Errorf("%d changes, zstd %v: %q (zstd body %v) %v, want %q", tc.n, tc.zstdOK, ct, syncproto.IsZstd(b), err, tc.want)
		}
	}
	odd := syncproto.PushRequest{Changes: []syncproto.Change{{ID: "x", HLC: "y"}}}
	if _, ct, err := encodePush(odd, true); err != nil || ct != "" {
		t.Errorf("odd change: %q %v, want gzip JSON", ct, err)
	}
}
