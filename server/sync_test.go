package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"talbar/server/store"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

func rejectedCodes(r syncproto.PushResponse) map[string]string {
	m := map[string]string{}
	for _, x := range r.Rejected {
		m[x.ID] = x.Code
	}
	return m
}

// TestPushMixedBatch pushes valid, invalid and out-of-scope changes together, then the same push
// again, and checks every id's fate, the totals at three levels, paging pulls and a restart.
func TestPushMixedBatch(t *testing.T) {
	db := tempDB(t)
	m := MustRunMain(t, db)
	a := enrollDevice(t, m, "MN6501", "inspector")
	b := enrollDevice(t, m, "MN6501", "inspector")
	officer := enrollDevice(t, m, "MN-073", "officer")
	district := enrollDevice(t, m, "MN1101", "inspector")

	ev := a.event("MN6501", "herder_meeting", 40, `,"occasion":"livestock_census","colour":"blue"`)
	sv := a.change(newID(), "survey", "upsert", `{"date":"2026-05-14","unit":"MN6501","target_group":"herders",
		"age_band":"35-44","insurance_status":"voluntary","info_access":"no","satisfaction":5}`)
	negative := a.event("MN6501", "open_day", -3, "")
	foreign := a.event("MN1101", "open_day", 3, "")
	unknownEntity := a.change(newID(), "meeting", "upsert", `{"date":"2026-05-14"}`)
	badOp := a.change(newID(), "event", "merge", `{"notes":"x"}`)
	badHLC := a.event("MN6501", "open_day", 1, "")
	badHLC.HLC = "2026-05-14T10:00"
	badID := a.event("MN6501", "open_day", 1, "")
	badID.RecordID = "not-a-uuid"
	ghostDelete := a.change(newID(), "event", "delete", "")
	incomplete := a.change(newID(), "event", "upsert", `{"kind":"open_day"}`)
	batch := []syncproto.Change{ev, sv, negative, foreign, unknownEntity, badOp, badHLC, badID, ghostDelete, incomplete}

	r1 := a.push(batch...)
	if got, want := r1.Accepted, []string{ev.ID, sv.ID}; !slices.Equal(got, want) {
		t.Fatalf("accepted=%v, want %v", got, want)
	}
	wantRejected := map[string]string{
		negative.ID: syncproto.RejectInvalid, foreign.ID: syncproto.RejectOutOfScope,
		unknownEntity.ID: syncproto.RejectUnknownEntity, badOp.ID: syncproto.RejectInvalidOp,
		badHLC.ID: syncproto.RejectInvalidHLC, badID.ID: syncproto.RejectInvalidID,
		ghostDelete.ID: syncproto.RejectNotFound, incomplete.ID: syncproto.RejectInvalid,
	}
	if got := rejectedCodes(r1); fmt.Sprint(got) != fmt.Sprint(wantRejected) {
		t.Fatalf("rejected=%v\nwant %v", got, wantRejected)
	}
	for _, rj := range r1.Rejected {
		if rj.ID == negative.ID && (len(rj.Problems) != 1 || rj.Problems[0].Field != "reached.herders" || rj.Problems[0].Code != "negative") {
			t.Fatalf("negative count problems=%+v", rj.Problems)
		}
	}
	if len(r1.Warnings) != 1 || r1.Warnings[0].ID != ev.ID || r1.Warnings[0].Code != syncproto.WarnUnknownField {
		t.Fatalf("warnings=%+v", r1.Warnings)
	}
	if r1.ServerEpoch == "" || len(r1.ServerHLC) != 16 {
		t.Fatalf("epoch=%q hlc=%q", r1.ServerEpoch, r1.ServerHLC)
	}

	// The same push again: what was accepted is now a duplicate, the rest is rejected again.
	r2 := a.push(batch...)
	if !slices.Equal(r2.Duplicates, r1.Accepted) || len(r2.Accepted) != 0 || len(r2.Rejected) != len(r1.Rejected) {
		t.Fatalf("second push: accepted=%v duplicates=%v rejected=%d", r2.Accepted, r2.Duplicates, len(r2.Rejected))
	}

	// An edit from 40 to 45 moves the total by 5; a stale edit moves nothing.
	stale := a.change(ev.RecordID, "event", "upsert", `{"reached":{"herders":1000}}`)
	stale.HLC = hlc.New(1, 0).String()
	edit := b.change(ev.RecordID, "event", "upsert", `{"reached":{"herders":45}}`)
	if r := b.push(edit, stale); len(r.Accepted) != 2 {
		t.Fatalf("edit: %+v", r)
	}
	// Another unit may neither edit the record nor file one as another entity.
	if r := district.push(district.change(ev.RecordID, "event", "upsert", `{"notes":"mine"}`)); len(r.Rejected) != 1 || r.Rejected[0].Code != syncproto.RejectOwnedElsewhere {
		t.Fatalf("foreign edit: %+v", r)
	}
	if r := a.push(a.change(ev.RecordID, "survey", "upsert", `{"satisfaction":3}`)); len(r.Rejected) != 1 || r.Rejected[0].Code != syncproto.RejectEntityMismatch {
		t.Fatalf("entity mismatch: %+v", r)
	}

	for _, unit := range []string{"MN6501", "MN"} {
		tot := a.totals(unit, 2026)
		for path, want := range map[string]float64{"events.total": 1, "events.herder_meeting": 1, "reached.herders": 45,
			"reached.total": 45, "consultations": 2, "surveys.responses": 1, "surveys.info_no": 1, "surveys.satisfied": 1} {
			if got := num(tot, path); got != want {
				t.Errorf("%s %s=%v, want %v", unit, path, got, want)
			}
		}
	}
	if got := num(officer.totals("MN-073", 2026), "reached.herders"); got != 45 {
		t.Errorf("aimag reached.herders=%v", got)
	}
	// Scope of views: an inspector may not read another aimag's totals.
	if st := a.do("GET", "/api/v1/totals?year=2026&unit=MN-1", nil, nil); st != http.StatusForbidden {
		t.Errorf("foreign totals status=%d", st)
	}

	var k struct {
		Indicators []struct {
			ID     string
			Target *float64
			Actual *float64
			N      int64
			Status string
		}
	}
	if st := a.do("GET", "/api/v1/kpis?year=2026&unit=MN", nil, &k); st != 200 || len(k.Indicators) != 4 {
		t.Fatalf("kpis status %d: %+v", st, k)
	}
	for _, in := range k.Indicators {
		switch in.ID {
		case "cannot_get_info_pct":
			if in.Actual == nil || *in.Actual != 100 || in.N != 1 || in.Status != "no_target" { // no 2026 target seeded: an actual without a target
				t.Errorf("info kpi=%+v", in)
			}
		case "mandatory_insured":
			if in.Actual != nil || in.Status != "no_data" {
				t.Errorf("mandatory kpi=%+v", in)
			}
		}
	}
	// The survey indicators are measured per soum and per aimag too; coverage is national only.
	for _, who := range []struct {
		c    *client
		unit string
	}{{a, "MN6501"}, {officer, "MN-073"}} {
		if st := who.c.do("GET", "/api/v1/kpis?year=2026&unit="+who.unit, nil, &k); st != 200 {
			t.Fatalf("kpis %s status %d", who.unit, st)
		}
		if sat := k.Indicators[3]; sat.ID != "satisfaction_pct" || sat.Actual == nil || *sat.Actual != 100 || sat.N != 1 {
			t.Errorf("%s satisfaction=%+v", who.unit, sat)
		}
		if cov := k.Indicators[0]; cov.Target != nil || cov.Status != "no_data" {
			t.Errorf("%s coverage=%+v", who.unit, cov)
		}
	}
	// Headquarters enters a later year's official figures: no code change needed.
	target, actual := 700000.0, 690000.0
	if err := m.Store.SetTarget(context.Background(), syncproto.Target{Indicator: "mandatory_insured", Year: 2026, Target: &target, Actual: &actual}); err != nil {
		t.Fatal(err)
	}
	if err := m.Store.SetBaseline(context.Background(), store.Baseline{Indicator: "mandatory_insured", Year: 2025, Value: 680000}); err != nil {
		t.Fatal(err)
	}
	var kb struct {
		Indicators []struct {
			ID           string
			Baseline     float64
			BaselineYear int `json:"baseline_year"`
			Actual       *float64
			Status       string
		}
	}
	a.do("GET", "/api/v1/kpis?year=2026&unit=MN", nil, &kb)
	if cov := kb.Indicators[0]; cov.Actual == nil || *cov.Actual != actual || cov.Status != "not_met" || cov.Baseline != 680000 || cov.BaselineYear != 2025 {
		t.Errorf("entered coverage=%+v", cov)
	}
	if st := a.do("GET", "/api/v1/kpis?year=2019&unit=MN", nil, &k); st != 200 || k.Indicators[0].Target == nil || *k.Indicators[0].Target != 659015 {
		t.Fatalf("2019 kpis: %+v", k.Indicators[0])
	}

	// Pull in pages of one: b sees a's changes in order, none of its own; the district sees none.
	var pulled []string
	cursor := "0"
	for page := 0; page < 20; page++ {
		var p syncproto.PullResponse
		if st := b.do("GET", "/api/v1/pull?limit=1&since="+cursor, nil, &p); st != 200 {
			t.Fatalf("pull status %d", st)
		}
		if page == 0 && (p.Reference == nil || len(p.Reference.Units) != 363) {
			t.Fatalf("first page carries no reference data")
		}
		for _, c := range p.Changes {
			pulled = append(pulled, c.ID)
			if c.DeviceID != a.device {
				t.Fatalf("change %s device_id=%q", c.ID, c.DeviceID)
			}
		}
		cursor = p.Cursor
		if !p.More {
			break
		}
	}
	if want := []string{ev.ID, sv.ID}; !slices.Equal(pulled, want) {
		t.Fatalf("b pulled %v, want %v", pulled, want)
	}
	var dp syncproto.PullResponse
	district.do("GET", "/api/v1/pull", nil, &dp)
	if len(dp.Changes) != 0 {
		t.Fatalf("district pulled %d changes of another soum", len(dp.Changes))
	}
	var op syncproto.PullResponse
	officer.do("GET", "/api/v1/pull?limit=100", nil, &op)
	if len(op.Changes) != 4 { // ev, sv, edit, stale
		t.Fatalf("officer pulled %d changes, want 4", len(op.Changes))
	}

	// A restart on the same file changes nothing.
	before := a.totals("MN", 2026)
	epoch := m.Store.Epoch()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m2 := MustRunMain(t, db)
	a.base = "http://" + m2.Addr()
	if got := a.totals("MN", 2026); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("after restart totals=%v, want %v", got, before)
	}
	if m2.Store.Epoch() != epoch {
		t.Fatal("epoch changed on restart")
	}
}

