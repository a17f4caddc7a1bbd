package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/syncproto"
)

// The TestHostile tests replay the inputs of the security review (reviews/security.md) against
// the real server over HTTP; each failed on the code the review audited.

// pushRaw sends a push body as it is and returns the status and the decoded answer.
func (c *client) pushRaw(body []byte, hdr map[string]string) (int, syncproto.PushResponse, []byte) {
	c.tb.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range hdr {
		h[k] = v
	}
	st, b := c.raw("POST", "/api/v1/push", bytes.NewReader(body), h)
	var r syncproto.PushResponse
	if st == 200 {
		if err := json.Unmarshal(b, &r); err != nil {
			c.tb.Fatalf("push answer %q: %v", b, err)
		}
	}
	return st, r, b
}

// pullAll pulls every page from cursor 0 and returns the changes and the raw bodies' total size.
func (c *client) pullAll() ([]syncproto.Change, int) {
	c.tb.Helper()
	var out []syncproto.Change
	size, cursor := 0, "0"
	for page := 0; page < 1000; page++ {
		st, b := c.raw("GET", "/api/v1/pull?limit=5000&since="+cursor, nil, nil)
		if st != 200 {
			c.tb.Fatalf("pull status %d: %.200s", st, b)
		}
		if !utf8.Valid(b) {
			c.tb.Fatalf("pull answer is not valid UTF-8")
		}
		size += len(b)
		var p syncproto.PullResponse
		if err := json.Unmarshal(b, &p); err != nil {
			c.tb.Fatalf("decode pull: %v", err)
		}
		out = append(out, p.Changes...)
		cursor = p.Cursor
		if !p.More {
			return out, size
		}
	}
	c.tb.Fatal("pull never ended")
	return nil, 0
}

func problemCodes(r syncproto.PushResponse, id string) []string {
	var out []string
	for _, rj := range r.Rejected {
		if rj.ID == id {
			out = append(out, rj.Code)
			for _, p := range rj.Problems {
				out = append(out, p.Field+":"+p.Code)
			}
		}
	}
	return out
}

func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// TestHostileNestedUnknownField: D1. A deeply nested unknown field is refused at the body (400)
// or, nine deep, as too_deep; the soum's other device and the aimag's officer still pull, and a
// later honest edit of the record is accepted.
func TestHostileNestedUnknownField(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	b := enrollDevice(t, m, "MN6501", "inspector")
	officer := enrollDevice(t, m, "MN-073", "officer")

	ev := a.event("MN6501", "open_day", 5, "")
	if r := a.push(ev); len(r.Accepted) != 1 {
		t.Fatalf("create: %+v", r)
	}
	deep := a.change(ev.RecordID, "event", "upsert", "")
	deep.Fields = map[string]json.RawMessage{"x": json.RawMessage(nested(9998))}
	body, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{deep}})
	st, _, raw := a.pushRaw(body, nil)
	if st != http.StatusBadRequest || !strings.Contains(string(raw), "nested") {
		t.Fatalf("9998 deep: status %d %.200s, want 400 naming the nesting", st, raw)
	}
	nine := a.change(ev.RecordID, "event", "upsert", "")
	nine.Fields = map[string]json.RawMessage{"x": json.RawMessage(nested(9))}
	eight := a.change(ev.RecordID, "event", "upsert", "")
	eight.Fields = map[string]json.RawMessage{"y": json.RawMessage(nested(8))}
	r := a.push(nine, eight)
	if got := fmt.Sprint(problemCodes(r, nine.ID)); got != "[invalid x:too_deep]" {
		t.Fatalf("nine deep: %s; response %+v", got, r)
	}
	if len(r.Accepted) != 1 || r.Accepted[0] != eight.ID {
		t.Fatalf("eight deep not accepted: %+v", r)
	}
	for _, c := range []*client{b, officer} {
		if got, _ := c.pullAll(); len(got) != 2 {
			t.Fatalf("pulled %d changes, want 2", len(got))
		}
	}
	if r := b.push(b.change(ev.RecordID, "event", "upsert", `{"reached":{"herders":7}}`)); len(r.Accepted) != 1 {
		t.Fatalf("honest edit after the attempt: %+v", r)
	}
	if got := num(officer.totals("MN-073", 2026), "reached.herders"); got != 7 {
		t.Fatalf("reached=%v, want 7", got)
	}
}

