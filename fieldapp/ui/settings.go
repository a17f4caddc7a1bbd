package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/syncclient"
)

// SettingsScreen holds the language, the server address with re-enrollment, and the about box.
type SettingsScreen struct {
	u       *UI
	content fyne.CanvasObject

	Lang          *widget.RadioGroup
	Theme         *widget.RadioGroup // auto, bright (for sunlight), dark
	Server        *widget.Entry
	Code          *widget.Entry
	EnrollButton  *widget.Button
	EnrollMessage *widget.Label
	Inspector     *widget.Label
	Version       *widget.Label
	DeviceID      *widget.Label
}

func newSettingsScreen(u *UI) *SettingsScreen {
	s := &SettingsScreen{u: u}
	s.Lang = langChoice(u)
	s.Theme = themeChoice(u)
	s.Server = widget.NewEntry()
	s.Code = widget.NewEntry()
	s.Code.PlaceHolder = u.T("ui.enroll.code_hint")
	s.EnrollButton = widget.NewButton(u.T("ui.settings.reenroll"), s.Reenroll)
	s.EnrollMessage = wrapLabel("")
	s.Inspector = wrapLabel("")
	s.Version = wrapLabel("")
	s.DeviceID = wrapLabel("")
	s.DeviceID.Selectable = true
	if u.enrolling.Load() {
		// Rebuilt (a language switch) while an enrollment runs: it reports to this screen.
		s.EnrollButton.Disable()
		s.EnrollMessage.SetText(u.T("ui.enroll.running"))
	}
	form := container.NewVBox(
		heading(u.T("ui.nav.settings")),
		heading(u.T("ui.settings.language")), s.Lang,
		heading(u.T("ui.settings.theme")), s.Theme,
		widget.NewSeparator(),
		heading(u.T("ui.settings.server")), s.Server,
		wrapLabel(u.T("ui.settings.reenroll_hint")),
		heading(u.T("ui.enroll.code")), s.Code,
		s.EnrollButton, s.EnrollMessage,
		widget.NewSeparator(),
		heading(u.T("ui.settings.about")),
		wrapLabel(u.T("ui.app.title")),
		s.Inspector, s.Version, s.DeviceID,
	)
	s.content = container.NewVScroll(container.NewPadded(form))
	return s
}

// themeChoice is the theme switch: the system's colours, bright for sunlight, or dark.
func themeChoice(u *UI) *widget.RadioGroup {
	modes := map[string]string{}
	var opts []string
	for _, m := range Themes {
		l := u.T("ui.theme." + m)
		modes[l] = m
		opts = append(opts, l)
	}
	r := widget.NewRadioGroup(opts, nil)
	r.Required = true
	r.SetSelected(u.T("ui.theme." + u.themeMode()))
	r.OnChanged = func(s string) {
		if m, ok := modes[s]; ok && m != u.themeMode() {
			u.SetTheme(m)
		}
	}
	return r
}

// Refresh shows the stored enrollment.
func (s *SettingsScreen) Refresh() {
	u := s.u
	s.Version.SetText(u.T("ui.settings.version", u.cfg.Version))
	e, err := u.cfg.Store.Enrollment(u.ctx())
	if err != nil {
		s.DeviceID.SetText(u.T("fieldapp.store.not_enrolled"))
		s.Inspector.SetText("")
		if s.Server.Text == "" {
			s.Server.SetText(u.cfg.DefaultServer)
		}
		return
	}
	if s.Server.Text == "" {
		s.Server.SetText(e.ServerURL)
	}
	// The id on a line of its own: after "Төхөөрөмжийн дугаар:" on the same line it made the screen
	// wider than a 360-pixel phone, and a real window grows past the screen's edge.
	s.DeviceID.SetText(strings.TrimSpace(u.T("ui.settings.device_id", "\n"+e.DeviceID)))
	s.Inspector.SetText(u.T("ui.settings.inspector", e.Inspector.Name, u.T("role."+e.Inspector.Role), u.unitName(e.Inspector.UnitCode)))
}

// Reenroll enrolls the device again, possibly with another server: a revoked device, a new
// inspector, or headquarters moving its server. Records and the outbox are kept and sent there.
// When changes still wait to be sent to the current server and the address is another one, the
// client refuses before spending the code; the inspector is asked whether those changes should go
// to the new server instead, and enrolling is forced on yes.
func (s *SettingsScreen) Reenroll() {
	u := s.u
	server, code := strings.TrimSpace(s.Server.Text), strings.TrimSpace(s.Code.Text)
	if server == "" || code == "" {
		s.EnrollMessage.Importance = widget.DangerImportance
		s.EnrollMessage.SetText(u.T("ui.enroll.missing"))
		return
	}
	server = serverURL(server)
	s.Server.SetText(server)
	s.enroll(server, code, false)
}

// enroll enrolls with server in the background; force sends the pending changes to it. The answer
// goes to the settings screen shown then: a language switch meanwhile builds another one.
func (s *SettingsScreen) enroll(server, code string, force bool) {
	u := s.u
	if !u.enrolling.CompareAndSwap(false, true) {
		return
	}
	s.EnrollButton.Disable()
	s.EnrollMessage.Importance = widget.MediumImportance
	s.EnrollMessage.SetText(u.T("ui.enroll.running"))
	u.goBackground(func() {
		ctx, cancel := context.WithTimeout(u.bg, 2*time.Minute)
		defer cancel()
		enroll := u.cfg.Client.Enroll
		if force {
			enroll = u.cfg.Client.EnrollForce
		}
		_, err := enroll(ctx, server, code, u.cfg.DeviceName, u.cfg.Platform)
		u.do(func() {
			u.enrolling.Store(false)
			s := u.Settings
			s.EnrollButton.Enable()
			if err != nil {
				s.EnrollMessage.Importance = widget.DangerImportance
				s.EnrollMessage.SetText(u.errText(err))
				if !force && errors.Is(err, syncclient.ErrPendingChanges) {
					u.log.Info("re-enroll with another server while changes are pending: asking", "server", server)
					s.confirmMove(server, code)
					return
				}
				u.log.Warn("re-enroll failed", "force", force, "err", err)
				return
			}
			s.Code.SetText("")
			s.EnrollMessage.Importance = widget.SuccessImportance
			s.EnrollMessage.SetText(u.T("ui.settings.reenrolled"))
			s.Refresh()
			u.loadUnits()
			u.Event.ensureUnits()
			fillUnits(u, u.Survey.Unit)
			u.Records.Unit.codes = nil
			u.SyncNow()
		})
	})
}

// confirmMove asks whether the changes not yet sent to the current server should go to the new
// one, and enrolls with it anyway on yes.
func (s *SettingsScreen) confirmMove(server, code string) {
	u := s.u
	msg := u.T("fieldapp.sync.pending_changes")
	if pending, _, err := u.cfg.Store.Counts(u.ctx()); err != nil {
		u.log.Error("count pending changes", "err", err)
	} else {
		msg = u.T("ui.settings.move_question", pending, server)
	}
	u.confirm(u.T("ui.settings.move_title"), msg, u.T("ui.settings.move_confirm"), func() {
		s.enroll(server, code, true)
	})
}
