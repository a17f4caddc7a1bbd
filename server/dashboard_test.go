package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"talbar/server/dashboard"
	"talbar/server/store"
	"talbar/shared/tally"
	"talbar/shared/unit"
	"talbar/syncproto"
)

const dashPassword = "correct horse battery"

// dashUser creates a dashboard user with dashPassword.
func dashUser(tb testing.TB, m *Main, name, role, unitCode string) store.User {
	tb.Helper()
	h, err := dashboard.HashPassword(dashPassword)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := m.Store.(store.Users).CreateUser(context.Background(), name, role, unitCode, h)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// web is one browser over plain HTTP: a cookie jar, no automatic redirects, and the session's
// CSRF token once signed in.
type web struct {
	tb   testing.TB
	base string
	c    *http.Client
	csrf string
}

func newWeb(tb testing.TB, m *Main) *web {
	jar, _ := cookiejar.New(nil)
	return &web{tb: tb, base: "http://" + m.Addr(), c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

// dashSignIn signs name in through the form and remembers the session's CSRF token.
func dashSignIn(tb testing.TB, m *Main, name string) *web {
	tb.Helper()
	w := newWeb(tb, m)
	if st := w.signIn(name, dashPassword); st != http.StatusSeeOther {
		tb.Fatalf("sign in %s: status %d", name, st)
	}
	_, body := w.get("/dashboard/")
	mm := csrfRe.FindStringSubmatch(body)
	if mm == nil {
		tb.Fatalf("no CSRF token on the overview")
	}
	w.csrf = mm[1]
	return w
}

func (w *web) signIn(name, pw string) int {
	w.tb.Helper()
	_, body := w.get("/dashboard/login")
	mm := csrfRe.FindStringSubmatch(body)
	if mm == nil {
		w.tb.Fatalf("no CSRF token on the sign-in form")
	}
	st, _ := w.postRaw("/dashboard/login", url.Values{"csrf": {mm[1]}, "name": {name}, "password": {pw}})
	return st
}

func (w *web) do(req *http.Request) (*http.Response, []byte) {
	w.tb.Helper()
	resp, err := w.c.Do(req)
	if err != nil {
		w.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.tb.Fatalf("read %s: %v", req.URL, err)
	}
	return resp, b
}

func (w *web) get(path string) (int, string) {
	w.tb.Helper()
	req, _ := http.NewRequest("GET", w.base+path, nil)
	resp, b := w.do(req)
	return resp.StatusCode, string(b)
}

// post sends a form with the session's CSRF token.
func (w *web) post(path string, form url.Values) (int, string) {
	w.tb.Helper()
	form.Set("csrf", w.csrf)
	return w.postRaw(path, form)
}

func (w *web) postRaw(path string, form url.Values) (int, string) {
	w.tb.Helper()
	req, _ := http.NewRequest("POST", w.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, b := w.do(req)
	return resp.StatusCode, string(b)
}

var figRe = regexp.MustCompile(`data-fig="([a-z_.]+)" data-value="(-?\d+)"`)

// figures reads every figure a page shows, by key (the first occurrence of each).
func figures(body string) map[string]int64 {
	out := map[string]int64{}
	for _, mm := range figRe.FindAllStringSubmatch(body, -1) {
		if _, seen := out[mm[1]]; !seen {
			n, _ := strconv.ParseInt(mm[2], 10, 64)
			out[mm[1]] = n
		}
	}
	return out
}

// demoYear is the year demo data is dated in: the current one, which pages show by default.
func demoYear() int { return time.Now().Year() }

// demoDate is a day in month m of the demo year, never after today.
func demoDate(m, d int) string {
	now := time.Now()
	m = 1 + (m-1)%int(now.Month())
	if m == int(now.Month()) && d > now.Day() {
		d = now.Day()
	}
	return fmt.Sprintf("%d-%02d-%02d", now.Year(), m, d)
}

// seedDemo pushes events and surveys into the soums of the given divisions through the real
// API, one officer device per division, and returns the devices.
func seedDemo(tb testing.TB, m *Main, divisions []string, perDivision int, seed uint64) map[string]*client {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	kinds := []string{"open_day", "market_day", "herder_meeting"}
	groups := []string{"herders", "self_employed", "unemployed", "students", "near_pension", "employers"}
	answers := []string{"yes", "partly", "no"}
	out := map[string]*client{}
	for di, div := range divisions {
		c := enrollDevice(tb, m, div, syncproto.RoleOfficer)
		out[div] = c
		leaves := m.Units.Leaves(unit.Code(div))
		var changes []syncproto.Change
		n := perDivision * (1 + di%3)
		for i := 0; i < n; i++ {
			leaf := string(leaves[r.IntN(len(leaves))])
			date := demoDate(1+r.IntN(12), 1+r.IntN(28))
			g1, g2 := groups[r.IntN(len(groups))], groups[r.IntN(len(groups))]
			reached := map[string]int{g1: 5 + r.IntN(60)}
			reached[g2] += 1 + r.IntN(20)
			rb, _ := json.Marshal(reached)
			changes = append(changes, c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(
				`{"kind":%q,"date":%q,"unit":%q,"place":"Сумын төв","reached":%s,"materials":{"handbook":%d,"brochure":%d},"consultations":%d,"contracts_signed":%d,"contributions_mnt":%d,"notes":"demo"}`,
				kinds[r.IntN(3)], date, leaf, rb, r.IntN(40), r.IntN(30), r.IntN(25), r.IntN(6), 10000*r.IntN(50))))
			for s := 0; s < 2; s++ {
				changes = append(changes, c.change(newID(), "survey", syncproto.OpUpsert, fmt.Sprintf(
					`{"date":%q,"unit":%q,"target_group":%q,"age_band":"35-44","sex":"female","insurance_status":"voluntary","info_access":%q,"info_sources":["tv","officer"],"satisfaction":%d,"suggestion":"call me on 99112233"}`,
					date, leaf, groups[r.IntN(len(groups))], answers[r.IntN(3)], 1+r.IntN(5))))
			}
		}
		resp := c.push(changes...)
		if len(resp.Rejected) > 0 {
			tb.Fatalf("seed %s: rejected %v", div, resp.Rejected[0])
		}
	}
	return out
}

// nationalTotals reads /api/v1/totals for the nation as a device would.
func nationalTotals(tb testing.TB, c *client, year int) tally.Totals {
	tb.Helper()
	var t tally.Totals
	if st := c.do("GET", fmt.Sprintf("/api/v1/totals?unit=MN&year=%d", year), nil, &t); st != 200 {
		tb.Fatalf("totals status %d", st)
	}
	return t
}

// TestDashboardPages opens every page and export as an administrator.
func TestDashboardPages(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	devs := seedDemo(t, m, []string{"MN-073", "MN-1"}, 5, 1)
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	y := strconv.Itoa(demoYear())
	for _, tc := range []struct {
		path, want, ctype string
	}{
		{"/dashboard/", `id="months-chart"`, "text/html"},
		{"/dashboard/?period=h1&unit=MN-073&year=" + y, `data-fig="events"`, "text/html"},
		{"/dashboard/api/overview?unit=MN&year=" + y, `"figures"`, "application/json"},
		{"/dashboard/units?sort=events&dir=desc", `id="aimag-map"`, "text/html"},
		{"/dashboard/units?metric=satisfaction_pct", `<path d="M`, "text/html"},
		{"/dashboard/units/MN-073", `data-unit="MN6501"`, "text/html"},
		{"/dashboard/units/MN-1", `data-unit="MN1125"`, "text/html"},
		{"/dashboard/indicators", `data-indicator="satisfaction_pct"`, "text/html"},
		{"/dashboard/plan", `data-activity="1.5"`, "text/html"},
		{"/dashboard/devices", `id="devices-table"`, "text/html"},
		{"/dashboard/exports", `id="dl-totals-csv"`, "text/html"},
		{"/dashboard/report?half=1", `dash.report` + "", "text/html"},
		{"/dashboard/export/totals.csv", "MN-073", "text/csv"},
		{"/dashboard/export/totals.xlsx", "PK", "application/vnd.openxmlformats"},
		{"/dashboard/export/events.csv?year=" + y, "demo", "text/csv"},
		{"/dashboard/export/events.xlsx?year=" + y, "PK", "application/vnd.openxmlformats"},
		{"/dashboard/export/surveys.csv?year=" + y, "35-44", "text/csv"},
		{"/dashboard/export/surveys.xlsx?year=" + y, "PK", "application/vnd.openxmlformats"},
		{"/dashboard/static/vendor/chartjs/chart.umd.min.js", "Chart.js v4", "javascript"},
		{"/dashboard/static/dashboard.css", "@media print", "text/css"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			req, _ := http.NewRequest("GET", w.base+tc.path, nil)
			resp, b := w.do(req)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %.300s", resp.StatusCode, b)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, tc.ctype) {
				t.Fatalf("content type %q, want %q", ct, tc.ctype)
			}
			want := tc.want
			if want == "dash.report" {
				want = "4."
			}
			if !bytes.Contains(b, []byte(want)) {
				t.Fatalf("no %q in %.500s", want, b)
			}
			if bytes.Contains(b, []byte("dash.")) && strings.Contains(resp.Header.Get("Content-Type"), "html") {
				i := bytes.Index(b, []byte("dash."))
				t.Fatalf("untranslated key near %q", b[max(0, i-40):min(len(b), i+60)])
			}
		})
	}
	t.Run("SurveysAnonymous", func(t *testing.T) {
		_, body := w.get("/dashboard/export/surveys.csv?year=" + y)
		if strings.Contains(body, "99112233") {
			t.Fatal("the survey export carries the respondent's free-text suggestion")
		}
	})
	t.Run("OverviewMatchesAPI", func(t *testing.T) {
		_, body := w.get("/dashboard/")
		got := figures(body)
		api := nationalTotals(t, devs["MN-1"], demoYear())
		for k, want := range map[string]int64{"events": api.Events["total"], "reached": api.Reached["total"],
			"consultations": api.Consultations, "contracts_signed": api.ContractsSigned, "contributions_mnt": api.ContributionsMNT,
			"surveys": api.Surveys.Responses, "events.herder_meeting": api.Events["herder_meeting"], "reached.herders": api.Reached["herders"]} {
			if got[k] != want {
				t.Errorf("%s=%d, want %d", k, got[k], want)
			}
		}
	})
	t.Run("English", func(t *testing.T) {
		_, body := w.get("/dashboard/?lang=en")
		if !strings.Contains(body, "Events by kind") || !strings.Contains(body, `lang="en"`) {
			t.Fatal("no English page")
		}
		_, body = w.get("/dashboard/plan")
		if !strings.Contains(body, "Open days, mobile services and market-day open days") {
			t.Fatal("language not remembered")
		}
	})
}

// TestDashboardOfficerScope: a division officer sees their aimag only.
func TestDashboardOfficerScope(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
	w := dashSignIn(t, m, "arkhangai")
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/dashboard/", 200},
		{"/dashboard/units/MN-073", 200},
		{"/dashboard/?unit=MN6501", 200},
		{"/dashboard/units", 302},
		{"/dashboard/units/MN-1", 403},
		{"/dashboard/units/MN-046", 403},
		{"/dashboard/?unit=MN-1", 403},
		{"/dashboard/?unit=MN", 403},
		{"/dashboard/api/overview?unit=MN", 403},
		{"/dashboard/indicators?unit=MN-1", 403},
		{"/dashboard/plan?unit=MN1101", 403},
		{"/dashboard/report?unit=MN", 403},
		{"/dashboard/export/totals.csv?unit=MN", 403},
		{"/dashboard/export/events.xlsx?unit=MN-1", 403},
		{"/dashboard/devices", 200},
		{"/dashboard/export/totals.csv", 200},
	} {
		if st, body := w.get(tc.path); st != tc.want {
			t.Errorf("%s: status %d, want %d: %.200s", tc.path, st, tc.want, body)
		}
	}
	if _, body := w.get("/dashboard/"); !strings.Contains(body, "Архангай") {
		t.Error("the officer's overview does not name their aimag")
	}
	if st, _ := w.post("/dashboard/indicators", url.Values{"indicator": {"mandatory_insured"}, "year": {"2026"}, "target": {"1"}}); st != 403 {
		t.Errorf("officer set a target: status %d", st)
	}
}