// TestHostileUnknownFieldSize: D2. The review's 45 pushes of a 6.5 MiB unknown field are refused
// (too_large) and leave the store small; smaller abuses (5 KiB, 33 fields, many changes each
// adding a field to one record, fields on a delete) are bounded too.
func TestHostileUnknownFieldSize(t *testing.T) {
	db := tempDB(t)
	m := MustRunMain(t, db)
	a := enrollDevice(t, m, "MN6501", "inspector")
	b := enrollDevice(t, m, "MN6501", "inspector")
	blob, _ := json.Marshal(strings.Repeat("A", 6_815_744))
	for i := 0; i < 45; i++ {
		c := a.event("MN6501", "open_day", 1, `,"blob":`+string(blob))
		body, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{c}})
		st, r, raw := a.pushRaw(gz(body), map[string]string{"Content-Encoding": "gzip"})
		if st != 200 || len(r.Accepted) != 0 || !strings.Contains(fmt.Sprint(problemCodes(r, c.ID)), "blob:too_large") {
			t.Fatalf("push %d: status %d %.300s", i, st, raw)
		}
	}
	if fi, err := os.Stat(db); err != nil || fi.Size() > 8<<20 {
		t.Fatalf("store after 45 big pushes: %v bytes (%v), want under 8 MiB", fi.Size(), err)
	}

	five := a.event("MN6501", "open_day", 1, `,"note2":"`+strings.Repeat("b", 5000)+`"`)
	many := a.event("MN6501", "open_day", 1, "")
	for i := 0; i <= record.MaxUnknownFields; i++ {
		many.Fields[fmt.Sprintf("f%02d", i)] = json.RawMessage("1")
	}
	ok := a.event("MN6501", "open_day", 1, `,"app_note":"kept"`)
	r := a.push(five, many, ok)
	if got := fmt.Sprint(problemCodes(r, five.ID)); got != "[invalid note2:too_large]" {
		t.Errorf("5 KB field: %s", got)
	}
	if got := fmt.Sprint(problemCodes(r, many.ID)); got != "[invalid fields:too_many]" {
		t.Errorf("33 fields: %s", got)
	}
	if len(r.Accepted) != 1 || r.Accepted[0] != ok.ID {
		t.Fatalf("a small unknown field must be kept: %+v", r)
	}
	// Four 4 000-byte fields fit; the fifth would take the record past 16 KiB.
	var refused int
	for i := 0; i < 5; i++ {
		c := a.change(ok.RecordID, "event", "upsert", fmt.Sprintf(`{"g%d":"%s"}`, i, strings.Repeat("c", 4000)))
		rr := a.push(c)
		if len(rr.Rejected) == 1 && fmt.Sprint(problemCodes(rr, c.ID)) == "[invalid fields:too_large]" {
			refused++
		} else if len(rr.Accepted) != 1 {
			t.Fatalf("field g%d: %+v", i, rr)
		}
	}
	if refused != 1 {
		t.Fatalf("%d of 5 growing changes refused, want the last one", refused)
	}
	// A delete's fields are neither kept nor served.
	del := a.change(ok.RecordID, "event", "delete", `{"blob":"`+strings.Repeat("d", 3000)+`"}`)
	if rr := a.push(del); len(rr.Accepted) != 1 {
		t.Fatalf("delete: %+v", rr)
	}
	got, size := b.pullAll()
	for _, c := range got {
		if c.Op == syncproto.OpDelete && len(c.Fields) != 0 {
			t.Fatalf("a delete is served with fields %v", c.Fields)
		}
	}
	if size > 1<<20 {
		t.Fatalf("pulled %d bytes", size)
	}
}

