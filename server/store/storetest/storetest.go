// Package storetest is the contract every server/store.Store passes: Run drives a backend
// through enrollment, users, push and pull, totals, targets, epochs, restore detection, the
// dashboard's queries and a property test of any delivery order. A new backend is done when
// Run passes against it.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"talbar/assets"
	"talbar/server/push"
	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// Config is what a test asks of a new, empty store.
type Config struct {
	Units *unit.Tree
	Now   func() time.Time // nil for the wall clock
}

// Opener makes a new, empty store for one test and closes it when tb ends.
type Opener func(tb testing.TB, cfg Config) store.Store

// Units is the country's unit tree.
func Units(tb testing.TB) *unit.Tree {
	tb.Helper()
	t, err := tree()
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

var tree = sync.OnceValues(func() (*unit.Tree, error) { return unit.Parse(bytes.NewReader(assets.UnitsCSV())) })

// Push pushes through the one push engine, as the API does.
func Push(ctx context.Context, s store.Store, p store.Principal, req syncproto.PushRequest) (syncproto.PushResponse, error) {
	t, err := tree()
	if err != nil {
		return syncproto.PushResponse{}, err
	}
	return (&push.Engine{Store: s, Units: t}).Push(ctx, p, req)
}

// Run runs the whole contract against stores made by open.
func Run(t *testing.T, open Opener) {
	for _, c := range []struct {
		name string
		f    func(*testing.T, Opener)
	}{
		{"Enrollment", testEnrollment},
		{"UsersAndSessions", testUsersAndSessions},
		{"PushPull", testPushPull},
		{"PullPaging", testPullPaging},
		{"PullPageBytes", testPullPageBytes},
		{"Duplicates", testDuplicates},
		{"Rejections", testRejections},
		{"DeviceHealth", testDeviceHealth},
		{"Totals", testTotals},
		{"PeriodTotals", testPeriodTotals},
		{"Records", testRecords},
		{"TargetsAndBaselines", testTargetsAndBaselines},
		{"AnnualPlans", testAnnualPlans},
		{"ReportNotes", testReportNotes},
		{"SurveyCatalogue", testSurveyCatalogue},
		{"CancelCodes", testCancelCodes},
		{"Epoch", testEpoch},
		{"CursorAheadNeedsEvidence", testCursorAhead},
		{"MergeAnyDelivery", func(t *testing.T, open Opener) {
			for seed := int64(1); seed <= 3; seed++ {
				MergeAnyDelivery(t, open, seed, seed%2 == 0)
			}
		}},
		{"ConflictsWithDeletesAndMoves", func(t *testing.T, open Opener) {
			for seed := int64(1); seed <= 3; seed++ { // 7-20 s on PostgreSQL, by load; more seeds: FuzzConflictsWithDeletesAndMoves
				ConflictsWithDeletesAndMoves(t, open, seed)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) { c.f(t, open) })
	}
}

func newStore(t testing.TB, open Opener, now func() time.Time) store.Store {
	t.Helper()
	return open(t, Config{Units: Units(t), Now: now})
}

// Principals enrolls one device per (unit, role).
func Principals(tb testing.TB, s store.Store, specs [][2]string) []store.Principal {
	tb.Helper()
	ctx := context.Background()
	var out []store.Principal
	for _, sp := range specs {
		in, err := s.CreateInspector(ctx, "t", sp[0], sp[1])
		if err != nil {
			tb.Fatal(err)
		}
		code, err := s.IssueCode(ctx, in.ID, time.Hour)
		if err != nil {
			tb.Fatal(err)
		}
		p, _, err := s.Enroll(ctx, code, "d", "test")
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// Event is an upsert creating an event with fixed figures: 10 herders and 2 students reached,
// 3 consultations, 1 contract and 50,000 MNT of contributions.
func Event(clock *hlc.Clock, soum, date string) syncproto.Change {
	f := map[string]any{"kind": "open_day", "date": date, "unit": soum, "place": "Сумын төв",
		"reached": map[string]int{"herders": 10, "students": 2}, "materials": map[string]int{"handbook": 4},
		"consultations": 3, "contracts_signed": 1, "contributions_mnt": 50000}
	return syncproto.Change{ID: newID(), RecordID: newID(), Entity: "event", Op: syncproto.OpUpsert,
		HLC: clock.Next().String(), Fields: encode(f)}
}

func encode(f map[string]any) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for k, v := range f {
		out[k], _ = json.Marshal(v)
	}
	return out
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// mustPush sends changes and fails the test unless all are accepted.
func mustPush(t testing.TB, s store.Store, p store.Principal, cs ...syncproto.Change) syncproto.PushResponse {
	t.Helper()
	resp, err := Push(context.Background(), s, p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: cs})
	if err != nil {
		t.Fatalf("push: %v", err)
	}
	if len(resp.Accepted) != len(cs) {
		t.Fatalf("push: %d of %d accepted; rejected %+v", len(resp.Accepted), len(cs), resp.Rejected)
	}
	return resp
}

// pullAll pulls from since until no more follow and returns the change ids and the last cursor.
func pullAll(t testing.TB, s store.Store, p store.Principal, since int64, limit int) ([]string, int64) {
	t.Helper()
	var ids []string
	for {
		cs, cur, more, err := s.Pull(context.Background(), p, since, limit)
		if err != nil {
			t.Fatalf("pull: %v", err)
		}
		if cur < since {
			t.Fatalf("pull moved the cursor back from %d to %d", since, cur)
		}
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		since = cur
		if !more {
			return ids, since
		}
	}
}

func testEnrollment(t *testing.T, open Opener) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := newStore(t, open, func() time.Time { return now })
	if _, err := s.CreateInspector(ctx, "x", "MN-073", syncproto.RoleInspector); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("inspector of an aimag: %v", err)
	}
	if _, err := s.CreateInspector(ctx, "x", "MN6501", syncproto.RoleOfficer); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("officer of a soum: %v", err)
	}
	in, err := s.CreateInspector(ctx, "Бат", "MN6501", syncproto.RoleInspector)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Enroll(ctx, "nonsense", "d", "test"); !errors.Is(err, store.ErrCodeUnknown) {
		t.Fatalf("unknown code: %v", err)
	}
	code, err := s.IssueCode(ctx, in.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, token, err := s.Enroll(ctx, code, "phone", "android")
	if err != nil || p.Inspector.ID != in.ID || p.Inspector.Unit != "MN6501" || token == "" {
		t.Fatalf("enroll: %+v %q %v", p, token, err)
	}
	if _, _, err := s.Enroll(ctx, code, "phone", "android"); !errors.Is(err, store.ErrCodeUsed) {
		t.Fatalf("used code: %v", err)
	}
	late, _ := s.IssueCode(ctx, in.ID, time.Minute)
	now = now.Add(2 * time.Minute)
	if _, _, err := s.Enroll(ctx, late, "phone", "android"); !errors.Is(err, store.ErrCodeExpired) {
		t.Fatalf("expired code: %v", err)
	}
	got, err := s.Authenticate(ctx, token)
	if err != nil || got.DeviceID != p.DeviceID || got.Inspector.Name != "Бат" {
		t.Fatalf("authenticate: %+v %v", got, err)
	}
	if _, err := s.Authenticate(ctx, token+"x"); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("wrong token: %v", err)
	}
	if err := s.RevokeDevice(ctx, p.DeviceID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, token); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("revoked token: %v", err)
	}
	ins, err := s.Inspectors(ctx)
	if err != nil || len(ins) != 1 || ins[0].ID != in.ID {
		t.Fatalf("inspectors: %+v %v", ins, err)
	}
	ds, err := s.Devices(ctx)
	if err != nil || len(ds) != 1 || ds[0].RevokedAt == nil || ds[0].InspectorName != "Бат" {
		t.Fatalf("devices: %+v %v", ds, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func testUsersAndSessions(t *testing.T, open Opener) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := newStore(t, open, func() time.Time { return now })
	u, err := s.CreateUser(ctx, "hq", store.WebAdmin, "MN-073", "$2a$hash")
	if err != nil || u.Unit != "MN" {
		t.Fatalf("admin: %+v %v", u, err)
	}
	for name, tc := range map[string][3]string{
		"ErrTaken":       {"HQ", store.WebViewer, ""},
		"ErrOfficerSoum": {"o", store.WebOfficer, "MN6501"},
		"ErrUnknownRole": {"x", "inspector", ""},
		"ErrEmptyName":   {" ", store.WebViewer, ""},
	} {
		if _, err := s.CreateUser(ctx, tc[0], tc[1], tc[2], "$2a$hash"); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	got, hash, err := s.FindUserByName(ctx, "HQ")
	if err != nil || got.ID != u.ID || hash != "$2a$hash" {
		t.Fatalf("find: %+v %q %v", got, hash, err)
	}
	if _, _, err := s.FindUserByName(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	tok, sess, err := s.CreateSession(ctx, u.ID, time.Hour)
	if err != nil || len(sess.CSRF) != 64 {
		t.Fatal(err)
	}
	if s2, u2, err := s.FindSession(ctx, tok); err != nil || u2.ID != u.ID || s2.CSRF != sess.CSRF {
		t.Fatalf("find session: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if _, _, err := s.FindSession(ctx, tok); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("expired session: %v", err)
	}
	tok, _, _ = s.CreateSession(ctx, u.ID, time.Hour)
	if err := s.DeleteSession(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.FindSession(ctx, tok); !errors.Is(err, store.ErrUnauthorized) {
		t.Fatalf("deleted session: %v", err)
	}
	if _, err := s.CreateUser(ctx, "o", store.WebOfficer, "MN-073", "$2a$h"); err != nil {
		t.Fatal(err)
	}
	us, err := s.ListUsers(ctx)
	if err != nil || len(us) != 2 || us[0].Name != "hq" || us[1].Unit != "MN-073" {
		t.Fatalf("list: %+v %v", us, err)
	}
}

// testPushPull: a change reaches devices whose scope holds its soum, not its pusher or others.
func testPushPull(t *testing.T, open Opener) {
	s := newStore(t, open, nil)
	ps := Principals(t, s, [][2]string{{"MN6501", "inspector"}, {"MN6501", "inspector"}, {"MN6504", "inspector"},
		{"MN-073", "officer"}, {"MN-047", "officer"}})
	clock := &hlc.Clock{}
	a, b := Event(clock, "MN6501", "2026-05-14"), Event(clock, "MN6504", "2026-05-14")
	mustPush(t, s, ps[0], a)
	mustPush(t, s, ps[2], b)
	for i, want := range [][]string{nil, {a.ID}, nil, {a.ID, b.ID}, nil} {
		got, _ := pullAll(t, s, ps[i], 0, 100)
		if len(got) != len(want) {
			t.Fatalf("device %d pulled %v, want %v", i, got, want)
		}
		for j := range got {
			if got[j] != want[j] {
				t.Fatalf("device %d pulled %v, want %v", i, got, want)
			}
		}
	}
	cs, _, _, err := s.Pull(context.Background(), ps[1], 0, 10)
	if err != nil || len(cs) != 1 {
		t.Fatalf("pull: %v %v", cs, err)
	}
	c := cs[0]
	if c.RecordID != a.RecordID || c.Entity != "event" || c.HLC != a.HLC || c.DeviceID != "" && c.DeviceID != ps[0].DeviceID {
		t.Fatalf("pulled %+v, pushed %+v", c, a)
	}
	if string(c.Fields["consultations"]) != "3" {
		t.Fatalf("pulled fields %s", c.Fields)
	}
}

// testPullPaging: pages of a pull follow each other without loss or repetition, and a pull from
// the last cursor returns nothing until new changes come.
func testPullPaging(t *testing.T, open Opener) {
	s := newStore(t, open, nil)
	ps := Principals(t, s, [][2]string{{"MN6501", "inspector"}, {"MN6501", "inspector"}})
	clock := &hlc.Clock{}
	var want []string
	for round := 0; round < 3; round++ {
		var cs []syncproto.Change
		for i := 0; i < 7; i++ {
			cs = append(cs, Event(clock, "MN6501", "2026-03-02"))
			want = append(want, cs[len(cs)-1].ID)
		}
		mustPush(t, s, ps[0], cs...)
	}
	got, cur := pullAll(t, s, ps[1], 0, 4)
	if len(got) != len(want) {
		t.Fatalf("pulled %d of %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("change %d: pulled %s, pushed %s (order of pushes)", i, got[i], want[i])
		}
	}
	if again, _ := pullAll(t, s, ps[1], cur, 4); len(again) != 0 {
		t.Fatalf("a pull from the end returned %v", again)
	}
	later := Event(clock, "MN6501", "2026-03-03")
	mustPush(t, s, ps[0], later)
	if next, _ := pullAll(t, s, ps[1], cur, 4); len(next) != 1 || next[0] != later.ID {
		t.Fatalf("after a new push pulled %v", next)
	}
}

// testPullPageBytes: a page ends early once it holds about syncproto.MaxPullBytes, whatever its
// limit, and the next page goes on from there.
func testPullPageBytes(t *testing.T, open Opener) {
	s := newStore(t, open, nil)
	ps := Principals(t, s, [][2]string{{"MN6501", "inspector"}, {"MN6501", "inspector"}})
	clock := &hlc.Clock{}
	notes, _ := json.Marshal(strings.Repeat("т", 2000))
	var cs []syncproto.Change
	for i := 0; i < 400; i++ { // about 1.6 MB of fields
		c := Event(clock, "MN6501", "2026-03-02")
		c.Fields["notes"] = notes
		cs = append(cs, c)
	}
	mustPush(t, s, ps[0], cs...)
	page, cur, more, err := s.Pull(context.Background(), ps[1], 0, syncproto.MaxPullLimit)
	if err != nil {
		t.Fatal(err)
	}
	if !more || len(page) >= len(cs) || len(page) < 100 {
		t.Fatalf("first page: %d changes, more=%v; want it to stop near %d bytes", len(page), more, syncproto.MaxPullBytes)
	}
	rest, _ := pullAll(t, s, ps[1], cur, syncproto.MaxPullLimit)
	if len(page)+len(rest) != len(cs) {
		t.Fatalf("pulled %d + %d of %d", len(page), len(rest), len(cs))
	}
}

func testDuplicates(t *testing.T, open Opener) {
	s := newStore(t, open, nil)
	p := Principals(t, s, [][2]string{{"MN6501", "inspector"}})[0]
	clock := &hlc.Clock{}
	a, b := Event(clock, "MN6501", "2026-05-14"), Event(clock, "MN6501", "2026-05-15")
	mustPush(t, s, p, a)
	resp, err := Push(context.Background(), s, p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{a, b}})
	if err != nil || len(resp.Accepted) != 1 || resp.Accepted[0] != b.ID || len(resp.Duplicates) != 1 || resp.Duplicates[0] != a.ID {
		t.Fatalf("resend: %+v %v", resp, err)
	}
	v, err := s.Totals(context.Background(), "MN", 2026, 0)
	if err != nil || v.Get("events") != 2 {
		t.Fatalf("a duplicate moved the totals: %v %v", v, err)
	}
}

func testRejections(t *testing.T, open Opener) {
	s := newStore(t, open, nil)
	p := Principals(t, s, [][2]string{{"MN6501", "inspector"}})[0]
	clock := &hlc.Clock{}
	bad := Event(clock, "MN6501", "2026-05-14")
	bad.Fields["consultations"] = json.RawMessage(`-4`)
	away := Event(clock, "MN6504", "2026-05-14")
	resp, err := Push(context.Background(), s, p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{bad, away}})
	if err != nil || len(resp.Rejected) != 2 || len(resp.Accepted) != 0 {
		t.Fatalf("push: %+v %v", resp, err)
	}
	codes := map[string]string{}
	for _, r := range resp.Rejected {
		codes[r.ID] = r.Code
	}
	if codes[bad.ID] != syncproto.RejectInvalid || codes[away.ID] != syncproto.RejectOutOfScope {
		t.Fatalf("codes %v", codes)
	}
	kept, err := s.RecentRejections(context.Background(), 10)
	if err != nil || len(kept) != 2 {
		t.Fatalf("kept: %+v %v", kept, err)
	}
	var problems []syncproto.Problem
	for _, r := range kept {
		if r.ChangeID == bad.ID {
			problems = r.Problems
		}
		if r.DeviceID != p.DeviceID {
			t.Fatalf("rejection of device %s, pushed by %s", r.DeviceID, p.DeviceID)
		}
	}
	if len(problems) == 0 || problems[0].Field != "consultations" {
		t.Fatalf("problems kept %+v", problems)
	}
	if v, _ := s.Totals(context.Background(), "MN", 2026, 0); !v.IsZero() {
		t.Fatalf("rejected changes moved the totals: %v", v)
	}
}

func testDeviceHealth(t *testing.T, open Opener) {
	s := newStore(t, open, nil)
	p := Principals(t, s, [][2]string{{"MN6501", "inspector"}})[0]
	clock := &hlc.Clock{}
	a := Event(clock, "MN6501", "2026-05-14")
	bad := Event(clock, "MN6504", "2026-05-14")
	resp, err := Push(context.Background(), s, p, syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: []syncproto.Change{a, bad},
		Outbox: syncproto.OutboxHealth{Pending: 5, Oldest: "2026-05-14T08:00:00Z"}})
	if err != nil || len(resp.Accepted) != 1 {
		t.Fatal(resp, err)
	}
	mustPush(t, s, p)
	ds, err := s.Devices(context.Background())
	if err != nil || len(ds) != 1 {
		t.Fatal(ds, err)
	}
	d := ds[0]
	if d.Accepted != 1 || d.Rejected != 1 || d.LastPush == nil || d.LastSeen == nil {
		t.Fatalf("device health %+v", d)
	}
}

// testTotals: totals of a leaf, its aimag and the nation, by month and year, kept and recomputed.
func testTotals(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, nil)
	p := Principals(t, s, [][2]string{{"MN-073", "officer"}})[0]
	clock := &hlc.Clock{}
	mustPush(t, s, p, Event(clock, "MN6501", "2026-05-14"), Event(clock, "MN6501", "2026-05-20"),
		Event(clock, "MN6504", "2026-11-02"), Event(clock, "MN6504", "2025-12-31"))
	check := func(what string, v tally.Vector, events int64) {
		t.Helper()
		if v.Get("events") != events || v.Get("reached") != 12*events || v.Get("reached.herders") != 10*events ||
			v.Get("consultations") != 3*events || v.Get("contributions_mnt") != 50000*events || v.Get("events.open_day") != events {
			t.Fatalf("%s: %v, want %d events' figures", what, v, events)
		}
	}
	for _, c := range []struct {
		unit         string
		year, month  int
		events       int64
		recomputable bool
	}{
		{"MN6501", 2026, 0, 2, true}, {"MN6501", 2026, 5, 2, false}, {"MN6501", 2026, 11, 0, false},
		{"MN6504", 2026, 0, 1, true}, {"MN6504", 2025, 0, 1, true}, {"MN-073", 2026, 0, 3, true},
		{"MN", 2026, 0, 3, true}, {"MN", 2026, 11, 1, false}, {"MN", 2025, 12, 1, false}, {"MN-047", 2026, 0, 0, true},
	} {
		v, err := s.Totals(ctx, c.unit, c.year, c.month)
		if err != nil {
			t.Fatal(err)
		}
		check(c.unit, v, c.events)
		if c.recomputable {
			re, err := s.RecomputeTotals(ctx, c.unit, c.year)
			if err != nil {
				t.Fatal(err)
			}
			check(c.unit+" recomputed", re, c.events)
		}
	}
	months, err := s.TotalsByMonth(ctx, "MN-073", 2026)
	if err != nil {
		t.Fatal(err)
	}
	for m, v := range months {
		want := map[int]int64{4: 2, 10: 1}[m]
		check("month", v, want)
	}
	leaves, err := s.TotalsByLeaf(ctx, 2026)
	if err != nil || len(leaves) != 2 {
		t.Fatalf("by leaf: %v %v", leaves, err)
	}
	check("MN6501 by leaf", leaves["MN6501"], 2)
	if _, err := s.Totals(ctx, "XX", 2026, 0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown unit: %v", err)
	}
}

// testPeriodTotals: the dashboard's unit table for part of a year counts only those months.
func testPeriodTotals(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, nil)
	if m, err := s.TotalsByLeafMonths(ctx, 2026, 1, 6); err != nil || len(m) != 0 {
		t.Fatalf("empty store: %v %v", m, err)
	}
	p := Principals(t, s, [][2]string{{"MN-073", "officer"}})[0]
	clock := &hlc.Clock{}
	mustPush(t, s, p, Event(clock, "MN6501", "2026-02-14"), Event(clock, "MN6501", "2026-03-31"),
		Event(clock, "MN6501", "2026-04-01"), Event(clock, "MN6504", "2026-09-02"))
	for _, c := range []struct {
		from, to     int
		mn6501, n504 int64
	}{{1, 3, 2, 0}, {1, 6, 3, 0}, {7, 12, 0, 1}, {1, 12, 3, 1}, {4, 4, 1, 0}} {
		m, err := s.TotalsByLeafMonths(ctx, 2026, c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		get := func(code string) int64 {
			if v, ok := m[code]; ok {
				return v.Get("events")
			}
			return 0
		}
		if get("MN6501") != c.mn6501 || get("MN6504") != c.n504 {
			t.Fatalf("months %d-%d: MN6501 %d MN6504 %d, want %d %d", c.from, c.to, get("MN6501"), get("MN6504"), c.mn6501, c.n504)
		}
	}
}

func testRecords(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, nil)
	p := Principals(t, s, [][2]string{{"MN-073", "officer"}})[0]
	clock := &hlc.Clock{}
	a, b, c := Event(clock, "MN6501", "2026-02-14"), Event(clock, "MN6504", "2026-03-31"), Event(clock, "MN6504", "2025-03-31")
	mustPush(t, s, p, a, b, c)
	del := syncproto.Change{ID: newID(), RecordID: b.RecordID, Entity: "event", Op: syncproto.OpDelete, HLC: clock.Next().String()}
	mustPush(t, s, p, del)
	all, err := s.Records(ctx, store.RecordFilter{Entity: "event"})
	if err != nil || len(all) != 3 {
		t.Fatalf("records: %v %v", all, err)
	}
	for i := 1; i < len(all); i++ {
		if all[i-1].ID >= all[i].ID {
			t.Fatal("records not ordered by id")
		}
	}
	y, _ := s.Records(ctx, store.RecordFilter{Entity: "event", Year: 2026, Unit: "MN6504"})
	if len(y) != 1 || y[0].ID != b.RecordID || !y[0].Deleted || y[0].Version != del.HLC {
		t.Fatalf("filtered: %+v", y)
	}
	page, _ := s.Records(ctx, store.RecordFilter{Entity: "event", Limit: 2})
	rest, _ := s.Records(ctx, store.RecordFilter{Entity: "event", After: page[1].ID})
	if len(page) != 2 || len(rest) != 1 || rest[0].ID != all[2].ID {
		t.Fatalf("paging: %v then %v", page, rest)
	}
	if v, _ := s.Totals(ctx, "MN", 2026, 0); v.Get("events") != 1 {
		t.Fatalf("a deleted event still counts: %v", v)
	}
}

