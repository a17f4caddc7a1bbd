package main

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"talbar/server/store"
	"talbar/syncproto"
)

// noteBox is the text of a report section's written box.
func noteBox(t *testing.T, body, section string) string {
	t.Helper()
	mm := regexp.MustCompile(`(?s)data-note="` + section + `">(.*?)</div>`).FindStringSubmatch(body)
	if mm == nil {
		t.Fatalf("no %s box on the report", section)
	}
	return html.UnescapeString(strings.TrimSpace(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(mm[1], "")))
}

// TestDashboardReportNotes: section 2 of the half-year report lists the deviations from the
// division's plan (not this half against the last) and says so when no plan was entered; a
// division writes why, its findings, recommendations and measures; headquarters reads them,
// named by division, on the national report; the second half's report follows up the first
// half's recommendations; a text over the limit is refused and kept; a viewer cannot write.
func TestDashboardReportNotes(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedPlanEvents(t, m)
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "arkhangai")
	y := fmt.Sprint(planYear)
	if st, _ := w.post("/dashboard/plan/edit", url.Values{"unit": {"MN-073"}, "year": {y}, "base": {"0"},
		"h1.1.5": {"8"}, "h1.1.1": {"2"}, "h1.2.9": {"2"}}); st != 303 {
		t.Fatalf("save plan: %d", st)
	}
	_, body := w.get("/dashboard/report?unit=MN-073&half=1&lang=mn&year=" + y)
	dev := body[strings.Index(body, `id="report-s2"`):strings.Index(body, `id="report-s3"`)]
	if !strings.Contains(dev, "Төлөвлөснөөс өөр өөрчлөлт гарсан байдал, шалтгаан") || !strings.Contains(dev, `data-activity="1.5"`) ||
		!strings.Contains(dev, `data-activity="2.9"`) || strings.Contains(dev, `data-activity="1.1"`) || strings.Contains(dev, "Өмнөх хагас жил") {
		t.Errorf("section 2 is not the deviations from the plan (1.5 and 2.9 short, 1.1 done as planned): %s", dev)
	}
	// Section 3: each objective's expected result (Annex 1) and how many of its planned
	// activities were done in full: 1.1 (2 answers of 2) but not 1.5 (4 of 8); 2.9 not; none
	// planned under objective 3.
	for _, tc := range []struct{ id, planned, full, text string }{
		{"1", "2", "1", "1 / 2 үйл ажиллагаа"}, {"2", "1", "0", "0 / 1 үйл ажиллагаа"}, {"3", "0", "0", "Төлөвлөөгүй"},
	} {
		re := regexp.MustCompile(`(?s)<tr data-objective="` + tc.id + `"><td>[^<]+</td><td>([^<]+)</td><td data-planned="(\d+)" data-full="(\d+)">([^<]+)</td>`)
		mm := re.FindStringSubmatch(body)
		if mm == nil || mm[2] != tc.planned || mm[3] != tc.full || mm[4] != tc.text || !strings.HasSuffix(mm[1], "байна.") {
			t.Errorf("section 3, objective %s: %q", tc.id, mm)
		}
	}
	// Section 5, the methods used: channels and topics of the events, from the field app.
	c := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	c.push(c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":"lecture","date":"%d-04-20","unit":"MN6501","reached_total":25,"channels":["sms","in_person"],"topics":["pensions"]}`, planYear)))
	_, body = w.get("/dashboard/report?unit=MN-073&half=1&lang=mn&year=" + y)
	s5 := body[strings.Index(body, "Мэдээлэл хүргэсэн суваг (арга хэмжээний тоо)"):]
	for _, want := range []string{`<th>Мессеж</th><td class="num">1</td>`, `<th>Биечлэн, амаар</th><td class="num">1</td>`, "Тайлбарласан сэдэв (арга хэмжээний тоо)"} {
		if !strings.Contains(s5, want) {
			t.Errorf("section 5 lacks %q", want)
		}
	}
	if _, b := w.get("/dashboard/report?unit=MN-073&half=1&year=2021"); !strings.Contains(b, `id="no-plan"`) {
		t.Error("a half-year without a plan does not say so")
	}
	notes := url.Values{"unit": {"MN-073"}, "year": {y}, "half": {"1"},
		"note.deviations":      {"Цас ихтэй байсан тул 4 өдөрлөг хойшилсон."},
		"note.feedback":        {"Банкууд хамтарч ажиллах санал гаргасан."},
		"note.findings":        {"Малчдын уулзалт хамгийн олон хүнд хүрсэн."},
		"note.recommendations": {"Захын өдөрлөгийг улирал бүр зохион байгуулах."},
	}
	if st, _ := w.post("/dashboard/report/notes", notes); st != 303 {
		t.Fatalf("save notes: %d", st)
	}
	_, body = w.get("/dashboard/report?unit=MN-073&half=1&year=" + y)
	for s, want := range map[string]string{"deviations": notes.Get("note.deviations"), "feedback": notes.Get("note.feedback"),
		"recommendations": notes.Get("note.recommendations"), "measures": "Хэлтэс, газар бөглөнө."} {
		if got := noteBox(t, body, s); got != want {
			t.Errorf("H1 %s: %q, want %q", s, got, want)
		}
	}
	// The second half follows up the first half's recommendations.
	_, body = w.get("/dashboard/report?unit=MN-073&half=2&year=" + y)
	if !strings.Contains(body, `id="prev-recommendations"`) || !strings.Contains(body, "Захын өдөрлөгийг улирал бүр зохион байгуулах.") {
		t.Errorf("H2 report does not follow up H1's recommendations")
	}
	if got := noteBox(t, body, "recommendations"); got != "Хэлтэс, газар бөглөнө." {
		t.Errorf("H2's own recommendations: %q", got)
	}
	// Too long: refused, the texts kept.
	long := url.Values{"unit": {"MN-073"}, "year": {y}, "half": {"2"}, "note.findings": {strings.Repeat("ж", 6001)}, "note.measures": {"Хийсэн."}}
	if st, b := w.post("/dashboard/report/notes", long); st != 400 || !strings.Contains(b, "6000 тэмдэгтээс урт") || !strings.Contains(b, ">Хийсэн.</textarea>") {
		t.Errorf("too long a text: %d", st)
	}
	// Headquarters reads every division's texts on the national report, named by division,
	// and cannot write them.
	hq := dashSignIn(t, m, "hq")
	_, body = hq.get("/dashboard/report?unit=MN&half=1&year=" + y)
	if got := noteBox(t, body, "deviations"); got != "Архангай: "+notes.Get("note.deviations") {
		t.Errorf("national report's deviations: %q", got)
	}
	if strings.Contains(body, `id="report-notes"`) {
		t.Error("a viewer is offered the notes form")
	}
	if st, _ := hq.post("/dashboard/report/notes", notes); st != 403 {
		t.Errorf("viewer writes notes: %d", st)
	}
	_, body = hq.get("/dashboard/report?unit=MN&half=1&lang=en&year=" + y)
	if !strings.Contains(body, "What deviated from the plan, and why") || !strings.Contains(body, "6. Findings, recommendations and measures taken") {
		t.Error("English report headings")
	}
	// The same report as XLSX, to merge the divisions' texts: sections, the deviation rows and
	// Arkhangai's reasons named by division.
	st, xb := hq.get("/dashboard/report?unit=MN&half=1&lang=mn&format=xlsx&year=" + y)
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
	for _, want := range []string{"2. Төлөвлөснөөс өөр өөрчлөлт гарсан байдал, шалтгаан", "Зорилт|Хүрэх үр дүн (Хавсралт 1)|Төлөвлөсөн үйл ажиллагаанаас бүрэн хэрэгжсэн",
		"Хүрэх түвшний үндэслэл", "Мессеж|1|0|+1", "1.5|Нээлттэй өдөрлөг, явуулын үйлчилгээ, захын өдөрлөг зохион байгуулах|8|4|50.0%",
		"Архангай|" + notes.Get("note.deviations"), "Архангай|" + notes.Get("note.recommendations"), "6. Дүгнэлт, зөвлөмж, авсан арга хэмжээ"} {
		if !strings.Contains(all, want) {
			t.Errorf("report XLSX lacks %q:\n%s", want, all)
		}
	}
	// The annual performance report (l.399): the whole year against its plan, its own texts,
	// followed up by next year's.
	_, body = w.get("/dashboard/report?unit=MN-073&half=0&year=" + y)
	if !strings.Contains(body, `<th class="num">Энэ жил</th><th class="num">Өмнөх жил</th>`) || strings.Contains(body, "Энэ хагас жил") {
		t.Error("the annual report compares the year with the year before, not half-years")
	}
	if !strings.Contains(body, "Бүтэн жил (жилийн гүйцэтгэлийн тайлан)") || planCell(t, body, "1.5", "planned") != "8" || planCell(t, body, "1.5", "done") != "4" {
		t.Errorf("annual report: 1.5 planned %q done %q", planCell(t, body, "1.5", "planned"), planCell(t, body, "1.5", "done"))
	}
	if st, _ := w.post("/dashboard/report/notes", url.Values{"unit": {"MN-073"}, "year": {y}, "half": {"0"}, "note.recommendations": {"Жилийн зөвлөмж."}}); st != 303 {
		t.Fatalf("annual notes: %d", st)
	}
	if _, b := w.get(fmt.Sprintf("/dashboard/report?unit=MN-073&half=0&year=%d", planYear+1)); !strings.Contains(b, "Жилийн зөвлөмж.") {
		t.Error("next year's annual report does not follow up this year's recommendations")
	}
	if _, b := w.get("/dashboard/report?unit=MN-073&half=2&year=" + y); strings.Contains(b, "Жилийн зөвлөмж.") {
		t.Error("the annual report's text shows in a half-year report")
	}
}