// TestHostileDeviceID: D8. A change naming another device, or a made-up one, is written as the
// device that pushed it.
func TestHostileDeviceID(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a1 := enrollDevice(t, m, "MN6501", "inspector")
	a2 := enrollDevice(t, m, "MN6501", "inspector")
	bdev := enrollDevice(t, m, "MN6504", "inspector")
	ev := a2.event("MN6501", "open_day", 5, "")
	a2.push(ev)
	forged := a1.change(ev.RecordID, "event", "upsert", `{"notes":"as B"}`)
	forged.DeviceID = bdev.device
	tilde := a1.change(ev.RecordID, "event", "upsert", `{"place":"tilde"}`)
	tilde.DeviceID = "~~~~"
	r := a1.push(forged, tilde)
	if len(r.Accepted) != 1 || r.Accepted[0] != forged.ID || fmt.Sprint(problemCodes(r, tilde.ID)) != "[invalid_id]" {
		t.Fatalf("push: %+v", r)
	}
	got, _ := a2.pullAll()
	for _, c := range got {
		if c.ID == forged.ID && c.DeviceID != a1.device {
			t.Fatalf("the forged change is served as written by %q, want the pusher %q", c.DeviceID, a1.device)
		}
	}
}

// TestHostileUpperCaseIDs: D10. A change re-sent with its ids in upper case is the same change.
func TestHostileUpperCaseIDs(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	ev := a.event("MN6501", "open_day", 1000, "")
	a.push(ev)
	up := ev
	up.ID, up.RecordID = strings.ToUpper(ev.ID), strings.ToUpper(ev.RecordID)
	if r := a.push(up); len(r.Duplicates) != 1 || len(r.Accepted) != 0 {
		t.Fatalf("upper-case re-send: %+v", r)
	}
	tot := a.totals("MN", 2026)
	if num(tot, "events.total") != 1 || num(tot, "reached.total") != 1000 {
		t.Fatalf("totals after an upper-case re-send: events %v reached %v", num(tot, "events.total"), num(tot, "reached.total"))
	}
	zero := a.event("MN6501", "open_day", 1, "")
	zero.RecordID = "00000000-0000-0000-0000-000000000000"
	braced := a.event("MN6501", "open_day", 1, "")
	braced.RecordID = "{" + braced.RecordID[:34] + "}"
	r := a.push(zero, braced)
	if fmt.Sprint(problemCodes(r, zero.ID), problemCodes(r, braced.ID)) != "[invalid_id] [invalid_id]" {
		t.Fatalf("nil and braced ids: %+v", r)
	}
}

// TestHostileDates: D13. Dates after tomorrow, such as 9999-12-31 or a mistyped 2062, are refused.
func TestHostileDates(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	var cs []syncproto.Change
	for _, d := range []string{"9999-12-31", "2101-01-01", "2062-05-14", "2018-12-31"} {
		c := a.event("MN6501", "open_day", 1, "")
		c.Fields["date"] = json.RawMessage(`"` + d + `"`)
		cs = append(cs, c)
	}
	r := a.push(cs...)
	want := []string{"date:too_late", "date:too_late", "date:too_late", "date:too_early"}
	for i, c := range cs {
		if got := problemCodes(r, c.ID); len(got) != 2 || got[1] != want[i] {
			t.Errorf("date %s: %v", c.Fields["date"], got)
		}
	}
}

