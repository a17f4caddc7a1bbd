package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"talbar/server/dashboard"
	"talbar/server/store"
	"talbar/syncproto"
)

// planYear is a programme year, so Annex 1's years matter: 2.6 ran only in 2019–2020.
const planYear = 2022

// seedPlanEvents records in Arkhangai's Erdenebulgan: in the first half 3 open days, a
// market-day event (1.5 counts both) of which one with the labour and welfare office (2.9),
// and 2 survey answers; in the second half 2 herder meetings reaching 30 and 20 people.
func seedPlanEvents(t *testing.T, m *Main) {
	t.Helper()
	c := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	ev := func(kind, date, extra string) syncproto.Change {
		return c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":%q,"date":%q,"unit":"MN6501"%s}`, kind, date, extra))
	}
	c.push(ev("open_day", "2022-02-10", ""), ev("open_day", "2022-03-10", `,"partners":["labour_welfare","governor"]`),
		ev("open_day", "2022-05-02", `,"partners":["bank"]`), ev("market_day", "2022-06-30", ""),
		ev("herder_meeting", "2022-08-01", `,"reached":{"herders":30}`), ev("herder_meeting", "2022-11-20", `,"reached":{"herders":20}`),
		c.change(newID(), "survey", syncproto.OpUpsert, `{"date":"2022-04-04","unit":"MN6501","target_group":"herders","age_band":"35-44","sex":"female","insurance_status":"voluntary","info_access":"partly","info_sources":["tv"],"satisfaction":4}`),
		c.change(newID(), "survey", syncproto.OpUpsert, `{"date":"2022-04-05","unit":"MN6501","target_group":"herders","age_band":"25-34","sex":"male","insurance_status":"voluntary","info_access":"no","info_sources":["tv"],"satisfaction":2}`))
}

