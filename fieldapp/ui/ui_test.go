package ui

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"talbar/fieldapp/internal/servertest"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/syncproto"
)

var laptop = fyne.NewSize(1024, 720)

// fillEvent types an herder meeting as an inspector would.
func fillEvent(t *testing.T, f *EventForm, herders, students string) {
	t.Helper()
	f.Kind.setCode(record.KindHerderMeeting)
	test.Type(f.Place, "Баг 3, Хөх нуур")
	f.Occasion.setCode("livestock_census")
	f.Partners.SetSelected([]string{f.Partners.labels[0], f.Partners.labels[1]})
	test.Type(f.Reached["herders"].entry, herders)
	test.Type(f.Reached["students"].entry, students)
	test.Type(f.Materials["brochure"].entry, "30")
	test.Type(f.Consultations.entry, "7")
	test.Type(f.Contracts.entry, "2")
	test.Type(f.Contributions.entry, "150 000")
	test.Type(f.Notes, "Малын тооллогын үеэр")
}

func TestEventForm_SaveWritesRecordAndChange(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	e.ui.Show(ScreenEvent)
	f := e.ui.Event
	if got, want := f.Unit.code(), "MN6501"; got != want {
		t.Fatalf("unit preselected = %q, want the inspector's only soum %q", got, want)
	}
	if got, want := f.Date.text(), time.Now().Format("2006-01-02"); got != want {
		t.Fatalf("date = %q, want today %q", got, want)
	}
	fillEvent(t, f, "45", "12")
	if got := f.ReachedTotal.Text; !strings.Contains(got, "57") {
		t.Fatalf("reached total = %q, want 57", got)
	}
	test.Tap(f.SaveButton)

	recs, n, err := e.db.FindRecords(context.Background(), localstore.Filter{})
	if err != nil || n != 1 {
		t.Fatalf("records = %d, %v; want 1 (status %q)", n, err, f.Status.Text)
	}
	r := recs[0]
	if r.Kind != record.KindHerderMeeting || r.Unit != "MN6501" || r.SyncState != localstore.StatePending {
		t.Fatalf("record = %+v", r)
	}
	var reached map[string]int
	json.Unmarshal(r.Values["reached"], &reached)
	if reached["herders"] != 45 || reached["students"] != 12 {
		t.Fatalf("reached = %v", reached)
	}
	if got := string(r.Values["contributions_mnt"]); got != "150000" {
		t.Fatalf("contributions = %s, want 150000", got)
	}
	if got := jsonStrs(r.Values["partners"]); len(got) != 2 || got[0] != "governor" || got[1] != "bank" {
		t.Fatalf("partners = %v", got)
	}
	if _, ok := r.Values["lat"]; ok {
		t.Fatalf("lat saved without being typed: %s", r.Values["lat"])
	}
	changes, err := e.db.Changes(context.Background(), localstore.StatePending)
	if err != nil || len(changes) != 1 || changes[0].RecordID != r.ID {
		t.Fatalf("outbox = %+v, %v; want one change of %s", changes, err, r.ID)
	}
	if f.Place.Text != "" || f.Reached["herders"].entry.Text != "" {
		t.Fatal("form not emptied after save")
	}
	if !strings.Contains(f.Status.Text, catalog.T(i18n.MN, "ui.form.saved")) {
		t.Fatalf("status = %q", f.Status.Text)
	}

	// Edit from the records list: detail, edit, save; the change carries only what changed.
	e.ui.Show(ScreenRecords)
	if len(e.ui.Records.Items) != 1 {
		t.Fatalf("list = %d items", len(e.ui.Records.Items))
	}
	e.ui.Records.List.Select(0)
	if e.ui.Current() != ScreenDetail {
		t.Fatalf("screen = %s, want detail", e.ui.Current())
	}
	test.Tap(e.ui.Detail.EditButton)
	if e.ui.Current() != ScreenEvent || f.Reached["herders"].entry.Text != "45" {
		t.Fatalf("edit form: screen %s, herders %q", e.ui.Current(), f.Reached["herders"].entry.Text)
	}
	f.Reached["herders"].entry.SetText("")
	test.Type(f.Reached["herders"].entry, "50")
	test.Tap(f.SaveButton)
	got, _ := e.db.FindRecordByID(context.Background(), r.ID)
	json.Unmarshal(got.Values["reached"], &reached)
	if reached["herders"] != 50 {
		t.Fatalf("after edit reached = %v", reached)
	}
	changes, _ = e.db.Changes(context.Background(), localstore.StatePending)
	if len(changes) != 2 || len(changes[1].Fields) != 1 {
		t.Fatalf("edit change = %+v, want one field", changes)
	}
}