// TestDashboardCSRF: every form is refused without its token.
func TestDashboardCSRF(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	form := func() url.Values {
		return url.Values{"indicator": {"voluntary_insured"}, "year": {"2027"}, "target": {"250 000"}, "actual": {"240,500"}}
	}
	t.Run("Missing", func(t *testing.T) {
		if st, _ := w.postRaw("/dashboard/indicators", form()); st != 403 {
			t.Fatalf("status %d, want 403", st)
		}
	})
	t.Run("Wrong", func(t *testing.T) {
		f := form()
		f.Set("csrf", strings.Repeat("0", 64))
		if st, _ := w.postRaw("/dashboard/indicators", f); st != 403 {
			t.Fatalf("status %d, want 403", st)
		}
	})
	t.Run("OtherSessionsToken", func(t *testing.T) {
		other := dashSignIn(t, m, "hq")
		f := form()
		f.Set("csrf", other.csrf)
		if st, _ := w.postRaw("/dashboard/indicators", f); st != 403 {
			t.Fatalf("status %d, want 403", st)
		}
	})
	for _, p := range []string{"/dashboard/devices/inspectors", "/dashboard/devices/code", "/dashboard/devices/revoke", "/dashboard/logout"} {
		if st, _ := w.postRaw(p, url.Values{"name": {"x"}}); st != 403 {
			t.Errorf("%s without token: status %d", p, st)
		}
	}
	ts, _ := m.Store.Targets(context.Background())
	for _, x := range ts {
		if x.Year == 2027 {
			t.Fatal("a refused form stored a target")
		}
	}
	t.Run("Accepted", func(t *testing.T) {
		if st, body := w.post("/dashboard/indicators", form()); st != 303 {
			t.Fatalf("status %d: %.300s", st, body)
		}
		ts, _ := m.Store.Targets(context.Background())
		var found bool
		for _, x := range ts {
			if x.Indicator == "voluntary_insured" && x.Year == 2027 {
				found = true
				if *x.Target != 250000 || *x.Actual != 240500 {
					t.Fatalf("stored %v / %v", *x.Target, *x.Actual)
				}
			}
		}
		if !found {
			t.Fatal("target not stored")
		}
		if st, _ := w.post("/dashboard/indicators", url.Values{"indicator": {"voluntary_insured"}, "year": {"2027"}, "actual": {"241000"}}); st != 303 {
			t.Fatalf("actual only: status %d", st)
		}
		ts, _ = m.Store.Targets(context.Background())
		for _, x := range ts {
			if x.Indicator == "voluntary_insured" && x.Year == 2027 && (x.Target == nil || *x.Target != 250000 || *x.Actual != 241000) {
				t.Fatalf("entering the actual changed the target: %v / %v", x.Target, x.Actual)
			}
		}
		_, body := w.get("/dashboard/indicators?saved=1")
		if !strings.Contains(body, `data-year="2027"`) {
			t.Fatal("the new year is not on the indicators page")
		}
	})
	t.Run("SignInWithoutToken", func(t *testing.T) {
		fresh := newWeb(t, m)
		if st, _ := fresh.postRaw("/dashboard/login", url.Values{"name": {"hq"}, "password": {dashPassword}}); st != 403 {
			t.Fatalf("status %d, want 403", st)
		}
	})
}

