package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// saveRecord writes a record straight to the store, as a sync or an earlier session would have.
func saveRecord(t *testing.T, db *localstore.DB, entity string, fields map[string]any) string {
	t.Helper()
	id, ps, err := db.Save(context.Background(), localstore.Draft{Entity: entity, Fields: fields})
	if err != nil || len(ps) > 0 {
		t.Fatal(err, ps)
	}
	return id
}

func surveyFields(date, eventID string) map[string]any {
	f := map[string]any{"date": date, "unit": "MN6501", "target_group": "herders", "age_band": "55+",
		"insurance_status": "none", "info_access": "partly", "satisfaction": 3}
	if eventID != "" {
		f["event_id"] = eventID
	}
	return f
}

// answerSurvey fills the respondent's required answers.
func answerSurvey(s *SurveyForm) {
	s.TargetGroup.setCode("herders")
	s.AgeBand.setCode("35-44")
	s.Insurance.setCode("voluntary")
	s.InfoAccess.setCode("no")
	s.Satisfaction.setCode("4")
}

// tapMenuItem taps the item labelled text in the menu a Select opened over the window.
func tapMenuItem(t *testing.T, win fyne.Window, text string) {
	t.Helper()
	for _, o := range overlayObjects(win) {
		if fmt.Sprintf("%T", o) != "*widget.menuItem" {
			continue
		}
		for _, c := range test.LaidOutObjects(o) {
			if txt, ok := c.(*canvas.Text); ok && txt.Text == text {
				test.Tap(o.(fyne.Tappable))
				return
			}
		}
	}
	t.Fatalf("no menu item %q over the window: %q", text, texts(win))
}

