package ui

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
)

// EnrollScreen exchanges the one-time code from headquarters for this device's identity. A wrong,
// expired or used code and a missing connection each get their own message.
type EnrollScreen struct {
	u       *UI
	content fyne.CanvasObject

	Server   *widget.Entry
	Code     *widget.Entry
	Button   *widget.Button
	Message  *widget.Label
	Activity *widget.ProgressBarInfinite
	Lang     *widget.RadioGroup
}

func newEnrollScreen(u *UI) *EnrollScreen {
	s := &EnrollScreen{u: u}
	s.Server = widget.NewEntry()
	s.Server.PlaceHolder = "https://talbar.example.mn"
	s.Server.SetText(u.cfg.DefaultServer)
	s.Code = widget.NewEntry()
	s.Code.PlaceHolder = u.T("ui.enroll.code_hint")
	s.Code.OnSubmitted = func(string) { s.Submit() }
	s.Message = wrapLabel("")
	s.Activity = widget.NewProgressBarInfinite()
	s.Activity.Stop()
	s.Activity.Hide()
	s.Button = widget.NewButton(u.T("ui.enroll.button"), s.Submit)
	s.Button.Importance = widget.HighImportance
	s.Lang = langChoice(u)
	if u.enrolling.Load() {
		// Rebuilt (a language switch) while the enrollment runs: it reports to this screen.
		s.Button.Disable()
		s.Activity.Show()
		s.Activity.Start()
		s.Message.SetText(u.T("ui.enroll.running"))
	}
	form := container.NewVBox(
		heading(u.T("ui.app.title")),
		wrapLabel(u.T("ui.enroll.intro")),
		heading(u.T("ui.settings.server")), s.Server,
		heading(u.T("ui.enroll.code")), s.Code,
		container.New(minHeight{48}, s.Button),
		s.Activity, s.Message,
		widget.NewSeparator(),
		heading(u.T("ui.settings.language")), s.Lang,
	)
	s.content = container.NewVScroll(container.NewPadded(form))
	return s
}

// langChoice is the language switch shared by enrollment and settings.
func langChoice(u *UI) *widget.RadioGroup {
	labels := map[string]string{}
	var opts []string
	for _, l := range i18n.Langs {
		labels[u.cfg.Catalog.T(l, "lang."+l)] = l
		opts = append(opts, u.cfg.Catalog.T(l, "lang."+l))
	}
	r := widget.NewRadioGroup(opts, nil)
	r.Horizontal = true
	r.Required = true
	r.SetSelected(u.cfg.Catalog.T(u.lang, "lang."+u.lang))
	r.OnChanged = func(s string) {
		if l, ok := labels[s]; ok && l != u.lang {
			u.SetLang(l)
		}
	}
	return r
}

// Submit enrolls in the background and shows home when it worked. The answer goes to the
// enrollment screen shown then: a language switch meanwhile builds another one.
func (s *EnrollScreen) Submit() {
	server := strings.TrimSpace(s.Server.Text)
	code := strings.TrimSpace(s.Code.Text)
	if server == "" || code == "" {
		s.showMessage(s.u.T("ui.enroll.missing"), true)
		return
	}
	server = serverURL(server)
	s.Server.SetText(server) // the inspector sees the address used
	u := s.u
	if !u.enrolling.CompareAndSwap(false, true) {
		return
	}
	s.Button.Disable()
	s.Activity.Show()
	s.Activity.Start()
	s.showMessage(s.u.T("ui.enroll.running"), false)
	u.goBackground(func() {
		ctx, cancel := context.WithTimeout(u.bg, 2*time.Minute)
		defer cancel()
		_, err := u.cfg.Client.Enroll(ctx, server, code, u.cfg.DeviceName, u.cfg.Platform)
		u.do(func() {
			u.enrolling.Store(false)
			s := u.Enroll
			s.Activity.Stop()
			s.Activity.Hide()
			s.Button.Enable()
			if err != nil {
				u.log.Warn("enroll failed", "err", err)
				s.showMessage(u.enrollErrText(err), true)
				return
			}
			s.Code.SetText("")
			s.showMessage("", false)
			u.enrolledNow()
		})
	})
}

// enrollErrText is errText for an enrollment: nothing is recorded yet, so the message speaks of
// the address and the connection, not of records kept for later.
func (u *UI) enrollErrText(err error) string {
	switch {
	case errors.Is(err, syncclient.ErrUnreachable):
		return u.T("ui.enroll.unreachable")
	case errors.Is(err, syncclient.ErrUnavailable), errors.Is(err, &syncclient.Error{Code: syncclient.CodeBusy}):
		return u.T("ui.enroll.unavailable")
	}
	if msg := u.errText(err); msg != u.T("ui.error.generic") {
		return msg
	}
	return u.T("ui.enroll.failed")
}

// serverURL completes an address typed without a scheme. A server on this machine or the local
// network (loopback or private address, a name without dots, .local or .lan) speaks plain HTTP,
// so it gets http://; https:// for the others. Guessing https for a local server would wait for a
// TLS answer that never comes.
func serverURL(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.Contains(s, "://") {
		return s
	}
	host := s
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	local := host == "localhost" || !strings.Contains(host, ".") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".lan")
	if ip := net.ParseIP(host); ip != nil {
		local = ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast()
	}
	if local {
		return "http://" + s
	}
	return "https://" + s
}

func (s *EnrollScreen) showMessage(msg string, isErr bool) {
	s.Message.Importance = widget.MediumImportance
	if isErr {
		s.Message.Importance = widget.DangerImportance
	}
	s.Message.SetText(msg)
}

// enrolledNow is what follows a successful enrollment: the forms offer the inspector's units, home
// is shown, and a first sync brings the server's reference data.
func (u *UI) enrolledNow() {
	u.loadUnits()
	u.Event.ensureUnits()
	fillUnits(u, u.Survey.Unit)
	u.Records.Unit.codes = nil
	u.Show(ScreenHome)
	u.SyncNow()
}
