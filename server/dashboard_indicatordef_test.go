package main

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"talbar/server/store"
	"talbar/syncproto"
)

// indicatorCell is the text of an indicator's year row's actual and status cells.
func indicatorCells(t *testing.T, body, id string, year int) (actual, status string) {
	t.Helper()
	i := strings.Index(body, `data-indicator="`+id+`"`)
	if i < 0 {
		t.Fatalf("no indicator %s", id)
	}
	mm := regexp.MustCompile(`(?s)<tr data-year="` + fmt.Sprint(year) + `">.*?</td><td class="num">.*?</td>\s*<td class="num">(.*?)</td>\s*<td>(.*?)</td>`).FindStringSubmatch(body[i:])
	if mm == nil {
		t.Fatalf("no %d row for %s", year, id)
	}
	strip := func(s string) string {
		return strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(s, " ")), " ")
	}
	return strip(mm[1]), strip(mm[2])
}

// TestDashboardIndicatorDefinitions: "cannot get sufficient information" counts "no" and
// "partly" (Annex 2, l.461) with the split shown; a share from fewer answers than the minimum
// is not judged met or not met, and shows its margin of error; an actual without a target says
// "no target", not "no data".
func TestDashboardIndicatorDefinitions(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	c := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	sv := func(date, info string, sat int) syncproto.Change {
		return c.change(newID(), "survey", syncproto.OpUpsert, fmt.Sprintf(
			`{"date":%q,"unit":"MN6501","target_group":"herders","age_band":"35-44","sex":"female","insurance_status":"voluntary","info_access":%q,"info_sources":["tv"],"satisfaction":%d}`,
			date, info, sat))
	}
	c.push(sv("2022-03-01", "no", 5), sv("2022-03-02", "partly", 4), sv("2022-03-03", "yes", 2))
	var many []syncproto.Change
	for i := 0; i < 120; i++ {
		info := []string{"yes", "yes", "partly", "no"}[i%4]
		many = append(many, sv(fmt.Sprintf("2021-%02d-10", 1+i%12), info, 1+i%5))
	}
	c.push(many...)
	dashUser(t, m, "hq", store.WebViewer, "")
	w := dashSignIn(t, m, "hq")
	_, body := w.get("/dashboard/indicators?unit=MN-073&lang=mn")
	actual, status := indicatorCells(t, body, "cannot_get_info_pct", 2022)
	// 2 of 3: the 95 % Wilson interval is 20.8–93.9 %.
	if !strings.HasPrefix(actual, "66.7%") || !strings.Contains(actual, "үгүй 33.3%, хэсэгчлэн 33.3%") || !strings.Contains(actual, "95%-ийн итгэх интервал 20.8–93.9%") {
		t.Errorf("2022 cannot get info: %q, want 66.7%% with the split and its interval", actual)
	}
	if !strings.Contains(body, `id="indicator-rules"`) || !strings.Contains(body, "хамгийн багадаа 100 хариулттай") {
		t.Error("the page does not state the minimum number of answers")
	}
	if status != "Хариулт цөөн" {
		t.Errorf("2022 status from 3 answers: %q, want too few answers", status)
	}
	// 2021: 120 answers, half cannot get enough (30 no + 30 partly) against the 20 % target.
	actual, status = indicatorCells(t, body, "cannot_get_info_pct", 2021)
	if !strings.HasPrefix(actual, "50.0%") || status != "Хүрээгүй" {
		t.Errorf("2021 cannot get info: %q %q, want 50.0%% not met", actual, status)
	}
	if _, status = indicatorCells(t, body, "satisfaction_pct", 2021); status != "Хүрээгүй" {
		t.Errorf("2021 satisfaction status %q", status)
	}
	// A year with answers but no target.
	c.push(sv(demoDate(1, 5), "yes", 5))
	_, body = w.get("/dashboard/indicators?unit=MN-073&lang=en")
	if _, status = indicatorCells(t, body, "satisfaction_pct", demoYear()); status != "No target" {
		t.Errorf("%d satisfaction without a target: %q, want No target", demoYear(), status)
	}
	// /api/v1/kpis judges by the same rules.
	for _, tc := range []struct {
		year         int
		id, status   string
		lo, hi       float64
		no, partly   float64
		wantInterval bool
	}{
		{2022, "cannot_get_info_pct", "too_few", 20.8, 93.9, 33.3, 33.3, true},
		{2021, "cannot_get_info_pct", "not_met", 41.2, 58.8, 25, 25, true},
		{demoYear(), "satisfaction_pct", "no_target", 0, 0, 0, 0, false},
		{demoYear(), "mandatory_insured", "no_data", 0, 0, 0, 0, false},
	} {
		var k apiKPIs
		if st := c.do("GET", fmt.Sprintf("/api/v1/kpis?unit=MN6501&year=%d", tc.year), nil, &k); st != 200 {
			t.Fatalf("kpis %d: status %d", tc.year, st)
		}
		x := k.get(t, tc.id)
		if x.Status != tc.status {
			t.Errorf("kpis %d %s: status %q, want %q", tc.year, tc.id, x.Status, tc.status)
		}
		if tc.wantInterval && (x.CILow == nil || *x.CILow != tc.lo || *x.CIHigh != tc.hi || *x.InfoNo != tc.no || *x.InfoPartly != tc.partly || x.MinAnswers != 100) {
			t.Errorf("kpis %d %s: interval %v–%v, parts %v/%v, min %d", tc.year, tc.id, x.CILow, x.CIHigh, x.InfoNo, x.InfoPartly, x.MinAnswers)
		}
	}
}

