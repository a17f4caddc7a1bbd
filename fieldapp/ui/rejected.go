package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/shared/i18n"
	"talbar/shared/numfmt"
)

// RejectedScreen lists the changes the server refused with its reason, and for each a way to fix
// it (the record's form; saving supersedes the refused change) or to discard it.
type RejectedScreen struct {
	u       *UI
	content fyne.CanvasObject

	List    *fyne.Container
	Empty   *widget.Label
	Items   []RejectedItem
	changes []localstore.Change
	// ReplacedList shows this device's values that a concurrent edit replaced, with a restore.
	ReplacedList *fyne.Container
	Replaced     []ReplacedItem
}

// RejectedItem is one refused change as shown: kept so tests can read and tap it.
type RejectedItem struct {
	Change  localstore.Change
	Title   *widget.Label
	Reason  *widget.Label
	Fix     *widget.Button
	Discard *widget.Button
}

func newRejectedScreen(u *UI) *RejectedScreen {
	s := &RejectedScreen{u: u}
	s.List = container.NewVBox()
	s.Empty = wrapLabel(u.T("ui.rejected.none"))
	intro := wrapLabel(u.T("ui.rejected.intro"))
	back := widget.NewButtonWithIcon(u.T("ui.action.back"), theme.NavigateBackIcon(), func() { u.Show(ScreenHome) })
	top := container.NewVBox(container.NewHBox(back), heading(u.T("ui.rejected.title")), intro)
	s.ReplacedList = container.NewVBox()
	s.content = container.NewBorder(container.NewPadded(top), nil, nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(s.ReplacedList, s.Empty, s.List))))
	return s
}

// Reason is the server's reason for a refused change in the interface language, worded on the
// device from the rejection's code and each problem's field and code (see i18n.ProblemText). The
// server's own text is English and for the logs: it is shown only to an English reader, and only
// when the code is one this version does not know.
func (s *RejectedScreen) Reason(c localstore.Change) string {
	u := s.u
	var lines []string
	known := u.cfg.Catalog.Has(u.lang, "reject."+c.Code)
	if known {
		lines = append(lines, u.T("reject."+c.Code))
	} else if c.Code != "" {
		lines = append(lines, u.T("ui.rejected.code", c.Code))
	}
	for _, p := range c.Problems {
		lines = append(lines, "• "+u.cfg.Catalog.Problem(u.lang, p))
	}
	if !known && len(c.Problems) == 0 && c.Message != "" && u.lang == i18n.EN {
		lines = append(lines, u.T("ui.rejected.server_said", c.Message))
	}
	return strings.Join(lines, "\n")
}

// Refresh reads the refused changes again.
func (s *RejectedScreen) Refresh() {
	u := s.u
	changes, err := u.cfg.Store.Changes(u.ctx(), localstore.StateRejected)
	if err != nil {
		u.log.Error("read rejected changes", "err", err)
		s.Empty.SetText(u.errText(err))
		s.Empty.Show()
		return
	}
	s.changes = changes
	replaced := s.refreshReplaced()
	s.Items = nil
	s.List.RemoveAll()
	for _, c := range changes {
		c := c
		it := RejectedItem{Change: c}
		title := numfmt.DateTime(u.lang, c.Created.Local())
		if r, err := u.cfg.Store.FindRecordByID(u.ctx(), c.RecordID); err == nil {
			title = u.Records.title(r) + " · " + u.unitName(r.Unit)
		}
		it.Title = heading(title)
		it.Reason = wrapLabel(s.Reason(c))
		it.Reason.Importance = widget.DangerImportance
		it.Fix = widget.NewButtonWithIcon(u.T("ui.rejected.fix"), theme.DocumentCreateIcon(), func() { s.FixChange(c) })
		it.Fix.Importance = widget.HighImportance
		it.Discard = widget.NewButtonWithIcon(u.T("ui.rejected.discard"), theme.DeleteIcon(), func() {
			u.confirmDanger(u.T("ui.rejected.discard"), u.T("ui.rejected.discard_question"), u.T("ui.rejected.discard"), func() {
				s.DiscardChange(c)
			})
		})
		if c.Resent {
			// State re-sent to a server that lost it cannot be thrown away, only fixed.
			it.Discard.Hide()
		}
		s.Items = append(s.Items, it)
		s.List.Add(card(it.Title, it.Reason, container.NewHBox(it.Fix, it.Discard)))
		s.List.Add(widget.NewSeparator())
	}
	if len(changes) == 0 && replaced == 0 {
		s.Empty.Show()
	} else {
		s.Empty.Hide()
	}
	s.List.Refresh()
}

// FixChange opens the form of the change's record; saving it supersedes the refused change.
func (s *RejectedScreen) FixChange(c localstore.Change) {
	r, err := s.u.cfg.Store.FindRecordByID(s.u.ctx(), c.RecordID)
	if err != nil {
		s.u.inform(s.u.T("ui.error.title"), s.u.errText(err))
		return
	}
	openForm(s.u, r)
}

// DiscardChange drops the refused change; its fields go back to what they were.
func (s *RejectedScreen) DiscardChange(c localstore.Change) {
	if err := s.u.cfg.Store.Discard(s.u.ctx(), c.ID); err != nil {
		s.u.log.Error("discard change", "err", err)
		s.u.inform(s.u.T("ui.error.title"), s.u.errText(err))
		return
	}
	s.Refresh()
}
