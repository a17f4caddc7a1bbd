package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"talbar/assets"
	"talbar/server/store"
	"talbar/shared/i18n"
	"talbar/shared/indicator"
	"talbar/syncproto"
)

// axeSource is axe-core's browser bundle, which .ci/setup installs from npm into .cache/npm.
func axeSource(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", ".cache", "npm", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		tb.Fatalf("axe-core is not installed (run .ci/setup, which installs it with npm): %v", err)
	}
	return string(b)
}

// axeCheck runs axe-core on the open page and returns its violations of serious or critical
// impact, and any of the two rules the review found (nested links in an image, empty table
// headers), each as "rule (impact): selectors". DevTools evaluation is outside the page's CSP,
// so the page itself keeps forbidding inline scripts.
func axeCheck(tb testing.TB, ctx context.Context, axe string) []string {
	tb.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](axe+";\ntypeof axe === 'object'")); err != nil {
		tb.Fatalf("load axe-core: %v", err)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
		return r.violations.filter(function (v) {
			return v.impact === "serious" || v.impact === "critical" || v.id === "nested-interactive" || v.id === "empty-table-header";
		}).map(function (v) {
			return v.id + " (" + v.impact + "): " + v.nodes.slice(0, 5).map(function (n) { return n.target.join(" "); }).join(", ");
		});
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("run axe-core: %v", err)
	}
	return out
}

// open navigates and waits until the page has loaded its scripts and drawn its charts.
func open(tb testing.TB, ctx context.Context, u string) {
	tb.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		tb.Fatalf("open %s: %v", u, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete"`, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		tb.Fatalf("load %s: %v", u, err)
	}
}

// pageWidth is how wide the page's content is, against the window's width.
func pageWidth(tb testing.TB, ctx context.Context) (content, window int) {
	tb.Helper()
	w, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
	if err != nil || len(w) != 2 {
		tb.Fatalf("page width: %v", err)
	}
	return w[0], w[1]
}

// overflowing names the innermost elements that reach past the window's right edge, so a width
// failure says what to fix.
func overflowing(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const out = [];
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect();
			if (r.right <= window.innerWidth + 0.5 || r.width === 0) continue;
			if ([...el.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 0.5)) continue;
			let p = el, inScroller = false;
			while ((p = p.parentElement)) {
				const o = getComputedStyle(p).overflowX;
				if (o === "auto" || o === "scroll" || o === "hidden") { inScroller = true; break; }
			}
			if (inScroller) continue;
			out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : "") +
				" right=" + Math.round(r.right) + " «" + (el.textContent || "").trim().slice(0, 40) + "»");
		}
		return out.slice(0, 5).join("; ");
	})()`))
	if err != nil {
		return err.Error()
	}
	return s
}

// dashboardPages are every page of the dashboard an administrator sees.
var dashboardPages = []string{"/dashboard/", "/dashboard/units", "/dashboard/units/MN-073", "/dashboard/indicators",
	"/dashboard/plan", "/dashboard/plan/edit", "/dashboard/devices", "/dashboard/exports", "/dashboard/alerts", "/dashboard/report", "/dashboard/surveys", "/dashboard/no-such-page"}

// seedBrowserDemo fills a server with demo data, a rejection, one event with a billion ₮ and the
// current year's targets, so every table, badge and large figure is on the pages.
func seedBrowserDemo(t *testing.T, m *Main) {
	t.Helper()
	devs := seedDemo(t, m, []string{"MN-073", "MN-047", "MN-1"}, 10, 3)
	c := devs["MN-073"]
	c.push(c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(
		`{"kind":"herder_meeting","date":%q,"unit":"MN6501","reached":{"herders":40},"contributions_mnt":1000000000}`, demoDate(3, 3))))
	c.push(c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":"open_day","date":%q,"unit":"MN1101"}`, demoDate(2, 2))))
	// Thousands of survey answers, so the indicators' actuals read "(n=2 620)" as in real use.
	for b := 0; b < 5; b++ {
		var surveys []syncproto.Change
		for i := 0; i < 500; i++ {
			surveys = append(surveys, c.change(newID(), "survey", syncproto.OpUpsert, fmt.Sprintf(
				`{"date":%q,"unit":"MN6501","target_group":"herders","age_band":"35-44","sex":"female","insurance_status":"voluntary","info_access":"partly","info_sources":["tv"],"satisfaction":%d}`,
				demoDate(1+i%12, 1+i%28), 1+i%5)))
		}
		c.push(surveys...)
	}
	// Targets and official counts for this year, so the badges say met or not met (the longest
	// words) and the figures are large.
	ctx := context.Background()
	for _, ind := range indicator.All {
		target, actual := 35.5, 0.0
		if !ind.Percent {
			target, actual = 1_234_567, 1_111_111
		}
		tg := store.Target{Indicator: ind.ID, Year: demoYear(), Target: &target}
		if !ind.Percent {
			tg.Actual = &actual
		}
		if err := m.Store.SetTarget(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	dashUser(t, m, "hq", store.WebAdmin, "")
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
}

// TestDashboardEveryPageBrowser opens every page in both languages in Chromium: axe-core finds
// no violation of serious or critical impact (nor the two the review found), and at a 390 px
// phone width no page is wider than the screen.
func TestDashboardEveryPageBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedBrowserDemo(t, m)
	base := "http://" + m.Addr()
	axe := axeSource(t)
	ctx := newBrowser(t, 1280, 900)
	check := func(u string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		open(t, ctx, u)
		if v := axeCheck(t, ctx, axe); len(v) > 0 {
			t.Errorf("%s: axe-core: %s", u, strings.Join(v, "; "))
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
			t.Fatal(err)
		}
		open(t, ctx, u)
		if w, win := pageWidth(t, ctx); w > win || win != 390 {
			t.Errorf("%s: %d px wide in a %d px window: %s", u, w, win, overflowing(t, ctx))
		}
	}
	for _, lang := range []string{"mn", "en"} {
		check(base + "/dashboard/login?lang=" + lang)
	}
	browserSignIn(t, ctx, base, "hq")
	for _, lang := range []string{"mn", "en"} {
		for _, p := range dashboardPages {
			check(base + p + "?lang=" + lang)
		}
	}
	// An aimag officer's pages, which differ (their aimag's soums, read-only devices).
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in"))); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, base, "arkhangai")
	for _, p := range []string{"/dashboard/", "/dashboard/units", "/dashboard/devices", "/dashboard/report"} {
		check(base + p + "?lang=mn")
	}
	// The favicon is there, so no page logs a 404 for it.
	if st, _ := newWeb(t, m).get("/favicon.ico"); st != 200 {
		t.Errorf("/favicon.ico: %d", st)
	}
}