func TestEventForm_NegativeCountShowsMessageAndSavesNothing(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	e.ui.Show(ScreenEvent)
	f := e.ui.Event
	f.Kind.setCode(record.KindOpenDay)
	test.Type(f.Reached["herders"].entry, "-5")

	// The message alone: the field's label is right beside it, the section above.
	want := catalog.ProblemText(i18n.MN, record.Problem{Field: "reached.herders", Code: record.ErrNegative})
	msg := f.Reached["herders"].err
	if msg.Hidden || msg.Text != want {
		t.Fatalf("message next to the field = %q (hidden %v), want %q", msg.Text, msg.Hidden, want)
	}
	test.Tap(f.SaveButton)
	if _, n, _ := e.db.FindRecords(context.Background(), localstore.Filter{IncludeDeleted: true}); n != 0 {
		t.Fatalf("%d records saved, want none", n)
	}
	if ch, _ := e.db.Changes(context.Background(), ""); len(ch) != 0 {
		t.Fatalf("%d changes in the outbox, want none", len(ch))
	}
	if !strings.Contains(f.Status.Text, catalog.N(i18n.MN, "ui.form.fix_count", 1, 1)) {
		t.Fatalf("status = %q", f.Status.Text)
	}
	// Correcting it clears the message as it is typed.
	f.Reached["herders"].entry.SetText("")
	test.Type(f.Reached["herders"].entry, "5")
	if !msg.Hidden {
		t.Fatalf("message still shown: %q", msg.Text)
	}
	// A word instead of a number is named too.
	test.Type(f.Consultations.entry, "x")
	if f.Consultations.err.Hidden {
		t.Fatal("no message for a non-number")
	}
}

func TestSurvey_ThreeResponsesWithSaveAndNext(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	e.ui.Event.ensureUnits()
	ctx := context.Background()
	evID, ps, err := e.db.Save(ctx, localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{
		"kind": record.KindMarketDay, "date": "2026-05-14", "unit": "MN6501"}})
	if err != nil || len(ps) > 0 {
		t.Fatal(err, ps)
	}
	e.ui.cfg.Now = func() time.Time { return time.Date(2026, 5, 20, 10, 0, 0, 0, time.Local) }
	e.ui.Show(ScreenSurvey)
	s := e.ui.Survey
	s.Event.setCode(evID)
	if s.Date.text() != "2026-05-14" || s.Unit.code() != "MN6501" {
		t.Fatalf("event's date and soum not taken: %q %q", s.Date.text(), s.Unit.code())
	}
	answers := []struct{ group, age, sex, ins, info, sat string }{
		{"herders", "25-34", "female", "voluntary", "yes", "5"},
		{"self_employed", "45-54", "male", "none", "no", "2"},
		{"students", "18-24", "", "mandatory", "partly", "4"},
	}
	for i, a := range answers {
		s.TargetGroup.setCode(a.group)
		s.AgeBand.setCode(a.age)
		if a.sex != "" {
			s.Sex.setCode(a.sex)
		}
		s.Insurance.setCode(a.ins)
		s.InfoAccess.setCode(a.info)
		s.InfoSources.SetSelected([]string{s.InfoSources.labels[6]})
		s.Satisfaction.setCode(a.sat)
		test.Type(s.Suggestion, "Санал")
		test.Tap(s.SaveNextButton)
		if want := catalog.T(i18n.MN, "ui.survey.count", i+1); s.Count.Text != want {
			t.Fatalf("after response %d: count = %q, want %q (status %q)", i+1, s.Count.Text, want, s.Status.Text)
		}
		if s.Event.code() != evID || s.Date.text() != "2026-05-14" || s.Unit.code() != "MN6501" {
			t.Fatalf("after response %d the event, date or soum changed", i+1)
		}
		if s.TargetGroup.code() != "" || s.AgeBand.code() != "" || s.Suggestion.Text != "" {
			t.Fatalf("after response %d the answers were kept", i+1)
		}
	}
	recs, n, _ := e.db.FindRecords(ctx, localstore.Filter{Entity: record.EntitySurvey})
	if n != 3 {
		t.Fatalf("%d surveys, want 3", n)
	}
	for _, r := range recs {
		if jsonStr(r.Values["event_id"]) != evID || r.Date != "2026-05-14" || r.Unit != "MN6501" {
			t.Fatalf("survey %+v", r.Values)
		}
	}
	// A response missing required answers is not saved and says which.
	test.Tap(s.SaveNextButton)
	if s.TargetGroupErr.Hidden || s.SatisfactionErr.Hidden {
		t.Fatal("missing answers not marked")
	}
	if _, n, _ := e.db.FindRecords(ctx, localstore.Filter{Entity: record.EntitySurvey}); n != 3 {
		t.Fatalf("%d surveys after an incomplete one, want 3", n)
	}
}