func testTargetsAndBaselines(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, nil)
	ts, err := s.Targets(ctx)
	if err != nil || len(ts) == 0 {
		t.Fatalf("seeded targets: %v %v", ts, err)
	}
	v := 123456.0
	if err := s.SetTarget(ctx, store.Target{Indicator: "mandatory_insured", Year: 2026, Target: &v}); err != nil {
		t.Fatal(err)
	}
	ts, _ = s.Targets(ctx)
	found := false
	for _, x := range ts {
		if x.Indicator == "mandatory_insured" && x.Year == 2026 && x.Target != nil && *x.Target == v {
			found = true
		}
	}
	if !found {
		t.Fatalf("set target not read back: %+v", ts)
	}
	for _, bad := range []float64{math.Inf(1), math.NaN(), -5} {
		if err := s.SetTarget(ctx, store.Target{Indicator: "mandatory_insured", Year: 2026, Target: &bad}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("target %v: err=%v", bad, err)
		}
	}
	bs, err := s.Baselines(ctx)
	if err != nil || len(bs) != 4 {
		t.Fatalf("baselines=%v err=%v", bs, err)
	}
	if bs[1].Indicator != "mandatory_insured" || bs[1].Value != 639820 || bs[1].Year != 2018 {
		t.Fatalf("seeded %+v", bs[1])
	}
	if err := s.SetBaseline(ctx, store.Baseline{Indicator: "mandatory_insured", Year: 2022, Value: 720000}); err != nil {
		t.Fatal(err)
	}
	bs, _ = s.Baselines(ctx)
	if bs[1].Value != 720000 || bs[1].Year != 2022 {
		t.Fatalf("after set %+v", bs[1])
	}
	if err := s.SetBaseline(ctx, store.Baseline{Indicator: "nope", Year: 2022, Value: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown indicator: %v", err)
	}
}

