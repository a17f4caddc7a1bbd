package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"talbar/server/store"
)

// TestDashboardPlanBrowser: in Chromium an aimag officer types a plan (a wrong figure is
// marked beside its field, then fixed and saved), sees planned, done and share on the plan
// page in both languages, uploads a filled-in template with a bad cell through the file field
// and reads which cell is wrong; both pages fit a 390 px phone and pass axe-core.
func TestDashboardPlanBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedPlanEvents(t, m)
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
	base := "http://" + m.Addr()
	axe := axeSource(t)
	ctx := newBrowser(t, 1400, 1000)
	browserSignIn(t, ctx, base, "arkhangai")
	edit := fmt.Sprintf("%s/dashboard/plan/edit?unit=MN-073&year=%d&lang=mn", base, planYear)
	open(t, ctx, edit)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys("#h1-1\\.5", "abc"), chromedp.SendKeys("#h2-1\\.5", "4"), chromedp.SendKeys("#h1-2\\.9", "2"),
		chromedp.Click("#save-plan"), chromedp.WaitVisible("#plan-error"),
	); err != nil {
		t.Fatalf("type a bad plan: %v", err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(function () {
		var i = document.getElementById("h1-1.5"), e = document.getElementById(i.getAttribute("aria-describedby") || "none");
		return [i.getAttribute("aria-invalid") || "", e ? e.textContent : "", i.value, document.getElementById("h2-1.5").value];
	})()`))
	if err != nil || msg[0] != "true" || msg[1] != "Бүхэл тоо оруулна уу, жишээ нь 12" || msg[2] != "abc" || msg[3] != "4" {
		t.Fatalf("bad field after the refused form: %q %v", msg, err)
	}
	if v := axeCheck(t, ctx, axe); len(v) > 0 {
		t.Errorf("refused plan form: axe-core: %s", strings.Join(v, "; "))
	}
	if err := chromedp.Do(ctx,
		chromedp.Clear("#h1-1\\.5"), chromedp.SendKeys("#h1-1\\.5", "8"),
		chromedp.SetValue("#funding-1\\.5", "si_budget"),
		chromedp.Click("#save-plan"), chromedp.WaitVisible("#plan-saved"),
		chromedp.Click("#to-plan"), chromedp.WaitVisible("#plan-table"),
	); err != nil {
		t.Fatalf("save the plan: %v", err)
	}
	cells := func(act string) []string {
		t.Helper()
		c, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#plan-table tr[data-activity="`+act+`"] td[data-col]')).map(function (td) { return td.textContent.trim(); })`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if got := strings.Join(cells("1.5"), "|"); got != "12|4|33.3%" {
		t.Errorf("1.5 for the year: %s, want 12|4|33.3%%", got)
	}
	if got := strings.Join(cells("2.1"), "|"); got != "Төлөвлөөгүй|50|—" {
		t.Errorf("2.1 for the year: %s", got)
	}
	// The half-year selector submits itself.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () { var s = document.getElementById("f-period");
		s.value = "h1"; s.dispatchEvent(new Event("change")); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.search.indexOf("period=h1") >= 0 && document.readyState === "complete" && !!document.getElementById("plan-table")`))
		if err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("choose the first half: %v", err)
		}
	}
	if got := strings.Join(cells("1.5"), "|"); got != "8|4|50.0%" {
		t.Errorf("1.5 for H1: %s, want 8|4|50.0%%", got)
	}
	open(t, ctx, fmt.Sprintf("%s/dashboard/plan?unit=MN-073&year=%d&period=h1&lang=en", base, planYear))
	if got := strings.Join(cells("1.2"), "|"); got != "Not at this level (Annex 1: H)|0|—" {
		t.Errorf("1.2 at an aimag: %s", got)
	}
	if v := axeCheck(t, ctx, axe); len(v) > 0 {
		t.Errorf("plan page: axe-core: %s", strings.Join(v, "; "))
	}

	// The template, with a bad cell, through the page's file field.
	w := dashSignIn(t, m, "arkhangai")
	_, body := w.get(fmt.Sprintf("/dashboard/plan/template.xlsx?unit=MN-073&year=%d&lang=mn", planYear))
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetList()[0]
	rows, _ := f.GetRows(sheet)
	row := 0
	for i, r := range rows {
		if len(r) > 0 && r[0] == "2.1" {
			row = i + 1
		}
	}
	f.SetCellValue(sheet, fmt.Sprintf("D%d", row), "12,5")
	var buf bytes.Buffer
	f.WriteTo(&buf)
	path := filepath.Join(t.TempDir(), "plan.xlsx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, ctx, edit)
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles("#plan-file", []string{path}), chromedp.Click("#upload-plan"),
		chromedp.WaitVisible("#plan-problems")); err != nil {
		t.Fatalf("upload: %v", err)
	}
	probs, _ := chromedp.Run(ctx, chromedp.TextContent("#plan-problems"))
	if want := fmt.Sprintf("D%d нүд: Бүхэл тоо оруулна уу, жишээ нь 12", row); !strings.Contains(probs, want) {
		t.Errorf("upload problems %q, want %q", probs, want)
	}

	// A phone: both pages fit.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{edit, fmt.Sprintf("%s/dashboard/plan?unit=MN-073&year=%d&lang=mn", base, planYear)} {
		open(t, ctx, u)
		if w, win := pageWidth(t, ctx); w > win {
			t.Errorf("%s at 390 px: %d px wide", u, w)
		}
	}
}