func TestLanguageSwitchChangesLabels(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.Show(ScreenSettings)
	if got := e.ui.navBtns[ScreenHome].Text; got != "Нүүр" {
		t.Fatalf("home button = %q, want Нүүр", got)
	}
	e.ui.Settings.Lang.SetSelected("English")
	if e.ui.Lang() != i18n.EN {
		t.Fatalf("lang = %s", e.ui.Lang())
	}
	if got := e.ui.navBtns[ScreenHome].Text; got != "Home" {
		t.Fatalf("home button = %q, want Home", got)
	}
	if e.ui.Current() != ScreenSettings {
		t.Fatalf("screen after switch = %s, want settings", e.ui.Current())
	}
	if !hasText(e.win, "Language") {
		t.Fatalf("settings not in English: %q", texts(e.win))
	}
	e.ui.Show(ScreenEvent)
	if e.ui.Event.SaveButton.Text != "Save" || !hasText(e.win, "Herders") {
		t.Fatalf("event form not in English")
	}
	e.ui.Show(ScreenSettings)
	e.ui.Settings.Lang.SetSelected("Монгол")
	if e.ui.navBtns[ScreenHome].Text != "Нүүр" || e.ui.Event.SaveButton.Text != "Хадгалах" {
		t.Fatal("not back in Mongolian")
	}
}

// rawKey matches a catalogue key shown as is, which is what a missing translation looks like.
var rawKey = regexp.MustCompile(`^(ui|field|term|fieldapp|err|error|reject|status|role|lang|warn|kind|occasion|partner|target_group|material|info_source|age_band|sex|insurance_status|info_access|satisfaction|level|indicator)\.[a-z0-9_.+-]+$`)