// TestDashboardLayoutBrowser: the indicators page fits in Mongolian at 1,400 px (its tables stay
// inside their cards, badges whole), the KPI cards hold a billion ₮ at 1,280 px, the brand is
// Cyrillic in Mongolian, the 404 page does not repeat its title as an error, the map names the
// aimags, and an officer is not offered the national table.
func TestDashboardLayoutBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedBrowserDemo(t, m)
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1400, 1000)
	browserSignIn(t, ctx, base, "hq")
	for _, lang := range []string{"mn", "en"} {
		open(t, ctx, base+"/dashboard/indicators?lang="+lang)
		bad, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
			var out = [];
			document.querySelectorAll("section.indicator").forEach(function (card) {
				var r = card.getBoundingClientRect();
				card.querySelectorAll("table").forEach(function (tb) {
					if (tb.getBoundingClientRect().right > r.right + 1) out.push(card.dataset.indicator + ": table spills out of its card");
				});
				card.querySelectorAll(".scroll").forEach(function (s) {
					if (s.scrollWidth > s.clientWidth + 1) out.push(card.dataset.indicator + ": table " + s.scrollWidth + " > " + s.clientWidth);
				});
				card.querySelectorAll(".status").forEach(function (b) {
					var br = b.getBoundingClientRect();
					if (br.right > r.right || br.height > 30) out.push(card.dataset.indicator + ": badge " + b.textContent + " cut or wrapped");
				});
			});
			return out;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("section.indicator .status").length`)); n < 4 {
			t.Fatalf("%s: %d status badges on the indicators page", lang, n)
		}
		if len(bad) > 0 {
			t.Errorf("%s indicators at 1,400 px: %s", lang, strings.Join(bad, "; "))
		}
		// The target's legend entry is a dashed line, not a box with a dashed border.
		legend, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("canvas[data-kind=indicator]")).map(function (c) {
			var it = Chart.getChart(c).legend.legendItems[1];
			return it.pointStyle + ":" + (it.lineDash || []).join(",");
		})`))
		if err != nil || len(legend) != 4 || legend[0] != "line:6,4" {
			t.Errorf("%s target legend: %q %v, want line:6,4", lang, legend, err)
		}
		// Years sit at their real distance and 2022 is not joined to this year across the
		// years without figures.
		axis, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
			var ch = Chart.getChart(document.querySelector("canvas[data-kind=indicator]")), t = ch.data.datasets[1].data;
			return [ch.scales.x.type, String(t.some(function (p) { return p.y === null; }))];
		})()`))
		if err != nil || axis[0] != "linear" || axis[1] != "true" {
			t.Errorf("%s indicator chart x axis %q, break in the target line %v", lang, axis, err)
		}
		if w, win := pageWidth(t, ctx); w > win {
			t.Errorf("%s indicators: page %d px in %d", lang, w, win)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"mn", "en"} {
		open(t, ctx, base+"/dashboard/?lang="+lang)
		over, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
			var out = [];
			document.querySelectorAll("#overview .fig").forEach(function (card) {
				var v = card.querySelector(".value"), r = card.getBoundingClientRect(), vr = v.getBoundingClientRect();
				if (v.scrollWidth > v.clientWidth || vr.right > r.right - 8) out.push(v.textContent);
			});
			return out;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		money := figureText(t, ctx, "contributions_mnt")
		if !strings.HasPrefix(money, "1") || len([]rune(money)) < 13 {
			t.Fatalf("%s: contributions %q, want over a billion", lang, money)
		}
		if len(over) > 0 {
			t.Errorf("%s overview at 1,280 px: figures overflow their cards: %q", lang, over)
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1400, 1000)); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, base+"/dashboard/no-such-page?lang=mn")
	txt, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector(".brand").textContent, document.querySelector("main").innerText]`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(txt[0], "Талбар") {
		t.Errorf("brand in Mongolian: %q", txt[0])
	}
	if strings.Count(txt[1], "Ийм хуудас байхгүй байна") != 1 {
		t.Errorf("404 page repeats its title: %q", txt[1])
	}
	open(t, ctx, base+"/dashboard/units?lang=mn")
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#aimag-map text")).map(function (t) { return t.textContent; })`))
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) < 21 || !strings.Contains(strings.Join(labels, ","), "Архангай") {
		t.Errorf("map labels: %q", labels)
	}
	open(t, ctx, base+"/dashboard/?lang=en")
	titles, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () { var c = Chart.getChart("months-chart").options.scales;
		return [c.y.title.display ? c.y.title.text : "", c.y1.title.display ? c.y1.title.text : ""]; })()`))
	if err != nil || titles[0] != "Events and survey responses" || titles[1] != "People reached" {
		t.Errorf("month chart axis titles %q, %v", titles, err)
	}
	// The chart's figures are also a table (for a screen reader, or to read exact numbers).
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#months-table tbody tr").length`)); err != nil || n != 12 {
		t.Errorf("month table: %d rows, %v", n, err)
	}

	// An officer sees their own aimag: no link back to a national table they cannot open.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sign-out")), chromedp.WaitVisible(chromedp.ID("sign-in"))); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, base, "arkhangai")
	open(t, ctx, base+"/dashboard/units?lang=mn")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.querySelectorAll("#to-nation").length, document.querySelectorAll("#unit-table tbody tr").length]`))
	if err != nil || n[0] != 0 || n[1] < 19 {
		t.Errorf("officer's units page: %v links to the nation (want 0), %v soums, %v", n[0], n[1], err)
	}
}

// TestDashboardDevicesBrowser: after a device's full sync the devices page shows 0 pending; a
// device that only pulled shows its last contact; creating an inspector redirects after the
// POST, shows the code once with the server address and a QR code, and a reload creates nothing.
func TestDashboardDevicesBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	synced := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	puller := enrollDevice(t, m, "MN4101", syncproto.RoleInspector)
	// As the field app does: the outbox counted before the push (24 changes), all accepted.
	var changes []syncproto.Change
	for i := 0; i < 24; i++ {
		changes = append(changes, synced.change(newID(), "event", syncproto.OpUpsert,
			fmt.Sprintf(`{"kind":"open_day","date":%q,"unit":"MN6501","reached":{"herders":%d}}`, demoDate(1+i%12, 5), i+1)))
	}
	var resp syncproto.PushResponse
	if st := synced.do("POST", "/api/v1/push", syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: synced.device,
		DeviceTime: time.Now().Add(-3 * time.Minute).UTC().Format(time.RFC3339), Outbox: syncproto.OutboxHealth{Pending: 24},
		Changes: changes}, &resp); st != 200 || len(resp.Accepted) != 24 {
		t.Fatalf("push: %d, %d accepted", st, len(resp.Accepted))
	}
	var pr syncproto.PullResponse
	if st := puller.do("GET", "/api/v1/pull?since=0", nil, &pr); st != 200 {
		t.Fatalf("pull: %d", st)
	}
	dashUser(t, m, "hq", store.WebAdmin, "")
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 390, 844)
	// Headless Chromium's window is at least 500 px wide; the phone's viewport is emulated.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	browserSignIn(t, ctx, base, "hq")
	open(t, ctx, base+"/dashboard/devices?lang=mn")
	cell := func(dev, col string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`tr[data-device="`+dev+`"] td[data-col="`+col+`"]`)))
		if err != nil {
			t.Fatalf("devices table %s %s: %v", dev, col, err)
		}
		return strings.TrimSpace(s)
	}
	if got := cell(synced.device, "pending"); got != "0" {
		t.Errorf("pending after a full sync: %q, want 0", got)
	}
	if got := cell(synced.device, "skew"); got != "−3 мин" && got != "−2 мин" {
		t.Errorf("skew: %q, want −3 мин", got)
	}
	if got := cell(synced.device, "unit"); got != "Архангай / Эрдэнэбулган" {
		t.Errorf("unit: %q", got)
	}
	if got := cell(puller.device, "contact"); got == "—" || got == "" {
		t.Errorf("pull-only device's last contact: %q", got)
	}
	if got := cell(puller.device, "push"); got != "—" {
		t.Errorf("pull-only device's last push: %q, want —", got)
	}
	// The unit filter narrows the table to Arkhangai's device.
	open(t, ctx, base+"/dashboard/devices?sort=contact&dir=desc&unit=MN-073&lang=mn")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#devices-table tbody tr")).map(function (r) { return r.dataset.device; })`))
	if err != nil || len(rows) != 1 || rows[0] != synced.device {
		t.Errorf("devices filtered to Arkhangai: %v %v", rows, err)
	}

	// Post, redirect, get.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/dashboard/devices?lang=mn"),
		chromedp.WaitVisible(chromedp.ID("inspector-form")),
		chromedp.SendKeys(`#inspector-form input[name="name"]`, "Дорж"),
		chromedp.Click(`#inspector-form button[type="submit"]`),
		chromedp.WaitVisible(chromedp.ID("new-code")),
	); err != nil {
		t.Fatalf("create inspector: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || loc != base+"/dashboard/devices" {
		t.Errorf("after the POST the browser is at %q, want %s/dashboard/devices", loc, base)
	}
	code, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("new-code")))
	server, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.ID("code-server")))
	qr, _ := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.getElementById("code-qr").naturalWidth, document.getElementById("code-qr").complete ? 1 : 0]`))
	if code == "" || server != base || len(qr) != 2 || qr[0] < 100 || qr[1] != 1 {
		t.Errorf("code card: code %q, server %q, QR %v", code, server, qr)
	}
	if strings.Contains(loc, code) {
		t.Error("the code is in the URL")
	}
	if w, win := pageWidth(t, ctx); w > win || win != 390 {
		t.Errorf("devices page with the code card: %d px in %d", w, win)
	}
	// Printed, the page is the slip alone: the card shown, everything else and its own
	// buttons hidden.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main > *, #print-slip, #code-qr, #new-code, #code-server")).filter(function (e) {
		return e.offsetParent !== null || getComputedStyle(e).display !== "none" && e.getClientRects().length > 0;
	}).map(function (e) { return e.id || e.tagName; })`))
	if err != nil || strings.Join(shown, ",") != "code-card,code-server,new-code,code-qr" {
		t.Errorf("printed devices page shows %q, want the slip only %v", shown, err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("devices-table"))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#new-code").length`)); n != 0 {
		t.Error("a reload shows the one-time code again")
	}
	ins, _ := m.Store.Inspectors(context.Background())
	var named int
	for _, in := range ins {
		if in.Name == "Дорж" {
			named++
		}
	}
	if named != 1 {
		t.Errorf("%d inspectors named Дорж after a create and a reload, want 1", named)
	}
	// The code works with the server address shown.
	c := &client{tb: t, base: server, clock: synced.clock}
	var er syncproto.EnrollResponse
	if st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: code, DeviceName: "phone"}, &er); st != 201 {
		t.Errorf("enroll with the card: %d", st)
	}
}