// TestDashboardSignIn covers refusal, cookies, redirects and sign-out.
func TestDashboardSignIn(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "viewer", store.WebViewer, "")
	anon := newWeb(t, m)
	req, _ := http.NewRequest("GET", anon.base+"/dashboard/units", nil)
	resp, _ := anon.do(req)
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/dashboard/login?next=") {
		t.Fatalf("anonymous page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if st, _ := anon.get("/dashboard/export/totals.csv"); st != 401 {
		t.Fatalf("anonymous export: %d", st)
	}
	if st := anon.signIn("viewer", "wrong password"); st != 401 {
		t.Fatalf("wrong password: %d", st)
	}
	if st := anon.signIn("nobody", dashPassword); st != 401 {
		t.Fatalf("unknown user: %d", st)
	}
	// The session cookie's attributes, straight from the response.
	_, body := anon.get("/dashboard/login")
	tok := csrfRe.FindStringSubmatch(body)[1]
	req, _ = http.NewRequest("POST", anon.base+"/dashboard/login", strings.NewReader(url.Values{"csrf": {tok}, "name": {"viewer"}, "password": {dashPassword}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ = anon.do(req)
	var sc string
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, dashboard.SessionCookie+"=") {
			sc = strings.ToLower(c)
		}
	}
	if !strings.Contains(sc, "httponly") || !strings.Contains(sc, "samesite=lax") || strings.Contains(sc, "secure") {
		t.Fatalf("session cookie %q", sc)
	}
	w := dashSignIn(t, m, "viewer")
	if st, _ := w.get("/dashboard/devices"); st != 200 {
		t.Fatalf("viewer devices page: %d", st)
	}
	if st, _ := w.post("/dashboard/devices/inspectors", url.Values{"name": {"x"}, "unit": {"MN6501"}, "role": {"inspector"}}); st != 403 {
		t.Fatalf("viewer created an inspector: %d", st)
	}
	if st, _ := w.post("/dashboard/logout", url.Values{}); st != 303 {
		t.Fatalf("sign out: %d", st)
	}
	if st, _ := w.get("/dashboard/"); st != 303 {
		t.Fatalf("after sign-out: %d", st)
	}
}

