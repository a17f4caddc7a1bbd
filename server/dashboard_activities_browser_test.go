package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"talbar/server/store"
	"talbar/syncproto"
)

// TestDashboardActivityKindsBrowser: events of the new kinds pushed over HTTP show in Chromium on
// the overview (events by kind, topics, channels, participants by sex and age, SMS by purpose and
// group, broadcasts) in both languages, people reached is the events' totals and not the sum of
// their overlapping groups, and the plan page counts 2.4 (lectures), 2.5 (broadcasts) and 1.5
// (open days with mobile services) as done.
func TestDashboardActivityKindsBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	c := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	ev := func(js string) syncproto.Change {
		return c.change(newID(), "event", syncproto.OpUpsert, `{"date":"2022-03-10","unit":"MN6501",`+js+`}`)
	}
	r := c.push(
		ev(`"kind":"lecture","topics":["pensions","disability"],"channels":["in_person"],"reached_total":40,"reached":{"herders":30,"near_pension":25},"reached_sex":{"female":22,"male":18},"reached_age":{"55_plus":12}`),
		ev(`"kind":"lecture","topics":["pensions"],"channels":["in_person","printed"],"reached_total":10`),
		ev(`"kind":"sms_campaign","sms_purpose":"pre_retirement","messages_sent":300,"messages":{"near_pension":300},"channels":["sms"],"topics":["pensions"]`),
		ev(`"kind":"mobile_service","reached_total":8`),
		ev(`"kind":"open_day","reached":{"herders":5}`),
		ev(`"kind":"other","kind_other":"Эмнэлгийн ажилтнуудтай уулзалт","reached_total":7`))
	if len(r.Rejected) > 0 {
		t.Fatalf("rejected %+v", r.Rejected)
	}
	// Broadcasts are the division's own work (2.5), pushed from its officer's device.
	off := enrollDevice(t, m, "MN-073", syncproto.RoleOfficer)
	if r := off.push(off.change(newID(), "event", syncproto.OpUpsert,
		`{"date":"2022-03-10","unit":"MN6501","kind":"broadcast","broadcasts":3,"broadcast_minutes":45,"channels":["radio"]}`)); len(r.Rejected) > 0 {
		t.Fatalf("the officer's broadcast rejected %+v", r.Rejected)
	}
	dashUser(t, m, "arkhangai", store.WebOfficer, "MN-073")
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1400, 1000)
	browserSignIn(t, ctx, base, "arkhangai")
	figs := func(section string) map[string]string {
		t.Helper()
		rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`Array.from(document.querySelectorAll('`+section+` td[data-fig]')).map(function (td) {
			return [td.getAttribute("data-fig"), td.closest("tr").querySelector("th").textContent.trim(), td.textContent.trim()]; })`))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range rows {
			out[r[0]] = r[1] + "=" + r[2]
		}
		return out
	}
	for _, lang := range []string{"mn", "en"} {
		open(t, ctx, fmt.Sprintf("%s/dashboard/?unit=MN-073&year=2022&lang=%s", base, lang))
		all := figs("main")
		want := map[string]map[string]string{
			"mn": {"events.lecture": "Олон нийтийн лекц, семинар, нээлттэй хэлэлцүүлэг=2", "events.sms_campaign": "Сануулга мессеж илгээлт=1",
				"events.mobile_service": "Явуулын үйлчилгээ=1", "events.other": "Бусад=1", "events.broadcast": "Орон нутгийн телевиз, радиогийн нэвтрүүлэг=1",
				"topics.pensions": "Тэтгэвэр, тэтгэврийн баримт бичгийг урьдчилан шалгуулах=3", "channels.in_person": "Биечлэн, амаар=2",
				"reached_sex.female": "Эмэгтэй=22", "reached_age.55_plus": "55-аас дээш=12",
				"messages_purpose.pre_retirement": "Тэтгэврийн баримт бичгийг урьдчилан шалгуулах=300", "messages.near_pension": "Тэтгэврийн нас ойртсон даатгуулагч, тэтгэвэр авагч=300",
				"broadcasts": "Нэвтрүүлгийн тоо=3", "broadcast_minutes": "Нэвтрүүлгийн нийт үргэлжлэх хугацаа (минут)=45"},
			"en": {"events.lecture": "Public lecture, seminar or open discussion=2", "events.sms_campaign": "Reminder SMS campaign=1",
				"events.mobile_service": "Mobile service=1", "topics.disability": "Disability pension and the medical-labour assessment=1",
				"channels.radio": "Radio=1", "messages_sent": "Messages sent=300", "reached_sex.male": "Male=18"},
		}[lang]
		for k, w := range want {
			if all[k] != w {
				t.Errorf("%s overview %s: %q, want %q", lang, k, all[k], w)
			}
		}
		// 40 + 10 + 8 + 5 (an open day without a total: its groups) + 7, not 30+25+… .
		if got := figureText(t, ctx, "reached"); got != "70" {
			t.Errorf("%s: people reached %q, want 70", lang, got)
		}
	}
	open(t, ctx, fmt.Sprintf("%s/dashboard/plan?unit=MN-073&year=2022&lang=mn", base))
	cells := func(act string) string {
		t.Helper()
		c, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#plan-table tr[data-activity="`+act+`"] td[data-col="done"]')).map(function (td) { return td.textContent.trim(); })`))
		if err != nil || len(c) != 1 {
			t.Fatalf("done of %s: %v %v", act, c, err)
		}
		return c[0]
	}
	for act, want := range map[string]string{"2.4": "2", "2.5": "3", "1.5": "2", "2.1": "70", "2.8": "«Талбар» програмд бүртгэдэггүй"} {
		if got := cells(act); got != want {
			t.Errorf("plan page, done of %s: %q, want %q", act, got, want)
		}
	}
	if body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.textContent`)); strings.Contains(body, "events.") {
		t.Error("the plan page shows a metric name")
	}
}
