package ui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/numfmt"
	"talbar/shared/record"
	"talbar/syncproto"
)

// HomeScreen shows this month's and this year's figures of the records on the device, the sync
// state at a glance and the sync button.
type HomeScreen struct {
	u       *UI
	content fyne.CanvasObject

	Who        *widget.Label
	Scope      *widget.Label // whose records the figures count
	Month      *widget.Label // the events of each kind, under the month's figures
	Year       *widget.Label
	MonthCard  *figureCard
	YearCard   *figureCard
	Pending    *widget.Label
	Rejected   *widget.Button
	LastSync   *widget.Label
	Reachable  *widget.Label
	Skew       *widget.Label
	SyncButton *widget.Button
	StopButton *widget.Button // shown while a sync runs: a sync that waits for a lost connection can be ended
	syncRow    *fyne.Container
	Progress   *widget.ProgressBar
	// LinkInfo shows, on a slow link, the bytes moved, the link's rate and the time left.
	LinkInfo     *widget.Label
	SyncStatus   *widget.Label
	MonthHeading *widget.Label
	YearHeading  *widget.Label

	gen atomic.Uint64 // the latest Refresh; figures of an older one are dropped
}

func newHomeScreen(u *UI) *HomeScreen {
	h := &HomeScreen{u: u}
	h.Who = wrapLabel("")
	h.Month, h.Year = wrapLabel(""), wrapLabel("")
	h.MonthHeading, h.YearHeading = heading(u.T("term.this_month")), heading(u.T("term.this_year"))
	h.MonthHeading.SizeName, h.YearHeading.SizeName = theme.SizeNameSubHeadingText, theme.SizeNameSubHeadingText
	h.MonthCard, h.YearCard = newFigureCard(u, h.Month), newFigureCard(u, h.Year)
	h.Scope = wrapLabel("")
	h.Pending = wrapLabel("")
	h.Rejected = widget.NewButtonWithIcon("", theme.WarningIcon(), func() { u.Show(ScreenRejected) })
	h.Rejected.Importance = widget.DangerImportance
	h.Rejected.Alignment = widget.ButtonAlignLeading
	h.LastSync = wrapLabel("")
	h.Reachable = wrapLabel("")
	h.Skew = wrapLabel("")
	h.Skew.Importance = widget.WarningImportance
	h.SyncButton = widget.NewButtonWithIcon(u.T("ui.sync.button"), theme.ViewRefreshIcon(), u.SyncNow)
	h.SyncButton.Importance = widget.HighImportance
	h.StopButton = widget.NewButtonWithIcon(u.T("ui.sync.stop"), theme.MediaStopIcon(), u.StopSync)
	h.StopButton.Hide()
	h.syncRow = container.NewBorder(nil, nil, nil, h.StopButton, h.SyncButton)
	h.Progress = widget.NewProgressBar()
	h.LinkInfo = wrapLabel("")
	h.LinkInfo.Hide()
	h.SyncStatus = wrapLabel("")

	// Figures side by side on a laptop, one above the other on a phone.
	figures := container.New(columns{minCol: 320}, card(h.MonthHeading, h.MonthCard.box), card(h.YearHeading, h.YearCard.box))
	syncBox := card(heading(u.T("ui.home.sync_state")),
		h.Pending, h.Rejected, h.LastSync, h.Reachable, h.Skew,
		container.New(minHeight{64}, h.syncRow), h.Progress, h.LinkInfo, h.SyncStatus)
	body := container.NewVBox(h.Who, syncBox, h.Scope, figures)
	h.content = container.NewVScroll(container.NewPadded(body))
	return h
}

// Refresh reads the sync state from the store, and the figures in the background: a year of
// records takes a while to add up, and the screens must not wait for it.
func (h *HomeScreen) Refresh() {
	h.refreshState()
	h.refreshFigures()
}