// TestHostileText: D11. Invalid UTF-8 and NUL in text fields and field names are refused as
// invalid_text, and pulls stay valid UTF-8.
func TestHostileText(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	b := enrollDevice(t, m, "MN6501", "inspector")
	good := a.event("MN6501", "open_day", 1, `,"notes":"line one\nline two"`)

	cases := []struct {
		name, fields, want string
	}{
		{"raw bytes in place", `"place":"bad` + "\xff\xfe" + `utf8"`, "place:invalid_text"},
		{"NUL in place", `"place":"a\u0000b"`, "place:invalid_text"},
		{"bell in notes", `"notes":"ring\u0007"`, "notes:invalid_text"},
		{"raw bytes in a name", `"x` + "\xff" + `":1`, "x\ufffd:invalid_text"},
		{"NUL in an unknown field", `"extra":"a\u0000"`, "extra:invalid_text"},
	}
	var changes []string
	ids := map[string]string{}
	for _, tc := range cases {
		c := a.event("MN6501", "open_day", 1, "")
		ids[c.ID] = tc.name
		changes = append(changes, fmt.Sprintf(`{"id":%q,"entity":"event","record_id":%q,"op":"upsert","hlc":%q,"fields":{"kind":"open_day","date":"2026-05-14","unit":"MN6501",%s}}`,
			c.ID, c.RecordID, c.HLC, tc.fields))
	}
	gb, _ := json.Marshal(good)
	changes = append(changes, string(gb))
	body := []byte(fmt.Sprintf(`{"protocol":%d,"changes":[`, syncproto.Protocol) + strings.Join(changes, ",") + `]}`)
	st, r, raw := a.pushRaw(body, nil)
	if st != 200 {
		t.Fatalf("status %d %.300s", st, raw)
	}
	for i, tc := range cases {
		var id string
		for k, v := range ids {
			if v == tc.name {
				id = k
			}
		}
		if got := fmt.Sprint(problemCodes(r, id)); got != "[invalid "+tc.want+"]" {
			t.Errorf("%d %s: %s, want %s", i, tc.name, got, tc.want)
		}
	}
	if len(r.Accepted) != 1 || r.Accepted[0] != good.ID {
		t.Fatalf("multi-line notes must be accepted: %+v", r)
	}
	if !utf8.Valid(raw) {
		t.Fatal("the push answer is not valid UTF-8")
	}
	if got, _ := b.pullAll(); len(got) != 1 {
		t.Fatalf("pulled %d changes, want 1", len(got))
	}
}

// TestHostilePullPageBytes: D2. Pull pages end near syncproto.MaxPullBytes whatever their limit,
// so 2 000 events of 2 000-character notes (~8 MB) come in pages of about 1 MiB, none lost.
func TestHostilePullPageBytes(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	b := enrollDevice(t, m, "MN6501", "inspector")
	notes, _ := json.Marshal(strings.Repeat("тэмдэглэл ", 200))
	const n = 2000
	for done := 0; done < n; done += 500 {
		var cs []syncproto.Change
		for i := 0; i < 500; i++ {
			cs = append(cs, a.event("MN6501", "open_day", 1, `,"notes":`+string(notes)))
		}
		if r := a.push(cs...); len(r.Accepted) != 500 {
			t.Fatalf("push: %d accepted, %+v", len(r.Accepted), r.Rejected)
		}
	}
	cursor, pages, got := "0", 0, 0
	for {
		st, body := b.raw("GET", "/api/v1/pull?limit=5000&since="+cursor, nil, nil)
		if st != 200 {
			t.Fatalf("pull status %d", st)
		}
		var p syncproto.PullResponse
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatal(err)
		}
		pages++
		got += len(p.Changes)
		if len(body) > syncproto.MaxPullBytes+64<<10 {
			t.Fatalf("page %d is %d bytes", pages, len(body))
		}
		cursor = p.Cursor
		if !p.More {
			break
		}
	}
	if got != n || pages < 7 {
		t.Fatalf("%d changes in %d pages, want %d in 7 or more", got, pages, n)
	}
}