// TestDashboardDevices issues codes, creates an inspector and revokes a device from the page.
func TestDashboardDevices(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dev := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	bad := dev.change(newID(), "event", syncproto.OpUpsert, `{"kind":"open_day","date":"2019-02-01","unit":"MN1101"}`)
	dev.push(bad)
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	_, body := w.get("/dashboard/devices")
	if !strings.Contains(body, `data-device="`+dev.device+`"`) {
		t.Fatalf("devices page lacks the device: %.1000s", body)
	}
	if rej := body[strings.Index(body, `id="rejections-table"`):]; !strings.Contains(rej, "Сум, дүүрэг: Улаанбаатар / ") ||
		!strings.Contains(rej, "Test MN6501") || strings.Contains(rej, "reject.") || strings.Contains(rej, "outside") {
		t.Fatalf("rejection not shown with a translated reason: %.1500s", rej)
	}
	// Post, redirect, get: the code is on the page the POST redirects to, once, never in a URL.
	hreq, _ := http.NewRequest("POST", w.base+"/dashboard/devices/inspectors", strings.NewReader(url.Values{"csrf": {w.csrf},
		"name": {"Бат"}, "role": {"inspector"}, "unit": {"MN1101"}}.Encode()))
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if hresp, _ := w.do(hreq); hresp.StatusCode != 303 || hresp.Header.Get("Location") != "/dashboard/devices" {
		t.Fatalf("create inspector: %d, Location %q", hresp.StatusCode, hresp.Header.Get("Location"))
	}
	st, body := w.get("/dashboard/devices")
	code := regexp.MustCompile(`id="new-code">([0-9A-Z-]+)<`).FindStringSubmatch(body)
	if st != 200 || code == nil {
		t.Fatalf("page after create: %d %.500s", st, body)
	}
	if !strings.Contains(body, `id="code-server">`+w.base+`<`) || !strings.Contains(body, `id="code-qr" src="data:image/png;base64,`) {
		t.Fatalf("code card lacks the server address or the QR code: %.2000s", body[strings.Index(body, `id="code-card"`):])
	}
	if _, again := w.get("/dashboard/devices"); strings.Contains(again, code[1]) || strings.Contains(again, `id="new-code"`) {
		t.Fatal("the one-time code is shown a second time")
	}
	if ins, _ := m.Store.Inspectors(context.Background()); len(ins) != 2 {
		t.Fatalf("%d inspectors after one create and two reloads, want 2", len(ins))
	}
	c := &client{tb: t, base: "http://" + m.Addr(), clock: dev.clock}
	var er syncproto.EnrollResponse
	if st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: code[1], DeviceName: "new"}, &er); st != 201 || er.Inspector.UnitCode != "MN1101" {
		t.Fatalf("enroll with the page's code: %d %+v", st, er)
	}
	ins, _ := m.Store.Inspectors(context.Background())
	if st, _ = w.post("/dashboard/devices/code", url.Values{"inspector": {ins[0].ID}}); st != 303 {
		t.Fatalf("issue code: %d", st)
	}
	if _, body = w.get("/dashboard/devices"); !strings.Contains(body, `id="new-code"`) {
		t.Fatal("issued code not shown")
	}
	if st, _ := w.post("/dashboard/devices/revoke", url.Values{"device": {dev.device}}); st != 303 {
		t.Fatalf("revoke: %d", st)
	}
	if _, body = w.get("/dashboard/devices?lang=en"); !strings.Contains(body, `role="status">The device was revoked`) && !strings.Contains(body, `class="ok"`) {
		t.Fatalf("no revoked message after the redirect: %.600s", body)
	}
	var resp syncproto.ErrorBody
	req := syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: dev.device, DeviceTime: time.Now().UTC().Format(time.RFC3339)}
	if st := dev.do("POST", "/api/v1/push", req, &resp); st != 401 {
		t.Fatalf("revoked device pushed: %d", st)
	}
	if st, _ := w.post("/dashboard/devices/revoke", url.Values{"device": {"no-such-device"}}); st != 400 {
		t.Fatalf("revoke unknown: %d", st)
	}
}

