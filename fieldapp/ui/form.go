package ui

import (
	"encoding/json"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/shared/numfmt"
	"talbar/shared/record"
)

// banner is a form's status line, above the form and outside its scroll: after Save the form
// scrolls to its top, where the eyes are, and the confirmation or the count of fields to fix is
// there. Hidden while it has nothing to say.
type banner struct {
	frame *fyne.Container // the form's frame, laid out again when the banner shows or hides
	box   *fyne.Container
	bg    *canvas.Rectangle
	label *widget.Label
}

func newBanner(l *widget.Label) *banner {
	b := &banner{label: l, bg: canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))}
	b.bg.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	l.TextStyle.Bold = true
	b.box = container.NewPadded(container.NewStack(b.bg, l))
	b.box.Hide()
	return b
}

// set shows msg with an importance (success, danger), or hides the banner for "".
func (b *banner) set(msg string, imp widget.Importance) {
	b.label.Importance = imp
	b.label.SetText(msg)
	switch imp {
	case widget.SuccessImportance:
		b.bg.FillColor = withAlpha(theme.Color(theme.ColorNameSuccess), 0x30)
	case widget.DangerImportance:
		b.bg.FillColor = withAlpha(theme.Color(theme.ColorNameError), 0x30)
	default:
		b.bg.FillColor = theme.Color(theme.ColorNameInputBackground)
	}
	b.bg.Refresh()
	if msg == "" {
		b.box.Hide()
	} else {
		b.box.Show()
	}
	if b.frame != nil {
		b.frame.Refresh()
	}
}

// formFrame puts a form's banner above its scroll and its buttons in a bar below it, so Save is
// within reach on a phone without scrolling a 1 900-pixel form.
func formFrame(b *banner, scroll *container.Scroll, buttons ...fyne.CanvasObject) fyne.CanvasObject {
	bar := container.NewPadded(container.New(columns{minCol: 150}, buttons...))
	b.frame = container.NewBorder(b.box, container.NewVBox(widget.NewSeparator(), bar), nil, nil, scroll)
	return b.frame
}

// scrollToShow scrolls so that obj, somewhere inside the scroll's content, is at the top.
func scrollToShow(scroll *container.Scroll, obj fyne.CanvasObject) {
	d := fyne.CurrentApp().Driver()
	y := d.AbsolutePositionForObject(obj).Y - d.AbsolutePositionForObject(scroll.Content).Y
	y -= theme.Padding() * 4 // the field's label, above its input
	if y < 0 {
		y = 0
	}
	scroll.ScrollToOffset(fyne.NewPos(0, y))
}

// dirtyFields reports whether a form's fields differ from its clean state; for a new record the
// fields the form fills itself (listed in auto: the date, the soum, the survey's event) are no
// unsaved work.
func dirtyFields(now, clean map[string]json.RawMessage, isNew bool, auto ...string) bool {
	if clean == nil {
		return false
	}
	was := copyFields(clean)
	if isNew {
		for _, k := range auto {
			now[k], was[k] = nil, nil
		}
	}
	return !sameFields(now, was)
}

// sameFields reports whether two forms' Fields hold the same values: the unsaved-edit test.
func sameFields(a, b map[string]json.RawMessage) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if string(v) != string(b[k]) {
			return false
		}
	}
	return true
}

// copyFields is a snapshot of Fields to compare with later.
func copyFields(m map[string]json.RawMessage) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		out[k] = append(json.RawMessage(nil), v...)
	}
	return out
}

// fixMessage is the banner of a refused save: how many fields need attention and that nothing
// was saved, then the problems that have no field on the form.
func fixMessage(u *UI, by map[string]string, ps []record.Problem, has func(string) bool) string {
	n := 0
	for name := range by {
		if has(name) {
			n++
		}
	}
	msg := u.T("ui.form.nothing_saved")
	if n > 0 {
		msg = u.N("ui.form.fix_count", n, n)
	}
	for _, text := range fieldless(u.cfg.Catalog, u.lang, ps, has) {
		msg += "\n" + text
	}
	return msg
}

// validateOptions are the checks of a form: for a new record every required field, and no date
// after tomorrow by the device's clock; a survey's answers against the catalogue version it names.
func (u *UI) validateOptions(create bool) record.Options {
	opt := record.Options{Create: create, Latest: record.LatestDate(u.cfg.Now())}
	if cat, err := u.cfg.Store.SurveyCatalogue(u.ctx()); err == nil {
		opt.Survey = cat
	}
	return opt
}

// num writes a whole number in the interface language's style ("1 072", "1,072").
func (u *UI) num(n int64) string { return numfmt.Int(u.lang, n) }

// coordText is a stored coordinate as the inspector would type it in the interface language
// ("47,9" in Mongolian), "" when absent.
func coordText(lang string, raw json.RawMessage) string {
	var f float64
	if raw == nil || json.Unmarshal(raw, &f) != nil {
		return ""
	}
	return strings.ReplaceAll(numfmt.Float(lang, f), numfmt.For(lang).Group, "")
}