// TestEditingOldSurveyKeepsItsEvent: a response of an event older than the events the form
// offers keeps its event when it is edited and saved (it was sent with event_id null).
func TestEditingOldSurveyKeepsItsEvent(t *testing.T) {
	e := newEnv(t, i18n.EN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.cfg.Now = func() time.Time { return time.Date(2026, 5, 20, 10, 0, 0, 0, time.Local) }
	ctx := context.Background()
	evID := saveRecord(t, e.db, record.EntityEvent, map[string]any{
		"kind": record.KindMarketDay, "date": "2026-01-10", "unit": "MN6501", "place": "Зах"})
	svID := saveRecord(t, e.db, record.EntitySurvey, surveyFields("2026-01-10", evID))

	e.ui.Records.Open(svID)
	test.Tap(e.ui.Detail.EditButton)
	s := e.ui.Survey
	if e.ui.Current() != ScreenSurvey || s.id != svID {
		t.Fatalf("edit opened %s for %q", e.ui.Current(), s.id)
	}
	if s.Event.code() != evID {
		t.Fatalf("the form shows event %q (%q), want %s", s.Event.code(), s.Event.Selected, evID)
	}
	if !strings.HasPrefix(s.Event.Selected, "10 Jan 2026 · ") || !strings.Contains(s.Event.Selected, "Зах") {
		t.Fatalf("the event is shown as %q, want its date, kind, soum and place", s.Event.Selected)
	}
	s.Satisfaction.setCode("5")
	test.Tap(s.SaveButton)
	r, err := e.db.FindRecordByID(ctx, svID)
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonStr(r.Values["event_id"]); got != evID || string(r.Values["satisfaction"]) != "5" {
		t.Fatalf("after the edit: event_id %q, satisfaction %s; want %s, 5 (status %q)", got, r.Values["satisfaction"], evID, s.Status.Text)
	}
	changes, _ := e.db.Changes(ctx, localstore.StatePending)
	for _, c := range changes {
		if c.RecordID == svID {
			if v, ok := c.Fields["event_id"]; ok && len(c.Fields) > 0 && string(v) != `"`+evID+`"` {
				t.Fatalf("a change sends event_id %s", v)
			}
		}
	}
}

// TestSurveyEventsOfTheSameDay: events of the same day, kind and soum are told apart by their
// place, and the one chosen is the one the response is linked to, even when the labels match.
func TestSurveyEventsOfTheSameDay(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	e.ui.cfg.Now = func() time.Time { return time.Date(2026, 5, 14, 18, 0, 0, 0, time.Local) }
	ctx := context.Background()
	ev := func(place string) string {
		return saveRecord(t, e.db, record.EntityEvent, map[string]any{
			"kind": record.KindOpenDay, "date": "2026-05-14", "unit": "MN6501", "place": place})
	}
	a, b, c := ev("1-р баг"), ev("Сумын төв"), ev("Сумын төв")
	e.ui.Show(ScreenSurvey)
	s := e.ui.Survey
	labelOf := map[string]string{}
	seen := map[string]bool{}
	for i, code := range s.Event.codes {
		l := s.Event.Options[i]
		if seen[l] {
			t.Fatalf("two choices read %q: %q", l, s.Event.Options)
		}
		seen[l] = true
		labelOf[code] = l
	}
	if !strings.Contains(labelOf[a], "1-р баг") || !strings.Contains(labelOf[b], "Сумын төв") || !strings.Contains(labelOf[c], "Сумын төв") {
		t.Fatalf("the places are not in the labels: %q", s.Event.Options)
	}
	for _, want := range []string{c, b, a} {
		test.Tap(s.Event)
		tapMenuItem(t, e.win, labelOf[want])
		if got := s.Event.code(); got != want {
			t.Fatalf("chose %q, the form holds %s, want %s", labelOf[want], got, want)
		}
		answerSurvey(s)
		test.Tap(s.SaveNextButton)
		if s.Event.code() != want {
			t.Fatalf("save and next changed the event: %s, want %s", s.Event.code(), want)
		}
	}
	recs, _, _ := e.db.FindRecords(ctx, localstore.Filter{Entity: record.EntitySurvey})
	got := map[string]int{}
	for _, r := range recs {
		got[jsonStr(r.Values["event_id"])]++
	}
	if len(recs) != 3 || got[a] != 1 || got[b] != 1 || got[c] != 1 {
		t.Fatalf("responses by event = %v, want one each of %s %s %s", got, a, b, c)
	}
}

// pullFields applies another device's change of a record as a pull would, a minute ahead of
// this device's clock so it wins.
func pullFields(t *testing.T, db *localstore.DB, entity, id string, fields map[string]json.RawMessage) {
	t.Helper()
	ctx := context.Background()
	cursor, _, err := db.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	page := syncproto.PullResponse{Cursor: cursor + "1", Changes: []syncproto.Change{{ID: "0193a4b2-0000-7000-8000-0000000000aa",
		Entity: entity, RecordID: id, Op: syncproto.OpUpsert, DeviceID: "other-device",
		HLC: hlc.New(time.Now().Add(time.Minute).UnixMilli(), 0).String(), Fields: fields}}}
	if _, err := db.ApplyPull(ctx, cursor, page); err != nil {
		t.Fatal(err)
	}
}

// TestSaveKeepsWhatASyncChanged: a form open on a record while a sync brings another device's
// change of one field saves the fields the inspector changed and leaves the pulled one alone.
func TestSaveKeepsWhatASyncChanged(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	ctx := context.Background()

	t.Run("event", func(t *testing.T) {
		id := saveRecord(t, e.db, record.EntityEvent, map[string]any{"kind": record.KindOpenDay,
			"date": time.Now().Format("2006-01-02"), "unit": "MN6501", "place": "Сумын төв", "consultations": 3})
		e.ui.Records.Open(id)
		test.Tap(e.ui.Detail.EditButton)
		f := e.ui.Event
		if e.ui.Current() != ScreenEvent || f.Place.Text != "Сумын төв" {
			t.Fatalf("edit form: %s, place %q", e.ui.Current(), f.Place.Text)
		}
		pullFields(t, e.db, record.EntityEvent, id, map[string]json.RawMessage{"place": json.RawMessage(`"Багийн төв"`)})
		f.Consultations.entry.SetText("")
		test.Type(f.Consultations.entry, "9")
		test.Tap(f.SaveButton)
		r, _ := e.db.FindRecordByID(ctx, id)
		if got := jsonStr(r.Values["place"]); got != "Багийн төв" {
			t.Errorf("place = %q, want the pulled %q", got, "Багийн төв")
		}
		if got := string(r.Values["consultations"]); got != "9" {
			t.Errorf("consultations = %s, want 9 (status %q)", got, f.Status.Text)
		}
	})
	t.Run("survey", func(t *testing.T) {
		id := saveRecord(t, e.db, record.EntitySurvey, surveyFields(time.Now().Format("2006-01-02"), ""))
		e.ui.Records.Open(id)
		test.Tap(e.ui.Detail.EditButton)
		s := e.ui.Survey
		if e.ui.Current() != ScreenSurvey || s.id != id {
			t.Fatalf("edit form: %s, %q", e.ui.Current(), s.id)
		}
		pullFields(t, e.db, record.EntitySurvey, id, map[string]json.RawMessage{"suggestion": json.RawMessage(`"Илүү мэдээлэл"`)})
		s.Satisfaction.setCode("5")
		test.Tap(s.SaveButton)
		r, _ := e.db.FindRecordByID(ctx, id)
		if got := jsonStr(r.Values["suggestion"]); got != "Илүү мэдээлэл" {
			t.Errorf("suggestion = %q, want the pulled one", got)
		}
		if got := string(r.Values["satisfaction"]); got != "5" {
			t.Errorf("satisfaction = %s, want 5 (status %q)", got, s.Status.Text)
		}
	})
}

// TestNavAfterEditOpensNewForm: an edit left unsaved does not come back under the nav buttons:
// they open an empty new event and a new survey response; saving makes a new record.
func TestNavAfterEditOpensNewForm(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	ctx := context.Background()
	today := time.Now().Format("2006-01-02")
	evID := saveRecord(t, e.db, record.EntityEvent, map[string]any{"kind": record.KindHerderMeeting,
		"date": "2026-01-05", "unit": "MN6501", "place": "Хуучин газар", "consultations": 4})
	svID := saveRecord(t, e.db, record.EntitySurvey, surveyFields("2026-01-05", evID))

	// The event: opened for editing, changed, left through the nav bar.
	e.ui.Records.Open(evID)
	test.Tap(e.ui.Detail.EditButton)
	f := e.ui.Event
	test.Type(f.Place, " 2")
	test.Tap(e.ui.navBtns[ScreenHome])
	tapDiscard(t, e)
	e.ui.WaitIdle()
	test.Tap(e.ui.navBtns[ScreenEvent])
	if f.id != "" || f.Title.Text != catalog.T(i18n.MN, "ui.event.new") {
		t.Fatalf("the nav button opened %q titled %q", f.id, f.Title.Text)
	}
	if f.Place.Text != "" || f.Consultations.entry.Text != "" || f.Kind.code() != "" || f.Date.text() != today || f.Unit.code() != "MN6501" {
		t.Fatalf("not a new form: place %q, consultations %q, kind %q, date %q, unit %q",
			f.Place.Text, f.Consultations.entry.Text, f.Kind.code(), f.Date.text(), f.Unit.code())
	}
	f.Kind.setCode(record.KindOpenDay)
	test.Tap(f.SaveButton)
	if _, n, _ := e.db.FindRecords(ctx, localstore.Filter{Entity: record.EntityEvent}); n != 2 {
		t.Fatalf("%d events after saving the new form, want 2 (status %q)", n, f.Status.Text)
	}
	if r, _ := e.db.FindRecordByID(ctx, evID); jsonStr(r.Values["place"]) != "Хуучин газар" || r.Kind != record.KindHerderMeeting {
		t.Fatalf("the abandoned edit changed the record: %s", r.Values["place"])
	}

	// The survey response likewise.
	e.ui.Records.Open(svID)
	test.Tap(e.ui.Detail.EditButton)
	s := e.ui.Survey
	if s.id != svID {
		t.Fatalf("survey edit opened %q", s.id)
	}
	test.Type(s.Suggestion, "засвар")
	test.Tap(e.ui.navBtns[ScreenRecords])
	tapDiscard(t, e)
	test.Tap(e.ui.navBtns[ScreenSurvey])
	if s.id != "" || s.Title.Text != catalog.T(i18n.MN, "ui.survey.new") {
		t.Fatalf("the nav button opened %q titled %q", s.id, s.Title.Text)
	}
	if s.TargetGroup.code() != "" || s.Satisfaction.code() != "" || s.Suggestion.Text != "" || s.Date.text() != today {
		t.Fatalf("not a new response: group %q, satisfaction %q, suggestion %q, date %q",
			s.TargetGroup.code(), s.Satisfaction.code(), s.Suggestion.Text, s.Date.text())
	}
	if s.Event.code() == evID {
		t.Fatal("the new response is linked to the edited response's event")
	}
	answerSurvey(s)
	test.Tap(s.SaveNextButton)
	if _, n, _ := e.db.FindRecords(ctx, localstore.Filter{Entity: record.EntitySurvey}); n != 2 {
		t.Fatalf("%d responses, want 2 (status %q)", n, s.Status.Text)
	}
	if r, _ := e.db.FindRecordByID(ctx, svID); jsonStr(r.Values["suggestion"]) != "" {
		t.Fatalf("the abandoned edit changed the response: %s", r.Values["suggestion"])
	}
}

// TestHomeFiguresInBackground: home adds up its figures off the UI thread and only when shown;
// a save on a form does not add them up.
func TestHomeFiguresInBackground(t *testing.T) {
	e := newEnv(t, i18n.EN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	var calls atomic.Int32
	release := make(chan struct{})
	store := e.ui.summary
	e.ui.summary = func(ctx context.Context, year, month int) (localstore.Summary, error) {
		calls.Add(1)
		<-release
		return store(ctx, year, month)
	}
	e.ui.Show(ScreenEvent)
	fillEvent(t, e.ui.Event, "41", "9")
	test.Tap(e.ui.Event.SaveButton)
	if n := calls.Load(); n != 0 {
		t.Fatalf("a save on the event form added up the figures %d times", n)
	}

	shown := make(chan struct{})
	go func() {
		defer close(shown)
		e.ui.Show(ScreenHome) // on this goroutine: the test's UI thread waits below
	}()
	select {
	case <-shown:
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("showing home waited for the figures")
	}
	close(release)
	e.ui.WaitIdle()
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d summaries for home, want the month's and the year's", n)
	}
	if got := e.ui.Home.YearCard.Reached.Text; got != "50" {
		t.Fatalf("home's year figures = %q, want 50 people reached", got)
	}
	// Another screen's save leaves them; showing home again adds them up again.
	e.ui.Show(ScreenEvent)
	e.ui.Event.Kind.setCode(record.KindOpenDay)
	test.Tap(e.ui.Event.SaveButton)
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d summaries after a save with home hidden, want 2", n)
	}
}