// TestDashboardExportsMatch reads the XLSX back with excelize and compares it with the CSV and
// with /api/v1/totals.
func TestDashboardExportsMatch(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	devs := seedDemo(t, m, []string{"MN-073", "MN-041", "MN-1"}, 8, 2)
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	y := strconv.Itoa(demoYear())
	_, csvBody := w.get("/dashboard/export/totals.csv?lang=en&year=" + y)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvBody, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	_, xb := w.get("/dashboard/export/totals.xlsx?lang=en&year=" + y)
	f, err := excelize.OpenReader(strings.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xrows, err := f.GetRows("Totals")
	if err != nil {
		t.Fatal(err)
	}
	if len(xrows) != len(rows) || len(rows) != 1+1+22+331+9 {
		t.Fatalf("xlsx %d rows, csv %d rows", len(xrows), len(rows))
	}
	for i := range rows {
		for j := range rows[i] {
			if j < len(xrows[i]) && xrows[i][j] != rows[i][j] {
				t.Fatalf("row %d col %d: xlsx %q, csv %q", i, j, xrows[i][j], rows[i][j])
			}
		}
	}
	if rows[1][0] != "MN" {
		t.Fatalf("first row %v", rows[1])
	}
	api := nationalTotals(t, devs["MN-1"], demoYear())
	col := func(name string) int {
		for j, h := range rows[0] {
			if h == name {
				return j
			}
		}
		t.Fatalf("no column %q in %v", name, rows[0])
		return -1
	}
	for name, want := range map[string]int64{"Events": api.Events["total"], "People reached": api.Reached["total"],
		"Consultations": api.Consultations, "Survey responses": api.Surveys.Responses, "Contributions (₮)": api.ContributionsMNT} {
		if got := rows[1][col(name)]; got != strconv.FormatInt(want, 10) {
			t.Errorf("%s: export %s, api %d", name, got, want)
		}
	}
	// The records export holds every event once.
	_, eb := w.get("/dashboard/export/events.xlsx?year=" + y)
	ef, err := excelize.OpenReader(strings.NewReader(eb))
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	erows, _ := ef.GetRows(ef.GetSheetName(0))
	if int64(len(erows)-1) != api.Events["total"] {
		t.Fatalf("events export has %d rows, api %d events", len(erows)-1, api.Events["total"])
	}
}

// TestDashboardFreshness: a push shows on the overview within one second.
func TestDashboardFreshness(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dev := enrollDevice(t, m, "MN-047", syncproto.RoleOfficer)
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	_, body := w.get("/dashboard/")
	before := figures(body)
	resp := dev.push(dev.change(newID(), "event", syncproto.OpUpsert,
		fmt.Sprintf(`{"kind":"herder_meeting","date":%q,"unit":"MN4101","reached":{"herders":17}}`, demoDate(int(time.Now().Month()), 1))))
	if len(resp.Accepted) != 1 {
		t.Fatalf("push not accepted: %+v", resp)
	}
	pushed := time.Now()
	for {
		_, body := w.get("/dashboard/")
		f := figures(body)
		if f["events"] == before["events"]+1 && f["reached.herders"] == before["reached.herders"]+17 {
			t.Logf("overview changed %v after the push returned", time.Since(pushed))
			break
		}
		if time.Since(pushed) > time.Second {
			t.Fatalf("overview still shows events=%d after 1s", f["events"])
		}
		time.Sleep(20 * time.Millisecond)
	}
	var j struct {
		Figures map[string]string
		Values  map[string]int64
	}
	_, jb := w.get("/dashboard/api/overview?lang=en")
	if err := json.Unmarshal([]byte(jb), &j); err != nil || j.Values["reached.herders"] != before["reached.herders"]+17 {
		t.Fatalf("overview JSON %v: %s", err, jb)
	}
}

// TestDashboardUserAdd runs the admin command with the password on standard input.
func TestDashboardUserAdd(t *testing.T) {
	db := tempDB(t)
	defer func(r io.Reader) { stdin = r }(stdin)
	stdin = strings.NewReader(dashPassword + "\n")
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"user", "add", "--db", db, "--name", "darkhan", "--role", "officer", "--unit", "MN-037"}, &out, &errb); err != nil {
		t.Fatalf("%v: %s", err, errb.String())
	}
	stdin = strings.NewReader("short\n")
	if err := run(context.Background(), []string{"user", "add", "--db", db, "--name", "x", "--role", "admin"}, &out, &errb); err == nil {
		t.Fatal("a short password was accepted")
	}
	stdin = strings.NewReader(dashPassword + "\n")
	if err := run(context.Background(), []string{"user", "add", "--db", db, "--name", "y", "--role", "officer", "--unit", "MN6501"}, &out, &errb); err == nil {
		t.Fatal("an officer of a soum was accepted")
	}
	m := MustRunMain(t, db)
	w := dashSignIn(t, m, "darkhan")
	if st, _ := w.get("/dashboard/units/MN-037"); st != 200 {
		t.Fatalf("officer's own aimag: %d", st)
	}
}

// TestDashboardTargetNotFinite: "Inf", "infinity", "NaN" and negative figures are refused with a
// translated message beside their field and nothing is stored, so /api/v1/kpis and /pull keep
// encoding.
func TestDashboardTargetNotFinite(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dev := enrollDevice(t, m, "MN-073", syncproto.RoleOfficer)
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	for _, tc := range []struct {
		field, value, lang, want string
	}{
		{"target", "Inf", "en", "Infinity and NaN are not figures"},
		{"target", "+infinity", "en", "Infinity and NaN are not figures"},
		{"actual", "NaN", "mn", "Зөвхөн тоо оруулна уу"},
		{"actual", "1e400", "en", "Infinity and NaN are not figures"},
		{"target", "-250", "mn", "0 буюу түүнээс их тоо оруулна уу"},
		{"actual", "-1", "en", "Enter 0 or more"},
		{"target", "abc", "en", "Enter a number"},
	} {
		_, _ = w.get("/dashboard/indicators?lang=" + tc.lang)
		st, body := w.post("/dashboard/indicators", url.Values{"indicator": {"voluntary_insured"}, "year": {"2027"}, tc.field: {tc.value}})
		if st != 400 {
			t.Fatalf("%s=%q: status %d", tc.field, tc.value, st)
		}
		i := strings.Index(body, `id="`+tc.field+`-error"`)
		if i < 0 || !strings.Contains(body[i:min(len(body), i+300)], tc.want) {
			t.Fatalf("%s=%q: no %q beside the field: %.400s", tc.field, tc.value, tc.want, body[max(0, i-200):])
		}
		if !strings.Contains(body, `name="`+tc.field+`" inputmode="decimal" value="`+strings.ReplaceAll(tc.value, "+", "&#43;")+`"`) {
			t.Errorf("%s=%q: the typed value is not kept in the form", tc.field, tc.value)
		}
	}
	ts, _ := m.Store.Targets(context.Background())
	for _, x := range ts {
		if x.Year == 2027 {
			t.Fatalf("a refused figure was stored: %+v", x)
		}
	}
	var k json.RawMessage
	if st := dev.do("GET", "/api/v1/kpis?unit=MN&year=2027", nil, &k); st != 200 {
		t.Fatalf("kpis: status %d", st)
	}
}

