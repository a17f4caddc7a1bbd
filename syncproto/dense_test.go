package syncproto_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/dict"
	"github.com/klauspost/compress/zstd"

	"talbar/syncproto"
)

func sampleChanges() []syncproto.Change {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	return []syncproto.Change{
		{ID: "01a2373e-9047-710a-a3d0-83f9033e7631", Entity: "event", RecordID: "01a2373e-9046-7041-80e6-27f942509084",
			Op: "upsert", HLC: "01a2373e90470000", Fields: map[string]json.RawMessage{"kind": raw(`"herder_meeting"`), "reached.herders": raw(`39`),
				"partners": raw(`["governor","bank"]`), "place": raw(`"Ноос хүлээн авах цэг"`)}},
		{ID: "01a2373e-9047-7a58-a392-bc79680f7940", Entity: "survey", RecordID: "01a2373e-9047-7770-b9fd-8d8146019556",
			Op: "upsert", HLC: "01a2373e90470001", Fields: map[string]json.RawMessage{"event_id": raw(`"01a2373e-9046-7041-80e6-27f942509084"`), "sex": raw(`"female"`)}},
		{ID: "01a2373e-9048-7178-8890-69894c10aba9", Entity: "survey", RecordID: "01a2373e-9047-7ee5-9c61-4c4281c90b1f",
			Op: "upsert", HLC: "01a2373e90480000", Fields: map[string]json.RawMessage{"event_id": raw(`"01a2373e-9046-7041-80e6-27f942509084"`), "sex": raw(`"male"`)},
			Base: map[string]string{"sex": "01a2373e90470001"}},
		// An hlc that went back (a probe re-sent first), a delete without fields, an event_id naming
		// a record outside the push, a writer's device.
		{ID: "01a2373d-0000-7000-8000-000000000000", Entity: "event", RecordID: "01a2373e-9046-7041-80e6-27f942509084",
			Op: "delete", HLC: "01a2373d00000000", DeviceID: "01a2373e-9046-7041-80e6-000000000001"},
		{ID: "01a2373e-9049-7000-8000-000000000000", Entity: "survey", RecordID: "01a2373e-9049-7001-8000-000000000000",
			Op: "upsert", HLC: "01a2373e90490000", Fields: map[string]json.RawMessage{"event_id": raw(`"01a2373e-0000-7041-80e6-27f942509084"`)}},
	}
}

func TestDenseRoundTrip(t *testing.T) {
	req := syncproto.PushRequest{Protocol: 2, DeviceID: "d", DeviceTime: "2026-09-15T08:00:00Z", Outbox: syncproto.OutboxHealth{Pending: 5}, Changes: sampleChanges()}
	body, ok, err := syncproto.DensePushBody(req)
	if err != nil || !ok {
		t.Fatalf("ok=%v err=%v", ok, err)
	}
	plain, err := syncproto.ReadBody(bytes.NewReader(body), "zstd", syncproto.MaxBodyBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(plain, []byte(`"refs":{"event_id":[1,2,0]}`)) {
		t.Errorf("event_id not written as references: %s", plain)
	}
	got, err := syncproto.DecodeDensePush(plain, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, req) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, req)
	}
	if _, err := syncproto.DecodeDensePush(plain, 4); !errors.Is(err, syncproto.ErrTooManyChanges) {
		t.Fatalf("limit: err=%v", err)
	}
}

func TestDenseNotRepresentable(t *testing.T) {
	for _, c := range []syncproto.Change{
		{ID: "not-a-uuid", RecordID: "01a2373e-9046-7041-80e6-27f942509084", HLC: "01a2373e90470000", Entity: "event", Op: "upsert"},
		{ID: "01A2373E-9046-7041-80E6-27F942509084", RecordID: "01a2373e-9046-7041-80e6-27f942509084", HLC: "01a2373e90470000", Entity: "event", Op: "upsert"},
		{ID: "01a2373e-9046-7041-80e6-27f942509084", RecordID: "01a2373e-9046-7041-80e6-27f942509084", HLC: "xyz", Entity: "event", Op: "upsert"},
	} {
		if _, ok, err := syncproto.DensePushBody(syncproto.PushRequest{Changes: []syncproto.Change{c}}); ok || err != nil {
			t.Errorf("%+v: ok=%v err=%v, want plain", c, ok, err)
		}
	}
}