// refreshState reads who is enrolled and the sync state: quick queries.
func (h *HomeScreen) refreshState() {
	u := h.u
	ctx := u.ctx()
	if e, err := u.cfg.Store.Enrollment(ctx); err == nil {
		h.Who.SetText(strings.TrimSpace(e.Inspector.Name + " · " + u.T("role."+e.Inspector.Role) + " · " + u.unitName(e.Inspector.UnitCode)))
		h.Scope.SetText(u.T("ui.home.scope", u.unitName(e.Inspector.UnitCode)))
	}
	pending, rejected, err := u.cfg.Store.Counts(ctx)
	if err != nil {
		u.log.Error("count outbox", "err", err)
	}
	switch {
	case pending > 0:
		h.Pending.SetText(u.N("ui.home.pending", pending, pending))
	case rejected > 0:
		// Not "every change sent" beside "1 change refused".
		h.Pending.SetText(u.T("ui.home.none_waiting"))
	default:
		h.Pending.SetText(u.T("ui.home.all_sent"))
	}
	replaced, _ := u.cfg.Store.Replaced(ctx)
	switch {
	case rejected > 0:
		h.Rejected.SetText(u.N("ui.home.rejected", rejected, rejected))
		h.Rejected.Show()
	case len(replaced) > 0:
		// A value of the inspector's replaced by someone else's concurrent edit: the same screen
		// says whose and offers to restore it.
		h.Rejected.SetText(u.N("ui.home.replaced", len(replaced), len(replaced)))
		h.Rejected.Show()
	default:
		h.Rejected.Hide()
	}
	if t, err := u.cfg.Store.LastSync(ctx); err == nil && !t.IsZero() {
		h.LastSync.SetText(u.T("fieldapp.sync.last_sync", numfmt.DateTime(u.lang, t.Local())))
	} else {
		h.LastSync.SetText(u.T("fieldapp.sync.never"))
	}
	checked := u.checkedAt().Local().Format("15:04")
	switch u.reachable.Load() {
	case 1:
		h.Reachable.SetText(u.T("ui.home.reachable", checked))
		h.Reachable.Importance = widget.SuccessImportance
	case 2:
		h.Reachable.SetText(u.T("ui.home.unreachable", checked))
		h.Reachable.Importance = widget.WarningImportance
	default:
		h.Reachable.SetText(u.T("ui.home.reach_unknown"))
		h.Reachable.Importance = widget.MediumImportance
	}
	h.Reachable.Refresh()
	// The device's own measure (the offset from the last answer's X-Server-Time) warns at once,
	// after enrollment or a pull; the server's clock_skew warning only comes with a push.
	off := u.cfg.Store.ClockOffset()
	wrongClock := off >= syncproto.SkewWarning || off <= -syncproto.SkewWarning
	if w, err := u.cfg.Store.SkewWarning(ctx); wrongClock || (err == nil && w != nil) {
		h.Skew.SetText(u.T("fieldapp.sync.clock_skew"))
		h.Skew.Show()
	} else {
		h.Skew.Hide()
	}
	if u.syncing.Load() {
		h.SyncButton.Disable()
		h.StopButton.Show()
		h.Progress.Show()
	} else {
		h.StopButton.Hide()
	}
	h.syncRow.Refresh()
	if !u.syncing.Load() {
		// The bar shows the last sync's end; before any sync a "0%" bar would only puzzle.
		h.Progress.Hidden = u.lastSync.text == ""
		h.SyncButton.Enable()
		h.SyncStatus.SetText(u.lastSync.text)
		if u.lastSync.isErr {
			h.SyncStatus.Importance = widget.DangerImportance
		} else {
			h.SyncStatus.Importance = widget.MediumImportance
		}
		h.SyncStatus.Refresh()
	}
}

// refreshFigures adds up this month's and this year's records in a goroutine and shows them
// through u.do, unless a later refresh started meanwhile.
func (h *HomeScreen) refreshFigures() {
	u := h.u
	now := u.cfg.Now()
	gen := h.gen.Add(1)
	u.goBackground(func() {
		month, errMonth := u.summary(u.bg, now.Year(), int(now.Month()))
		year, errYear := u.summary(u.bg, now.Year(), 0)
		u.do(func() {
			if h.gen.Load() != gen {
				return
			}
			if errMonth == nil {
				h.MonthCard.set(month)
			} else {
				u.log.Error("month summary", "err", errMonth)
			}
			if errYear == nil {
				h.YearCard.set(year)
			} else {
				u.log.Error("year summary", "err", errYear)
			}
		})
	})
}