// TestTitleAndPlaceholderTranslated: the window title and the date's placeholder come from the
// catalogue, and follow a language switch.
func TestTitleAndPlaceholderTranslated(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	for _, lang := range []string{i18n.MN, i18n.EN} {
		e.ui.SetLang(lang)
		if got, want := e.win.Title(), catalog.T(lang, "ui.window.title"); got != want || rawKey.MatchString(got) {
			t.Errorf("%s: title %q, want %q", lang, got, want)
		}
		want := catalog.T(lang, "ui.date.placeholder")
		for _, d := range []*dateField{e.ui.Event.Date, e.ui.Survey.Date} {
			if d.entry.PlaceHolder != want || rawKey.MatchString(want) {
				t.Errorf("%s: date placeholder %q, want %q", lang, d.entry.PlaceHolder, want)
			}
		}
	}
	if catalog.T(i18n.MN, "ui.date.placeholder") == catalog.T(i18n.EN, "ui.date.placeholder") {
		t.Error("the date placeholder is not in Mongolian")
	}
}

// TestProblemsWithoutFieldSorted: the problems shown in the status line, having no field of their
// own, come in the same order every time.
func TestProblemsWithoutFieldSorted(t *testing.T) {
	var ps []record.Problem
	for _, f := range []string{"sex", "event_id", "info_sources", "date", "zeta"} {
		ps = append(ps, record.Problem{Field: f, Code: record.ErrInvalidCode})
	}
	has := func(name string) bool { return name == "date" }
	want := []string{"event_id", "info_sources", "sex", "zeta"}
	for i, f := range want {
		want[i] = catalog.Problem(i18n.EN, record.Problem{Field: f, Code: record.ErrInvalidCode})
	}
	for range 20 {
		ps[0], ps[len(ps)-1] = ps[len(ps)-1], ps[0]
		if got := strings.Join(fieldless(catalog, i18n.EN, ps, has), ","); got != strings.Join(want, ",") {
			t.Fatalf("fieldless problems = %s, want %s", got, want)
		}
	}
}