func TestDenseMalformed(t *testing.T) {
	good, _ := syncproto.Densify(syncproto.PushRequest{Changes: sampleChanges()})
	for name, spoil := range map[string]func(d *syncproto.DensePush){
		"short ids":     func(d *syncproto.DensePush) { d.IDs = d.IDs[:8] },
		"kind range":    func(d *syncproto.DensePush) { d.Kind = "9" + d.Kind[1:] },
		"shape range":   func(d *syncproto.DensePush) { d.Shape[0] = 99 },
		"column short":  func(d *syncproto.DensePush) { d.Cols["sex"] = d.Cols["sex"][:0] },
		"column long":   func(d *syncproto.DensePush) { d.Cols["sex"] = append(d.Cols["sex"], json.RawMessage(`1`)) },
		"ref range":     func(d *syncproto.DensePush) { d.Refs["event_id"][0] = 7 },
		"hlc count":     func(d *syncproto.DensePush) { d.HLC = d.HLC[:1] },
		"bad hlc0":      func(d *syncproto.DensePush) { d.HLC0 = "zz" },
		"time range":    func(d *syncproto.DensePush) { d.IDTime[0] = -1 },
		"negative n":    func(d *syncproto.DensePush) { d.N = -1 },
		"device count":  func(d *syncproto.DensePush) { d.Device = d.Device[:1] },
		"refs too long": func(d *syncproto.DensePush) { d.Refs["event_id"] = append(d.Refs["event_id"], 0) },
	} {
		d := good
		b, _ := json.Marshal(d) // a deep copy
		_ = json.Unmarshal(b, &d)
		spoil(&d)
		b, _ = json.Marshal(d)
		if _, err := syncproto.DecodeDensePush(b, 10); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := syncproto.DecodeDensePush([]byte(`{"n":`), 10); err == nil {
		t.Error("truncated: no error")
	}
	deep := `{"n":0,"cols":{"x":[` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `]}}`
	if _, err := syncproto.DecodeDensePush([]byte(deep), 10); !errors.Is(err, syncproto.ErrTooDeep) {
		t.Errorf("deep: err=%v", err)
	}
}

// A zstd bomb (a small frame of many zeros) is refused after the limit, as a gzip one is.
func TestReadBodyZstdBomb(t *testing.T) {
	for _, withDict := range []bool{false, true} {
		opts := []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedBestCompression)}
		if withDict {
			opts = append(opts, zstd.WithEncoderDict(syncproto.Dict))
		}
		enc, _ := zstd.NewWriter(nil, opts...)
		bomb := enc.EncodeAll(make([]byte, 64<<20), nil)
		if len(bomb) > 64<<10 {
			t.Fatalf("bomb of %d bytes", len(bomb))
		}
		_, err := syncproto.ReadBody(bytes.NewReader(bomb), "zstd", syncproto.MaxBodyBytes)
		if !errors.Is(err, syncproto.ErrBodyTooLarge) {
			t.Fatalf("dict=%v: err=%v, want too large", withDict, err)
		}
		// Just within the limit passes.
		ok := enc.EncodeAll(make([]byte, 1000), nil)
		if b, err := syncproto.ReadBody(bytes.NewReader(ok), "zstd", 1000); err != nil || len(b) != 1000 {
			t.Fatalf("dict=%v: within the limit: %d bytes, err=%v", withDict, len(b), err)
		}
		if _, err := syncproto.ReadBody(bytes.NewReader(ok), "zstd", 999); !errors.Is(err, syncproto.ErrBodyTooLarge) {
			t.Fatalf("dict=%v: one past the limit: err=%v", withDict, err)
		}
	}
}

// UnknownDictBody is compressed with a dictionary of id 77, which this side does not hold.
func unknownDictBody(t *testing.T) []byte {
	t.Helper()
	samples := [][]byte{}
	for i := 0; i < 200; i++ {
		samples = append(samples, []byte(`{"changes":[{"id":"x`+strings.Repeat("y", i%13)+`","entity":"event","op":"upsert"}]}`))
	}
	d, err := dict.BuildZstdDict(samples, dict.Options{MaxDictSize: 4 << 10, HashBytes: 6, ZstdDictID: 77})
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderDict(d))
	return enc.EncodeAll([]byte(`{"protocol":2}`), nil)
}

func TestReadBodyZstdFailures(t *testing.T) {
	if _, err := syncproto.ReadBody(bytes.NewReader(unknownDictBody(t)), "zstd", 1000); !errors.Is(err, syncproto.ErrUnknownDictionary) {
		t.Errorf("unknown dictionary: err=%v", err)
	}
	good, _ := syncproto.ZstdJSON(map[string]int{"protocol": 2})
	corrupt := append([]byte{}, good...)
	corrupt[len(corrupt)-3] ^= 0xff
	for name, b := range map[string][]byte{"corrupt": corrupt, "not zstd": []byte("hello"), "cut": good[:len(good)/2]} {
		_, err := syncproto.ReadBody(bytes.NewReader(b), "zstd", 1000)
		if err == nil || errors.Is(err, syncproto.ErrBodyTooLarge) || errors.Is(err, syncproto.ErrUnknownDictionary) {
			t.Errorf("%s: err=%v, want a malformed body", name, err)
		}
	}
	if b, err := syncproto.ReadBody(bytes.NewReader(good), "zstd", 1000); err != nil || string(b) != `{"protocol":2}` {
		t.Errorf("good: %q err=%v", b, err)
	}
}

func TestAcceptsDict(t *testing.T) {
	for _, c := range []struct {
		ae, dicts string
		want      bool
	}{{"zstd, gzip", "1", true}, {"gzip", "1", false}, {"zstd", "", false}, {"zstd", "2, 1", true}, {"zstd", "2", false}} {
		if got := syncproto.AcceptsDict(c.ae, c.dicts); got != c.want {
			t.Errorf("%q %q: %v", c.ae, c.dicts, got)
		}
	}
}