// TestHostileSignInNext: D3. A sign-in link whose next carries CR LF neither reaches the form's
// hidden field nor splits the redirect into headers of the attacker's choosing.
func TestHostileSignInNext(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "hq", store.WebAdmin, "")
	evil := "/dashboard/\r\nSet-Cookie: talbar_lang=en; Path=/\r\nX-Injected: yes"
	w := newWeb(t, m)
	_, page := w.get("/dashboard/login?next=" + url.QueryEscape(evil))
	if hidden := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(page); hidden == nil || hidden[1] != "/dashboard/" {
		t.Fatalf("the sign-in form's next is %q, want /dashboard/", hidden)
	}
	for _, next := range []string{evil, "//evil.example/", "/dashboard/\\evil", "https://evil.example/dashboard/", "/dashboard/ok?x=1"} {
		w := newWeb(t, m)
		_, page := w.get("/dashboard/login")
		mm := csrfRe.FindStringSubmatch(page)
		if mm == nil {
			t.Fatal("no CSRF token on the sign-in form")
		}
		req, _ := http.NewRequest("POST", w.base+"/dashboard/login", strings.NewReader(url.Values{
			"csrf": {mm[1]}, "name": {"hq"}, "password": {dashPassword}, "next": {next}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _ := w.do(req)
		want := "/dashboard/"
		if next == "/dashboard/ok?x=1" {
			want = next
		}
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("next %q: status %d, Location %q, want %q", next, resp.StatusCode, resp.Header.Get("Location"), want)
		}
		if resp.Header.Get("X-Injected") != "" {
			t.Fatalf("next %q: the answer carries the injected header", next)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == "talbar_lang" {
				t.Fatalf("next %q: the answer sets the attacker's cookie", next)
			}
		}
	}
}

// rssBytes is this process's resident memory (the server runs in the test process).
func rssBytes(tb testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		tb.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n << 10
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}

// bigPost sends a request announcing size bytes of body and writes spaces until the server
// answers or closes; it returns the answer's status (0 if none).
func bigPost(addr, path string, size int, hdr string) int {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return -1
	}
	defer conn.Close()
	status := make(chan int, 1)
	go func() {
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n", path, size, hdr)
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write(chunk[:min(len(chunk), size-sent)]); err != nil {
			break
		}
		select {
		case st := <-status:
			return st
		default:
		}
	}
	select {
	case st := <-status:
		return st
	case <-time.After(10 * time.Second):
		return 0
	}
}

// TestHostileUnauthenticatedBodies: D5. Sixteen concurrent 31 MiB bodies to enroll, sign-in and
// a push without a token are refused after a few KiB; the server's memory barely moves (the
// audited server buffered each whole: 163 MB to 604 MB).
func TestHostileUnauthenticatedBodies(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	runtime.GC()
	base := rssBytes(t)
	var peak atomic.Int64
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
				if r := rssBytes(t); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	paths := []string{"/api/v1/enroll", "/dashboard/login", "/api/v1/push"}
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = bigPost(m.Addr(), paths[i%len(paths)], 31<<20, "")
		}()
	}
	wg.Wait()
	close(stop)
	for i, st := range statuses {
		want := http.StatusRequestEntityTooLarge
		if paths[i%len(paths)] == "/api/v1/push" {
			want = http.StatusUnauthorized
		}
		if st != want {
			t.Errorf("request %d to %s: status %d, want %d", i, paths[i%len(paths)], st, want)
		}
	}
	grew := peak.Load() - base
	t.Logf("RSS %d MB before, peak %d MB during 16 unauthenticated 31 MiB bodies", base>>20, peak.Load()>>20)
	if grew > 64<<20 {
		t.Fatalf("RSS grew by %d MB", grew>>20)
	}
	// The server still answers, and an honest enrollment still works.
	enrollDevice(t, m, "MN6501", "inspector")
}

// TestHostileEpoch: D6. One ordinary device pulling from a made-up cursor is told cursor_ahead
// but the national epoch stays; only devices of two inspectors doing so rotate it.
func TestHostileEpoch(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	b := enrollDevice(t, m, "MN6504", "inspector")
	epoch := func() string {
		var h struct {
			Epoch string `json:"epoch"`
		}
		if st := a.do("GET", "/api/v1/healthz", nil, &h); st != 200 || h.Epoch == "" {
			t.Fatalf("healthz %d %+v", st, h)
		}
		return h.Epoch
	}
	before := epoch()
	for i := 0; i < 3; i++ {
		var e syncproto.ErrorBody
		if st := a.do("GET", "/api/v1/pull?since=999999999999", nil, &e); st != http.StatusConflict || e.Error.Code != syncproto.ErrCursorAhead {
			t.Fatalf("pull ahead: %d %+v", st, e)
		}
	}
	if epoch() != before {
		t.Fatal("one device's made-up cursor rotated the national epoch")
	}
	b.do("GET", "/api/v1/pull?since=999999999999", nil, nil)
	if epoch() == before {
		t.Fatal("two inspectors' devices beyond the log did not rotate the epoch")
	}
}

