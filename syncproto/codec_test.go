package syncproto_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"talbar/syncproto"
)

func TestDecodePush(t *testing.T) {
	body := `{"protocol":1,"device_id":"d","future":{"x":[1,2]},"outbox":{"pending":3},
		"changes":[{"id":"a","entity":"event","record_id":"r","op":"upsert","hlc":"0000000000010000","fields":{"kind":"open_day"}}]}`
	req, err := syncproto.DecodePush([]byte(body), 10)
	if err != nil {
		t.Fatal(err)
	}
	if req.Protocol != 1 || req.DeviceID != "d" || req.Outbox.Pending != 3 || len(req.Changes) != 1 ||
		string(req.Changes[0].Fields["kind"]) != `"open_day"` {
		t.Fatalf("decoded %+v", req)
	}
	var want syncproto.PushRequest
	_ = json.Unmarshal([]byte(body), &want)
	a, _ := json.Marshal(req)
	b, _ := json.Marshal(want)
	if !bytes.Equal(a, b) {
		t.Fatalf("differs from encoding/json:\n%s\n%s", a, b)
	}
}

func TestDecodePushNullChanges(t *testing.T) {
	b, _ := json.Marshal(syncproto.PushRequest{Protocol: 1})
	if req, err := syncproto.DecodePush(b, 10); err != nil || req.Protocol != 1 || len(req.Changes) != 0 {
		t.Fatalf("req=%+v err=%v", req, err)
	}
}

func TestDecodePushStopsAtLimit(t *testing.T) {
	body := `{"protocol":1,"changes":[` + strings.Repeat(`{},`, 1_000_000) + `{}]}`
	if _, err := syncproto.DecodePush([]byte(body), syncproto.MaxChanges); !errors.Is(err, syncproto.ErrTooManyChanges) {
		t.Fatalf("err=%v", err)
	}
	allocs := testing.AllocsPerRun(1, func() { syncproto.DecodePush([]byte(body), syncproto.MaxChanges) })
	if allocs > 200_000 {
		t.Fatalf("%v allocations before refusing", allocs)
	}
}

func TestDecodePushMalformed(t *testing.T) {
	for _, body := range []string{`[`, `{"changes":{}}`, `{"protocol":"one"}`, `{"protocol":1} x`, ``} {
		if _, err := syncproto.DecodePush([]byte(body), 10); err == nil {
			t.Errorf("%q: no error", body)
		}
	}
}