// figureCard shows one period's figures large enough to read at arm's length: events, people
// reached, contracts, contributions and survey responses, each a number over its name, and the
// events of each kind below.
type figureCard struct {
	u                                                  *UI
	box                                                fyne.CanvasObject
	Events, Reached, Contracts, Contributions, Surveys *widget.Label
	Kinds                                              *widget.Label
}

func newFigureCard(u *UI, kinds *widget.Label) *figureCard {
	c := &figureCard{u: u, Kinds: kinds}
	tile := func(key string) (*widget.Label, fyne.CanvasObject) {
		n := widget.NewLabelWithStyle("0", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		n.SizeName = theme.SizeNameHeadingText
		name := wrapLabel(u.T(key))
		name.SizeName = theme.SizeNameCaptionText
		return n, container.NewVBox(n, name)
	}
	var tiles [5]fyne.CanvasObject
	c.Events, tiles[0] = tile("ui.home.fig.events")
	c.Reached, tiles[1] = tile("ui.home.fig.reached")
	c.Contracts, tiles[2] = tile("ui.home.fig.contracts")
	c.Contributions, tiles[3] = tile("ui.home.fig.contributions")
	c.Surveys, tiles[4] = tile("ui.home.fig.surveys")
	c.box = container.NewVBox(container.NewGridWrap(fyne.NewSize(150, 92), tiles[:]...), kinds)
	return c
}

// set shows a period's summary, numbers in the interface language's style.
func (c *figureCard) set(s localstore.Summary) {
	u := c.u
	t := s.Totals
	c.Events.SetText(u.num(t.Events["total"]))
	c.Reached.SetText(u.num(t.Reached["total"]))
	c.Contracts.SetText(u.num(t.ContractsSigned))
	c.Contributions.SetText(u.num(t.ContributionsMNT) + " ₮")
	c.Surveys.SetText(u.num(t.Surveys.Responses))
	// The three kinds every soum holds always; the others once there is one, so a phone's home
	// screen does not list twelve zeros.
	var lines []string
	for i, k := range record.EventKinds {
		if n := t.Events[k.Code]; n > 0 || i < 4 && k.Code != record.KindMobileService {
			lines = append(lines, u.label("kind", k.Code)+": "+u.num(n))
		}
	}
	c.Kinds.SetText(strings.Join(lines, "\n"))
}

// SyncNow starts a sync in the background unless one runs; the screens stay usable meanwhile and
// the progress reaches the home screen through fyne.Do.
func (u *UI) SyncNow() {
	if u.bg.Err() != nil || !u.syncing.CompareAndSwap(false, true) {
		return
	}
	u.Home.SyncButton.Disable()
	u.Home.StopButton.Show()
	u.Home.syncRow.Refresh()
	u.Home.Progress.SetValue(0)
	u.Home.Progress.Show()
	u.Home.LinkInfo.Hide()
	u.Home.SyncStatus.Importance = widget.MediumImportance
	u.Home.SyncStatus.SetText(u.T("ui.sync.running"))
	ctx, cancel := context.WithTimeout(u.bg, 10*time.Minute)
	u.mu.Lock()
	u.stopSync = cancel // before the goroutine starts: Stop may come at once
	u.mu.Unlock()
	u.goBackground(func() {
		defer cancel()
		res, err := u.cfg.Client.Sync(ctx)
		u.do(func() { u.syncFinished(res, err) })
	})
}

// StopSync ends the sync under way (the Stop button): what was sent stays sent, the rest waits
// for the next sync.
func (u *UI) StopSync() {
	u.mu.Lock()
	stop := u.stopSync
	u.mu.Unlock()
	if stop != nil && u.syncing.Load() {
		u.log.Info("sync stopped by the inspector")
		stop()
	}
}

func (u *UI) syncFinished(res syncclient.Result, err error) {
	u.syncing.Store(false)
	u.mu.Lock()
	u.stopSync = nil
	u.mu.Unlock()
	u.Home.StopButton.Hide()
	u.Home.syncRow.Refresh()
	switch {
	case err == nil:
		u.setReachable(true)
		// With refusals the red line above says how many; this one must not say "sent".
		msg := u.T("fieldapp.sync.phase.done")
		if res.Rejected > 0 {
			msg = u.T("ui.sync.finished")
		}
		u.lastSync = syncStatus{text: msg}
		u.Home.Progress.SetValue(1)
	case errors.Is(err, context.Canceled) && u.bg.Err() == nil:
		u.lastSync = syncStatus{text: u.T("ui.sync.stopped")}
	case errors.Is(err, syncclient.ErrSyncInProgress):
		u.lastSync = syncStatus{}
	default:
		offline := errors.Is(err, syncclient.ErrUnreachable)
		if offline {
			u.setReachable(false)
		}
		u.log.Warn("sync failed", "err", err)
		u.lastSync = syncStatus{text: u.errText(err), isErr: true, offline: offline}
	}
	if u.syncAgain.Swap(false) {
		u.scheduleSync() // saved while this sync ran
	}
	u.loadUnits()
	u.Event.ensureUnits()
	fillUnits(u, u.Survey.Unit)
	u.refreshCurrent()
}

// refreshCurrent re-reads what the shown screen displays (after a sync or a save).
func (u *UI) refreshCurrent() {
	switch u.current {
	case ScreenHome:
		u.Home.Refresh()
	case ScreenRecords:
		u.Records.Refresh()
	case ScreenRejected:
		u.Rejected.Refresh()
	case ScreenSettings:
		u.Settings.Refresh()
	}
}

// onProgress is the sync client's progress callback; it runs on the syncing goroutine.
func (u *UI) onProgress(p syncclient.Progress) {
	u.doAsync(func() {
		h := u.Home
		switch p.Phase {
		case syncclient.PhasePush:
			if p.ToPush > 0 {
				h.Progress.SetValue(0.8 * float64(p.Pushed) / float64(p.ToPush))
			}
			h.SyncStatus.SetText(u.T("fieldapp.sync.phase.push", p.Pushed, p.ToPush))
		case syncclient.PhasePull:
			if h.Progress.Value < 0.8 {
				h.Progress.SetValue(0.8)
			}
			h.SyncStatus.SetText(u.T("fieldapp.sync.phase.pull", p.Pulled))
		case syncclient.PhaseResend:
			h.SyncStatus.SetText(u.T("fieldapp.sync.phase.resend"))
		case syncclient.PhaseDone:
			h.Progress.SetValue(1)
			h.SyncStatus.SetText(u.T("fieldapp.sync.phase.done"))
		}
		if line := u.linkLine(p); line != "" && p.Phase != syncclient.PhaseDone {
			h.LinkInfo.SetText(line)
			h.LinkInfo.Show()
		} else {
			h.LinkInfo.Hide()
		}
	})
}

// slowLink is the rate below which home shows what moved and the time left: on a faster link a
// sync is over before anyone reads the line.
const slowLink = 64 << 10 // bytes per second

// linkLine is the line under the progress bar on a slow link ("" otherwise): the bytes this sync
// moved, the measured rate and, while pushing, the time the rest takes at that rate.
func (u *UI) linkLine(p syncclient.Progress) string {
	if p.BytesPerSecond <= 0 || p.BytesPerSecond >= slowLink {
		return ""
	}
	moved, rate := u.size(float64(p.Bytes)), u.size(p.BytesPerSecond)
	if p.Left <= 0 {
		return u.T("fieldapp.sync.link", moved, rate)
	}
	left := u.T("fieldapp.left.s", max(1, int(p.Left.Round(time.Second)/time.Second)))
	if p.Left >= 90*time.Second {
		left = u.T("fieldapp.left.min", int(p.Left.Round(time.Minute)/time.Minute))
	}
	return u.T("fieldapp.sync.link_left", moved, rate, left)
}

// size formats a number of bytes as kilobytes or megabytes in the interface language.
func (u *UI) size(b float64) string {
	if b >= 1<<20 {
		return u.T("fieldapp.size.mb", numfmt.Fixed(u.lang, b/(1<<20), 1))
	}
	return u.T("fieldapp.size.kb", numfmt.Fixed(u.lang, b/(1<<10), 1))
}

// afterSave updates what depends on the store after a local change: home's figures, when home is
// shown (Show refreshes it otherwise), and a sync a few seconds later (scheduleSync).
func (u *UI) afterSave() {
	if u.current == ScreenHome {
		u.Home.Refresh()
	}
	u.scheduleSync()
}

// scheduleSync sends what was saved by itself when the server answers: SyncDelay after the last
// of a run of saves (the survey's "save and next" saves one respondent after another), it asks the
// server and syncs. Offline it does nothing; the connection check syncs when the server is back.
func (u *UI) scheduleSync() {
	delay := u.cfg.SyncDelay
	if delay < 0 {
		return
	}
	if delay == 0 {
		delay = 3 * time.Second
	}
	gen := u.syncGen.Add(1)
	u.goBackground(func() {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-u.bg.Done():
			return
		case <-t.C:
		}
		if u.syncGen.Load() != gen {
			return // a later save waits its own delay
		}
		e, err := u.cfg.Store.Enrollment(u.bg)
		if err != nil {
			return
		}
		ok := u.ping(u.bg, e.ServerURL)
		if u.bg.Err() != nil {
			return
		}
		u.do(func() {
			u.setReachable(ok)
			switch {
			case !ok:
				u.log.Info("saved while offline: sent when the server answers")
				u.refreshCurrent()
			case u.syncing.Load():
				u.syncAgain.Store(true)
			default:
				u.log.Info("saved while online: syncing")
				u.SyncNow()
			}
		})
	})
}