// testEpoch: the epoch is stable until rotated; the server's clock is past every accepted change.
func testEpoch(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, nil)
	e := s.Epoch()
	if len(e) < 16 || s.Epoch() != e {
		t.Fatalf("epoch %q", e)
	}
	p := Principals(t, s, [][2]string{{"MN6501", "inspector"}})[0]
	ahead := &hlc.Clock{Now: func() time.Time { return time.Now().Add(30 * time.Second) }}
	c := Event(ahead, "MN6501", "2026-05-14")
	resp := mustPush(t, s, p, c)
	if resp.ServerEpoch != e || resp.ServerHLC <= c.HLC {
		t.Fatalf("push answered epoch %q hlc %s for a change at %s", resp.ServerEpoch, resp.ServerHLC, c.HLC)
	}
	if h := s.ServerHLC(); h <= resp.ServerHLC {
		t.Fatalf("server clock went back: %s after %s", h, resp.ServerHLC)
	}
	r, err := s.RotateEpoch(ctx)
	if err != nil || r == e || s.Epoch() != r {
		t.Fatalf("rotate: %q %v (was %q, now %q)", r, err, e, s.Epoch())
	}
	if resp := mustPush(t, s, p); resp.ServerEpoch != r {
		t.Fatalf("push after rotation answered epoch %q", resp.ServerEpoch)
	}
}

