package realwindow

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"talbar/assets"
	"talbar/fieldapp/internal/automation"
	"talbar/fieldapp/internal/servertest"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/shared/record"
	"talbar/shared/tally"
)

// run is one drive of the app: a language and a window size, with its own soum so that the runs
// do not see each other's records (the pictures stay the same whichever runs alone).
type run struct {
	name   string // mn-laptop …
	lang   string
	device string // laptop or phone
	w, h   int
	soum   string
}

var runs = []run{
	{"mn-laptop", i18n.MN, "laptop", 1024, 720, "MN6501"},
	{"en-laptop", i18n.EN, "laptop", 1024, 720, "MN6504"},
	{"mn-phone", i18n.MN, "phone", 360, 740, "MN6507"},
	{"en-phone", i18n.EN, "phone", 360, 740, "MN6510"},
}

// screens are the pictures each run takes, named fieldapp-<screen>-<lang>-<device>.png.
var screens = []string{"enroll", "home", "event", "calendar", "sms", "survey", "records", "detail", "settings"}

// shotDir is where the last TestRealWindow put its pictures (for TestScreenshotComparison).
var (
	shotMu  sync.Mutex
	shotDir string
)

// TestRealWindow runs the real field app under Xvfb in both languages at laptop and phone size,
// and drives it as an inspector would, with real X input: enrolls, visits every screen, opens
// every drop-down and picks an option, ticks every check box and radio, types into the entries,
// picks a day in the date picker, switches the tabs, the language and the theme, saves an event of
// each kind and a survey response, and syncs. The server's totals must move by exactly what was
// saved. A panic or Fyne error in the app's log, a crash, or a window that stops answering fails.
func TestRealWindow(t *testing.T) {
	cat, err := i18n.New(assets.Translations())
	if err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t)
	obs := newObserver(t, srv)
	display := startX(t, 1100, 800)
	dir := picturesDir
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			before := obs.totals(t, r.soum)
			want := drive(t, display, srv, cat, r, dir)
			got := obs.totals(t, r.soum)
			if d := diff(before, got, want); d != "" {
				t.Errorf("the server's totals for %s did not move by what was saved:\n%s", r.soum, d)
			}
		})
	}
	shotMu.Lock()
	shotDir = dir
	shotMu.Unlock()
}

// observer is a device of an aimag officer, enrolled by the test, that reads the server's totals.
type observer struct {
	srv   *servertest.Server
	token string
}