// TestKill9 pushes to a server process, kills it with SIGKILL and checks that a restarted one
// has every accepted change and the same totals.
func TestKill9(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "talbar-server")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := tempDB(t)
	out, err := exec.Command(bin, "inspector", "add", "--db", db, "--name", "Батаа", "--unit", "MN6501").Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	code := lines[len(lines)-1]

	start := func() (*exec.Cmd, string) {
		port := freePort(t)
		cmd := exec.Command(bin, "serve", "--addr", port, "--db", db)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, "http://"+port)
		return cmd, "http://" + port
	}
	cmd, base := start()
	c := &client{tb: t, base: base, clock: &hlc.Clock{}}
	var er syncproto.EnrollResponse
	if st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: code}, &er); st != 201 {
		t.Fatalf("enroll %d", st)
	}
	c.token, c.device = er.Token, er.DeviceID
	var changes []syncproto.Change
	for i := 0; i < 300; i++ {
		changes = append(changes, c.event("MN6501", "market_day", i%7, ""))
	}
	if r := c.push(changes...); len(r.Accepted) != 300 {
		t.Fatalf("accepted %d", len(r.Accepted))
	}
	before := c.totals("MN", 2026)
	cmd.Process.Kill() // SIGKILL: no shutdown, no checkpoint
	cmd.Wait()

	cmd2, base2 := start()
	defer func() { cmd2.Process.Kill(); cmd2.Wait() }()
	c.base = base2
	if got := c.totals("MN", 2026); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("after kill -9 totals=%v, want %v", got, before)
	}
	if r := c.push(changes...); len(r.Duplicates) != 300 {
		t.Fatalf("after kill -9: %d duplicates, want 300", len(r.Duplicates))
	}
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func waitHealthy(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/v1/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s never became healthy", base)
}

