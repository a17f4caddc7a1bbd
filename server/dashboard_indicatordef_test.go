package main

import (
	"fmt"
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
	if !strings.HasPrefix(actual, "66,7%") || !strings.Contains(actual, "үгүй 33,3%, хэсэгчлэн 33,3%") || !strings.Contains(actual, "±") {
		t.Errorf("2022 cannot get info: %q, want 66,7%% with the split and a margin", actual)
	}
	if status != "Хариулт цөөн" {
		t.Errorf("2022 status from 3 answers: %q, want too few answers", status)
	}
	// 2021: 120 answers, half cannot get enough (30 no + 30 partly) against the 20 % target.
	actual, status = indicatorCells(t, body, "cannot_get_info_pct", 2021)
	if !strings.HasPrefix(actual, "50,0%") || status != "Хүрээгүй" {
		t.Errorf("2021 cannot get info: %q %q, want 50,0%% not met", actual, status)
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
}
