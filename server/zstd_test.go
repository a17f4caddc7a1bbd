package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"

	"talbar/syncproto"
)

// send posts or gets with the headers given and returns the status, the answer's
// Content-Encoding and its body as it came over the wire.
func (c *client) send(method, path string, body []byte, hdr map[string]string) (int, string, []byte) {
	c.tb.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept-Encoding", "identity")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		c.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Encoding"), b
}

func errCode(b []byte) string {
	var e syncproto.ErrorBody
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

var zstdPush = map[string]string{"Content-Type": syncproto.ContentTypeDense, "Content-Encoding": "zstd",
	"Accept-Encoding": "zstd, gzip", syncproto.HeaderZstdDicts: "1"}

// TestZstdPushAndPull: a dense push compressed with zstd and the dictionary merges as the same
// push in plain JSON would, its answer and the pull's come back in zstd to a client that holds
// the dictionary and in gzip to one that predates it; every bad body is refused by name.
func TestZstdPushAndPull(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	ev := a.event("MN6501", "open_day", 12, `,"place":"Сумын төв"`)
	sv := a.change(newID(), "survey", syncproto.OpUpsert, `{"event_id":"`+ev.RecordID+`","date":"2026-05-14","unit":"MN6501","sex":"female","age_band":"25-34","target_group":"herders","info_access":"yes","insurance_status":"none","satisfaction":4}`)
	req := syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: a.device, Changes: []syncproto.Change{ev, sv}}
	body, ok, err := syncproto.DensePushBody(req)
	if err != nil || !ok {
		t.Fatalf("dense: ok=%v err=%v", ok, err)
	}
	st, enc, raw := a.send("POST", "/api/v1/push", body, zstdPush)
	if st != 200 || enc != "zstd" {
		t.Fatalf("dense zstd push: %d %q %.200s", st, enc, raw)
	}
	plain, err := syncproto.ReadBody(bytes.NewReader(raw), enc, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var resp syncproto.PushResponse
	if err := json.Unmarshal(plain, &resp); err != nil || len(resp.Accepted) != 2 {
		t.Fatalf("answer %s: %v", plain, err)
	}

	o := enrollDevice(t, m, "MN6501", "inspector")
	t.Run("pull in zstd, and in gzip for an old client", func(t *testing.T) {
		a := o
		st, enc, raw := a.send("GET", "/api/v1/pull?since=0", nil, map[string]string{"Accept-Encoding": "zstd, gzip", syncproto.HeaderZstdDicts: "1"})
		if st != 200 || enc != "zstd" {
			t.Fatalf("%d %q", st, enc)
		}
		b, err := syncproto.ReadBody(bytes.NewReader(raw), enc, syncproto.MaxBodyBytes)
		var pr syncproto.PullResponse
		if err != nil || json.Unmarshal(b, &pr) != nil || len(pr.Changes) != 2 || pr.Changes[1].Fields["event_id"] == nil {
			t.Fatalf("zstd pull: %v %.300s", err, b)
		}
		st, enc, raw = a.send("GET", "/api/v1/pull?since=0&dense=1", nil, map[string]string{"Accept-Encoding": "zstd, gzip", syncproto.HeaderZstdDicts: "1"})
		db, err := syncproto.ReadBody(bytes.NewReader(raw), enc, syncproto.MaxBodyBytes)
		var dp syncproto.PullResponse
		if st != 200 || err != nil || !bytes.Contains(db, []byte(`"dense":{`)) || bytes.Contains(db, []byte(`"changes":[{`)) {
			t.Fatalf("dense pull: %d %v %.300s", st, err, db)
		}
		if err := json.Unmarshal(db, &dp); err != nil || !reflect.DeepEqual(dp.Changes, pr.Changes) || dp.Cursor != pr.Cursor {
			t.Fatalf("dense pull differs from the plain one: %v\n%+v\n%+v", err, dp.Changes, pr.Changes)
		}
		for _, h := range []map[string]string{{"Accept-Encoding": "gzip"}, {"Accept-Encoding": "zstd, gzip", syncproto.HeaderZstdDicts: "7"}} {
			st, enc, raw := a.send("GET", "/api/v1/pull?since=0", nil, h)
			b, err := syncproto.ReadBody(bytes.NewReader(raw), enc, syncproto.MaxBodyBytes)
			var gp syncproto.PullResponse
			if st != 200 || enc != "gzip" || err != nil || json.Unmarshal(b, &gp) != nil || len(gp.Changes) != 2 {
				t.Fatalf("%v: %d %q %v", h, st, enc, err)
			}
		}
	})
	t.Run("gzip push of an old client", func(t *testing.T) {
		b, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{a.event("MN6501", "open_day", 3, "")}})
		st, enc, raw := a.send("POST", "/api/v1/push", gz(b), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip", "Accept-Encoding": "gzip"})
		if st != 200 || enc == "zstd" {
			t.Fatalf("%d %q %.200s", st, enc, raw)
		}
	})
	t.Run("415 unknown dictionary", func(t *testing.T) {
		var samples [][]byte
		for i := 0; i < 200; i++ {
			samples = append(samples, []byte(`{"changes":[{"id":"x`+strings.Repeat("y", i%13)+`","entity":"event","op":"upsert"}]}`))
		}
		d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: 4 << 10, HashBytes: 6, ZstdDictID: 77})
		if err != nil {
			t.Fatal(err)
		}
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderDict(d))
		plain, _ := json.Marshal(req)
		st, _, raw := a.send("POST", "/api/v1/push", e.EncodeAll(plain, nil), map[string]string{"Content-Type": "application/json", "Content-Encoding": "zstd"})
		if st != 415 || errCode(raw) != syncproto.ErrDictionary {
			t.Fatalf("%d %s", st, raw)
		}
	})
	t.Run("400 corrupt zstd", func(t *testing.T) {
		bad := append([]byte{}, body...)
		bad[len(bad)/2] ^= 0xff
		bad[len(bad)-2] ^= 0xff
		for name, b := range map[string][]byte{"corrupt": bad, "cut": body[:len(body)/2], "gzip bytes": gz([]byte(`{"protocol":2}`))} {
			if st, _, raw := a.send("POST", "/api/v1/push", b, zstdPush); st != 400 || errCode(raw) != syncproto.ErrMalformed {
				t.Errorf("%s: %d %s", name, st, raw)
			}
		}
	})
	t.Run("400 dense content type on a plain body", func(t *testing.T) {
		plain, _ := json.Marshal(req)
		z, _ := syncproto.Zstd(plain)
		if st, _, raw := a.send("POST", "/api/v1/push", z, zstdPush); st != 400 || errCode(raw) != syncproto.ErrMalformed {
			t.Fatalf("%d %s", st, raw)
		}
	})
	t.Run("415 wrong content encoding", func(t *testing.T) {
		if st, _, raw := a.send("POST", "/api/v1/push", body, map[string]string{"Content-Type": syncproto.ContentTypeDense, "Content-Encoding": "zstd-dict"}); st != 415 || errCode(raw) != syncproto.ErrEncoding {
			t.Fatalf("%d %s", st, raw)
		}
	})
	t.Run("413 zstd bomb", func(t *testing.T) {
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderDict(syncproto.Dict))
		bomb := e.EncodeAll(append([]byte(`{"protocol":2,"changes":[],"pad":"`), bytes.Repeat([]byte("a"), 64<<20)...), nil)
		if len(bomb) > 1<<20 {
			t.Fatalf("bomb is %d bytes compressed", len(bomb))
		}
		if st, _, raw := a.send("POST", "/api/v1/push", bomb, map[string]string{"Content-Type": "application/json", "Content-Encoding": "zstd"}); st != 413 || errCode(raw) != syncproto.ErrTooLarge {
			t.Fatalf("%d %s", st, raw)
		}
	})
	t.Run("413 dense push of too many changes", func(t *testing.T) {
		z, _ := syncproto.Zstd([]byte(`{"protocol":2,"n":5001}`))
		if st, _, raw := a.send("POST", "/api/v1/push", z, zstdPush); st != 413 || errCode(raw) != syncproto.ErrTooLarge {
			t.Fatalf("%d %s", st, raw)
		}
	})
}