// testCursorAhead: a pull from beyond the change log proves a restore from an older copy; the
// first one rotates the epoch, later ones do not rotate it again.
// testCursorAhead (TestCursorAheadNeedsEvidence): one device pulling beyond the log, however
// often, is answered ErrCursorAhead but rotates nothing (any device could make the number up);
// a device of a second inspector doing so is evidence of a restore, and the epoch rotates once.
func testCursorAhead(t *testing.T, open Opener) {
	ctx := context.Background()
	s := newStore(t, open, nil)
	ps := Principals(t, s, [][2]string{{"MN6501", "inspector"}, {"MN6501", "inspector"}, {"MN6501", "inspector"}})
	clock := &hlc.Clock{}
	mustPush(t, s, ps[0], Event(clock, "MN6501", "2026-05-14"), Event(clock, "MN6501", "2026-05-15"))
	epoch := s.Epoch()
	_, end := pullAll(t, s, ps[1], 0, 100)
	if s.Epoch() != epoch {
		t.Fatal("an ordinary pull rotated the epoch")
	}
	for i := 0; i < 3; i++ {
		if _, _, _, err := s.Pull(ctx, ps[1], 999999999999, 100); !errors.Is(err, store.ErrCursorAhead) {
			t.Fatalf("pull from beyond the log: %v", err)
		}
	}
	if s.Epoch() != epoch {
		t.Fatal("one device's made-up cursor rotated the national epoch")
	}
	s.Pull(ctx, ps[0], end+1000, 100)
	rotated := s.Epoch()
	if rotated == epoch {
		t.Fatal("cursor ahead from two inspectors' devices did not rotate the epoch")
	}
	s.Pull(ctx, ps[2], end+1000, 100)
	if s.Epoch() != rotated {
		t.Fatal("a third cursor-ahead pull rotated again")
	}
}