// gate is a proxy to the real server that holds every request until it is opened.
func gate(t *testing.T, target string) (url string, open func()) {
	t.Helper()
	u, _ := urlParse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	ch := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	var opened atomic.Bool
	open = func() {
		if opened.CompareAndSwap(false, true) {
			close(ch)
		}
	}
	t.Cleanup(func() { open(); srv.Close() })
	return srv.URL, open
}

func urlParse(s string) (*url.URL, error) { return url.Parse(s) }

// TestLanguageSwitchDuringReenrollment: the settings screen built again in the other language
// while a re-enrollment runs shows it running, then its answer.
func TestLanguageSwitchDuringReenrollment(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	addr, open := gate(t, srv.URL)
	e.ui.Show(ScreenSettings)
	s := e.ui.Settings
	s.Server.SetText(addr)
	s.Code.SetText(srv.AddNamedInspector("Туяа", "MN6501", "inspector"))
	test.Tap(s.EnrollButton)
	e.ui.Settings.Lang.SetSelected("English")
	s2 := e.ui.Settings
	if s2 == s {
		t.Fatal("settings not built again")
	}
	if !s2.EnrollButton.Disabled() || s2.EnrollMessage.Text != catalog.T(i18n.EN, "ui.enroll.running") {
		t.Fatalf("while enrolling the new screen shows %q (button disabled %v)", s2.EnrollMessage.Text, s2.EnrollButton.Disabled())
	}
	open()
	e.ui.WaitIdle()
	if got, want := e.ui.Settings.EnrollMessage.Text, catalog.T(i18n.EN, "ui.settings.reenrolled"); got != want {
		t.Fatalf("after re-enrolling the settings say %q, want %q", got, want)
	}
	if e.ui.Settings.EnrollButton.Disabled() {
		t.Fatal("the button stays disabled")
	}
	if enr, _ := e.db.Enrollment(context.Background()); enr.ServerURL != addr {
		t.Fatalf("enrolled with %q", enr.ServerURL)
	}
}

