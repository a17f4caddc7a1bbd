package ui

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/internal/servertest"
	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/shared/survey"
)

// newQuestion is the question headquarters adds for a new programme year in the tests.
var newQuestion = survey.Question{ID: "got_reminder_sms", Kind: record.QuestionSingle, Role: survey.RoleKnowledge,
	Text:     survey.Text{MN: "Та сүүлийн нэг жилд шимтгэл төлөх сануулга мессеж хүлээн авсан уу?", EN: "Did you get a reminder text message to pay contributions in the last year?"},
	Options:  []survey.Option{{Code: "yes", MN: "Тийм", EN: "Yes"}, {Code: "no", MN: "Үгүй", EN: "No"}},
	Positive: []string{"yes"}}

// addSurveyVersion makes the server's newest catalogue version plus newQuestion the next version
// with `server survey add`, as headquarters does, and returns it.
func addSurveyVersion(t *testing.T, srv *servertest.Server) survey.Version {
	t.Helper()
	cat, ps := survey.Parse([]byte(srv.AdminOutput("survey", "show")))
	if len(ps) > 0 {
		t.Fatalf("survey show: %v", ps)
	}
	v := cat.Latest()
	v.Version++
	v.Year = 2026
	v.Title = survey.Text{MN: "2026 оны асуулга", EN: "2026 questionnaire"}
	v.Questions = append(append([]survey.Question(nil), v.Questions[:len(v.Questions)-1]...), newQuestion, v.Questions[len(v.Questions)-1])
	b, _ := json.Marshal(v)
	path := filepath.Join(t.TempDir(), "v.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out := srv.Admin("survey", "add", "--file", path, "--lang", "en"); !strings.Contains(out, "version 3") {
		t.Fatalf("survey add: %q", out)
	}
	return v
}

func (e *env) syncNow(t *testing.T) {
	t.Helper()
	e.ui.Show(ScreenHome)
	e.ui.WaitIdle()
	test.Tap(e.ui.Home.SyncButton)
	e.ui.WaitIdle()
	if pending, rejected, _ := e.db.Counts(context.Background()); pending != 0 || rejected != 0 {
		rej, _ := e.db.Changes(context.Background(), localstore.StateRejected)
		t.Fatalf("after sync: %d pending, %d rejected %v", pending, rejected, rej)
	}
}

// fillSurvey answers the fixed questions and the indicators' two of the form shown.
func fillSurvey(s *SurveyForm, group string) {
	s.Event.setCode("")
	s.Date.entry.SetText("2025-06-10")
	s.Unit.setCode("MN6501")
	s.TargetGroup.setCode(group)
	s.AgeBand.setCode("25-34")
	s.Insurance.setCode("none")
	s.InfoAccess.setCode("partly")
	s.Satisfaction.setCode("4")
}