// TestDashboardExportFormulas: text an inspector typed that a spreadsheet would run as a formula
// is quoted in the CSV and stays a plain string cell in the XLSX.
func TestDashboardExportFormulas(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dev := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	place, notes := `=HYPERLINK("http://evil.example/","click")`, "+cmd|' /C calc'!A0"
	fields, _ := json.Marshal(map[string]any{"kind": "open_day", "date": demoDate(1, 1), "unit": "MN6501",
		"place": place, "notes": notes, "reached": map[string]int{"herders": 3}})
	if resp := dev.push(dev.change(newID(), "event", syncproto.OpUpsert, string(fields))); len(resp.Accepted) != 1 {
		t.Fatalf("push: %+v", resp)
	}
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	y := strconv.Itoa(demoYear())
	_, body := w.get("/dashboard/export/events.csv?lang=en&year=" + y)
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	col := map[string]int{}
	for j, h := range rows[0] {
		col[h] = j
	}
	if got := rows[1][col["Place"]]; got != "'"+place {
		t.Errorf("CSV place %q, want %q", got, "'"+place)
	}
	if got := rows[1][col["Notes"]]; got != "'"+notes {
		t.Errorf("CSV notes %q, want %q", got, "'"+notes)
	}
	_, xb := w.get("/dashboard/export/events.xlsx?lang=en&year=" + y)
	f, err := excelize.OpenReader(strings.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetName(0)
	for name, want := range map[string]string{"Place": place, "Notes": notes} {
		cell, _ := excelize.CoordinatesToCellName(col[name]+1, 2)
		if fm, _ := f.GetCellFormula(sheet, cell); fm != "" {
			t.Errorf("XLSX %s is a formula %q", name, fm)
		}
		if typ, _ := f.GetCellType(sheet, cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("XLSX %s cell type %v, want a string", name, typ)
		}
		if got, _ := f.GetCellValue(sheet, cell); got != want {
			t.Errorf("XLSX %s %q, want %q", name, got, want)
		}
	}
}

// lockedBuffer is a log sink safe for the server's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runMainLogged is MustRunMain with the log kept for the test to read.
func runMainLogged(t *testing.T) (*Main, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: tempDB(t)}, Logger: slog.New(slog.NewTextHandler(logs, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, logs
}

// TestDashboardSignInLogsNoName: a refused sign-in logs a short hash of the typed name, which
// may be a password typed into the wrong field, never the name itself.
func TestDashboardSignInLogsNoName(t *testing.T) {
	m, logs := runMainLogged(t)
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := newWeb(t, m)
	for _, name := range []string{"Tsetseg-pass-2025", "Tsetseg-pass-2025"} {
		if st := w.signIn(name, "x"); st != 401 {
			t.Fatalf("status %d", st)
		}
	}
	out := logs.String()
	if strings.Contains(out, "Tsetseg-pass-2025") {
		t.Fatalf("the log holds the typed name: %s", out)
	}
	hashes := regexp.MustCompile(`sign-in refused.* name_hash=([0-9a-f]{8,16}) `).FindAllStringSubmatch(out, -1)
	if len(hashes) != 2 || hashes[0][1] != hashes[1][1] {
		t.Fatalf("want the same short hash for both tries: %s", out)
	}
	if st := w.signIn("hq", "wrong password"); st != 401 {
		t.Fatalf("status %d", st)
	}
	if !strings.Contains(logs.String(), "user=hq") {
		t.Fatalf("a wrong password for an account does not name the account: %s", logs.String())
	}
}

// TestDashboardSignInLimit: five wrong passwords for a name lock it, even with the right
// password, whether or not the name exists; another name from the same address still signs in;
// the log never holds the typed name.
func TestDashboardSignInLimit(t *testing.T) {
	m, logs := runMainLogged(t)
	dashUser(t, m, "hq", store.WebAdmin, "")
	dashUser(t, m, "viewer", store.WebViewer, "")
	for _, name := range []string{"hq", "ghost-Secret-42"} {
		w := newWeb(t, m)
		for i := 1; i <= 4; i++ {
			if st := w.signIn(name, "wrong password"); st != 401 {
				t.Fatalf("%s failure %d: status %d", name, i, st)
			}
		}
		if st := w.signIn(name, "wrong password"); st != 429 {
			t.Fatalf("%s fifth failure: status %d, want 429", name, st)
		}
		_, form := w.get("/dashboard/login?lang=en")
		tok := csrfRe.FindStringSubmatch(form)[1]
		req, _ := http.NewRequest("POST", w.base+"/dashboard/login", strings.NewReader(url.Values{"csrf": {tok}, "name": {name}, "password": {dashPassword}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := w.do(req)
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%s right password while locked: status %d, Retry-After %q", name, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if !strings.Contains(string(body), "Too many failed sign-in attempts. Try again in 1 min.") {
			t.Fatalf("%s: no translated message: %.600s", name, body)
		}
		if _, mn := w.get("/dashboard/login?lang=mn"); !strings.Contains(mn, `id="sign-in"`) {
			t.Fatal("no sign-in form")
		}
	}
	// Ten failures from this address so far: below the address's limit, so another name works.
	if st := newWeb(t, m).signIn("viewer", dashPassword); st != 303 {
		t.Fatalf("another user from the same address: status %d", st)
	}
	out := logs.String()
	if strings.Contains(out, "ghost-Secret-42") || !strings.Contains(out, "name_hash=") {
		t.Fatalf("the log holds the typed name or no hash: %s", out)
	}
}

// TestDashboardOfficerDevices: a division officer sees, read-only, the devices and rejections
// of the inspectors in their aimag and nothing of other divisions.
func TestDashboardOfficerDevices(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	mine := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	mineOfficer := enrollDevice(t, m, "MN-073", syncproto.RoleOfficer)
	capital := enrollDevice(t, m, "MN1101", syncproto.RoleInspector)
	other := enrollDevice(t, m, "MN-046", syncproto.RoleOfficer)
	bad := func(c *client, unit string) {
		c.push(c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":"open_day","date":%q,"unit":%q}`, demoDate(1, 1), unit)))
	}
	bad(mine, "MN1101")
	bad(capital, "MN6501")
	bad(other, "MN1101")
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
	w := dashSignIn(t, m, "arkhangai")
	st, body := w.get("/dashboard/devices?lang=en")
	if st != 200 {
		t.Fatalf("officer devices page: %d", st)
	}
	for _, d := range []*client{mine, mineOfficer} {
		if !strings.Contains(body, `data-device="`+d.device+`"`) {
			t.Errorf("own division's device %s missing", d.device)
		}
	}
	for _, d := range []*client{capital, other} {
		if strings.Contains(body, d.device) || strings.Contains(body, d.device[len(d.device)-8:]) {
			t.Errorf("another division's device %s shown", d.device)
		}
	}
	rej := body[strings.Index(body, `id="rejections-table"`):]
	if n := strings.Count(rej, "data-change="); n != 1 || !strings.Contains(rej, "Test MN6501") {
		t.Errorf("%d rejections shown, want the own inspector's one: %.800s", n, rej)
	}
	ins := body[strings.Index(body, `id="inspectors-table"`):]
	if strings.Contains(ins, "Test MN1101") || strings.Contains(ins, "Test MN-046") || !strings.Contains(ins, "Test MN6501") {
		t.Errorf("inspectors of other divisions shown: %.800s", ins)
	}
	for _, form := range []string{"/dashboard/devices/revoke", "/dashboard/devices/code", `id="inspector-form"`} {
		if strings.Contains(body, form) {
			t.Errorf("the officer's page offers %s", form)
		}
	}
	if !strings.Contains(body, `id="division-only"`) {
		t.Error("no read-only note")
	}
	if _, ov := w.get("/dashboard/"); !strings.Contains(ov, `href="/dashboard/devices"`) {
		t.Error("no devices link for the officer")
	}
	for path, form := range map[string]url.Values{"/dashboard/devices/revoke": {"device": {mine.device}},
		"/dashboard/devices/code": {"inspector": {"x"}}, "/dashboard/devices/inspectors": {"name": {"x"}, "unit": {"MN6501"}, "role": {"inspector"}}} {
		if st, _ := w.post(path, form); st != 403 {
			t.Errorf("officer %s: status %d, want 403", path, st)
		}
	}
	devs, _ := m.Store.Devices(context.Background())
	for _, d := range devs {
		if d.RevokedAt != nil {
			t.Fatalf("device %s revoked by an officer", d.ID)
		}
	}
}

// TestDashboardNotFound: an unknown dashboard path answers a translated HTML page, not the sync
// API's JSON; signed out it still asks to sign in first.
func TestDashboardNotFound(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	for path, want := range map[string]string{"/dashboard/no-such-page?lang=en": "This page does not exist",
		"/dashboard/units/MN-073/extra?lang=mn": "Ийм хуудас байхгүй байна", "/dashboard/api/nothing?lang=en": "This page does not exist"} {
		req, _ := http.NewRequest("GET", w.base+path, nil)
		resp, body := w.do(req)
		if resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s: status %d, %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(string(body), want) || !strings.Contains(string(body), "<!doctype html>") {
			t.Fatalf("%s: %.400s", path, body)
		}
	}
	if st, _ := newWeb(t, m).get("/dashboard/no-such-page"); st != 303 {
		t.Fatalf("signed out: status %d, want 303 to the sign-in form", st)
	}
	if st, body := w.get("/api/v1/no-such-thing"); st != 404 || !strings.HasPrefix(strings.TrimSpace(body), "{") {
		t.Fatalf("the API's own 404 changed: %d %s", st, body)
	}
}

// TestDashboardBaseline: an administrator replaces an indicator's baseline and the indicators
// page, the report and /api/v1/kpis show it; a viewer's form and a form without its token are
// refused; an infinite, a negative and a percentage over 100 are refused beside the field and
// nothing is stored.
func TestDashboardBaseline(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dev := enrollDevice(t, m, "MN-073", syncproto.RoleOfficer)
	dashUser(t, m, "hq", store.WebAdmin, "")
	dashUser(t, m, "watch", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	ctx := context.Background()
	stored := func(id string) store.Baseline {
		t.Helper()
		bs, err := m.Store.Baselines(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if b.Indicator == id {
				return b
			}
		}
		t.Fatalf("no baseline for %s", id)
		return store.Baseline{}
	}
	before := map[string]store.Baseline{}
	for _, id := range []string{"mandatory_insured", "voluntary_insured", "cannot_get_info_pct", "satisfaction_pct"} {
		before[id] = stored(id)
	}
	unchanged := func(when string) {
		t.Helper()
		for id, b := range before {
			if got := stored(id); got != b {
				t.Fatalf("%s: %s baseline changed to %+v", when, id, got)
			}
		}
	}
	form := func(id, year, value string) url.Values {
		return url.Values{"indicator": {id}, "year": {year}, "value": {value}}
	}

	t.Run("ViewerRefused", func(t *testing.T) {
		v := dashSignIn(t, m, "watch")
		if _, body := v.get("/dashboard/indicators"); strings.Contains(body, `id="baseline-form"`) {
			t.Error("a viewer is shown the baseline form")
		}
		if st, _ := v.post("/dashboard/indicators/baseline", form("mandatory_insured", "2024", "700000")); st != 403 {
			t.Fatalf("viewer: status %d, want 403", st)
		}
		unchanged("viewer")
	})
	t.Run("NoToken", func(t *testing.T) {
		if st, _ := w.postRaw("/dashboard/indicators/baseline", form("mandatory_insured", "2024", "700000")); st != 403 {
			t.Fatalf("status %d, want 403", st)
		}
		unchanged("no token")
	})
	t.Run("Refused", func(t *testing.T) {
		for _, tc := range []struct {
			id, value, lang, want string
		}{
			{"mandatory_insured", "Inf", "en", "Infinity and NaN are not figures"},
			{"voluntary_insured", "-5", "mn", "0 буюу түүнээс их тоо оруулна уу"},
			{"satisfaction_pct", "120", "en", "Enter a percentage from 0 to 100"},
			{"cannot_get_info_pct", "", "en", "Enter a number"},
		} {
			_, _ = w.get("/dashboard/indicators?lang=" + tc.lang)
			st, body := w.post("/dashboard/indicators/baseline", form(tc.id, "2024", tc.value))
			if st != 400 {
				t.Fatalf("%s=%q: status %d", tc.id, tc.value, st)
			}
			i := strings.Index(body, `id="baseline-value-error"`)
			if i < 0 || !strings.Contains(body[i:min(len(body), i+300)], tc.want) {
				t.Fatalf("%s=%q: no %q beside the field: %.400s", tc.id, tc.value, tc.want, body[max(0, i-200):])
			}
			if !strings.Contains(body, `name="value" inputmode="decimal" value="`+tc.value+`"`) {
				t.Errorf("%s=%q: the typed value is not kept in the form", tc.id, tc.value)
			}
			if !strings.Contains(body, `<option value="`+tc.id+`" selected>`) {
				t.Errorf("%s=%q: the chosen indicator is not kept in the form", tc.id, tc.value)
			}
		}
		st, body := w.post("/dashboard/indicators/baseline", form("mandatory_insured", "1989", "700000"))
		if i := strings.Index(body, `id="baseline-year-error"`); st != 400 || i < 0 || !strings.Contains(body[i:min(len(body), i+200)], "1990") {
			t.Fatalf("year 1989: status %d, no message beside the year", st)
		}
		unchanged("refused")
	})
	t.Run("Accepted", func(t *testing.T) {
		_, _ = w.get("/dashboard/indicators?lang=en")
		if st, body := w.post("/dashboard/indicators/baseline", form("mandatory_insured", "2024", "700 000")); st != 303 {
			t.Fatalf("status %d: %.300s", st, body)
		}
		if st, body := w.post("/dashboard/indicators/baseline", form("satisfaction_pct", "2023", "72,5")); st != 303 {
			t.Fatalf("percentage: status %d: %.300s", st, body)
		}
		if b := stored("mandatory_insured"); b.Year != 2024 || b.Value != 700000 {
			t.Fatalf("stored %+v", b)
		}
		if b := stored("voluntary_insured"); b != before["voluntary_insured"] {
			t.Fatalf("another indicator's baseline changed: %+v", b)
		}
		_, body := w.get("/dashboard/indicators?saved=1")
		for _, want := range []string{`data-baseline="2024">Baseline: 700,000 (2024)`, `data-baseline="2023">Baseline: 72.5% (2023)`,
			`data-baseline="2018">Baseline: 194,418 (2018)`} {
			if !strings.Contains(body, want) {
				t.Errorf("indicators page: no %q", want)
			}
		}
		_, body = w.get("/dashboard/report?half=1")
		if !strings.Contains(body, `data-baseline="2024">700,000 (2024)`) {
			t.Error("the report does not show the stored baseline")
		}
		var k struct {
			Indicators []struct {
				ID           string  `json:"id"`
				Baseline     float64 `json:"baseline"`
				BaselineYear int     `json:"baseline_year"`
			} `json:"indicators"`
		}
		if st := dev.do("GET", fmt.Sprintf("/api/v1/kpis?unit=MN&year=%d", demoYear()), nil, &k); st != 200 {
			t.Fatalf("kpis: status %d", st)
		}
		got := map[string]string{}
		for _, x := range k.Indicators {
			got[x.ID] = fmt.Sprintf("%v/%d", x.Baseline, x.BaselineYear)
		}
		if got["mandatory_insured"] != "700000/2024" || got["satisfaction_pct"] != "72.5/2023" {
			t.Fatalf("kpis baselines %v", got)
		}
	})
}