// setReachable records the answer of the server's last check (a ping or a sync) and its time.
// When the server answers again, a "no connection" left by the last sync is no longer true.
func (u *UI) setReachable(ok bool) {
	now := int32(2)
	if ok {
		now = 1
	}
	u.reachable.Store(now)
	u.mu.Lock()
	u.checked = u.cfg.Now()
	u.mu.Unlock()
	if ok && u.lastSync.offline && !u.syncing.Load() {
		u.lastSync = syncStatus{}
	}
}

// checkedAt is when the server was last asked.
func (u *UI) checkedAt() time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.checked
}

// Start runs the background loop: it checks the server every CheckEvery and syncs by itself when
// a connection comes back and changes wait, or when the device has never synced. Stop ends it.
func (u *UI) Start() {
	if u.cfg.CheckEvery < 0 || u.started {
		return
	}
	u.started = true
	ctx := u.bg
	u.loop.Add(1)
	go func() {
		defer u.loop.Done()
		t := time.NewTicker(u.cfg.CheckEvery)
		defer t.Stop()
		for {
			u.checkConnection(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// stopWait bounds how long Stop waits for the background work to end.
const stopWait = 30 * time.Second

// Stop ends the background loop and the background work (a sync, an enrollment: their context is
// cancelled) and waits for them, so the store can be closed after it. It starts nothing new.
func (u *UI) Stop() {
	u.taskMu.Lock()
	u.stopped = true
	u.taskMu.Unlock()
	u.cancel()
	done := make(chan struct{})
	go func() {
		u.loop.Wait()
		u.tasks.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopWait):
		u.log.Warn("background work still running at stop", "waited", stopWait)
	}
}

// checkConnection asks the server's /healthz; when the server has just become reachable and
// changes wait in the outbox, it starts a sync.
func (u *UI) checkConnection(ctx context.Context) {
	e, err := u.cfg.Store.Enrollment(ctx)
	if err != nil {
		return
	}
	ok := u.ping(ctx, e.ServerURL)
	if ctx.Err() != nil {
		return
	}
	before := u.reachable.Load()
	pending, _, _ := u.cfg.Store.Counts(ctx)
	last, _ := u.cfg.Store.LastSync(ctx)
	u.doAsync(func() {
		u.setReachable(ok)
		if u.current == ScreenHome && !u.syncing.Load() {
			u.Home.Refresh()
		}
		switch {
		case !ok || before == 1:
		case pending > 0:
			u.log.Info("connection back: syncing", "pending", pending)
			u.SyncNow()
		case last.IsZero():
			// A device enrolled at start (make run, --code) gets its units and its soum's
			// records at once, not when the inspector first taps sync.
			u.log.Info("never synced: first sync")
			u.SyncNow()
		}
	})
}

// ping reports whether the server answers /healthz.
func (u *UI) ping(ctx context.Context, serverURL string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(serverURL, "/")+"/api/v1/healthz", nil)
	if err != nil {
		return false
	}
	resp, err := u.cfg.HTTP.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
