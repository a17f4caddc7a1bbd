package ui

import (
	"encoding/json"
	"strconv"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
)

// ReplacedItem is one value of this device's that a concurrent edit replaced, as shown on the
// rejected-changes screen: kept so tests can read and tap it.
type ReplacedItem struct {
	Replacement localstore.Replacement
	Text        *widget.Label
	Restore     *widget.Button
	Keep        *widget.Button
}

// replacedField names a field or a count in the interface language ("People reached: Herders").
func (u *UI) replacedField(name string) string {
	if parent, code, ok := record.LeafOf(name); ok {
		list := record.CountsList(parent)
		return u.T("field."+parent) + ": " + u.label(list, code)
	}
	return u.T("field." + name)
}

// replacedValue shows a stored value: a number in the language's style, text as it is.
func (u *UI) replacedValue(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return "—"
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return u.num(n)
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	return s
}

// replacedText is the notice: "Your 25 (People reached: Herders) for the open day of 12 May was
// replaced by 20 from Сараа."
func (s *RejectedScreen) replacedText(x localstore.Replacement) string {
	u := s.u
	title := x.RecordID
	if x.Record.ID != "" {
		title = u.Records.title(x.Record)
	}
	who := x.Writer
	if who == "" {
		who = u.T("ui.replaced.someone")
	}
	if x.Field == record.FieldDeleted {
		return u.T("ui.replaced.deleted", title, who)
	}
	return u.T("ui.replaced.text", u.replacedValue(x.Mine), u.replacedField(x.Field), title, u.replacedValue(x.Theirs), who)
}

// refreshReplaced lists the notices above the refused changes.
func (s *RejectedScreen) refreshReplaced() int {
	u := s.u
	s.Replaced = nil
	s.ReplacedList.RemoveAll()
	list, err := u.cfg.Store.Replaced(u.ctx())
	if err != nil {
		u.log.Error("read replaced values", "err", err)
		return 0
	}
	for _, x := range list {
		x := x
		it := ReplacedItem{Replacement: x, Text: wrapLabel(s.replacedText(x))}
		it.Text.Importance = widget.WarningImportance
		it.Restore = widget.NewButtonWithIcon(u.T("ui.replaced.restore"), theme.ContentUndoIcon(), func() { s.RestoreReplaced(x) })
		it.Restore.Importance = widget.HighImportance
		it.Keep = widget.NewButtonWithIcon(u.T("ui.replaced.keep"), theme.ConfirmIcon(), func() { s.KeepReplaced(x) })
		s.Replaced = append(s.Replaced, it)
		s.ReplacedList.Add(card(it.Text, container.NewHBox(it.Restore, it.Keep)))
	}
	s.ReplacedList.Refresh()
	return len(list)
}

// RestoreReplaced writes this device's value again; it syncs like any save.
func (s *RejectedScreen) RestoreReplaced(x localstore.Replacement) {
	if err := s.u.cfg.Store.RestoreReplaced(s.u.ctx(), x.ID); err != nil {
		s.u.log.Error("restore replaced value", "err", err)
		s.u.inform(s.u.T("ui.error.title"), s.u.errText(err))
	}
	s.u.afterSave()
	s.Refresh()
}

// KeepReplaced closes the notice and keeps the other value.
func (s *RejectedScreen) KeepReplaced(x localstore.Replacement) {
	if err := s.u.cfg.Store.DismissReplaced(s.u.ctx(), x.ID); err != nil {
		s.u.log.Error("dismiss replaced value", "err", err)
	}
	s.Refresh()
}