// TestEveryStringTranslated walks every screen in both languages and fails on a label that is a
// raw catalogue key; the catalogue itself must have every key in both languages.
func TestEveryStringTranslated(t *testing.T) {
	if missing := catalog.Missing(); len(missing) > 0 {
		t.Fatalf("catalogue gaps: %v", missing)
	}
	for _, lang := range i18n.Langs {
		t.Run(lang, func(t *testing.T) {
			e := newEnv(t, lang, laptop)
			e.ui.Show(ScreenEnroll)
			checkNoKeys(t, e, ScreenEnroll)
			enrollOffline(t, e.db, "MN6501")
			e.ui.enrolledNow()
			e.ui.WaitIdle() // the sync fails: no server; its message must be translated too
			seed(t, e)
			for _, s := range []string{ScreenHome, ScreenEvent, ScreenSurvey, ScreenRecords, ScreenRejected, ScreenSettings} {
				e.ui.Show(s)
				checkNoKeys(t, e, s)
			}
			e.ui.Show(ScreenEvent)
			if want := catalog.T(lang, "partner.bank"); !hasText(e.win, want) {
				t.Errorf("event form does not draw the partner %q", want)
			}
			e.ui.Records.Open(e.ui.Records.Items[0].ID)
			checkNoKeys(t, e, ScreenDetail)
			// Problems next to the fields, and every code label in the forms.
			e.ui.Show(ScreenEvent)
			test.Type(e.ui.Event.Reached["herders"].entry, "-1")
			test.Tap(e.ui.Event.SaveButton)
			checkNoKeys(t, e, "event with problems")
			e.ui.Show(ScreenSurvey)
			test.Tap(e.ui.Survey.SaveNextButton)
			checkNoKeys(t, e, "survey with problems")
			for _, sel := range []*codeSelect{e.ui.Event.Kind, e.ui.Event.Occasion, e.ui.Survey.TargetGroup, e.ui.Records.Kind} {
				for _, o := range sel.Options {
					if rawKey.MatchString(o) {
						t.Errorf("option %q untranslated", o)
					}
				}
			}
			if e.ui.Home.SyncStatus.Text == "" || rawKey.MatchString(e.ui.Home.SyncStatus.Text) {
				t.Errorf("sync message = %q", e.ui.Home.SyncStatus.Text)
			}
		})
	}
}

func checkNoKeys(t *testing.T, e *env, screen string) {
	t.Helper()
	e.ui.WaitIdle()
	all := texts(e.win)
	if len(all) < 3 {
		t.Fatalf("%s: only %q drawn", screen, all)
	}
	for _, s := range all {
		if rawKey.MatchString(strings.TrimSpace(s)) || strings.Contains(s, "%!") {
			t.Errorf("%s (%s): untranslated or badly formatted %q", screen, e.ui.Lang(), s)
		}
	}
}

// seed saves an event, a survey and a record refused by the server into the store.
func seed(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	id, ps, err := e.db.Save(ctx, localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{
		"kind": record.KindOpenDay, "date": time.Now().Format("2006-01-02"), "unit": "MN6501", "place": "Сумын төв",
		"reached": map[string]int{"herders": 3}, "partners": []string{"bank"}, "occasion": "other"}})
	if err != nil || len(ps) > 0 {
		t.Fatal(err, ps)
	}
	if _, ps, err := e.db.Save(ctx, localstore.Draft{Entity: record.EntitySurvey, Fields: map[string]any{
		"date": time.Now().Format("2006-01-02"), "unit": "MN6501", "event_id": id, "target_group": "herders",
		"age_band": "55+", "insurance_status": "none", "info_access": "partly", "satisfaction": 3,
		"info_sources": []string{"tv"}}}); err != nil || len(ps) > 0 {
		t.Fatal(err, ps)
	}
	e.ui.Home.Refresh()
	e.ui.WaitIdle()
}

// TestPhoneSizedWindow checks that no screen needs more than a phone's 360 pixels of width.
func TestPhoneSizedWindow(t *testing.T) {
	phone := fyne.NewSize(360, 720)
	e := newEnv(t, i18n.MN, phone)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	seed(t, e)
	for _, s := range []string{ScreenHome, ScreenEvent, ScreenSurvey, ScreenRecords, ScreenRejected, ScreenSettings} {
		e.ui.Show(s)
		e.ui.WaitIdle()
		if w := e.win.Content().MinSize().Width; w > phone.Width {
			t.Errorf("%s needs %.0f px of width, more than %v", s, w, phone.Width)
		}
	}
	e.ui.Records.Open(e.ui.Records.Items[0].ID)
	if w := e.win.Content().MinSize().Width; w > phone.Width {
		t.Errorf("detail needs %.0f px of width", w)
	}
}

