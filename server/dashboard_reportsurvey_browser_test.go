package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"talbar/server/store"
	"talbar/syncproto"
)

// TestDashboardReportSurveysByGroupBrowser: section 5 of the half-year report shows, beside the
// reach, channels and places, the knowledge and attitude results of each target group from the
// surveys a device pushed through the real sync API (surveyresult.Compute): the favourable share,
// n and the 95 % interval per group, only the half-year's surveys; in Chromium, in Mongolian and
// English, and in the report's XLSX.
func TestDashboardReportSurveysByGroupBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "hqadmin", store.WebAdmin, "")
	dev := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	base := "http://" + m.Addr()

	survey := func(date, group, knows, trusts, insured string) {
		t.Helper()
		r := dev.push(dev.change(newID(), "survey", syncproto.OpUpsert, fmt.Sprintf(
			`{"catalogue_version":2,"date":%q,"unit":"MN6501","target_group":%q,"age_band":"25-34","insurance_status":%q,"info_access":"yes","satisfaction":4,"knows_voluntary":%q,"trusts_fund":%q}`,
			date, group, insured, knows, trusts)))
		if len(r.Accepted) != 1 {
			t.Fatalf("survey %s %s: %+v", date, group, r)
		}
	}
	survey("2025-03-04", "herders", "yes", "yes", "mandatory")
	survey("2025-03-05", "herders", "yes", "no", "voluntary")
	survey("2025-04-10", "herders", "no", "dont_know", "none")
	survey("2025-05-20", "students", "yes", "partly", "voluntary")
	survey("2025-08-01", "students", "no", "no", "pensioner") // second half-year: not in the H1 report
	if r := dev.push(dev.change(newID(), "event", syncproto.OpUpsert,
		`{"kind":"open_day","date":"2025-03-04","unit":"MN6501","reached":{"herders":40,"students":7},"channels":["in_person"]}`)); len(r.Accepted) != 1 {
		t.Fatalf("event: %+v", r)
	}

	ctx := newBrowser(t, 1280, 1000)
	browserSignIn(t, ctx, base, "hqadmin")
	cell := func(group, q string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { var td = document.querySelector('#report-survey-groups tr[data-group="`+group+`"] td[data-q="`+q+`"]'); return td ? td.innerText.replace(/\s+/g, " ").trim() : "missing"; })()`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	open(t, ctx, base+"/dashboard/report?unit=MN6501&year=2025&half=1&lang=mn")
	for _, c := range []struct{ group, q, want string }{
		{"", "knows_voluntary", "75.0% n=4 30.1–95.4%"},
		{"herders", "knows_voluntary", "66.7% n=3 20.8–93.9%"},
		{"students", "knows_voluntary", "100.0% n=1 20.7–100.0%"},
		{"herders", "trusts_fund", "33.3% n=3 6.1–79.2%"},
		{"", "info_access", "100.0% n=4 51.0–100.0%"},
	} {
		if got := cell(c.group, c.q); got != c.want {
			t.Errorf("mn %s/%s = %q, want %q", c.group, c.q, got, c.want)
		}
	}
	// Coverage by group as the surveys see it: mandatory and voluntary count as insured, the
	// voluntary share is of the insured; every group is under MinAnswers, so in italics.
	cover := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#report-survey-coverage tbody tr')).map(function (tr) { return tr.dataset.group + ":" + Array.from(tr.children).map(function (c) { return c.innerText.trim(); }).join("|") + (tr.classList.contains("few") && getComputedStyle(tr.querySelector("td")).fontStyle === "italic" ? ":italic" : ""); }).join("\n")`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got, want := cover(), ":Бүгд|75.0%|4|30.1–95.4%|66.7%:italic\nherders:Малчин|66.7%|3|20.8–93.9%|50.0%:italic\nstudents:Оюутан, суралцагч|100.0%|1|20.7–100.0%|100.0%:italic"; got != want {
		t.Errorf("mn coverage by group =\n%s\nwant\n%s", got, want)
	}
	// The table stands in section 5 with reach, channels and places.
	sec, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("report-survey-groups").closest("section").innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"5. Зорилтот бүлэгт хүрсэн үр дүн", "Мэдлэг, хандлага, ойлголт — зорилтот бүлгээр", "Арга хэмжээнд хамрагдсан иргэд",
		"Мэдээлэл хүргэсэн суваг", "Нийгмийн даатгалд хамрагдалт — зорилтот бүлгээр (судалгаанд хамрагдагсдын дунд)", "албан ёсны хамрагдалтын үзүүлэлт биш", "Нэг арга хэмжээнд хамгийн олон хүн хамруулсан газрууд", "Мэдлэг", "Хандлага", "Малчин", "Оюутан, суралцагч"} {
		if !strings.Contains(sec, want) {
			t.Errorf("section 5 lacks %q", want)
		}
	}
	if v := axeCheck(t, ctx, axeSource(t)); len(v) > 0 {
		t.Errorf("axe on the report with section 5's survey table: %s", strings.Join(v, "; "))
	}
	open(t, ctx, base+"/dashboard/report?unit=MN6501&year=2025&half=2&lang=en")
	if got, want := cell("students", "knows_voluntary"), "0.0% n=1 0.0–79.3%"; got != want {
		t.Errorf("en H2 students = %q, want %q", got, want)
	}
	if got, want := cover(), ":All|0.0%|1|0.0–79.3%|—:italic\nstudents:Students|0.0%|1|0.0–79.3%|—:italic"; got != want {
		t.Errorf("en H2 coverage (a pensioner is not insured) =\n%s\nwant\n%s", got, want)
	}
	if got := cell("herders", "knows_voluntary"); got != "missing" {
		t.Errorf("H2 shows herders, who were surveyed in H1: %q", got)
	}
	open(t, ctx, base+"/dashboard/report?unit=MN6501&year=2024&half=1&lang=mn")
	if none, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.getElementById("report-survey-none")`)); !none {
		t.Error("a half-year without surveys does not say so")
	}

	hq := dashSignIn(t, m, "hqadmin")
	st, xb := hq.get("/dashboard/report?unit=MN6501&year=2025&half=1&lang=mn&format=xlsx")
	f, err := excelize.OpenReader(strings.NewReader(xb))
	if st != 200 || err != nil {
		t.Fatalf("report XLSX: %d %v", st, err)
	}
	rows, _ := f.GetRows(f.GetSheetList()[0])
	var flat []string
	for _, r := range rows {
		flat = append(flat, strings.Join(r, "|"))
	}
	all := strings.Join(flat, "\n")
	// Every group here has fewer answers than the minimum: italic, as on the page.
	if st, err := f.GetCellStyle(f.GetSheetList()[0], cellOf(t, rows, "Малчин|66.7%", 2)); err != nil || st == 0 {
		t.Errorf("herders' cell is not styled apart: %d %v", st, err)
	} else if s, _ := f.GetStyle(st); s.Font == nil || !s.Font.Italic {
		t.Errorf("herders' cell is not italic: %+v", s.Font)
	}
	if st, _ := f.GetCellStyle(f.GetSheetList()[0], cellOf(t, rows, "Малчин|66.7%|3|", 2)); st == 0 {
		t.Error("herders' coverage cell is not styled apart")
	} else if s, _ := f.GetStyle(st); s.Font == nil || !s.Font.Italic {
		t.Errorf("herders' coverage cell is not italic: %+v", s.Font)
	}
	for _, want := range []string{"Мэдлэг, хандлага, ойлголт — зорилтот бүлгээр (судалгааны дүн)",
		"Зорилтот бүлэг|Мэдлэг: Та нийгмийн даатгалд сайн дураар даатгуулж болдгийг мэдэх үү?",
		"Малчин|66.7% (n=3; 20.8–93.9%)", "Оюутан, суралцагч|100.0% (n=1; 20.7–100.0%)",
		"Нэг арга хэмжээнд хамгийн олон хүн хамруулсан газрууд",
		"Нийгмийн даатгалд хамрагдалт — зорилтот бүлгээр (судалгаанд хамрагдагсдын дунд)",
		"Зорилтот бүлэг|Даатгуулсан хувь|n|95%-ийн итгэх интервал|Үүнээс сайн дурын",
		"Малчин|66.7%|3|20.8–93.9%|50.0%", "Оюутан, суралцагч|100.0%|1|20.7–100.0%|100.0%"} {
		if !strings.Contains(all, want) {
			t.Errorf("report XLSX lacks %q:\n%s", want, all)
		}
	}
}

// cellOf names the cell in column col (1-based) of the first row whose cells, joined by "|",
// start with prefix.
func cellOf(t *testing.T, rows [][]string, prefix string, col int) string {
	t.Helper()
	for i, r := range rows {
		if strings.HasPrefix(strings.Join(r, "|"), prefix) {
			c, _ := excelize.CoordinatesToCellName(col, i+1)
			return c
		}
	}
	t.Fatalf("no row starts with %q", prefix)
	return ""
}
