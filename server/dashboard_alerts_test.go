package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"talbar/server/store"
	"talbar/syncproto"
)

// alertUnits are the unit codes on one early-detection list of the page.
func alertUnits(t *testing.T, body, list string) []string {
	t.Helper()
	i := strings.Index(body, `id="`+list+`"`)
	if i < 0 {
		t.Fatalf("no %s list", list)
	}
	sec := body[i:]
	sec = sec[:strings.Index(sec, "</section>")]
	var out []string
	for _, m := range regexp.MustCompile(`data-unit="([^"]+)"`).FindAllStringSubmatch(sec, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestDashboardAlerts: for a quarter, an aimag officer sees the soums that held no event, those
// without the quarterly market-day event, and a soum whose events jumped far above its usual
// quarter (1 a quarter in 2021, 10 in 2022 Q1); not another aimag's.
func TestDashboardAlerts(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	seedPlanEvents(t, m)
	c := enrollDevice(t, m, "MN6504", syncproto.RoleInspector)
	var ch []syncproto.Change
	for _, d := range []string{"2021-02-01", "2021-05-01", "2021-08-01", "2021-11-01"} {
		ch = append(ch, c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":"open_day","date":%q,"unit":"MN6504"}`, d)))
	}
	for i := 0; i < 10; i++ {
		ch = append(ch, c.change(newID(), "event", syncproto.OpUpsert, fmt.Sprintf(`{"kind":"herder_meeting","date":"2022-03-%02d","unit":"MN6504"}`, i+1)))
	}
	c.push(ch...)
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
	w := dashSignIn(t, m, "arkhangai")
	st, body := w.get("/dashboard/alerts?year=2022&quarter=1")
	if st != 200 {
		t.Fatalf("alerts: %d", st)
	}
	none, market, unusual := alertUnits(t, body, "alerts-no-events"), alertUnits(t, body, "alerts-no-market"), alertUnits(t, body, "alerts-unusual")
	if len(none) != 17 || strings.Contains(strings.Join(none, ","), "MN6501") || strings.Contains(strings.Join(none, ","), "MN6504") {
		t.Errorf("no events in Q1: %d %v, want Arkhangai's 19 soums but Erdenebulgan and Battsengel", len(none), none)
	}
	if len(market) != 19 {
		t.Errorf("no market day in Q1: %d, want all 19", len(market))
	}
	if strings.Join(unusual, ",") != "MN6504" || !strings.Contains(body, "Архангай / Батцэнгэл: <b>10 арга хэмжээ</b>") || !strings.Contains(body, "ердийн 1 арга хэмжээ") {
		t.Errorf("unusual in Q1: %v %.400s", unusual, body[strings.Index(body, `id="alerts-unusual"`):])
	}
	_, body = w.get("/dashboard/alerts?year=2022&quarter=2&lang=en")
	if market := alertUnits(t, body, "alerts-no-market"); len(market) != 18 || strings.Contains(strings.Join(market, ","), "MN6501") {
		t.Errorf("no market day in Q2: %d, want 18 (Erdenebulgan held one)", len(market))
	}
	if !strings.Contains(body, "No market-day event this quarter") {
		t.Error("English alerts page")
	}
	if st, _ := w.get("/dashboard/alerts?unit=MN-047&year=2022&quarter=1"); st != 403 {
		t.Errorf("another aimag's alerts: %d", st)
	}
}