func TestDensePullPage(t *testing.T) {
	page := syncproto.PullResponse{Changes: sampleChanges(), Cursor: "9", More: true, ServerEpoch: "e"}
	for i := range page.Changes {
		page.Changes[i].DeviceID, page.Changes[i].WriterName = "01a2373e-9046-7041-80e6-000000000001", "Батбаяр"
	}
	want := page
	want.Changes = append([]syncproto.Change{}, page.Changes...)
	page.Densify()
	if page.Dense == nil || page.Changes != nil {
		t.Fatalf("not densified: %+v", page)
	}
	b, _ := json.Marshal(page)
	var got syncproto.PullResponse
	if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("err=%v\n got %+v\nwant %+v", err, got, want)
	}
	if err := json.Unmarshal([]byte(`{"dense":{"n":1,"ids":""}}`), &got); err == nil {
		t.Fatal("a malformed dense page decoded")
	}
	// A page with a change that does not fit stays plain.
	odd := syncproto.PullResponse{Changes: []syncproto.Change{{ID: "x"}}}
	odd.Densify()
	if odd.Dense != nil || len(odd.Changes) != 1 {
		t.Fatalf("odd page: %+v", odd)
	}
}

// FuzzDenseDecoder decodes arbitrary dense push bodies as the server does: never a panic, never
// more than the limit of changes, and whatever decodes is written densely to the same changes.
func FuzzDenseDecoder(f *testing.F) {
	good, _ := syncproto.Densify(syncproto.PushRequest{Protocol: 2, Changes: sampleChanges()})
	b, _ := json.Marshal(good)
	f.Add(b)
	f.Add([]byte(`{"n":1,"ids":"AAAAAAAAAAAAAA==","record_ids":"AAAAAAAAAAAAAA==","id_time":[0],"rid_time":[0],"kinds":["event upsert"],"kind":"0","hlc0":"0000000000000000","hlc":[0],"shapes":[[]],"shape":[0],"cols":{}}`))
	f.Add([]byte(`{"n":2,"refs":{"x":[5]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := syncproto.DecodeDensePush(body, 10)
		if err != nil {
			return
		}
		if len(req.Changes) > 10 {
			t.Fatalf("%d changes past the limit", len(req.Changes))
		}
		d, err := syncproto.Densify(req)
		if err != nil {
			return // decoded ids always fit; an hlc or kind may not (judged by the server as sent)
		}
		again, err := d.Changes(10)
		if err != nil || !reflect.DeepEqual(again, req.Changes) {
			t.Fatalf("re-densified differently: %v\n%+v\n%+v", err, again, req.Changes)
		}
	})
}

// TestDenseDepthAsPlain: a value nested as deep as a plain push allows is allowed dense too, and
// one level more is refused by both.
func TestDenseDepthAsPlain(t *testing.T) {
	for _, extra := range []int{0, 1} {
		c := sampleChanges()[0]
		c.Fields = map[string]json.RawMessage{"kind": json.RawMessage(`"x"`)}
		depth := syncproto.MaxPushDepth - 4 + extra // the push, changes, the change and fields come first
		c.Fields["deep"] = json.RawMessage(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		req := syncproto.PushRequest{Protocol: 2, Changes: []syncproto.Change{c}}
		plain, _ := json.Marshal(req)
		_, perr := syncproto.DecodePush(plain, 10)
		d, _ := syncproto.Densify(req)
		dense, _ := json.Marshal(d)
		_, derr := syncproto.DecodeDensePush(dense, 10)
		if (perr == nil) != (extra == 0) || (derr == nil) != (perr == nil) {
			t.Errorf("extra %d: plain %v, dense %v", extra, perr, derr)
		}
	}
}

func TestDenseShapeBound(t *testing.T) {
	c := sampleChanges()[0]
	c.Fields = map[string]json.RawMessage{}
	for i := 0; i <= syncproto.MaxDenseShape; i++ {
		c.Fields[fmt.Sprintf("f%03d", i)] = json.RawMessage("1")
	}
	if _, err := syncproto.Densify(syncproto.PushRequest{Changes: []syncproto.Change{c}}); err == nil {
		t.Fatal("a change of 257 fields densified")
	}
	body := `{"n":1,"ids":"AAAAAAAAAAAAAA==","record_ids":"AAAAAAAAAAAAAA==","id_time":[0],"rid_time":[0],"kinds":["event upsert"],"kind":"0","hlc0":"0000000000000000","hlc":[0],"shape":[0],"shapes":[[` +
		strings.TrimSuffix(strings.Repeat(`"a",`, syncproto.MaxDenseShape+1), ",") + `]],"cols":{"a":[1]}}`
	if _, err := syncproto.DecodeDensePush([]byte(body), 10); err == nil || !strings.Contains(err.Error(), "field names") {
		t.Fatalf("err=%v", err)
	}
}