func TestDeleteWithConfirmationAndUndo(t *testing.T) {
	e := newEnv(t, i18n.EN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	seed(t, e)
	e.ui.Show(ScreenRecords)
	n := len(e.ui.Records.Items)
	id := e.ui.Records.Items[0].ID
	e.ui.Records.Open(id)
	test.Tap(e.ui.Detail.DeleteButton)
	// The confirmation carries our own labels; cancel deletes nothing.
	if !hasText(e.win, "Delete record") {
		t.Fatalf("no confirmation shown: %q", texts(e.win))
	}
	cancel := dialogButton(e.win, "Cancel")
	if cancel == nil {
		t.Fatalf("no Cancel in the confirmation: %q", texts(e.win))
	}
	test.Tap(cancel)
	if r, _ := e.db.FindRecordByID(context.Background(), id); r.Deleted || e.ui.Current() != ScreenDetail {
		t.Fatalf("after cancel: deleted %v, screen %s", r.Deleted, e.ui.Current())
	}
	if ch, _ := e.db.Changes(context.Background(), localstore.StatePending); len(ch) != 2 {
		t.Fatalf("after cancel: %d changes, want the 2 of the seed", len(ch))
	}
	test.Tap(e.ui.Detail.DeleteButton)
	confirm := dialogButton(e.win, "Delete")
	if confirm == nil {
		t.Fatalf("no Delete in the confirmation: %q", texts(e.win))
	}
	test.Tap(confirm)
	if r, _ := e.db.FindRecordByID(context.Background(), id); !r.Deleted {
		t.Fatal("confirmed, but the record is not deleted")
	}
	if len(e.ui.Records.Items) != n-1 || e.ui.Records.UndoBar.Hidden {
		t.Fatalf("after delete: %d items, undo hidden %v", len(e.ui.Records.Items), e.ui.Records.UndoBar.Hidden)
	}
	test.Tap(e.ui.Records.UndoButton)
	r, _ := e.db.FindRecordByID(context.Background(), id)
	if r.Deleted || len(e.ui.Records.Items) != n {
		t.Fatalf("after undo: deleted %v, %d items", r.Deleted, len(e.ui.Records.Items))
	}
}

func TestRecordsFilters(t *testing.T) {
	e := newEnv(t, i18n.MN, laptop)
	enrollOffline(t, e.db, "MN6501")
	e.ui.loadUnits()
	seed(t, e)
	e.ui.Show(ScreenRecords)
	r := e.ui.Records
	if len(r.Items) != 2 {
		t.Fatalf("%d items", len(r.Items))
	}
	r.Kind.setCode(record.EntitySurvey)
	if len(r.Items) != 1 || r.Items[0].Entity != record.EntitySurvey {
		t.Fatalf("survey filter: %d", len(r.Items))
	}
	r.Kind.setCode("")
	test.Type(r.Search, "сумын")
	if len(r.Items) != 1 {
		t.Fatalf("search: %d", len(r.Items))
	}
	r.Search.SetText("")
	test.Type(r.From, "2099-01-01")
	if len(r.Items) != 0 {
		t.Fatalf("from filter: %d", len(r.Items))
	}
	r.From.SetText("")
	r.Pending.SetChecked(true)
	if len(r.Items) != 2 {
		t.Fatalf("pending filter: %d", len(r.Items))
	}
	r.RejectedOnly.SetChecked(true)
	if len(r.Items) != 0 {
		t.Fatalf("rejected filter: %d", len(r.Items))
	}
}

// otherAimagSoum is a soum outside MN6501's aimag, which the server refuses for its inspector.
func otherAimagSoum(t *testing.T, e *env) string {
	t.Helper()
	tree := e.ui.units()
	for _, c := range tree.Leaves("MN") {
		if tree.Division(c) != tree.Division("MN6501") {
			return string(c)
		}
	}
	t.Fatal("no soum outside the aimag")
	return ""
}

func enrollThroughScreen(t *testing.T, e *env, srv *servertest.Server, code string) {
	t.Helper()
	e.ui.Show(ScreenEnroll)
	s := e.ui.Enroll
	s.Server.SetText("")
	test.Type(s.Server, srv.URL)
	test.Type(s.Code, code)
	test.Tap(s.Button)
	e.ui.WaitIdle()
	if e.ui.Current() != ScreenHome {
		t.Fatalf("after enrollment: screen %s, message %q", e.ui.Current(), s.Message.Text)
	}
}

func TestEnrollmentMessages(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	if e.ui.Current() != ScreenEnroll {
		t.Fatalf("not enrolled but shows %s", e.ui.Current())
	}
	s := e.ui.Enroll
	try := func(server, code string) string {
		s.Server.SetText(server)
		s.Code.SetText(code)
		test.Tap(s.Button)
		e.ui.WaitIdle()
		return s.Message.Text
	}
	if got, want := try(srv.URL, "WRONG-CODE"), catalog.T(i18n.MN, "fieldapp.sync.code_unknown"); got != want {
		t.Fatalf("wrong code: %q, want %q", got, want)
	}
	if got, want := try("http://"+servertest.FreeAddr(t), "X"), catalog.T(i18n.MN, "ui.enroll.unreachable"); got != want {
		t.Fatalf("no connection: %q, want %q", got, want)
	}
	code := srv.AddNamedInspector("Болд", "MN6501", "inspector")
	if try(srv.URL, code); e.ui.Current() != ScreenHome {
		t.Fatalf("good code: %q", s.Message.Text)
	}
	e.ui.WaitIdle()
	// The same code a second time, from another device.
	e2 := newEnv(t, i18n.MN, laptop)
	e2.ui.Enroll.Server.SetText(srv.URL)
	e2.ui.Enroll.Code.SetText(code)
	test.Tap(e2.ui.Enroll.Button)
	e2.ui.WaitIdle()
	if got, want := e2.ui.Enroll.Message.Text, catalog.T(i18n.MN, "fieldapp.sync.code_used"); got != want {
		t.Fatalf("used code: %q, want %q", got, want)
	}
}

func TestRejectedChangesShowServerReason(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	enrollThroughScreen(t, e, srv, srv.AddNamedInspector("Сараа", "MN6501", "inspector"))
	ctx := context.Background()
	// The form offers only the inspector's own soum; a record filed elsewhere (here written to the
	// store directly) is what the server refuses.
	other := otherAimagSoum(t, e)
	id, ps, err := e.db.Save(ctx, localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{
		"kind": record.KindOpenDay, "date": time.Now().Format("2006-01-02"), "unit": other, "place": "Өөр аймаг"}})
	if err != nil || len(ps) > 0 {
		t.Fatal(err, ps)
	}
	e.ui.Show(ScreenHome)
	e.ui.WaitIdle() // home adds up its figures in the background
	test.Tap(e.ui.Home.SyncButton)
	e.ui.WaitIdle()
	if e.ui.Home.Rejected.Hidden {
		t.Fatalf("home shows no rejected changes; sync said %q", e.ui.Home.SyncStatus.Text)
	}
	test.Tap(e.ui.Home.Rejected)
	if e.ui.Current() != ScreenRejected || len(e.ui.Rejected.Items) != 1 {
		t.Fatalf("rejected view: %s with %d items", e.ui.Current(), len(e.ui.Rejected.Items))
	}
	it := e.ui.Rejected.Items[0]
	if want := catalog.T(i18n.MN, "reject.out_of_scope"); !strings.Contains(it.Reason.Text, want) {
		t.Fatalf("reason = %q, want it to contain %q", it.Reason.Text, want)
	}
	// The server's English words are for its logs, never for a Mongolian reader.
	if it.Change.Message == "" || strings.Contains(it.Reason.Text, it.Change.Message) {
		t.Fatalf("reason %q shows the server's English %q", it.Reason.Text, it.Change.Message)
	}
	// Fix opens the record's form with its values.
	test.Tap(it.Fix)
	if e.ui.Current() != ScreenEvent || e.ui.Event.id != id || e.ui.Event.Place.Text != "Өөр аймаг" {
		t.Fatalf("fix opened %s for %q", e.ui.Current(), e.ui.Event.id)
	}
	// A soum outside the inspector's own cannot be fixed on this device: discard it, after a
	// confirmation with our own labels.
	e.ui.Show(ScreenRejected)
	it = e.ui.Rejected.Items[0]
	test.Tap(it.Discard)
	cancel := dialogButton(e.win, catalog.T(i18n.MN, "ui.action.cancel"))
	if cancel == nil {
		t.Fatalf("no confirmation: %q", texts(e.win))
	}
	test.Tap(cancel)
	if _, rejected, _ := e.db.Counts(ctx); rejected != 1 || len(e.ui.Rejected.Items) != 1 {
		t.Fatalf("after cancel: %d rejected, %d shown; want 1", rejected, len(e.ui.Rejected.Items))
	}
	test.Tap(e.ui.Rejected.Items[0].Discard)
	confirm := dialogButton(e.win, catalog.T(i18n.MN, "ui.rejected.discard"))
	if confirm == nil {
		t.Fatalf("no discard in the confirmation: %q", texts(e.win))
	}
	test.Tap(confirm)
	if _, rejected, _ := e.db.Counts(ctx); rejected != 0 || len(e.ui.Rejected.Items) != 0 {
		t.Fatalf("%d rejected after discarding, %d shown", rejected, len(e.ui.Rejected.Items))
	}
	e.ui.Show(ScreenHome)
	e.ui.WaitIdle() // home adds up its figures in the background
	test.Tap(e.ui.Home.SyncButton)
	e.ui.WaitIdle()
	if pending, rejected, _ := e.db.Counts(ctx); pending+rejected != 0 {
		t.Fatalf("after the second sync: %d pending, %d rejected (%q)", pending, rejected, e.ui.Home.SyncStatus.Text)
	}
}