// planCell reads a plan page's cell for an activity and column (planned, done, share).
func planCell(t *testing.T, body, act, col string) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr data-activity="` + regexp.QuoteMeta(act) + `"[^>]*>.*?data-col="` + col + `"[^>]*>(.*?)</td>`)
	mm := re.FindStringSubmatch(body)
	if mm == nil {
		t.Fatalf("no %s cell for %s", col, act)
	}
	return strings.TrimSpace(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(mm[1], ""))
}

// TestDashboardAnnualPlan: an aimag officer enters the year's plan on the form (a bad cell is
// refused naming the field, nothing saved), the plan page then shows planned, done and share
// per activity and half-year, with "not planned" apart from "not in Annex 1" and "not recorded";
// the XLSX template comes back filled in, a file with bad cells is refused cell by cell, a
// good one is saved as a new version; every version is in the history; a stale form is not
// saved over a newer plan; the officer cannot plan another aimag, a viewer cannot plan at all.
func TestDashboardAnnualPlan(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedPlanEvents(t, m)
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
	dashUser(t, m, "viewer", store.WebViewer, "")
	w := dashSignIn(t, m, "arkhangai")
	plans := m.Store.(store.AnnualPlans)
	ctx := context.Background()
	q := fmt.Sprintf("unit=MN-073&year=%d", planYear)

	st, body := w.get("/dashboard/plan/edit?" + q)
	if st != 200 || !strings.Contains(body, `name="h1.1.5"`) || strings.Contains(body, `name="h1.1.2"`) || strings.Contains(body, `name="h1.3.5"`) ||
		strings.Contains(body, `name="h1.2.6"`) || !strings.Contains(body, `name="h1.3.6"`) {
		t.Fatalf("plan form for an aimag in 2022 (1.5, 3.6 yes; 1.2, 3.5 central, 2.6 not in 2022): %d %.300s", st, body)
	}
	form := url.Values{"unit": {"MN-073"}, "year": {fmt.Sprint(planYear)}, "base": {"0"},
		"h1.1.5": {"abc"}, "h2.1.5": {"4"}, "cost.1.5": {"-5"}, "h1.2.9": {"2"}}
	st, body = w.post("/dashboard/plan/edit", form)
	if st != 400 || !strings.Contains(body, "Бүхэл тоо оруулна уу, жишээ нь 12") || !strings.Contains(body, "0 буюу түүнээс их тоо оруулна уу") ||
		!strings.Contains(body, `value="abc"`) {
		t.Fatalf("bad plan form: %d %.2000s", st, body[strings.Index(body, "<main"):])
	}
	if p, _ := plans.AnnualPlan(ctx, "MN-073", planYear); p.Version != 0 {
		t.Fatalf("a refused form saved version %d", p.Version)
	}
	form.Set("h1.1.5", "8")
	form.Set("cost.1.5", "1 500 000")
	form.Set("funding.1.5", "si_budget")
	hreq, _ := http.NewRequest("POST", w.base+"/dashboard/plan/edit", strings.NewReader(withCSRF(w, form).Encode()))
	hreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, _ := w.do(hreq); resp.StatusCode != 303 || !strings.Contains(resp.Header.Get("Location"), "saved=1") {
		t.Fatalf("save plan: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	p, err := plans.AnnualPlan(ctx, "MN-073", planYear)
	if err != nil || p.Version != 1 || p.By != "arkhangai" || len(p.Items) != 2 || p.Items[0].H1 != 8 || *p.Items[0].CostMNT != 1_500_000 {
		t.Fatalf("saved plan: %+v %v", p, err)
	}

	// The plan page: first half, then the year, in both languages.
	_, body = w.get("/dashboard/plan?period=h1&" + q)
	for _, c := range []struct{ act, col, want string }{
		{"1.5", "planned", "8"}, {"1.5", "done", "4"}, {"1.5", "share", "50.0%"},
		{"2.9", "planned", "2"}, {"2.9", "done", "1"}, {"2.9", "share", "50.0%"},
		{"1.1", "planned", "Төлөвлөөгүй"}, {"1.1", "done", "2"}, {"1.1", "share", "—"},
		{"1.2", "planned", "Энэ түвшинд биш (Хавсралт 1: Т)"}, {"3.5", "planned", "Энэ түвшинд биш (Хавсралт 1: Т, Н)"},
		{"2.6", "planned", "Хавсралт 1-д 2022 онд байхгүй"},
		{"2.4", "planned", "Төлөвлөөгүй"}, {"2.4", "done", "0"}, {"2.8", "done", "«Талбар» програмд бүртгэдэггүй"},
		{"3.5", "done", "«Талбар» програмд бүртгэдэггүй"},
	} {
		if got := planCell(t, body, c.act, c.col); got != c.want {
			t.Errorf("H1 %s %s: %q, want %q", c.act, c.col, got, c.want)
		}
	}
	// Every word on the plan pages comes from the catalogues: no key is shown as such.
	rawKey := regexp.MustCompile(`[>\s"](plan|dash)\.[a-z_]+(\.[a-z0-9_]+)*[<\s"]`)
	for _, lang := range []string{"mn", "en"} {
		for _, u := range []string{"/dashboard/plan?", "/dashboard/plan/edit?"} {
			_, b := w.get(u + "lang=" + lang + "&" + q)
			main := b[strings.Index(b, "<main"):]
			if k := rawKey.FindString(regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(main, " ")); k != "" {
				t.Errorf("%s%s shows the catalogue key %q", u, lang, k)
			}
		}
	}
	_, body = w.get("/dashboard/plan?period=year&lang=en&" + q)
	for _, c := range []struct{ act, col, want string }{
		{"1.5", "planned", "12"}, {"1.5", "done", "4"}, {"1.5", "share", "33.3%"}, {"2.1", "planned", "Not planned"},
		{"2.1", "done", "50"}, {"2.6", "planned", "Not in Annex 1 for 2022"},
	} {
		if got := planCell(t, body, c.act, c.col); got != c.want {
			t.Errorf("year (en) %s %s: %q, want %q", c.act, c.col, got, c.want)
		}
	}

	// The template, filled in offline: three bad cells, then right.
	st, body = w.get("/dashboard/plan/template.xlsx?lang=mn&" + q)
	if st != 200 {
		t.Fatalf("template: %d", st)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatalf("template is not XLSX: %v", err)
	}
	sheet := f.GetSheetList()[0]
	rows, _ := f.GetRows(sheet)
	rowOf := map[string]int{}
	for i, r := range rows {
		if len(r) > 0 {
			rowOf[r[0]] = i + 1
		}
	}
	if rowOf["1.5"] == 0 || rowOf["1.2"] != 0 || rows[rowOf["1.5"]-1][3] != "8" || rows[rowOf["1.5"]-1][5] != "Нийгмийн даатгалын байгууллагын төсөв" {
		t.Fatalf("template rows: %q", rows)
	}
	set := func(col, act string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, fmt.Sprintf("%s%d", col, rowOf[act]), v); err != nil {
			t.Fatal(err)
		}
	}
	set("D", "2.1", 500)
	set("E", "1.5", "abc")
	set("F", "2.9", "Лотерей")
	set("G", "2.9", -3)
	var buf bytes.Buffer
	f.WriteTo(&buf)
	st, body = uploadPlan(t, w, "MN-073", planYear, buf.Bytes())
	wantCells := []string{fmt.Sprintf("E%d нүд: Бүхэл тоо оруулна уу", rowOf["1.5"]), fmt.Sprintf("F%d нүд: Санхүүжилтийн эх үүсвэрийг жагсаалтаас сонгоно уу", rowOf["2.9"]),
		fmt.Sprintf("G%d нүд: 0 буюу түүнээс их", rowOf["2.9"]), "3 нүдийг засах"}
	for _, s := range wantCells {
		if st != 400 || !strings.Contains(body, s) {
			t.Errorf("bad file: %d, no %q in %.1500s", st, s, body[strings.Index(body, "<main"):])
		}
	}
	if p, _ := plans.AnnualPlan(ctx, "MN-073", planYear); p.Version != 1 {
		t.Fatalf("a refused file saved version %d", p.Version)
	}
	set("E", "1.5", 6)
	set("F", "2.9", "Бусад эх үүсвэр")
	set("G", "2.9", 250000)
	buf.Reset()
	f.WriteTo(&buf)
	if st, body = uploadPlan(t, w, "MN-073", planYear, buf.Bytes()); st != 303 {
		t.Fatalf("good file: %d %.1500s", st, body)
	}
	p, _ = plans.AnnualPlan(ctx, "MN-073", planYear)
	if p.Version != 2 || len(p.Items) != 3 || p.Items[0].H2 != 6 || p.Items[1].Activity != "2.1" || p.Items[1].H1 != 500 || p.Items[2].Funding != "other" {
		t.Fatalf("plan after the file: %+v", p)
	}
	// Another unit's template is refused by name.
	_, other := w.get(fmt.Sprintf("/dashboard/plan/template.xlsx?unit=MN-073&year=%d", planYear-1))
	if st, body = uploadPlan(t, w, "MN-073", planYear, []byte(other)); st != 400 || !strings.Contains(body, "өөр төлөвлөгөөнийх (Архангай, 2021 он)") {
		t.Errorf("another year's file: %d %.600s", st, body[strings.Index(body, "<main"):])
	}
	if st, body = uploadPlan(t, w, "MN-073", planYear, []byte("not a spreadsheet")); st != 400 || !strings.Contains(body, "XLSX хүснэгт биш") {
		t.Errorf("not a spreadsheet: %d", st)
	}

	// History: version 2 by file (1.5 and 2.9 changed, 2.1 added), version 1 by form.
	_, body = w.get("/dashboard/plan/edit?" + q)
	for _, s := range []string{`data-version="2" data-activity="1.5"`, `data-version="2" data-activity="2.1"`, `data-version="1" data-activity="2.9"`,
		"XLSX файл", "I хагас 8, II хагас 4; Нийгмийн даатгалын байгууллагын төсөв; " + dashboard.FormatInt("mn", 1_500_000) + " ₮"} {
		if !strings.Contains(body, s) {
			t.Errorf("history lacks %q", s)
		}
	}
	// A form opened at version 1 does not overwrite version 2.
	form.Set("base", "1")
	if st, body = w.post("/dashboard/plan/edit", form); st != 409 || !strings.Contains(body, "энэ хооронд arkhangai энэ төлөвлөгөөг хадгалсан") {
		t.Errorf("stale form: %d", st)
	}
	// Scope: not another aimag's plan; a viewer reads but does not plan.
	if st, _ := w.get(fmt.Sprintf("/dashboard/plan/edit?unit=MN-047&year=%d", planYear)); st != 403 {
		t.Errorf("officer opens another aimag's plan form: %d", st)
	}
	form.Set("unit", "MN-047")
	if st, _ := w.post("/dashboard/plan/edit", form); st != 403 {
		t.Errorf("officer saves another aimag's plan: %d", st)
	}
	vw := dashSignIn(t, m, "viewer")
	if st, body := vw.get("/dashboard/plan?" + q); st != 200 || strings.Contains(body, `id="edit-plan"`) || planCell(t, body, "1.5", "planned") != "14" {
		t.Errorf("viewer's plan page: %d, planned 1.5 %q", st, planCell(t, body, "1.5", "planned"))
	}
	if st, _ := vw.post("/dashboard/plan/edit", url.Values{"unit": {"MN-073"}, "year": {"2022"}, "base": {"2"}}); st != 403 {
		t.Errorf("viewer saves a plan: %d", st)
	}
	// The nation's page adds up every plan below it.
	if _, body := vw.get(fmt.Sprintf("/dashboard/plan?unit=MN&year=%d", planYear)); planCell(t, body, "2.1", "planned") != "500" {
		t.Errorf("national 2.1 planned: %q", planCell(t, body, "2.1", "planned"))
	}
}

func withCSRF(w *web, f url.Values) url.Values {
	g := url.Values{}
	for k, v := range f {
		g[k] = v
	}
	g.Set("csrf", w.csrf)
	return g
}

// uploadPlan posts a file to the plan upload form as a browser does (multipart).
func uploadPlan(t *testing.T, w *web, unit string, year int, data []byte) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"csrf": w.csrf, "unit": unit, "year": fmt.Sprint(year)} {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "plan.xlsx")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", w.base+"/dashboard/plan/upload", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, b := w.do(req)
	return resp.StatusCode, string(b)
}