// TestLanguageSwitchDuringEnrollment: the same on the enrollment screen.
func TestLanguageSwitchDuringEnrollment(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	addr, open := gate(t, srv.URL)
	s := e.ui.Enroll
	s.Server.SetText(addr)
	s.Code.SetText("WRONG-CODE")
	test.Tap(s.Button)
	e.ui.Enroll.Lang.SetSelected("English")
	if e.ui.Enroll == s || !e.ui.Enroll.Button.Disabled() {
		t.Fatal("the rebuilt enrollment screen does not show the enrollment running")
	}
	open()
	e.ui.WaitIdle()
	if got, want := e.ui.Enroll.Message.Text, catalog.T(i18n.EN, "fieldapp.sync.code_unknown"); got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
	if e.ui.Enroll.Button.Disabled() {
		t.Fatal("the button stays disabled")
	}
}

// TestStopEndsTheSync: Stop cancels a sync under way and returns once it has finished, so the
// store can be closed after it.
func TestStopEndsTheSync(t *testing.T) {
	done := make(chan struct{})
	var pulls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/pull") {
			pulls.Add(1)
		}
		select { // a server that never answers
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer srv.Close()
	defer close(done)
	e := newEnv(t, i18n.MN, laptop)
	if err := e.db.SaveEnrollment(context.Background(), srv.URL, syncproto.EnrollResponse{DeviceID: "d", Token: "t",
		Inspector: syncproto.Inspector{UnitCode: "MN6501", Role: "inspector"}}); err != nil {
		t.Fatal(err)
	}
	e.ui.Show(ScreenHome)
	e.ui.WaitIdle()
	test.Tap(e.ui.Home.SyncButton)
	waitFor(t, "the sync to reach the server", func() bool { return pulls.Load() > 0 })
	stopped := make(chan struct{})
	go func() { e.ui.Stop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return")
	}
	if e.ui.syncing.Load() {
		t.Fatal("Stop returned while the sync runs")
	}
	e.ui.SyncNow()
	if e.ui.syncing.Load() {
		t.Fatal("a sync started after Stop")
	}
}