// TestRoundTrip types an event and a survey into the screens, taps sync, and finds them in the
// server's national totals.
func TestRoundTrip(t *testing.T) {
	srv := startServer(t)
	e := newEnv(t, i18n.MN, laptop)
	enrollThroughScreen(t, e, srv, srv.AddNamedInspector("Дорж", "MN6501", "inspector"))
	ctx := context.Background()
	enr, err := e.db.Enrollment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	year := time.Now().Year()
	before := srv.Totals(t, enr.Token, year, "MN")

	e.ui.Show(ScreenEvent)
	fillEvent(t, e.ui.Event, "41", "9")
	test.Tap(e.ui.Event.SaveButton)
	e.ui.Show(ScreenSurvey)
	s := e.ui.Survey
	s.Event.SetSelectedIndex(1)
	s.TargetGroup.setCode("herders")
	s.AgeBand.setCode("35-44")
	s.Insurance.setCode("voluntary")
	s.InfoAccess.setCode("no")
	s.Satisfaction.setCode("4")
	test.Tap(s.SaveNextButton)
	if pending, _, _ := e.db.Counts(ctx); pending != 2 {
		t.Fatalf("%d pending, want 2 (%q / %q)", pending, e.ui.Event.Status.Text, s.Status.Text)
	}

	e.ui.Show(ScreenHome)
	e.ui.WaitIdle() // home adds up its figures in the background
	test.Tap(e.ui.Home.SyncButton)
	e.ui.WaitIdle()
	if got := e.ui.Home.SyncStatus.Text; !strings.Contains(got, catalog.T(i18n.MN, "fieldapp.sync.phase.done")) {
		t.Fatalf("sync status = %q", got)
	}
	if e.ui.Home.Progress.Value != 1 {
		t.Fatalf("progress = %v", e.ui.Home.Progress.Value)
	}
	if !strings.Contains(e.ui.Home.Pending.Text, catalog.T(i18n.MN, "ui.home.all_sent")) {
		t.Fatalf("pending = %q", e.ui.Home.Pending.Text)
	}
	after := srv.Totals(t, enr.Token, year, "MN")
	check := func(name string, got, want int64) {
		t.Helper()
		if got != want {
			t.Errorf("%s: national total moved by %d, want %d", name, got, want)
		}
	}
	check("events.herder_meeting", after.Events["herder_meeting"]-before.Events["herder_meeting"], 1)
	check("reached.total", after.Reached["total"]-before.Reached["total"], 50)
	check("reached.herders", after.Reached["herders"]-before.Reached["herders"], 41)
	check("contracts", after.ContractsSigned-before.ContractsSigned, 2)
	check("contributions", after.ContributionsMNT-before.ContributionsMNT, 150000)
	check("surveys", after.Surveys.Responses-before.Surveys.Responses, 1)
	check("info_no", after.Surveys.InfoNo-before.Surveys.InfoNo, 1)
	if got := e.ui.Home.YearCard.Reached.Text; got != "50" {
		t.Errorf("home year figures = %q", got)
	}
}