// apiKPI is one indicator of /api/v1/kpis as a client reads it.
type apiKPI struct {
	ID         string   `json:"id"`
	Target     *float64 `json:"target"`
	Actual     *float64 `json:"actual"`
	Status     string   `json:"status"`
	Basis      string   `json:"basis"`
	BasisYear  int      `json:"basis_year"`
	MinAnswers int      `json:"min_answers"`
	CILow      *float64 `json:"ci_low"`
	CIHigh     *float64 `json:"ci_high"`
	InfoNo     *float64 `json:"info_no"`
	InfoPartly *float64 `json:"info_partly"`
}

// apiKPIs is the body of /api/v1/kpis.
type apiKPIs struct {
	Indicators []apiKPI `json:"indicators"`
}

func (k apiKPIs) get(t *testing.T, id string) apiKPI {
	t.Helper()
	for _, x := range k.Indicators {
		if x.ID == id {
			return x
		}
	}
	t.Fatalf("no indicator %s in %+v", id, k)
	return apiKPI{}
}

// TestDashboardCoverageTargets: Annex 2 grows each year's coverage on the previous year
// (l.459-460). Once headquarters enters the 2019 official actual (662 214, the review's demo
// figure), the 2020 target is 662 214 × 1.03 ↑ = 682 081, not the 678 786 compounded on
// targets; a corrected baseline recomputes 2019. The indicators page says which basis each
// target used, and /api/v1/kpis and the devices' reference data carry the same targets.
func TestDashboardCoverageTargets(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dev := enrollDevice(t, m, "MN-073", syncproto.RoleOfficer)
	dashUser(t, m, "hq", store.WebAdmin, "")
	w := dashSignIn(t, m, "hq")
	targetCell := func(body, id string, year int) string {
		t.Helper()
		i := strings.Index(body, `data-indicator="`+id+`"`)
		mm := regexp.MustCompile(`(?s)<tr data-year="` + fmt.Sprint(year) + `"><td>\d+</td><td class="num">(.*?)</td>`).FindStringSubmatch(body[i:])
		if i < 0 || mm == nil {
			t.Fatalf("no %d row for %s", year, id)
		}
		return html.UnescapeString(strings.Join(strings.Fields(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(mm[1], " ")), " "))
	}
	kpi := func(year int) apiKPI {
		t.Helper()
		var k apiKPIs
		if st := dev.do("GET", fmt.Sprintf("/api/v1/kpis?unit=MN&year=%d", year), nil, &k); st != 200 {
			t.Fatalf("kpis: status %d", st)
		}
		return k.get(t, "mandatory_insured")
	}
	pulled := func(year int) syncproto.Target {
		t.Helper()
		var p syncproto.PullResponse
		if st := dev.do("GET", "/api/v1/pull?since=0", nil, &p); st != 200 || p.Reference == nil {
			t.Fatalf("pull: status %d", st)
		}
		for _, x := range p.Reference.Targets {
			if x.Indicator == "mandatory_insured" && x.Year == year {
				return x
			}
		}
		t.Fatalf("no mandatory_insured %d target on pull", year)
		return syncproto.Target{}
	}
	_, body := w.get("/dashboard/indicators?lang=en")
	if got := targetCell(body, "mandatory_insured", 2019); got != "659,015 2018 baseline + 3%" {
		t.Errorf("2019 before any actual: %q", got)
	}
	if got := targetCell(body, "mandatory_insured", 2020); got != "678,786 2019 target + 3% (that year's actual not entered yet)" {
		t.Errorf("2020 before the 2019 actual: %q", got)
	}
	if got := targetCell(body, "cannot_get_info_pct", 2020); got != "25.0% as in Annex 2" {
		t.Errorf("survey target: %q", got)
	}
	if k := kpi(2020); k.Target == nil || *k.Target != 678786 || k.Basis != "target" || k.BasisYear != 2019 {
		t.Fatalf("kpis 2020 before the actual: %+v", k)
	}

	if st, b := w.post("/dashboard/indicators", url.Values{"indicator": {"mandatory_insured"}, "year": {"2019"}, "actual": {"662 214"}}); st != 303 {
		t.Fatalf("enter the 2019 actual: status %d %.300s", st, b)
	}
	_, body = w.get("/dashboard/indicators?lang=en")
	if got := targetCell(body, "mandatory_insured", 2020); got != "682,081 2019 actual + 3%" {
		t.Errorf("2020 after the 2019 actual: %q", got)
	}
	if got := targetCell(body, "mandatory_insured", 2021); got != "702,544 2020 target + 3% (that year's actual not entered yet)" {
		t.Errorf("2021: %q", got)
	}
	if _, status := indicatorCells(t, body, "mandatory_insured", 2019); status != "Met" {
		t.Errorf("2019 actual 662 214 against 659 015: %q", status)
	}
	if k := kpi(2020); k.Target == nil || *k.Target != 682081 || k.Basis != "actual" || k.BasisYear != 2019 {
		t.Errorf("kpis 2020 after the actual: %+v", k)
	}
	if p := pulled(2020); p.Target == nil || *p.Target != 682081 || p.Basis != "actual" {
		t.Errorf("pulled 2020 target: %+v", p)
	}

	if st, b := w.post("/dashboard/indicators/baseline", url.Values{"indicator": {"mandatory_insured"}, "year": {"2018"}, "value": {"650000"}}); st != 303 {
		t.Fatalf("baseline: status %d %.300s", st, b)
	}
	_, body = w.get("/dashboard/indicators?lang=mn")
	if got := targetCell(body, "mandatory_insured", 2019); got != "669 500 2018 оны суурь түвшнөөс +3%" {
		t.Errorf("2019 on the corrected baseline: %q", got)
	}
	if got := targetCell(body, "mandatory_insured", 2020); got != "682 081 2019 оны гүйцэтгэлээс +3%" {
		t.Errorf("2020 keeps growing on the 2019 actual: %q", got)
	}
	if _, b := w.get("/dashboard/report?unit=MN&year=2020&half=0&lang=en"); !strings.Contains(b, "682,081") || !strings.Contains(html.UnescapeString(b), "2019 actual + 3%") {
		t.Error("the annual report does not show the derived target and its basis")
	}
}
