// Package ui is the field app's screens: enrollment, home with the sync state, the three event
// forms, survey entry, the records list with detail and the rejected changes, and settings.
//
// Screens are structs that keep their widgets, so tests tap and type into them like an inspector
// (fyne.io/fyne/v2/test, no display). Everything slow — the store's queries are fast, but enrolling
// and syncing talk to a server that may be days away — runs in a goroutine and reaches the widgets
// through fyne.Do. Every string comes from the translation catalogue (shared/i18n): a language
// switch rebuilds the screens in the other language.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
	"talbar/shared/unit"
)

// Screen names, for Show and for the --screen flag of the app.
const (
	ScreenEnroll   = "enroll"
	ScreenHome     = "home"
	ScreenEvent    = "event"
	ScreenSurvey   = "survey"
	ScreenRecords  = "records"
	ScreenDetail   = "detail"
	ScreenRejected = "rejected"
	ScreenSettings = "settings"
)

// PrefLang is the preference key under which the chosen language is kept between runs.
const PrefLang = "lang"

// Config is what the screens need. Store, Client and Catalog are required.
type Config struct {
	Store   *localstore.DB
	Client  *syncclient.Client
	Catalog *i18n.Catalog
	// Lang is the interface language, i18n.MN when empty.
	Lang string
	// Version and Platform are shown in settings and sent at enrollment.
	Version, Platform, DeviceName string
	// Width is the window's width at start: a phone-width window (under 600) starts in the bright
	// theme unless another was chosen in settings.
	Width float32
	// DefaultServer fills the server address of the enrollment screen.
	DefaultServer string
	// Prefs, when set, keeps the language and theme chosen in settings.
	Prefs fyne.Preferences
	// PrefScope, when set, keeps those choices apart per data folder (the app's preferences are
	// one file for every --data directory): a device switched to English leaves the others.
	PrefScope string
	// Now is the wall clock for "today" and "this month"; time.Now when nil.
	Now func() time.Time
	// Logger receives screen events; slog.Default() when nil.
	Logger *slog.Logger
	// HTTP asks the server's /healthz for the "server reachable" state; a 5-second client when nil.
	HTTP *http.Client
	// CheckEvery is how often the background loop checks the server and syncs when a connection
	// comes back; 30 s when zero, never when negative (tests drive syncs by tapping).
	CheckEvery time.Duration
	// SyncDelay is how long after a save the app checks the server and syncs by itself; 3 s when
	// zero, never when negative (tests that count the outbox).
	SyncDelay time.Duration
	// Context ends the background work (sync, enrollment, the home figures) when it is cancelled;
	// Stop cancels it too and waits for that work. context.Background() when nil.
	Context context.Context
}

// UI is the whole app inside one window.
type UI struct {
	cfg  Config
	win  fyne.Window
	lang string
	log  *slog.Logger

	root *fyne.Container // nav bar + body
	body *fyne.Container // the current screen
	nav  *fyne.Container

	Enroll   *EnrollScreen
	Home     *HomeScreen
	Event    *EventForm
	Survey   *SurveyForm
	Records  *RecordsScreen
	Detail   *DetailScreen
	Rejected *RejectedScreen
	Settings *SettingsScreen
	navBtns  map[string]*widget.Button
	navTabs  map[string]*navTab // the phone-width nav

	current  string
	narrow   bool   // the window was phone-width at start (FitWindow)
	themeSet string // the theme mode chosen in settings this run

	mu        sync.Mutex
	tree      *unit.Tree
	reachable atomic.Int32 // 0 unknown, 1 reachable, 2 unreachable
	syncing   atomic.Bool
	enrolling atomic.Bool // an enrollment runs (from the enrollment screen or settings)
	lastSync  syncStatus
	checked   time.Time          // when the server was last asked (ping or sync), under mu
	stopSync  context.CancelFunc // ends the sync under way, under mu
	syncGen   atomic.Uint64      // the latest scheduleSync; an older one's wait ends in nothing
	syncAgain atomic.Bool        // a save came while a sync ran: schedule another after it

	// summary is the store's Summary of the inspector's records (a field so tests can slow it).
	summary func(ctx context.Context, year, month int) (localstore.Summary, error)

	bg      context.Context // background work's context, cancelled by Stop
	cancel  context.CancelFunc
	uiMu    sync.Mutex // held by the callbacks of do and doAsync
	taskMu  sync.Mutex
	stopped bool
	tasks   sync.WaitGroup // background work, for WaitIdle and Stop
	loop    sync.WaitGroup // the connection check loop
	started bool
}