// TestSyncsWhenConnectionReturns: while the server does not answer, nothing is tried; when it
// answers again and changes wait, the background loop syncs by itself.
func TestSyncsWhenConnectionReturns(t *testing.T) {
	var up atomic.Bool
	var checks, syncs atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/healthz") {
			checks.Add(1)
		} else {
			syncs.Add(1) // counted up or down: a sync tried while down counts too
		}
		if !up.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/healthz") {
			w.Write([]byte(`{"status":"ok"}`))
			return
		}
		http.Error(w, `{"error":{"code":"unauthorized","message":"test"}}`, http.StatusUnauthorized)
	}))
	defer srv.Close()
	test.NewTempApp(t)
	db, err := localstore.Open(filepath.Join(t.TempDir(), "field.db"), localstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.SaveEnrollment(context.Background(), srv.URL, syncproto.EnrollResponse{DeviceID: "d", Token: "t",
		Inspector: syncproto.Inspector{UnitCode: "MN6501", Role: "inspector"}}); err != nil {
		t.Fatal(err)
	}
	u := New(test.NewTempWindow(t, nil), Config{Store: db, Client: &syncclient.Client{Store: db, MaxAttempts: 1},
		Catalog: catalog, CheckEvery: 20 * time.Millisecond})
	u.WaitIdle()
	u.loadUnits()
	u.Event.ensureUnits()
	u.Show(ScreenEvent)
	u.Event.Kind.setCode(record.KindOpenDay)
	test.Tap(u.Event.SaveButton)
	u.Start()
	defer u.Stop()
	// A second check means the first one has run to its end (found the server down, decided).
	waitFor(t, "two checks while the server is down", func() bool { return checks.Load() >= 2 && u.reachable.Load() == 2 })
	if n := syncs.Load(); n != 0 {
		t.Fatalf("while down: %d sync requests, want none", n)
	}
	up.Store(true)
	waitFor(t, "a sync after the connection came back", func() bool { return syncs.Load() > 0 && u.reachable.Load() == 1 })
	u.Stop()
	u.WaitIdle()
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestErrorMessages: every sync and store error the screens can meet has its own message in both
// languages (the expired code cannot be produced by the server's admin commands, so it is here).
func TestErrorMessages(t *testing.T) {
	for _, lang := range i18n.Langs {
		e := newEnv(t, lang, laptop)
		for _, code := range syncclient.Codes {
			got := e.ui.errText(&syncclient.Error{Code: code})
			if want := catalog.T(lang, "fieldapp.sync."+code); got != want || rawKey.MatchString(got) {
				t.Errorf("%s %s: %q, want %q", lang, code, got, want)
			}
		}
		if got := e.ui.errText(localstore.ErrNotFound); got != catalog.T(lang, "fieldapp.store.not_found") {
			t.Errorf("%s not found: %q", lang, got)
		}
		if got := e.ui.errText(context.DeadlineExceeded); got != catalog.T(lang, "ui.error.generic") {
			t.Errorf("%s other: %q", lang, got)
		}
	}
}