func newObserver(t *testing.T, srv *servertest.Server) *observer {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := localstore.Open(filepath.Join(t.TempDir(), "observer.db"), localstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	c := &syncclient.Client{Store: db, Logger: quiet}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.Enroll(ctx, srv.URL, srv.AddNamedInspector("observer", "MN-073", "officer"), "observer", "test"); err != nil {
		t.Fatalf("enroll the observer: %v", err)
	}
	_, _, tok, err := db.Credentials(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return &observer{srv: srv, token: tok}
}

func (o *observer) totals(t *testing.T, soum string) tally.Totals {
	return o.srv.Totals(t, o.token, 2026, soum)
}

// saved adds up what a run saved, in the server's terms.
type saved struct {
	events     map[string]int64 // by kind, and "total"
	reached    map[string]int64 // by target group, and "total"
	materials  map[string]int64
	consult    int64
	contracts  int64
	contribMNT int64
	surveys    int64
	// The breakdowns of issue 14: by sex, messages ("total" and by group), topics, channels.
	sex, messages, topics, channels map[string]int64
}

func newSaved() *saved {
	return &saved{events: map[string]int64{}, reached: map[string]int64{}, materials: map[string]int64{},
		sex: map[string]int64{}, messages: map[string]int64{}, topics: map[string]int64{}, channels: map[string]int64{}}
}

// diff compares got-before with want, field by field; "" when they agree.
func diff(before, got tally.Totals, want *saved) string {
	var b strings.Builder
	cmp := func(name string, g, bf, w int64) {
		if g-bf != w {
			fmt.Fprintf(&b, "  %s: moved by %d, saved %d\n", name, g-bf, w)
		}
	}
	maps := []struct {
		name      string
		got, bf   map[string]int64
		want      map[string]int64
		universal []string
	}{
		{"events", got.Events, before.Events, want.events, nil},
		{"reached", got.Reached, before.Reached, want.reached, nil},
		{"materials", got.Materials, before.Materials, want.materials, nil},
		{"reached_sex", got.ReachedSex, before.ReachedSex, want.sex, nil},
		{"messages", got.Messages, before.Messages, want.messages, nil},
		{"topics", got.Topics, before.Topics, want.topics, nil},
		{"channels", got.Channels, before.Channels, want.channels, nil},
	}
	for _, m := range maps {
		keys := map[string]bool{}
		for k := range m.got {
			keys[k] = true
		}
		for k := range m.want {
			keys[k] = true
		}
		for k := range keys {
			if m.name == "materials" && k == "total" && m.want["total"] == 0 {
				var sum int64
				for kk, v := range m.want {
					if kk != "total" {
						sum += v
					}
				}
				cmp(m.name+"."+k, m.got[k], m.bf[k], sum)
				continue
			}
			cmp(m.name+"."+k, m.got[k], m.bf[k], m.want[k])
		}
	}
	cmp("consultations", got.Consultations, before.Consultations, want.consult)
	cmp("contracts_signed", got.ContractsSigned, before.ContractsSigned, want.contracts)
	cmp("contributions_mnt", got.ContributionsMNT, before.ContributionsMNT, want.contribMNT)
	cmp("surveys.responses", got.Surveys.Responses, before.Surveys.Responses, want.surveys)
	return b.String()
}

// ui wraps an app with the run's language: the finders look widgets up by their translated text.
type ui struct {
	*app
	t    *testing.T
	cat  *i18n.Catalog
	r    run
	dir  string
	seen map[string]bool
}

func (u *ui) T(key string) string { return u.cat.T(u.r.lang, key) }

// shoot takes the picture of a screen once per run.
func (u *ui) shoot(screen string) {
	if u.seen[screen] {
		return
	}
	u.seen[screen] = true
	u.fits(screen)
	u.shot(filepath.Join(u.dir, fmt.Sprintf("fieldapp-%s-%s-%s.png", screen, u.r.lang, u.r.device)))
}

// fits checks that the window keeps the size it was given: a screen whose content is wider makes
// Fyne grow the window, past the edge of a phone, and it never shrinks back.
func (u *ui) fits(where string) {
	u.t.Helper()
	s := u.snap()
	if s.Width == float32(u.r.w) {
		return
	}
	var wide []string
	for _, o := range s.Objects {
		if o.MinW >= float32(u.r.w)-60 && o.Type != "*fyne.Container" {
			wide = append(wide, fmt.Sprintf("%s %q at x %.0f (min %.0f)", o.Type, o.Text, o.X, o.MinW))
		}
	}
	u.t.Errorf("on %s the window is %.0f wide, not %d: the screen does not fit; widest objects: %v", where, s.Width, u.r.w, wide)
}

// drive runs one language and size through every screen and returns what it saved.
func drive(t *testing.T, display string, srv *servertest.Server, cat *i18n.Catalog, r run, dir string) *saved {
	code := srv.AddNamedInspector("Батбаяр", r.soum, "inspector")
	a := startApp(t, display, "--data", t.TempDir(), "--lang", r.lang, "--size", fmt.Sprintf("%dx%d", r.w, r.h),
		"--server", srv.URL, "--check-every", "1h")
	u := &ui{app: a, t: t, cat: cat, r: r, dir: dir, seen: map[string]bool{}}
	want := newSaved()

	u.enroll(code)
	u.home()
	u.eventForm(want)
	u.surveyForm(want)
	u.records()
	u.settings()
	u.sync()
	a.checkLog()
	return want
}

// --- finders ---

func onScreen(s automation.Snapshot, screen string) bool { return s.Screen == screen }

// label-aware listing: each object with the text of the last label before it in the window's
// order (the field's own label, as the forms put labels above or beside their inputs).
type labelled struct {
	automation.Object
	label string
}

func listing(s automation.Snapshot) []labelled {
	var out []labelled
	last := ""
	for _, o := range s.Objects {
		if o.Type == "*widget.Label" && o.Text != "" && o.Overlay == 0 {
			last = o.Text
		}
		out = append(out, labelled{o, last})
	}
	return out
}

func byType(typ, desc string, n int, overlay bool, match func(labelled) bool) finder {
	return finder{desc: desc, find: func(s automation.Snapshot) (automation.Object, bool) {
		i := 0
		for _, o := range listing(s) {
			if o.Type != typ || (o.Overlay > 0) != overlay || (match != nil && !match(o)) {
				continue
			}
			if i == n {
				return o.Object, true
			}
			i++
		}
		return automation.Object{}, false
	}}
}

func button(text string) finder {
	return byType("*widget.Button", "button "+text, 0, false, func(o labelled) bool { return o.Text == text })
}

func entryAfter(label string) finder { return entryAfterNth(label, 0) }

// entryAfterNth is the entry under the n-th field with this label ("Other" is a target group and
// a material).
func entryAfterNth(label string, n int) finder {
	return byType("*widget.Entry", fmt.Sprintf("entry under %s (%d)", label, n+1), n, false, func(o labelled) bool { return o.label == label })
}

func entryWithPlaceholder(ph string) finder {
	return byType("*widget.Entry", "entry "+ph, 0, false, func(o labelled) bool { return o.PlaceHolder == ph })
}

func selectAfter(label string) finder {
	return byType("*ui.codeSelect", "drop-down "+label, 0, false, func(o labelled) bool { return o.label == label })
}

func menuItem(text string) finder {
	return byType("*widget.menuItem", "menu item "+text, 0, true, func(o labelled) bool { return o.Text == text })
}

func radioItem(text string) finder {
	return byType("*widget.radioItem", "radio "+text, 0, false, func(o labelled) bool { return o.Text == text })
}

func find(s automation.Snapshot, f finder) (automation.Object, bool) { return f.find(s) }

func count(s automation.Snapshot, typ string) int {
	n := 0
	for _, o := range s.Objects {
		if o.Type == typ && o.Overlay == 0 {
			n++
		}
	}
	return n
}

func hasText(s automation.Snapshot, text string) bool {
	for _, o := range s.Objects {
		if o.Text == text && (o.Type == "*widget.Label" || o.Type == "*canvas.Text") {
			return true
		}
	}
	return false
}

// nav opens a screen with its tab: a button with its name on a laptop, a tab with the name under
// its icon on a phone.
func (u *ui) nav(screen string) {
	name := u.T("ui.nav." + screen)
	f := finder{desc: "nav tab " + name, find: func(s automation.Snapshot) (automation.Object, bool) {
		for _, o := range s.Objects {
			if (o.Type == "*widget.Button" || o.Type == "*ui.navTab") && o.Text == name && o.Overlay == 0 {
				return o, true
			}
		}
		return automation.Object{}, false
	}}
	u.click(f, func(s automation.Snapshot) bool { return onScreen(s, screen) })
}

// choose opens a drop-down and picks option (the first one when ""): the pop-up must open, and
// the drop-down must show the option afterwards.
func (u *ui) choose(sel finder, option string) {
	u.t.Helper()
	u.click(sel, func(s automation.Snapshot) bool { return s.Overlays > 0 })
	if option == "" {
		o, ok := find(u.snap(), byType("*widget.menuItem", "first menu item", 0, true, nil))
		if !ok {
			u.t.Fatalf("the pop-up of %s has no options", sel.desc)
		}
		option = o.Text
	}
	u.click(menuItem(option), func(s automation.Snapshot) bool {
		o, ok := sel.find(s)
		return s.Overlays == 0 && ok && o.Selected == option
	})
}

func checked(f finder, want bool) func(automation.Snapshot) bool {
	return func(s automation.Snapshot) bool {
		o, ok := f.find(s)
		return ok && o.Checked != nil && *o.Checked == want
	}
}

// --- screens ---

func (u *ui) enroll(code string) {
	u.waitFor("the enrollment screen", 20*time.Second, func(s automation.Snapshot) bool { return onScreen(s, "enroll") })
	u.shoot("enroll")
	codeEntry := entryWithPlaceholder(u.T("ui.enroll.code_hint"))
	u.typeInto(codeEntry, code)
	// The other language and back: what was typed stays.
	other := i18n.EN
	if u.r.lang == i18n.EN {
		other = i18n.MN
	}
	otherName, ownName := u.cat.T(other, "lang."+other), u.cat.T(u.r.lang, "lang."+u.r.lang)
	u.click(radioItem(otherName), func(s automation.Snapshot) bool {
		_, ok := find(s, button(u.cat.T(other, "ui.enroll.button")))
		return ok
	})
	u.click(radioItem(ownName), func(s automation.Snapshot) bool {
		_, ok := find(s, button(u.T("ui.enroll.button")))
		return ok
	})
	if o, ok := find(u.snap(), codeEntry); !ok || o.Text != code {
		u.t.Errorf("after switching the language and back the code box holds %q, want %q", o.Text, code)
	}
	u.click(button(u.T("ui.enroll.button")), func(s automation.Snapshot) bool { return onScreen(s, "home") })
}

func (u *ui) home() {
	// The first sync after enrolling brings the soum's units; home then says it is complete.
	u.waitFor("the first sync", 30*time.Second, func(s automation.Snapshot) bool { return hasText(s, u.T("fieldapp.sync.phase.done")) })
	u.shoot("home")
}

// kindsFor are the kinds a run saves: every kind a soum inspector records on a laptop (not the
// division's broadcasts, record.DivisionOnly); on a phone the first three, the SMS campaign and
// "other" (the phone runs check layout; the laptop runs every kind's block).
func kindsFor(r run) []record.Label {
	var out []record.Label
	for _, k := range record.EventKinds {
		if record.DivisionOnly(k.Code) {
			continue
		}
		if r.device == "laptop" {
			out = append(out, k)
			continue
		}
		switch k.Code {
		case record.KindOpenDay, record.KindMarketDay, record.KindHerderMeeting, record.KindSMSCampaign, record.KindOther:
			out = append(out, k)
		}
	}
	return out
}

// eventForm saves one event of each kind (kindsFor): the first with every field filled and every
// control used, the SMS campaign with its purpose, messages, topics and channels (pictured), the
// others with the required ones and a few numbers.
func (u *ui) eventForm(want *saved) {
	prev := ""
	for i, kind := range kindsFor(u.r) {
		u.nav("event")
		if i == 0 {
			u.shoot("event")
		}
		s := u.snap()
		// The form keeps the kind last saved; an SMS campaign's block has its purpose drop-down.
		wantSelects := 3
		if prev == record.KindSMSCampaign {
			wantSelects = 4
		}
		if n := count(s, "*ui.codeSelect"); n != wantSelects {
			u.t.Fatalf("the event form shows %d drop-downs, want %d (kind, soum, occasion, and an SMS campaign's purpose)", n, wantSelects)
		}
		prev = kind.Code
		u.choose(selectAfter(u.T("field.kind")), u.cat.T(u.r.lang, "kind."+kind.Code))
		u.choose(selectAfter(u.T("field.unit")), "")
		date := "2026-06-15"
		if i == 0 {
			// The date picker: opens under its button, in the interface language; a day picked
			// goes into the date box.
			u.click(byType("*widget.Button", "calendar button", 0, false, func(o labelled) bool {
				return o.Text == "" && o.label == u.T("field.date")
			}), func(s automation.Snapshot) bool { return s.Overlays > 0 })
			u.shoot("calendar")
			day := byType("*widget.Button", "day 10", 0, true, func(o labelled) bool { return o.Text == "10" })
			u.click(day, func(s automation.Snapshot) bool {
				o, ok := find(s, entryAfter(u.T("field.date")))
				return s.Overlays == 0 && ok && o.Text == "2026-06-10"
			})
			// Today, then the picker again: the day stays the 10th, as the pictures have it.
			u.click(button(u.T("ui.date.today")), func(s automation.Snapshot) bool {
				o, ok := find(s, entryAfter(u.T("field.date")))
				return ok && o.Text == "2026-06-15"
			})
			u.click(byType("*widget.Button", "calendar button", 0, false, func(o labelled) bool {
				return o.Text == "" && o.label == u.T("field.date")
			}), func(s automation.Snapshot) bool { return s.Overlays > 0 })
			u.click(day, func(s automation.Snapshot) bool {
				o, ok := find(s, entryAfter(u.T("field.date")))
				return s.Overlays == 0 && ok && o.Text == "2026-06-10"
			})
			date = "2026-06-10"
		}
		_ = date
		place := "Цэцэрлэг 1" // the record the records screen looks for
		if i > 0 {
			place = "Баг " + fmt.Sprint(i+1)
		}
		u.typeInto(entryAfter(u.T("field.place")), place)
		u.choose(selectAfter(u.T("field.occasion")), "")
		want.events[kind.Code]++
		want.events["total"]++
		if i == 0 {
			n := count(u.snap(), "*widget.Check")
			for c := 0; c < n; c++ {
				chk := byType("*widget.Check", fmt.Sprintf("partner check %d", c+1), c, false, nil)
				u.click(chk, checked(chk, true))
			}
			for _, c := range []string{"topic", "channel"} {
				list := map[string][]record.Label{"topic": record.Topics, "channel": record.Channels}[c]
				into := map[string]map[string]int64{"topic": want.topics, "channel": want.channels}[c]
				for _, l := range list {
					into[l.Code]++
				}
			}
			// People reached in all, and groups that overlap: the total counts, not their sum.
			u.typeInto(entryAfter(u.T("field.reached_total")), "100")
			want.reached["total"] += 100
			v := int64(1)
			for _, g := range record.TargetGroups {
				u.typeInto(entryAfter(u.cat.T(u.r.lang, "target_group."+g.Code)), fmt.Sprint(v))
				want.reached[g.Code] += v
				v++
			}
			u.typeInto(entryAfter(u.T("sex.female")), "55")
			u.typeInto(entryAfter(u.T("sex.male")), "45")
			want.sex["female"] += 55
			want.sex["male"] += 45
			for _, m := range record.Materials {
				l := u.cat.T(u.r.lang, "material."+m.Code)
				nth := 0
				for _, g := range record.TargetGroups {
					if u.cat.T(u.r.lang, "target_group."+g.Code) == l {
						nth++
					}
				}
				u.typeInto(entryAfterNth(l, nth), fmt.Sprint(v))
				want.materials[m.Code] += v
				v++
			}
			u.typeInto(entryAfter(u.T("field.consultations")), "4")
			u.typeInto(entryAfter(u.T("field.contracts_signed")), "2")
			u.typeInto(entryAfter(u.T("field.contributions_mnt")), "150000")
			want.consult, want.contracts, want.contribMNT = want.consult+4, want.contracts+2, want.contribMNT+150000
			u.typeInto(entryAfter(u.T("field.lat")), "47.5")
			u.typeInto(entryAfter(u.T("field.lon")), "101.4")
			u.typeInto(entryAfter(u.T("field.notes")), "Test note")
		} else if kind.Code == record.KindSMSCampaign {
			// A reminder SMS campaign: its purpose, the messages sent in all and to one group,
			// the topics it explained, its channel.
			u.choose(selectAfter(u.T("field.sms_purpose")), u.T("sms_purpose.pre_retirement"))
			u.typeInto(entryAfter(u.T("field.messages_sent")), "320")
			u.typeInto(byType("*widget.Entry", "messages to near-pension", 0, false, func(o labelled) bool {
				return o.label == u.T("target_group.near_pension")
			}), "300")
			want.messages["total"] += 320
			want.messages["near_pension"] += 300
			for _, c := range []struct{ list, code string }{{"topic", "pensions"}, {"topic", "contributions_check"}, {"channel", "sms"}} {
				l := u.T(c.list + "." + c.code)
				// The check box is the one beside the label (on its left, in the same row).
				chk := finder{desc: "check " + l, find: func(s automation.Snapshot) (automation.Object, bool) {
					for _, lo := range s.Objects {
						if lo.Type != "*ui.tapLabel" || lo.Text != l || lo.Overlay != 0 {
							continue
						}
						for _, o := range s.Objects {
							if o.Type == "*widget.Check" && o.Overlay == 0 && o.X < lo.X && o.Y < lo.Y+lo.H && lo.Y < o.Y+o.H {
								return o, true
							}
						}
					}
					return automation.Object{}, false
				}}
				u.click(chk, checked(chk, true))
			}
			want.topics["pensions"]++
			want.topics["contributions_check"]++
			want.channels["sms"]++
			u.shoot("sms")
		} else {
			if kind.Code == record.KindOther {
				u.typeInto(entryAfter(u.T("field.kind_other")), "Эмнэлгийн ажилтнуудтай уулзалт")
			}
			g := record.TargetGroups[i%len(record.TargetGroups)].Code
			u.typeInto(entryAfter(u.cat.T(u.r.lang, "target_group."+g)), "7")
			want.reached[g] += 7
			want.reached["total"] += 7
		}
		u.click(button(u.T("ui.action.save")), func(s automation.Snapshot) bool { return hasText(s, u.T("ui.form.saved")) })
	}
}

func (u *ui) surveyForm(want *saved) {
	u.nav("survey")
	u.shoot("survey")
	if n := count(u.snap(), "*ui.codeSelect"); n != 3 {
		u.t.Fatalf("the survey form shows %d drop-downs, want 3 (event, soum, target group)", n)
	}
	u.choose(byType("*ui.codeSelect", "event drop-down", 0, false, nil), "")
	u.choose(byType("*ui.codeSelect", "soum drop-down", 1, false, nil), "")
	u.choose(byType("*ui.codeSelect", "target group drop-down", 2, false, nil), "")
	// Every radio of every question, in turn: the last of each question stays chosen.
	s := u.snap()
	var radios []string
	for _, o := range s.Objects {
		if o.Type == "*widget.radioItem" && o.Overlay == 0 {
			radios = append(radios, o.Text)
		}
	}
	if len(radios) < 8 {
		u.t.Fatalf("the survey form shows %d radio choices", len(radios))
	}
	for i := range radios {
		r := byType("*widget.radioItem", "radio "+radios[i], i, false, nil)
		u.click(r, checked(r, true))
	}
	n := count(u.snap(), "*widget.Check")
	for c := 0; c < n; c++ {
		chk := byType("*widget.Check", fmt.Sprintf("survey check %d", c+1), c, false, nil)
		u.click(chk, checked(chk, true))
	}
	u.typeInto(byType("*widget.Entry", "last entry", count(u.snap(), "*widget.Entry")-1, false, nil), "Сайн")
	u.click(button(u.T("ui.action.save")), func(s automation.Snapshot) bool { return onScreen(s, "records") })
	want.surveys++
}

func (u *ui) records() {
	u.nav("records")
	n := len(kindsFor(u.r)) + 1 // the events and the survey response
	u.waitFor("the records list", 10*time.Second, func(s automation.Snapshot) bool {
		return hasText(s, u.cat.N(u.r.lang, "ui.records.count", n, fmt.Sprint(n)))
	})
	u.shoot("records")
	// Filters: every drop-down and check box, then back to the whole list.
	u.choose(byType("*ui.codeSelect", "kind filter", 0, false, nil), u.cat.T(u.r.lang, "kind."+record.EventKinds[0].Code))
	u.waitFor("the kind filter", 10*time.Second, func(s automation.Snapshot) bool {
		return hasText(s, u.cat.N(u.r.lang, "ui.records.count", 1, "1"))
	})
	u.choose(byType("*ui.codeSelect", "soum filter", 1, false, nil), "")
	for c := 0; c < count(u.snap(), "*widget.Check"); c++ {
		chk := byType("*widget.Check", fmt.Sprintf("filter check %d", c+1), c, false, nil)
		u.click(chk, checked(chk, true))
		u.click(chk, checked(chk, false))
	}
	u.typeInto(byType("*widget.Entry", "search box", 0, false, nil), "Цэцэрлэг 1")
	u.waitFor("the search", 10*time.Second, func(s automation.Snapshot) bool {
		return hasText(s, u.cat.N(u.r.lang, "ui.records.count", 1, "1"))
	})
	// A record: its detail, and back.
	row := finder{desc: "the record row", find: func(s automation.Snapshot) (automation.Object, bool) {
		for _, o := range s.Objects {
			if o.Type == "*canvas.Text" && strings.Contains(o.Text, "Цэцэрлэг 1") && o.Overlay == 0 {
				return o, true
			}
		}
		return automation.Object{}, false
	}}
	u.click(row, func(s automation.Snapshot) bool { return onScreen(s, "detail") })
	u.shoot("detail")
	// Edit opens the form with the record; leaving it unchanged asks nothing.
	u.click(button(u.T("ui.action.edit")), func(s automation.Snapshot) bool {
		o, ok := find(s, entryAfter(u.T("field.place")))
		return onScreen(s, "event") && ok && o.Text == "Цэцэрлэг 1"
	})
	u.fits("the event form editing a record")
	if os.Getenv("REALWINDOW_TRACE") != "" {
		for _, o := range u.snap().Objects {
			if o.MinW > 200 || o.Y < 70 {
				u.t.Logf("%s %q x %.0f y %.0f w %.0f min %.0f", o.Type, o.Text, o.X, o.Y, o.W, o.MinW)
			}
		}
	}
	u.nav("records")
	u.click(row, func(s automation.Snapshot) bool { return onScreen(s, "detail") })
	// Delete asks first (a dialog on top of the window); Cancel keeps the record.
	u.click(button(u.T("ui.action.delete")), func(s automation.Snapshot) bool { return s.Overlays > 0 })
	u.fits("the delete confirmation")
	cancel := byType("*widget.Button", "the dialog's cancel", 0, true, func(o labelled) bool { return o.Text == u.T("ui.action.cancel") })
	u.click(cancel, func(s automation.Snapshot) bool { return s.Overlays == 0 && onScreen(s, "detail") })
	u.click(button(u.T("ui.action.back")), func(s automation.Snapshot) bool { return onScreen(s, "records") })
	u.waitFor("the record kept", 10*time.Second, func(s automation.Snapshot) bool {
		return hasText(s, u.cat.N(u.r.lang, "ui.records.count", 1, "1"))
	})
}

func (u *ui) settings() {
	u.nav("settings")
	u.shoot("settings")
	// Each theme in turn, ending on the first (automatic); then the other language and back.
	var themes []string
	for _, o := range u.snap().Objects {
		if o.Type == "*widget.radioItem" && o.Overlay == 0 {
			themes = append(themes, o.Text)
		}
	}
	if len(themes) < 4 {
		u.t.Fatalf("settings show %d radio choices, want the languages and the themes", len(themes))
	}
	langs, themes := themes[:2], themes[2:]
	for _, th := range append(themes[1:], themes[0]) {
		r := radioItem(th)
		u.click(r, checked(r, true))
	}
	other := langs[0]
	if other == u.cat.T(u.r.lang, "lang."+u.r.lang) {
		other = langs[1]
	}
	otherLang := i18n.MN
	if u.r.lang == i18n.MN {
		otherLang = i18n.EN
	}
	u.click(radioItem(other), func(s automation.Snapshot) bool {
		return hasText(s, u.cat.T(otherLang, "ui.nav.home")) || navHas(s, u.cat.T(otherLang, "ui.nav.home"))
	})
	u.click(radioItem(u.cat.T(u.r.lang, "lang."+u.r.lang)), func(s automation.Snapshot) bool { return navHas(s, u.T("ui.nav.home")) })
}

func navHas(s automation.Snapshot, name string) bool {
	for _, o := range s.Objects {
		if (o.Type == "*widget.Button" || o.Type == "*ui.navTab") && o.Text == name {
			return true
		}
	}
	return false
}

func (u *ui) sync() {
	u.nav("home")
	u.click(button(u.T("ui.sync.button")), func(s automation.Snapshot) bool { return hasText(s, u.T("fieldapp.sync.phase.done")) })
	u.waitFor("every change sent", 30*time.Second, func(s automation.Snapshot) bool { return hasText(s, u.T("ui.home.all_sent")) })
}
