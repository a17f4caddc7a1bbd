package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/shared/survey"
	"talbar/syncproto"
)

// TestDashboardSurveysBrowser: in Chromium a headquarters administrator uploads a catalogue
// version with a mistake and reads, in Mongolian, which question is wrong; uploads it fixed;
// a device's answer to the new question (pushed through the real sync API, checked against the
// version it names) and an answer naming an option the version lacks (refused naming the field)
// follow; the survey page counts the accepted answers by target group with n and shares, sums
// the suggestions by topic, reads in English and passes axe-core.
func TestDashboardSurveysBrowser(t *testing.T) {
	m := MustRunMain(t, tempDB(t))
	dashUser(t, m, "hqadmin", store.WebAdmin, "")
	dev := enrollDevice(t, m, "MN6501", syncproto.RoleInspector)
	base := "http://" + m.Addr()
	ctx := newBrowser(t, 1280, 1000)
	browserSignIn(t, ctx, base, "hqadmin")

	cat := store.DefaultSurveyCatalogue()
	v := cat.Latest()
	v.Version = 3
	v.Year = 2026
	v.Questions = append([]survey.Question{{ID: "got_reminder_sms", Kind: record.QuestionSingle, Role: survey.RoleKnowledge,
		Text:     survey.Text{MN: "Та сануулга мессеж хүлээн авсан уу?", EN: "Did you get a reminder text message?"},
		Options:  []survey.Option{{Code: "yes", MN: "Тийм", EN: "Yes"}, {Code: "no", MN: "", EN: "No"}},
		Positive: []string{"yes"}}}, v.Questions...)
	write := func(name string, v survey.Version) string {
		b, _ := json.Marshal(v)
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	open(t, ctx, base+"/dashboard/surveys?lang=mn")
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles("#catalogue-file", []string{write("bad.json", v)}),
		chromedp.Click("#catalogue-submit"), chromedp.WaitVisible("#survey-error")); err != nil {
		t.Fatalf("upload bad version: %v", err)
	}
	probs, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("survey-problems").textContent`))
	if want := "Хувилбар 3, асуулт «got_reminder_sms»: «no» хариултын нэрийг монгол, англи хоёр хэлээр бичнэ үү"; err != nil || !strings.Contains(probs, want) {
		t.Fatalf("problems %q, want %q (%v)", probs, want, err)
	}
	v.Questions[0].Options[1].MN = "Үгүй"
	if err := chromedp.Do(ctx, chromedp.SetUploadFiles("#catalogue-file", []string{write("good.json", v)}),
		chromedp.Click("#catalogue-submit"), chromedp.WaitVisible("#survey-message")); err != nil {
		t.Fatalf("upload good version: %v", err)
	}

	answer := func(group, sms, suggestion string) syncproto.PushResponse {
		return dev.push(dev.change(newID(), "survey", syncproto.OpUpsert, fmt.Sprintf(
			`{"catalogue_version":3,"date":"2025-03-04","unit":"MN6501","target_group":%q,"age_band":"25-34","insurance_status":"none","info_access":"no","satisfaction":5,"got_reminder_sms":%q,"suggestion":%q}`,
			group, sms, suggestion)))
	}
	for _, a := range [][3]string{{"herders", "yes", "Тэтгэврийн мэдээллийг SMS-ээр өгөөч"}, {"herders", "no", ""}, {"students", "yes", "Цахим үйлчилгээг сайжруулах"}} {
		if r := answer(a[0], a[1], a[2]); len(r.Accepted) != 1 {
			t.Fatalf("answer %v: %+v", a, r)
		}
	}
	if r := answer("herders", "maybe", ""); len(r.Rejected) != 1 || len(r.Rejected[0].Problems) != 1 || r.Rejected[0].Problems[0].Field != "got_reminder_sms" {
		t.Fatalf("unknown option: %+v", r)
	}

	open(t, ctx, base+"/dashboard/surveys?unit=MN6501&year=2025&lang=mn")
	row := func(q, key string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[data-question="`+q+`"] tr[data-key="`+key+`"] td')).map(function (td) { return td.textContent.trim(); }).join("|")`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got, want := row("got_reminder_sms", ""), "Бүгд|3|2 · 66.7%|1 · 33.3%|66.7%"; got != want {
		t.Errorf("total row %q, want %q", got, want)
	}
	if got, want := row("got_reminder_sms", "herders"), "Малчин|2|1 · 50.0%|1 · 50.0%|50.0%"; got != want {
		t.Errorf("herders row %q, want %q", got, want)
	}
	topics, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("sugg-topics").textContent`))
	for _, want := range []string{"Тэтгэвэр", "Цахим үйлчилгээ"} {
		if !strings.Contains(topics, want) {
			t.Errorf("suggestion topics %q lack %q", topics, want)
		}
	}
	open(t, ctx, base+"/dashboard/surveys?unit=MN6501&year=2025&lang=en")
	if got, want := row("got_reminder_sms", "students"), "Students|1|1 · 100.0%|0 · 0.0%|100.0%"; got != want {
		t.Errorf("English students row %q, want %q", got, want)
	}
	// axe-core finds no serious or critical problem on the page, with its results, suggestions
	// and upload form, in either language.
	axe := axeSource(t)
	for _, lang := range []string{"mn", "en"} {
		open(t, ctx, base+"/dashboard/surveys?unit=MN6501&year=2025&lang="+lang)
		if v := axeCheck(t, ctx, axe); len(v) > 0 {
			t.Errorf("axe on /dashboard/surveys (%s): %s", lang, strings.Join(v, "; "))
		}
	}
}