// TestConcurrentPushesAndPull has several devices push while another pulls in a loop: the
// puller ends with every committed change, none skipped, none twice.
func TestConcurrentPushesAndPull(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	const devices, batches, perBatch = 4, 15, 40
	var pushers []*client
	for i := 0; i < devices; i++ {
		pushers = append(pushers, enrollDevice(t, m, "MN6501", "inspector"))
	}
	puller := enrollDevice(t, m, "MN-073", "officer")

	// Changes are built here, in the test's goroutine; pushers report errors instead of failing.
	type result struct {
		ids []string
		err error
	}
	done := make(chan result, devices)
	for _, p := range pushers {
		var all [][]syncproto.Change
		for b := 0; b < batches; b++ {
			var cs []syncproto.Change
			for i := 0; i < perBatch; i++ {
				cs = append(cs, p.event("MN6501", "open_day", 1, ""))
			}
			all = append(all, cs)
		}
		go func(p *client, all [][]syncproto.Change) {
			var ids []string
			for _, cs := range all {
				r, err := p.tryPush(cs...)
				if err != nil {
					done <- result{ids, err}
					return
				}
				ids = append(ids, r.Accepted...)
			}
			done <- result{ids, nil}
		}(p, all)
	}
	seen := map[string]int{}
	cursor := "0"
	pull := func() bool {
		var p syncproto.PullResponse
		if st := puller.do("GET", "/api/v1/pull?limit=37&since="+cursor, nil, &p); st != 200 {
			t.Errorf("pull status %d", st)
			return false
		}
		for _, c := range p.Changes {
			seen[c.ID]++
		}
		cursor = p.Cursor
		return p.More
	}
	var committed []string
	finished := 0
	for finished < devices {
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatal(r.err)
			}
			committed = append(committed, r.ids...)
			finished++
		default:
			pull()
		}
	}
	for pull() {
	}
	if len(committed) != devices*batches*perBatch {
		t.Fatalf("committed %d", len(committed))
	}
	for _, id := range committed {
		if seen[id] != 1 {
			t.Fatalf("change %s pulled %d times", id, seen[id])
		}
	}
	if len(seen) != len(committed) {
		t.Fatalf("pulled %d distinct, committed %d", len(seen), len(committed))
	}
}