// TestSurveyNewQuestionReachesDevice: headquarters adds a catalogue version with a new question
// to the running server; the enrolled app, unchanged, gets it by its next pull and its survey
// form shows the question (in Mongolian); an answer to it is accepted by the server and counted
// on the dashboard's survey page, while a response saved under the older version keeps it, is
// edited with that version's questions and is counted with its own.
func TestSurveyNewQuestionReachesDevice(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	enrollThroughScreen(t, e, srv, srv.AddNamedInspector("Сувд", "MN6501", "inspector"))
	e.syncNow(t)
	e.ui.Show(ScreenSurvey)
	s := e.ui.Survey
	if s.Version.Version != 2 || s.Answers["knows_voluntary"] == nil || s.Answers[newQuestion.ID] != nil {
		t.Fatalf("before the new version: form of version %d with %d questions", s.Version.Version, len(s.Answers))
	}
	if hasText(e.win, newQuestion.Text.MN) {
		t.Fatal("the new question shows before headquarters added it")
	}
	fillSurvey(s, "self_employed")
	s.Answers["knows_voluntary"].Radio.setCode("no")
	test.Tap(s.SaveButton)
	old, _, err := e.db.FindRecords(context.Background(), localstore.Filter{Entity: record.EntitySurvey})
	if err != nil || len(old) != 1 {
		t.Fatalf("v2 response: %v %v", old, err)
	}

	addSurveyVersion(t, srv)
	e.syncNow(t)
	if v, _ := e.db.SurveyVersion(context.Background()); v != 3 {
		t.Fatalf("device holds catalogue version %d after the pull, want 3", v)
	}
	e.ui.Show(ScreenSurvey)
	if s.Version.Version != 3 || s.Answers[newQuestion.ID] == nil {
		t.Fatalf("after the pull: form of version %d, new question %v", s.Version.Version, s.Answers[newQuestion.ID] != nil)
	}
	for _, want := range []string{newQuestion.Text.MN, "Тийм", "Үгүй"} {
		if !hasText(e.win, want) {
			t.Errorf("the form does not show %q", want)
		}
	}
	fillSurvey(s, "herders")
	s.Answers[newQuestion.ID].Radio.setCode("yes")
	s.InfoSources.setCodes([]string{"radio", "sms", "mobile_app"}) // the programme's own channels, new in version 2
	test.Tap(s.SaveButton)
	if e.ui.Current() != ScreenRecords {
		t.Fatalf("after save: screen %s, banner %q", e.ui.Current(), s.Status.Text)
	}

	// The older response is edited with the questions it was asked: version 2, no new question.
	r, err := e.db.FindRecordByID(context.Background(), old[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	s.Load(r)
	if s.Version.Version != 2 || s.Answers[newQuestion.ID] != nil || s.Answers["knows_voluntary"].Radio.code() != "no" {
		t.Fatalf("v2 response loaded into version %d", s.Version.Version)
	}
	s.Satisfaction.setCode("5")
	test.Tap(s.SaveButton)
	e.syncNow(t)
	r, _ = e.db.FindRecordByID(context.Background(), old[0].ID)
	if string(r.Values[record.FieldCatalogueVersion]) != "2" {
		t.Errorf("edited response now names version %s, want 2", r.Values[record.FieldCatalogueVersion])
	}

	page := dashboardPage(t, srv, "/dashboard/surveys?unit=MN6501&year=2025&lang=mn")
	sec := section(t, page, newQuestion.ID)
	if !strings.Contains(sec, newQuestion.Text.MN) || !rowHas(sec, "", "1", "1 · 100.0%", "0 · 0.0%") || !rowHas(sec, "herders", "1", "1 · 100.0%") {
		t.Errorf("dashboard's new-question section:\n%s", sec)
	}
	// Asked under both versions; only the version-2 respondent answered it: n is 1, not 2.
	if !rowHas(section(t, page, "knows_voluntary"), "", "1", "0 · 0.0%", "1 · 100.0%") {
		t.Errorf("knows_voluntary over both versions:\n%s", section(t, page, "knows_voluntary"))
	}
	if !rowHas(section(t, page, "satisfaction"), "", "2", "0 · 0.0%", "0 · 0.0%", "0 · 0.0%", "1 · 50.0%", "1 · 50.0%") {
		t.Errorf("satisfaction of both responses:\n%s", section(t, page, "satisfaction"))
	}
	if !strings.Contains(page, `data-version="3"`) {
		t.Error("catalogue versions table lacks version 3")
	}
}

// dashboardPage signs a new headquarters viewer in to the running server and returns a page.
func dashboardPage(t *testing.T, srv *servertest.Server, path string) string {
	t.Helper()
	cmd := exec.Command(srv.Bin, "user", "add", "--name", "hq", "--role", "viewer", "--db", srv.DB)
	cmd.Stdin = strings.NewReader("correct horse battery\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	get := func(p string) string {
		resp, err := cl.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(get("/dashboard/login"))
	if m == nil {
		t.Fatal("no CSRF token on the sign-in form")
	}
	resp, err := cl.PostForm(srv.URL+"/dashboard/login", url.Values{"csrf": {m[1]}, "name": {"hq"}, "password": {"correct horse battery"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return get(path)
}

// section returns the survey page's section of a question.
func section(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `data-question="`+id+`"`)
	if i < 0 {
		t.Fatalf("no section of %s on the survey page", id)
	}
	j := strings.Index(page[i:], "</section>")
	return page[i : i+j]
}

// rowHas reports whether the section's row of key holds the cells, in order.
func rowHas(sec, key string, cells ...string) bool {
	i := strings.Index(sec, `data-key="`+key+`"`)
	if i < 0 {
		return false
	}
	row := sec[i : i+strings.Index(sec[i:], "</tr>")]
	for _, c := range cells {
		j := strings.Index(row, ">"+c+"<")
		if j < 0 {
			return false
		}
		row = row[j+len(c):]
	}
	return true
}
