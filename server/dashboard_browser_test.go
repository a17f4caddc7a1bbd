package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"talbar/server/annualplan"
	"talbar/server/dashboard"
	"talbar/server/store"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// chromiumPath finds Debian's chromium (.ci/setup installs it). Outside CI a machine without it
// skips the browser tests; in CI its absence is a failure, so a missing install step shows.
func chromiumPath(tb testing.TB) string {
	tb.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		tb.Fatal("chromium is not installed: run .ci/setup")
	}
	tb.Skip("chromium is not installed (.ci/setup installs it)")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and the flags a machine without
// internet needs, and returns a tab's context.
func newBrowser(tb testing.TB, width, height int) context.Context {
	tb.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(tb)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "mn"),
		chromedp.UserDataDir(tb.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	// Generous: the every-page test opens 40 pages with axe-core on a shared 2-core machine.
	tctx, cancelT := context.WithTimeout(ctx, 240*time.Second)
	tb.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return tctx
}

// browserSignIn opens the dashboard, is sent to the form, and signs in.
func browserSignIn(tb testing.TB, ctx context.Context, base, name string) {
	tb.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/dashboard/"),
		chromedp.WaitVisible(chromedp.ID("sign-in")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("password"), dashPassword),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("overview")),
	); err != nil {
		tb.Fatalf("sign in: %v", err)
	}
}

// figureText reads the text the browser shows for a figure of the overview's cards.
func figureText(tb testing.TB, ctx context.Context, key string) string {
	tb.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`#overview [data-fig="`+key+`"]`)))
	if err != nil {
		tb.Fatalf("read figure %s: %v", key, err)
	}
	return strings.TrimSpace(s)
}

// TestDashboardBrowser signs in with headless Chromium, finds the national figures of
// /api/v1/totals on the overview, sees a push arrive, switches to English and downloads the CSV.
func TestDashboardBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	devs := seedDemo(t, m, []string{"MN-073", "MN-047", "MN-1"}, 10, 3)
	dashUser(t, m, "hq", store.WebViewer, "")
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1280, 1000)
	browserSignIn(t, ctx, base, "hq")

	api := nationalTotals(t, devs["MN-1"], demoYear())
	want := map[string]int64{"events": api.Events["total"], "reached": api.Reached["total"], "consultations": api.Consultations,
		"contracts_signed": api.ContractsSigned, "contributions_mnt": api.ContributionsMNT, "surveys": api.Surveys.Responses}
	for k, v := range want {
		if got := figureText(t, ctx, k); got != dashboard.FormatInt("mn", v) {
			t.Errorf("mn %s: page %q, api %q", k, got, dashboard.FormatInt("mn", v))
		}
	}
	// The vendored Chart.js loaded under the page's CSP and drew the month chart.
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof Chart !== "undefined" && !!Chart.getChart("months-chart")`))
	if err != nil || !drawn {
		t.Fatalf("month chart not drawn: %v", err)
	}

	// A push shows without reloading: the page polls its JSON every second.
	devs["MN-047"].push(devs["MN-047"].change(newID(), "event", syncproto.OpUpsert,
		fmt.Sprintf(`{"kind":"open_day","date":%q,"unit":"MN4101","reached":{"pupils":3}}`, demoDate(1, 2))))
	wantEvents := dashboard.FormatInt("mn", api.Events["total"]+1)
	deadline := time.Now().Add(5 * time.Second)
	for figureText(t, ctx, "events") != wantEvents {
		if time.Now().After(deadline) {
			t.Fatalf("open page shows %q, want %q", figureText(t, ctx, "events"), wantEvents)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("lang-en")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] #overview`)),
	); err != nil {
		t.Fatalf("switch to English: %v", err)
	}
	if got := figureText(t, ctx, "reached"); got != dashboard.FormatInt("en", api.Reached["total"]+3) {
		t.Errorf("en reached: page %q, want %q", got, dashboard.FormatInt("en", api.Reached["total"]+3))
	}

	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/dashboard/exports"),
		chromedp.WaitVisible(chromedp.ID("dl-totals-csv")),
		chromedp.Click(chromedp.ID("dl-totals-csv")),
	); err != nil {
		t.Fatalf("download: %v", err)
	}
	var data []byte
	for deadline := time.Now().Add(15 * time.Second); data == nil; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no CSV downloaded")
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".crdownload") {
				data, _ = os.ReadFile(filepath.Join(dir, e.Name()))
			}
		}
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(data), "\ufeff"))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("downloaded CSV: %v, %d rows", err, len(rows))
	}
	if rows[0][4] != "Events" || rows[1][0] != "MN" || rows[1][4] != strconv.FormatInt(api.Events["total"]+1, 10) {
		t.Fatalf("CSV header %v, national row %v", rows[0][:6], rows[1][:6])
	}
}