// syncStatus is what the last sync left for the home screen.
type syncStatus struct {
	text    string
	isErr   bool
	offline bool // the sync found no connection: cleared when the server answers again
}

// New builds the screens into win. It shows enrollment when the device is not enrolled, home
// otherwise; call Start to run the background connection check.
func New(win fyne.Window, cfg Config) *UI {
	if cfg.Prefs != nil && cfg.Lang == "" {
		cfg.Lang = cfg.Prefs.StringWithFallback(prefKey(cfg, PrefLang), i18n.MN)
	}
	if cfg.Lang != i18n.EN {
		cfg.Lang = i18n.MN
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.CheckEvery == 0 {
		cfg.CheckEvery = 30 * time.Second
	}
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	u := &UI{cfg: cfg, win: win, lang: cfg.Lang, log: cfg.Logger.With("component", "ui")}
	u.bg, u.cancel = context.WithCancel(cfg.Context)
	u.narrow = cfg.Width > 0 && cfg.Width < 600
	u.applyTheme() // before the screens are built: their backgrounds take the theme's colours
	u.applyFyneLang()
	u.summary = func(ctx context.Context, year, month int) (localstore.Summary, error) {
		return cfg.Store.Summary(ctx, year, month, "")
	}
	cfg.Client.Progress = u.onProgress
	u.loadUnits()
	u.build()
	if u.enrolled() {
		u.Show(ScreenHome)
	} else {
		u.Show(ScreenEnroll)
	}
	return u
}

// prefKey is a preference's key in the configuration's scope.
func prefKey(cfg Config, key string) string {
	if cfg.PrefScope == "" {
		return key
	}
	return key + "@" + cfg.PrefScope
}

// Lang is the interface language.
func (u *UI) Lang() string { return u.lang }

// Current is the name of the screen shown.
func (u *UI) Current() string { return u.current }

// Window is the window the UI lives in.
func (u *UI) Window() fyne.Window { return u.win }

// T translates key into the interface language.
func (u *UI) T(key string, args ...any) string { return u.cfg.Catalog.T(u.lang, key, args...) }

// N translates a text counting n ("1 record", "2 records"): see i18n.Catalog.N.
func (u *UI) N(key string, n int, args ...any) string {
	return u.cfg.Catalog.N(u.lang, key, n, args...)
}

// label is the translated label of a code of one of shared/record's lists.
func (u *UI) label(list, code string) string { return u.T(list + "." + code) }

func (u *UI) ctx() context.Context { return context.Background() }

// build creates every screen in the current language and puts them in the window.
func (u *UI) build() {
	u.win.SetTitle(u.T("ui.window.title"))
	u.Enroll = newEnrollScreen(u)
	u.Home = newHomeScreen(u)
	u.Event = newEventForm(u)
	u.Survey = newSurveyForm(u)
	u.Records = newRecordsScreen(u)
	u.Detail = newDetailScreen(u)
	u.Rejected = newRejectedScreen(u)
	u.Settings = newSettingsScreen(u)
	u.body = container.NewStack()
	u.nav = u.buildNav()
	if fyne.CurrentDevice().IsMobile() {
		u.root = container.NewBorder(nil, u.nav, nil, nil, u.body)
	} else {
		u.root = container.NewBorder(u.nav, nil, nil, nil, u.body)
	}
	u.win.SetContent(u.root)
}

// buildNav is the row of screen buttons: with their names beside the icons where the window is
// wide enough, under them on a phone-sized window (icons alone do not say what "+" opens).
func (u *UI) buildNav() *fyne.Container {
	items := []struct {
		screen, key string
		icon        fyne.Resource
	}{
		{ScreenHome, "ui.nav.home", theme.HomeIcon()},
		{ScreenEvent, "ui.nav.event", theme.ContentAddIcon()},
		{ScreenSurvey, "ui.nav.survey", theme.DocumentCreateIcon()},
		{ScreenRecords, "ui.nav.records", theme.ListIcon()},
		{ScreenSettings, "ui.nav.settings", theme.SettingsIcon()},
	}
	u.navBtns = map[string]*widget.Button{}
	u.navTabs = map[string]*navTab{}
	wide := container.NewGridWithColumns(len(items))
	narrow := container.NewGridWithColumns(len(items))
	for _, it := range items {
		screen := it.screen
		b := widget.NewButtonWithIcon(u.T(it.key), it.icon, func() { u.navigate(screen) })
		u.navBtns[screen] = b
		wide.Add(b)
		t := newNavTab(u.T(it.key), it.icon, func() { u.navigate(screen) })
		u.navTabs[screen] = t
		narrow.Add(t)
	}
	return container.New(&adaptive{}, wide, narrow)
}

// formOf is the form a screen shows, nil for the other screens.
func (u *UI) formOf(screen string) form {
	switch screen {
	case ScreenEvent:
		return u.Event
	case ScreenSurvey:
		return u.Survey
	}
	return nil
}

// form is what navigation asks of the event and survey forms.
type form interface {
	Dirty() bool
	Editing() bool
	startNew()
}

// navigate is a tap on a nav button: the event and survey buttons open a new record, never an
// edit left unsaved; a record is edited only through openForm (records, rejected changes). Leaving
// a form with unsaved changes asks first; discarding them empties the form.
func (u *UI) navigate(screen string) {
	f := u.formOf(u.current)
	leaving := f != nil && (screen != u.current || f.Editing())
	if leaving && f.Dirty() {
		u.confirmDanger(u.T("ui.discard.title"), u.T("ui.discard.question"), u.T("ui.discard.confirm"), func() {
			f.startNew()
			u.navigate(screen)
		})
		return
	}
	if g := u.formOf(screen); g != nil && g.Editing() {
		g.startNew()
	}
	u.Show(screen)
}

// Show switches to a screen, refreshing what it shows from the store.
func (u *UI) Show(screen string) {
	var obj fyne.CanvasObject
	switch screen {
	case ScreenEnroll:
		obj = u.Enroll.content
	case ScreenHome:
		u.Home.refreshState() // the figures once the screen is laid out, below
		obj = u.Home.content
	case ScreenEvent:
		if u.Event.id == "" && u.Event.Kind.code() == "" {
			// The kinds follow the enrollment's role (a device enrolled after the form was built).
			u.Event.ensureKinds("")
		}
		obj = u.Event.content
	case ScreenSurvey:
		if u.Survey.id == "" {
			// Not while editing: the response's event may be older than the events offered.
			u.Survey.refreshEvents()
		}
		obj = u.Survey.content
	case ScreenRecords:
		u.Records.Refresh()
		obj = u.Records.content
	case ScreenDetail:
		obj = u.Detail.content
	case ScreenRejected:
		u.Rejected.Refresh()
		obj = u.Rejected.content
	case ScreenSettings:
		u.Settings.Refresh()
		obj = u.Settings.content
	default:
		u.log.Warn("unknown screen", "screen", screen)
		return
	}
	u.current = screen
	u.nav.Hidden = screen == ScreenEnroll
	u.refreshNav()
	u.body.Objects = []fyne.CanvasObject{obj}
	u.body.Refresh()
	u.root.Refresh()
	if screen == ScreenHome {
		u.Home.refreshFigures()
	}
}

// refreshNav highlights the shown screen's button. While a record is edited the event or survey
// button says "Editing" with a pencil instead of offering a new one.
func (u *UI) refreshNav() {
	for s, b := range u.navBtns {
		text, icon := u.T(navKeys[s]), navIcon(s)
		if f := u.formOf(s); f != nil && f.Editing() {
			text, icon = u.T("ui.nav.editing"), theme.DocumentCreateIcon()
		}
		b.SetText(text)
		b.SetIcon(icon)
		u.navTabs[s].set(text, icon, s == u.current)
		if s == u.current {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
}

var navKeys = map[string]string{ScreenHome: "ui.nav.home", ScreenEvent: "ui.nav.event", ScreenSurvey: "ui.nav.survey",
	ScreenRecords: "ui.nav.records", ScreenSettings: "ui.nav.settings"}

// navIcon is a nav button's icon; a function, as the theme's icons exist only once the app does.
func navIcon(screen string) fyne.Resource {
	return map[string]func() fyne.Resource{ScreenHome: theme.HomeIcon, ScreenEvent: theme.ContentAddIcon,
		ScreenSurvey: theme.DocumentCreateIcon, ScreenRecords: theme.ListIcon, ScreenSettings: theme.SettingsIcon}[screen]()
}

// SetLang switches the interface language: the screens are built again in it, and the choice is
// kept in the preferences. It is chosen on the enrollment or settings screen, so no form is open
// (leaving one asked about its unsaved changes).
func (u *UI) SetLang(lang string) {
	if lang == u.lang {
		return
	}
	u.lang = lang
	u.applyFyneLang()
	if u.cfg.Prefs != nil {
		u.cfg.Prefs.SetString(prefKey(u.cfg, PrefLang), lang)
	}
	u.rebuild()
}

// rebuild builds the screens again (another language or theme) and shows the same one.
func (u *UI) rebuild() {
	cur := u.current
	// What was typed on the enrollment and settings screens survives the rebuild.
	typed := []string{u.Enroll.Server.Text, u.Enroll.Code.Text, u.Settings.Server.Text, u.Settings.Code.Text}
	u.build()
	for i, e := range []*widget.Entry{u.Enroll.Server, u.Enroll.Code, u.Settings.Server, u.Settings.Code} {
		e.SetText(typed[i])
	}
	if cur == ScreenDetail {
		cur = ScreenRecords
	}
	u.Show(cur)
}

func (u *UI) enrolled() bool {
	_, err := u.cfg.Store.Enrollment(u.ctx())
	return err == nil
}

// loadUnits reads the unit tree the forms choose from: the server's after a pull, the embedded
// one before.
func (u *UI) loadUnits() {
	units, err := u.cfg.Store.Units(u.ctx())
	if err != nil {
		u.log.Error("read units", "err", err)
		return
	}
	t, err := unit.New(units)
	if err != nil {
		u.log.Error("build unit tree", "err", err)
		return
	}
	u.mu.Lock()
	u.tree = t
	u.mu.Unlock()
}

func (u *UI) units() *unit.Tree {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.tree
}

// ownUnits are the soums or districts the inspector may file records in: their own one, or every
// soum of an officer's aimag.
func (u *UI) ownUnits() []unit.Unit {
	t := u.units()
	if t == nil {
		return nil
	}
	e, err := u.cfg.Store.Enrollment(u.ctx())
	if err != nil {
		return nil
	}
	var out []unit.Unit
	for _, c := range t.Leaves(unit.Code(e.Inspector.UnitCode)) {
		if x, ok := t.Get(c); ok {
			out = append(out, x)
		}
	}
	return out
}

// unitName is a unit's name in the interface language, its code when unknown.
func (u *UI) unitName(code string) string {
	if t := u.units(); t != nil {
		if x, ok := t.Get(unit.Code(code)); ok {
			return x.Name(u.lang)
		}
	}
	return code
}

// errText is the message for an error of the store or the sync client, in the interface language.
func (u *UI) errText(err error) string {
	var se *syncclient.Error
	if errors.As(err, &se) && u.cfg.Catalog.Has(u.lang, se.Key()) {
		return u.T(se.Key())
	}
	var le *localstore.Error
	if errors.As(err, &le) && u.cfg.Catalog.Has(u.lang, le.Key()) {
		return u.T(le.Key())
	}
	return u.T("ui.error.generic")
}

// confirm asks a yes/no question with our own button labels (Fyne's have no Mongolian).
func (u *UI) confirm(title, message, yes string, fn func()) {
	u.ask(title, message, yes, widget.HighImportance, fn)
}

// confirmDanger is confirm for what destroys something (delete, discard): its button is red.
func (u *UI) confirmDanger(title, message, yes string, fn func()) {
	u.ask(title, message, yes, widget.DangerImportance, fn)
}

func (u *UI) ask(title, message, yes string, imp widget.Importance, fn func()) {
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, yes, u.T("ui.action.cancel"), msg, func(ok bool) {
		if ok {
			fn()
		}
	}, u.win)
	d.SetConfirmImportance(imp)
	d.Resize(fyne.NewSize(320, 0))
	d.Show()
}

// inform shows a message with our own "OK".
func (u *UI) inform(title, message string) {
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, u.T("ui.action.ok"), msg, u.win)
	d.Resize(fyne.NewSize(320, 0))
	d.Show()
}

// do runs fn on the UI thread from a goroutine and waits for it (fyne.DoAndWait). The test driver,
// and Fyne once its loop has ended, run fn on the calling goroutine instead: uiMu keeps two
// background tasks from touching the widgets at once, as the main loop does.
func (u *UI) do(fn func()) {
	fyne.DoAndWait(func() {
		u.uiMu.Lock()
		defer u.uiMu.Unlock()
		fn()
	})
}

// doAsync is do without waiting (fyne.Do).
func (u *UI) doAsync(fn func()) {
	fyne.Do(func() {
		u.uiMu.Lock()
		defer u.uiMu.Unlock()
		fn()
	})
}

// goBackground runs fn in a goroutine counted by WaitIdle and Stop; after Stop it runs nothing.
func (u *UI) goBackground(fn func()) {
	u.taskMu.Lock()
	if u.stopped {
		u.taskMu.Unlock()
		return
	}
	u.tasks.Add(1)
	u.taskMu.Unlock()
	go func() {
		defer u.tasks.Done()
		fn()
	}()
}

// WaitIdle waits until the background work started so far (enrollment, sync) has finished and
// reached the screens. Tests call it after tapping.
func (u *UI) WaitIdle() { u.tasks.Wait() }