// TestWholeRequestErrors covers 400, 401, 413, 415, 426 and 503 over real HTTP.
func TestWholeRequestErrors(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	push := func(body []byte, hdr map[string]string) (int, string) {
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range hdr {
			h[k] = v
		}
		st, b := a.raw("POST", "/api/v1/push", bytes.NewReader(body), h)
		var e syncproto.ErrorBody
		_ = json.Unmarshal(b, &e)
		return st, e.Error.Code
	}
	good, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{a.event("MN6501", "open_day", 1, "")}})

	t.Run("400 malformed", func(t *testing.T) {
		if st, code := push([]byte(`{"protocol":2,"changes":[`), nil); st != 400 || code != syncproto.ErrMalformed {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("400 another device's id", func(t *testing.T) {
		b, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: newID()})
		if st, code := push(b, nil); st != 400 || code != syncproto.ErrMalformed {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("401 bad token", func(t *testing.T) {
		c := *a
		c.token = "nope"
		st, b := c.raw("POST", "/api/v1/push", bytes.NewReader(good), nil)
		var e syncproto.ErrorBody
		_ = json.Unmarshal(b, &e)
		// A token no device has: the server cannot tell a made-up one from an enrollment a
		// restore lost, and says the latter (a revoked token is unauthorized, below).
		if st != 401 || e.Error.Code != syncproto.ErrDeviceUnknown {
			t.Fatalf("%d %s", st, e.Error.Code)
		}
	})
	t.Run("401 revoked token", func(t *testing.T) {
		d := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
		if err := m.Store.RevokeDevice(context.Background(), d.device); err != nil {
			t.Fatal(err)
		}
		st, b := d.raw("POST", "/api/v1/push", bytes.NewReader(good), nil)
		var e syncproto.ErrorBody
		_ = json.Unmarshal(b, &e)
		if st != 401 || e.Error.Code != syncproto.ErrUnauthorized {
			t.Fatalf("%d %s", st, e.Error.Code)
		}
	})
	t.Run("413 millions of empty changes, gzipped", func(t *testing.T) {
		body := gz([]byte(`{"protocol":2,"changes":[` + strings.Repeat(`{},`, 2_000_000) + `{}]}`))
		start := time.Now()
		if st, code := push(body, map[string]string{"Content-Encoding": "gzip"}); st != 413 || code != syncproto.ErrTooLarge {
			t.Fatalf("%d %s", st, code)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("refusing took %v", d)
		}
	})
	t.Run("426 before a body protocol 2 cannot read", func(t *testing.T) {
		if st, code := push([]byte(`{"protocol":3,"changes":{"v3":true}}`), nil); st != 426 || code != syncproto.ErrProtocol {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("415 encoding", func(t *testing.T) {
		if st, code := push(good, map[string]string{"Content-Encoding": "br"}); st != 415 || code != syncproto.ErrEncoding {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("426 protocol", func(t *testing.T) {
		for _, v := range []int{1, 3} {
			b, _ := json.Marshal(syncproto.PushRequest{Protocol: v})
			if st, code := push(b, nil); st != 426 || code != syncproto.ErrProtocol {
				t.Fatalf("protocol %d: %d %s", v, st, code)
			}
		}
	})
	t.Run("413 too many changes", func(t *testing.T) {
		req := syncproto.PushRequest{Protocol: syncproto.Protocol}
		for i := 0; i < syncproto.MaxChanges+1; i++ {
			req.Changes = append(req.Changes, syncproto.Change{ID: "x"})
		}
		b, _ := json.Marshal(req)
		if st, code := push(b, nil); st != 413 || code != syncproto.ErrTooLarge {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("413 gzip bomb", func(t *testing.T) {
		bomb := gz(append([]byte(`{"protocol":2,"changes":[],"pad":"`), bytes.Repeat([]byte("a"), 64<<20)...))
		if len(bomb) > 1<<20 {
			t.Fatalf("bomb is %d bytes compressed", len(bomb))
		}
		if st, code := push(bomb, map[string]string{"Content-Encoding": "gzip"}); st != 413 || code != syncproto.ErrTooLarge {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("413 raw body over limit", func(t *testing.T) {
		big := append([]byte(`{"protocol":2,"pad":"`), bytes.Repeat([]byte("a"), syncproto.MaxBodyBytes+10)...)
		if st, code := push(big, nil); st != 413 || code != syncproto.ErrTooLarge {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("gzip accepted", func(t *testing.T) {
		if st, _ := push(gz(good), map[string]string{"Content-Encoding": "gzip"}); st != 200 {
			t.Fatalf("%d", st)
		}
	})
	t.Run("401 revoked", func(t *testing.T) {
		if err := m.Store.RevokeDevice(context.Background(), a.device); err != nil {
			t.Fatal(err)
		}
		if st, code := push(good, nil); st != 401 || code != syncproto.ErrUnauthorized {
			t.Fatalf("%d %s", st, code)
		}
	})
	t.Run("503 store closed", func(t *testing.T) {
		b := enrollDevice(t, m, "MN6501", "inspector")
		m.Store.Close()
		st, body := b.raw("GET", "/api/v1/healthz", nil, nil)
		if st != 503 {
			t.Fatalf("healthz %d %s", st, body)
		}
		st, body = b.raw("POST", "/api/v1/push", bytes.NewReader(good), map[string]string{"Content-Type": "application/json"})
		if st != 503 {
			t.Fatalf("push %d %s", st, body)
		}
	})
}

// TestEnrollCodes: a wrong code, a used code and an expired code each say so.
func TestEnrollCodes(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	ctx := context.Background()
	in, err := m.Store.CreateInspector(ctx, "Должин", "MN6501", "inspector")
	if err != nil {
		t.Fatal(err)
	}
	// The expired code first: a new code cancels the inspector's older unused ones.
	expired, _ := m.Store.IssueCode(ctx, in.ID, -time.Second)
	code, _ := m.Store.IssueCode(ctx, in.ID, time.Hour)
	c := &client{tb: t, base: "http://" + m.Addr()}
	try := func(code string) (int, string) {
		var e syncproto.ErrorBody
		st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: code}, &e)
		return st, e.Error.Code
	}
	if st, _ := try(strings.ToLower(code)); st != 201 { // typed in lower case: still good
		t.Fatalf("good code: %d", st)
	}
	for _, tc := range []struct{ code, want string }{{code, syncproto.ErrCodeUsed}, {expired, syncproto.ErrCodeExpired}, {"AAAA-BBBB-CCCC", syncproto.ErrCodeUnknown}} {
		if st, got := try(tc.code); st != 401 || got != tc.want {
			t.Errorf("code %s: %d %s, want 401 %s", tc.code, st, got, tc.want)
		}
	}
	if _, err := m.Store.CreateInspector(ctx, "x", "MN-073", "inspector"); err == nil {
		t.Error("an inspector of an aimag was accepted")
	}
	ids := []string{}
	ins, _ := m.Store.Inspectors(ctx)
	for _, i := range ins {
		ids = append(ids, i.ID)
	}
	sort.Strings(ids)
	if len(ids) != 1 {
		t.Fatalf("inspectors=%v", ids)
	}
}

// TestMoveBetweenSoums: an officer corrects a record's soum. Devices of the new soum receive the
// whole record, devices of the old one learn that it left, and the totals move with it.
func TestMoveBetweenSoums(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	a := enrollDevice(t, m, "MN6501", "inspector")
	officer := enrollDevice(t, m, "MN-073", "officer")
	b := enrollDevice(t, m, "MN6504", "inspector")
	ev := a.event("MN6501", "open_day", 12, `,"place":"Төв талбай"`)
	a.push(ev)
	if r := officer.push(officer.change(ev.RecordID, "event", "upsert", `{"unit":"MN6504"}`)); len(r.Accepted) != 1 {
		t.Fatalf("move: %+v", r)
	}
	if got := num(officer.totals("MN6501", 2026), "reached.herders"); got != 0 {
		t.Errorf("old soum still counts %v", got)
	}
	if got := num(officer.totals("MN6504", 2026), "reached.herders"); got != 12 {
		t.Errorf("new soum counts %v", got)
	}
	pull := func(c *client) map[string]json.RawMessage {
		var p syncproto.PullResponse
		if st := c.do("GET", "/api/v1/pull?limit=100", nil, &p); st != 200 {
			t.Fatalf("pull %d", st)
		}
		merged := map[string]json.RawMessage{}
		for _, ch := range p.Changes {
			for k, v := range ch.Fields {
				merged[k] = v // the test's changes never conflict, so plain overwriting is the merge
			}
		}
		return merged
	}
	if got := pull(b); string(got["kind"]) != `"open_day"` || string(got["place"]) != `"Төв талбай"` || string(got["unit"]) != `"MN6504"` {
		t.Errorf("new soum's device got %v", got)
	}
	old := enrollDevice(t, m, "MN6501", "inspector")
	if got := pull(old); string(got["unit"]) != `"MN6504"` {
		t.Errorf("old soum's device did not learn of the move: %v", got)
	}
}

// TestShutdownFinishesInflightPush closes the server while a large push is being merged: the push
// still gets its answer and everything it accepted is there after a restart.
func TestShutdownFinishesInflightPush(t *testing.T) {
	db := tempDB(t)
	m := MustRunMain(t, db)
	a := enrollDevice(t, m, "MN6501", "inspector")
	var changes []syncproto.Change
	for i := 0; i < syncproto.MaxChanges; i++ {
		changes = append(changes, a.event("MN6501", "herder_meeting", 1, `,"notes":"`+strings.Repeat("ж", 200)+`"`))
	}
	body, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: changes})
	type result struct {
		status int
		resp   syncproto.PushResponse
	}
	done := make(chan result, 1)
	go func() {
		st, b := a.raw("POST", "/api/v1/push", bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
		var r syncproto.PushResponse
		_ = json.Unmarshal(b, &r)
		done <- result{st, r}
	}()
	// Wait until the push is being merged, then shut down.
	deadline := time.Now().Add(10 * time.Second)
	for m.API.InflightPushes() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if m.API.InflightPushes() == 0 {
		t.Fatal("push never started")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.status != 200 || len(r.resp.Accepted) != syncproto.MaxChanges {
		t.Fatalf("in-flight push: status %d, accepted %d", r.status, len(r.resp.Accepted))
	}
	m2 := MustRunMain(t, db)
	a.base = "http://" + m2.Addr()
	if got := num(a.totals("MN6501", 2026), "events.total"); got != syncproto.MaxChanges {
		t.Fatalf("after restart events=%v, want %d", got, syncproto.MaxChanges)
	}
}