// TestDashboardScreenshots renders the dashboard with demo data into docs/: the overview, the
// map, the indicators page, the report, the survey results and the devices page with a new code on a 1,400 px
// laptop, and the overview, the unit table and the devices page on a 390 px phone. It runs only
// when asked: TALBAR_SCREENSHOTS=1 go test -run DashboardScreenshots ./server
func TestDashboardScreenshots(t *testing.T) {
	if os.Getenv("TALBAR_SCREENSHOTS") == "" {
		t.Skip("set TALBAR_SCREENSHOTS=1 to rewrite docs/dashboard-*.png")
	}
	// As deployed: slips carry the configured public address.
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: tempDB(t), PublicURL: "https://talbar.example.mn"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	var divs []string
	for _, c := range m.Units.Children("MN") {
		divs = append(divs, string(c))
	}
	seedDemo(t, m, divs, 12, 7)
	ctx0 := context.Background()
	for _, y := range []int{2019, 2020, 2021, 2022} {
		for id, v := range map[string]float64{"mandatory_insured": 639820, "voluntary_insured": 194418} {
			x := float64(int64(v * (1 + 0.035*float64(y-2018))))
			// Targets are derived (on the previous year's actual), so only the actual is entered.
			if err := m.Store.SetTarget(ctx0, store.Target{Indicator: id, Year: y, Actual: &x}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A device that pulled but never pushed, and one whose last push was refused in part.
	puller := enrollDevice(t, m, "MN4101", syncproto.RoleInspector)
	var pr syncproto.PullResponse
	puller.do("GET", "/api/v1/pull?since=0", nil, &pr)
	bad := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	bad.push(bad.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":"open_day","date":%q,"unit":"MN1101"}`, demoDate(2, 2))),
		bad.change(newID(), "event", syncproto.OpUpsert, `{"kind":"open_day","unit":"MN6501","reached":{"herders":-3}}`))
	// Answers to the current catalogue's knowledge, attitude and perception questions, for the
	// survey page and the report's section 5.
	rs := rand.New(rand.NewPCG(14, 2))
	pick := func(opts ...string) string { return opts[rs.IntN(len(opts))] }
	for _, div := range divs[:4] {
		dev := enrollDevice(t, m, div, syncproto.RoleOfficer)
		leaves := m.Units.Leaves(unit.Code(div))
		var ch []syncproto.Change
		for i := 0; i < 40; i++ {
			ch = append(ch, dev.change(newID(), "survey", syncproto.OpUpsert, fmt.Sprintf(
				`{"catalogue_version":2,"date":%q,"unit":%q,"target_group":%q,"age_band":"35-44","insurance_status":"none","info_access":%q,"info_sources":[%q,"officer"],"knows_voluntary":%q,"knows_benefits":%q,"knows_check":%q,"trusts_fund":%q,"sees_value":%q,"intends_enrol":%q,"satisfaction":%d}`,
				demoDate(7+rs.IntN(6), 1+rs.IntN(28)), leaves[rs.IntN(len(leaves))], pick("herders", "self_employed", "unemployed", "students", "near_pension", "employers"),
				pick("yes", "yes", "partly", "no"), pick("radio", "sms", "event", "tv"), pick("yes", "yes", "no"), pick("yes", "partly", "no"),
				pick("checked", "knows", "no"), pick("yes", "yes", "partly", "no", "dont_know"), pick("yes", "partly", "no", "dont_know"),
				pick("yes", "undecided", "no"), 2+rs.IntN(4))))
		}
		if r := dev.push(ch...); len(r.Rejected) > 0 {
			t.Fatalf("knowledge surveys %s: %+v", div, r.Rejected[0])
		}
	}
	dashUser(t, m, "hq", store.WebAdmin, "")
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1400, 1000)
	browserSignIn(t, ctx, base, "hq")
	shoot := func(path, wait, file string, full bool) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(chromedp.CSS(wait)), chromedp.Sleep(500*time.Millisecond)); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var b []byte
		var err error
		if full {
			b, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		} else {
			b, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", path, err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot("/dashboard/?lang=mn", "#months-chart", "dashboard-overview.png", true)
	shoot("/dashboard/units?metric=reached&lang=mn", "#aimag-map", "dashboard-map.png", true)
	shoot("/dashboard/indicators?lang=en", "#target-form", "dashboard-indicators.png", true)
	shoot("/dashboard/report?half=2&lang=mn", ".report", "dashboard-report.png", true)
	shoot("/dashboard/surveys?half=2&lang=mn", "main", "dashboard-surveys.png", true)
	// Arkhangai's plan for the year, as a division would enter it.
	cost := int64(2_400_000)
	if _, err := m.Store.(store.AnnualPlans).SaveAnnualPlan(ctx0, "MN-073", demoYear(), []annualplan.Item{
		{Activity: "1.1", H1: 10, H2: 10}, {Activity: "1.5", H1: 6, H2: 6, Funding: "si_budget", CostMNT: &cost},
		{Activity: "2.1", H1: 300, H2: 300}, {Activity: "2.4", H1: 2, H2: 2}, {Activity: "2.9", H1: 2, H2: 2}}, "arkhangai", "form", 0); err != nil {
		t.Fatal(err)
	}
	shoot("/dashboard/plan?unit=MN-073&lang=mn", "#plan-table", "dashboard-plan.png", false)
	newCode := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/dashboard/devices?lang=mn"), chromedp.WaitVisible(chromedp.ID("inspector-form")),
			chromedp.SendKeys(`#inspector-form input[name="name"]`, "Дорж"),
			chromedp.Click(`#inspector-form button[type="submit"]`), chromedp.WaitVisible(chromedp.ID("new-code"))); err != nil {
			t.Fatalf("new inspector: %v", err)
		}
		// One screen's height: the code card and the start of the devices table, not every
		// demo inspector's row below them.
		b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		name := "dashboard-devices.png"
		if w, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`window.innerWidth`)); w < 600 {
			name = "dashboard-phone-devices.png"
		}
		if err := os.WriteFile(filepath.Join("..", "docs", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	newCode()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	shoot("/dashboard/?lang=mn", "#months-chart", "dashboard-phone-overview.png", false)
	shoot("/dashboard/units?metric=reached&lang=mn", "#unit-table", "dashboard-phone-units.png", false)
	newCode()
}