// TestFirstSyncAfterEnrollingAtStart: a device enrolled before the screens start (make run,
// --code) syncs by itself at once: it has its soum's records and a last sync time without a tap.
func TestFirstSyncAfterEnrollingAtStart(t *testing.T) {
	srv := startServer(t)
	ctx := context.Background()
	// Another inspector's device of the soum has sent an event.
	other, err := localstore.Open(filepath.Join(t.TempDir(), "other.db"), localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	oc := &syncclient.Client{Store: other, MaxAttempts: 1}
	if _, err := oc.Enroll(ctx, srv.URL, srv.AddNamedInspector("Нараа", "MN6501", "inspector"), "other", "test"); err != nil {
		t.Fatal(err)
	}
	evID := saveRecord(t, other, record.EntityEvent, map[string]any{"kind": record.KindOpenDay,
		"date": time.Now().Format("2006-01-02"), "unit": "MN6501", "place": "Сумын төв"})
	if _, err := oc.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	test.NewTempApp(t)
	db, err := localstore.Open(filepath.Join(t.TempDir(), "field.db"), localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	client := &syncclient.Client{Store: db, MaxAttempts: 1}
	if _, err := client.Enroll(ctx, srv.URL, srv.AddNamedInspector("Дулмаа", "MN6501", "inspector"), "test", "test"); err != nil {
		t.Fatal(err)
	}
	u := New(test.NewTempWindow(t, nil), Config{Store: db, Client: client, Catalog: catalog, Lang: i18n.EN,
		CheckEvery: time.Hour})
	u.WaitIdle()
	u.Start()
	defer u.Stop()
	waitFor(t, "the first sync", func() bool {
		last, _ := db.LastSync(ctx)
		return !last.IsZero() && !u.syncing.Load()
	})
	u.Stop()
	u.WaitIdle()
	if _, err := db.FindRecordByID(ctx, evID); err != nil {
		t.Fatalf("the soum's event is not on the device: %v", err)
	}
	u.Show(ScreenHome)
	u.WaitIdle()
	if got := u.Home.LastSync.Text; got == catalog.T(i18n.EN, "fieldapp.sync.never") {
		t.Fatalf("home says %q", got)
	}
}