// TestHostileEnrollment: D12. Guessing codes is refused with 429 after 20 failures a minute and
// each failure is logged; a new code cancels the inspector's older unused one; an administrator
// cancels unused codes from the devices page and from the command line.
func TestHostileEnrollment(t *testing.T) {
	m, logs := runMainLogged(t)
	ctx := context.Background()
	c := &client{tb: t, base: "http://" + m.Addr()}
	statuses := map[int]int{}
	for i := 0; i < 40; i++ {
		var e syncproto.ErrorBody
		st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: fmt.Sprintf("Z%03d-AAAA-BBBB", i)}, &e)
		statuses[st]++
	}
	if statuses[http.StatusUnauthorized] != 20 || statuses[http.StatusTooManyRequests] != 20 {
		t.Fatalf("40 guesses answered %v, want 20×401 then 20×429", statuses)
	}
	if n := strings.Count(logs.String(), "enrollment failed"); n != 20 {
		t.Fatalf("%d failures logged, want 20", n)
	}
	if strings.Contains(logs.String(), "Z001") {
		t.Fatal("a guessed code reached the log")
	}

	in, err := m.Store.CreateInspector(ctx, "Должин", "MN6501", "inspector")
	if err != nil {
		t.Fatal(err)
	}
	old, _ := m.Store.IssueCode(ctx, in.ID, time.Hour)
	fresh, _ := m.Store.IssueCode(ctx, in.ID, time.Hour)
	// 127.0.0.1 is now limited, so these enroll through the store.
	if _, _, err := m.Store.Enroll(ctx, old, "old", "test"); !errors.Is(err, store.ErrCodeExpired) {
		t.Fatalf("the older code after a new one: %v, want expired", err)
	}
	// Cancelled from the dashboard by an administrator.
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	if st, body := w.post("/dashboard/devices/cancel-codes", url.Values{"inspector": {in.ID}}); st != http.StatusSeeOther && st != http.StatusOK {
		t.Fatalf("cancel from the dashboard: %d %.300s", st, body)
	}
	if _, _, err := m.Store.Enroll(ctx, fresh, "fresh", "test"); !errors.Is(err, store.ErrCodeExpired) {
		t.Fatalf("a cancelled code: %v, want expired", err)
	}
	if _, body := w.get("/dashboard/devices"); !strings.Contains(body, `action="/dashboard/devices/cancel-codes"`) {
		t.Fatal("the devices page has no cancel button")
	}
	// And from the command line.
	third, _ := m.Store.IssueCode(ctx, in.ID, time.Hour)
	var out, errb bytes.Buffer
	if err := commands["inspector cancel-codes"](ctx, []string{"--db", m.Config.DB, "--id", in.ID}, &out, &errb); err != nil {
		t.Fatalf("cancel-codes: %v %s", err, errb.String())
	}
	if !strings.Contains(out.String(), "1 unused enrollment codes cancelled") {
		t.Fatalf("cancel-codes said %q", out.String())
	}
	if _, _, err := m.Store.Enroll(ctx, third, "third", "test"); !errors.Is(err, store.ErrCodeExpired) {
		t.Fatalf("a code cancelled from the command line: %v, want expired", err)
	}
}