// download clicks a link and returns the downloaded file.
func download(tb testing.TB, ctx context.Context, dir, linkID string) []byte {
	tb.Helper()
	before, _ := os.ReadDir(dir)
	seen := map[string]bool{}
	for _, e := range before {
		seen[e.Name()] = true
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID(linkID)), chromedp.Click(chromedp.ID(linkID))); err != nil {
		tb.Fatalf("click %s: %v", linkID, err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !seen[e.Name()] && !strings.HasSuffix(e.Name(), ".crdownload") {
				if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && len(b) > 0 {
					return b
				}
			}
		}
	}
	tb.Fatalf("%s: nothing downloaded", linkID)
	return nil
}

// TestDashboardXLSXBrowser downloads the XLSX exports in Chromium and opens them with excelize:
// dates are date cells, the header is frozen and carries an auto-filter, the survey sheet names
// its event, and both languages have the same columns.
func TestDashboardXLSXBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	devs := seedDemo(t, m, []string{"MN-073"}, 4, 5)
	c := devs["MN-073"]
	ev := newID()
	c.push(c.change(ev, "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":"herder_meeting","date":%q,"unit":"MN6501","place":"Багийн төв","reached":{"herders":9}}`, demoDate(4, 9))),
		c.change(newID(), "survey", syncproto.OpUpsert, fmt.Sprintf(`{"date":%q,"unit":"MN6501","event_id":%q,"target_group":"herders","age_band":"35-44","sex":"male","insurance_status":"voluntary","info_access":"yes","info_sources":["tv"],"satisfaction":4}`, demoDate(4, 9), ev)))
	dashUser(t, m, "hq", store.WebAdmin, "")
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1280, 900)
	browserSignIn(t, ctx, base, "hq")
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	headers := map[string][]string{}
	for _, lang := range []string{"mn", "en"} {
		open(t, ctx, base+"/dashboard/exports?lang="+lang)
		for _, id := range []string{"dl-events-xlsx", "dl-surveys-xlsx", "dl-totals-xlsx"} {
			f, err := excelize.OpenReader(strings.NewReader(string(download(t, ctx, dir, id))))
			if err != nil {
				t.Fatalf("%s %s: %v", lang, id, err)
			}
			sheet := f.GetSheetName(0)
			rows, err := f.GetRows(sheet)
			if err != nil || len(rows) < 2 {
				t.Fatalf("%s %s: %d rows, %v", lang, id, len(rows), err)
			}
			headers[id] = append(headers[id], fmt.Sprint(len(rows[0])))
			panes, err := f.GetPanes(sheet)
			if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
				t.Errorf("%s %s: header not frozen: %+v %v", lang, id, panes, err)
			}
			var filter string
			for _, dn := range f.GetDefinedName() {
				if dn.Name == "_xlnm._FilterDatabase" {
					filter = dn.RefersTo
				}
			}
			last, _ := excelize.CoordinatesToCellName(len(rows[0]), len(rows))
			if !strings.HasSuffix(filter, "!$A$1:$"+strings.TrimRight(last, "0123456789")+"$"+strings.TrimLeft(last, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")) &&
				!strings.HasSuffix(filter, "!A1:"+last) {
				t.Errorf("%s %s: auto-filter %q, want A1:%s", lang, id, filter, last)
			}
			if w, err := f.GetColWidth(sheet, "A"); err != nil || w < 9 {
				t.Errorf("%s %s: column A width %v %v", lang, id, w, err)
			}
			if id == "dl-totals-xlsx" {
				continue
			}
			// Column B is the date: a number with a date format, shown as the day.
			typ, err := f.GetCellType(sheet, "B2")
			raw, _ := f.GetCellValue(sheet, "B2", excelize.Options{RawCellValue: true})
			shown, _ := f.GetCellValue(sheet, "B2")
			if err != nil || typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString ||
				strings.Contains(raw, "-") || len(shown) != 10 || shown[4] != '-' {
				t.Errorf("%s %s: date cell B2 type %v raw %q shown %q", lang, id, typ, raw, shown)
			}
			if id == "dl-surveys-xlsx" {
				var found bool
				for _, r := range rows[1:] {
					for _, cell := range r {
						if strings.Contains(cell, " · ") && strings.Contains(cell, "Багийн төв") {
							found = true
						}
					}
				}
				if !found {
					t.Errorf("%s surveys: no row names its event by date, kind and place", lang)
				}
			}
			_ = f.Close()
		}
	}
	for id, n := range headers {
		if len(n) != 2 || n[0] != n[1] {
			t.Errorf("%s: columns in mn and en: %v", id, n)
		}
	}
}

// TestDashboardReportPrintBrowser prints the half-year report to PDF in Chromium and reads it
// back with pdftotext: every page is numbered "n / total", section 2's write-in box is on the
// page of its section, the signature block is there, the status badges stay on one line, and
// the places are ordered by people reached per event as the heading says.
func TestDashboardReportPrintBrowser(t *testing.T) {
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is not installed: run .ci/setup (poppler-utils)")
	}
	m := MustRunMain(t, tempDB(t))
	seedBrowserDemo(t, m)
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1280, 900)
	browserSignIn(t, ctx, base, "hq")
	// Both half-year reports' languages, and the annual performance report for the Director's
	// Council (half=0).
	for _, tc := range []struct{ lang, half string }{{"mn", "1"}, {"en", "1"}, {"mn", "0"}} {
		lang := tc.lang
		open(t, ctx, base+"/dashboard/report?half="+tc.half+"&lang="+lang)
		per, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("tr[data-per-event]")).map(function (r) { return r.dataset.perEvent; })`))
		if err != nil || len(per) < 2 {
			t.Fatalf("%s places: %v %v", lang, per, err)
		}
		for i := 1; i < len(per); i++ {
			a, _ := strconv.Atoi(strings.NewReplacer("\u00a0", "", ",", "").Replace(per[i-1]))
			b, _ := strconv.Atoi(strings.NewReplacer("\u00a0", "", ",", "").Replace(per[i]))
			if b > a {
				t.Errorf("%s places not sorted by reach per event: %v", lang, per)
			}
		}
		// In print, no badge wraps onto a second line.
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
			t.Fatal(err)
		}
		tall, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".report .status")).filter(function (b) {
			return b.getClientRects().length > 1 || b.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(b).fontSize) + 4;
		}).map(function (b) { return b.textContent; })`))
		if err != nil || len(tall) > 0 {
			t.Errorf("%s badges wrap in print: %q %v", lang, tall, err)
		}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Fatal(err)
		}
		prefer := true
		res, err := chromedp.Call(ctx, page.PrintToPDF, page.PrintToPDFParams{PaperWidth: 8.27, PaperHeight: 11.69, PreferCSSPageSize: &prefer})
		pdf := res.Data
		if err != nil {
			t.Fatalf("%s print: %v", lang, err)
		}
		path := filepath.Join(t.TempDir(), "report.pdf")
		if d := os.Getenv("TALBAR_KEEP_PDF"); d != "" {
			path = filepath.Join(d, "report-"+lang+"-h"+tc.half+".pdf")
		}
		if err := os.WriteFile(path, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext: %v", err)
		}
		pages := strings.Split(strings.TrimRight(string(out), "\f\n "), "\f")
		if len(pages) < 2 {
			t.Fatalf("%s report prints on %d page", lang, len(pages))
		}
		cat, err := i18n.New(assets.Translations())
		if err != nil {
			t.Fatal(err)
		}
		write, q2, sign := cat.T(lang, "dash.report.write_here"), "2. "+cat.T(lang, "dash.report.q2"), cat.T(lang, "dash.report.sign.approved")
		if all := strings.Join(pages, "\n"); !strings.Contains(all, cat.T(lang, "dash.report.sign.prepared")) || !strings.Contains(all, cat.T(lang, "dash.report.sign.reviewed")) {
			t.Errorf("%s half=%s: the signature block lacks prepared or reviewed", lang, tc.half)
		}
		var q2Page, signPage = -1, -1
		for i, p := range pages {
			// pdftotext drops the spaces around the slash.
			if want := fmt.Sprintf("%d/%d", i+1, len(pages)); !strings.Contains(strings.ReplaceAll(p, " ", ""), want) {
				t.Errorf("%s page %d has no page number %q", lang, i+1, want)
			}
			if strings.Contains(p, q2) {
				q2Page = i
				after := p[strings.Index(p, q2):]
				if !strings.Contains(after, write) {
					t.Errorf("%s: section 2's write-in box is not on the page of its heading (page %d)", lang, i+1)
				}
			}
			if strings.Contains(p, sign) {
				signPage = i
			}
		}
		if q2Page < 0 || signPage < 0 {
			t.Errorf("%s: section 2 on page %d, signature block on page %d", lang, q2Page+1, signPage+1)
		}
	}
}