// TestHostileCSVFormula: D15. A formula after a semicolon, or after leading spaces, cannot become
// a cell of its own in a spreadsheet that splits on semicolons.
func TestHostileCSVFormula(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dev := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	places := []string{"Bazaar;=1+1;", "x;=cmd|' /C calc'!A0;", "  =1+1", "Bazaar, =2+2"}
	for _, pl := range places {
		fields, _ := json.Marshal(map[string]any{"kind": "open_day", "date": demoDate(1, 1), "unit": "MN6501", "place": pl})
		if r := dev.push(dev.change(newID(), "event", syncproto.OpUpsert, string(fields))); len(r.Accepted) != 1 {
			t.Fatalf("push %q: %+v", pl, r)
		}
	}
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	st, body := w.get("/dashboard/export/events.csv?lang=en&year=" + strconv.Itoa(demoYear()))
	if st != 200 {
		t.Fatalf("export status %d", st)
	}
	// Read as a spreadsheet set up for a decimal comma does: fields split on ';', quotes kept.
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes = ';', -1, true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if c := strings.TrimLeft(cell, " "); c != "" && strings.ContainsRune("=+@", rune(c[0])) {
				t.Errorf("a ';' reader sees the cell %q", cell)
			}
		}
	}
	// Read as CSV, each place is one cell, defused where it starts a formula.
	rows, err = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, row := range rows[1:] {
		for _, cell := range row {
			got[cell] = true
		}
	}
	for _, want := range []string{"Bazaar;'=1+1;", "x;'=cmd|' /C calc'!A0;", "  '=1+1", "Bazaar, '=2+2"} {
		if !got[want] {
			t.Errorf("no cell %q in the export", want)
		}
	}
}

// TestHostileExportFails: D16. An export that fails part-way (here a record state the store
// cannot decode) answers an error, not a 200 with a truncated file.
func TestHostileExportFails(t *testing.T) {
	db := tempDB(t)
	m := MustRunMain(t, db)
	dev := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	for i := 0; i < 3; i++ {
		fields, _ := json.Marshal(map[string]any{"kind": "open_day", "date": demoDate(1, 1), "unit": "MN6501", "place": "p"})
		dev.push(dev.change(newID(), "event", syncproto.OpUpsert, string(fields)))
	}
	raw, err := sql.Open("sqlite", "file:"+db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE records SET state = '{"broken":' WHERE id = (SELECT max(id) FROM records)`); err != nil {
		t.Fatal(err)
	}
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	for _, ext := range []string{"csv", "xlsx"} {
		req, _ := http.NewRequest("GET", w.base+"/dashboard/export/events."+ext+"?year="+strconv.Itoa(demoYear()), nil)
		resp, err := w.c.Do(req)
		if err != nil {
			continue // a connection cut mid-download is a failure the browser shows too
		}
		_, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 && rerr == nil {
			t.Errorf("events.%s: 200 and a complete body from a failed export", ext)
		}
	}
}

// TestHostileFilePermissions: D16. The server creates its data folder 0700 and its database and
// WAL 0600, whatever the umask; an existing 0644 file is narrowed.
func TestHostileFilePermissions(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "data")
	db := filepath.Join(dir, "talbar.db")
	m := MustRunMain(t, db)
	enrollDevice(t, m, "MN6501", "inspector")
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder %v %v, want 0700", fi.Mode().Perm(), err)
	}
	for _, p := range []string{db, db + "-wal", db + ".highwater"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", filepath.Base(p), fi.Mode().Perm(), err)
		}
	}
}

// TestHostileDashboardBodies: D5 for the dashboard. Signed in, the report's six notes of 6 000
// Cyrillic letters (~220 KB URL-encoded, over the 64 KiB a stranger may send) are saved; without
// a session a big form is refused before it is read.
func TestHostileDashboardBodies(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	form := url.Values{"unit": {"MN"}, "year": {strconv.Itoa(demoYear())}, "half": {"1"}}
	for _, sec := range []string{"summary", "measures", "problems", "plans", "a", "b"} {
		form.Set("note."+sec, strings.Repeat("ё", 6000))
	}
	if st, body := w.post("/dashboard/report/notes", form); st == http.StatusRequestEntityTooLarge || st >= 500 {
		t.Fatalf("report notes of %d bytes: status %d %.200s", len(form.Encode()), st, body)
	}
	if st := bigPost(m.Addr(), "/dashboard/report/notes", 31<<20, "Content-Type: application/x-www-form-urlencoded\r\n"); st != http.StatusUnauthorized && st != http.StatusSeeOther {
		t.Fatalf("a big form without a session: status %d", st)
	}
	if st := bigPost(m.Addr(), "/DASHBOARD/login", 31<<20, ""); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("a big sign-in form: status %d, want 413", st)
	}
}
