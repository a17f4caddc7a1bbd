package ui

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/shared/i18n"
	"talbar/shared/record"
)

// adaptive shows its first object when it fits the width and its second otherwise, so the nav bar
// carries names on a laptop and icons only on a phone.
type adaptive struct{}

func (adaptive) MinSize(objs []fyne.CanvasObject) fyne.Size { return objs[1].MinSize() }

func (adaptive) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	wide, narrow := objs[0], objs[1]
	if wide.MinSize().Width <= size.Width {
		wide.Show()
		narrow.Hide()
	} else {
		wide.Hide()
		narrow.Show()
	}
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// columns lays its objects side by side when each column gets at least minCol, one above the
// other otherwise. Its minimum size is the stacked one, so the figures never overflow a phone; on
// a laptop the extra height stays empty at the bottom of the screen.
type columns struct{ minCol float32 }

func (c columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	pad := theme.Padding()
	for i, o := range objs {
		m := o.MinSize()
		s.Width = max(s.Width, m.Width)
		s.Height += m.Height
		if i > 0 {
			s.Height += pad
		}
	}
	return s
}

func (c columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	n := len(objs)
	if n == 0 {
		return
	}
	col := c.minCol
	for _, o := range objs {
		col = max(col, o.MinSize().Width) // side by side only when every one fits its column
	}
	if size.Width >= float32(n)*col+float32(n-1)*pad {
		w := (size.Width - float32(n-1)*pad) / float32(n)
		var h float32
		for _, o := range objs {
			h = max(h, o.MinSize().Height)
		}
		for i, o := range objs {
			o.Move(fyne.NewPos(float32(i)*(w+pad), 0))
			o.Resize(fyne.NewSize(w, h))
		}
		return
	}
	var y float32
	for _, o := range objs {
		h := o.MinSize().Height
		o.Move(fyne.NewPos(0, y))
		o.Resize(fyne.NewSize(size.Width, h))
		y += h + pad
	}
}

// minHeight makes its single object at least h tall: the sync button is meant to be hit with a
// thumb.
type minHeight struct{ h float32 }

func (m minHeight) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := objs[0].MinSize()
	if s.Height < m.h {
		s.Height = m.h
	}
	return s
}

func (minHeight) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
}

// wrapLabel is a label that wraps, so long Mongolian labels fit a phone-sized window.
func wrapLabel(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// heading is a bold section title.
func heading(s string) *widget.Label {
	l := widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Wrapping = fyne.TextWrapWord
	return l
}

// fieldError is the message under a field; hidden while the field is fine. Its line is kept
// free even then (box reserves one caption line), so a message appearing while the inspector types
// does not push the fields below out from under the finger.
type fieldError struct {
	*widget.Label
	box *fyne.Container // what goes in a layout
}

func newFieldError() fieldError {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	l.Importance = widget.DangerImportance
	l.SizeName = theme.SizeNameCaptionText
	l.Hide()
	return fieldError{Label: l, box: container.New(reserveLine{}, l)}
}

func (e fieldError) set(msg string) {
	e.SetText(msg)
	if msg == "" {
		e.Hide()
	} else {
		e.Show()
	}
}

// reserveLine gives its single object the height of one caption line even while it is hidden,
// and more only when the object needs it (a message that wraps on a phone).
type reserveLine struct{}

func (reserveLine) MinSize(objs []fyne.CanvasObject) fyne.Size {
	line := fyne.MeasureText("Ag", theme.Size(theme.SizeNameCaptionText), fyne.TextStyle{}).Height + theme.Padding()
	s := fyne.NewSize(0, line)
	if objs[0].Visible() {
		m := objs[0].MinSize()
		s.Width = m.Width
		// The label's own padding is more than a caption line needs: only a second line grows it.
		if extra := m.Height - 2*theme.InnerPadding(); extra > line {
			s.Height = extra
		}
	}
	return s
}

func (reserveLine) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.InnerPadding()
	objs[0].Move(fyne.NewPos(0, -pad))
	objs[0].Resize(fyne.NewSize(size.Width, size.Height+2*pad))
}

// field stacks a label, its input and its error message; stacking rather than a two-column form
// keeps it readable from a 360-pixel phone to a laptop.
func field(label string, input fyne.CanvasObject, err fieldError) *fyne.Container {
	return container.NewVBox(heading(label), input, err.box)
}

// numField is a whole-number entry for one wire field ("consultations") or one entry of a counts
// object ("reached.herders"); it shows its problem as it is typed.
type numField struct {
	path  string
	entry *widget.Entry
	err   fieldError
	row   fyne.CanvasObject
}

// newNumField builds a row: the label (wrapping) on the left, a narrow entry on the right, the
// message below. check validates the text typed so far. The entry keeps its own height when the
// label wraps to several lines (it sits at the top of its column), and shows no placeholder: a
// grey "0" reads as a value already typed.
func newNumField(path, label string, check func(*numField)) *numField {
	f := &numField{path: path, entry: widget.NewEntry(), err: newFieldError()}
	f.entry.OnChanged = func(string) { check(f) }
	box := container.New(&fixedWidth{w: 120}, container.NewVBox(f.entry))
	f.row = container.NewBorder(nil, f.err.box, nil, box, wrapLabel(label))
	return f
}

// value is the JSON of the typed number, or nil when nothing is typed. Text that is not a whole
// number is passed on as a string so that validation names it (invalid_type).
func (f *numField) value() json.RawMessage { return numberJSON(f.entry.Text, false) }

func (f *numField) setValue(raw json.RawMessage) {
	if raw == nil {
		f.entry.SetText("")
		return
	}
	f.entry.SetText(string(raw))
}

// numberJSON turns typed text into JSON: a number when it parses (spaces between thousands are
// allowed), the text as a JSON string otherwise, nil when empty.
func numberJSON(text string, float bool) json.RawMessage {
	s := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\u00a0' || r == '\u202f' || r == ',' && !float {
			return -1
		}
		return r
	}, strings.TrimSpace(text))
	if s == "" {
		return nil
	}
	if float {
		if v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64); err == nil {
			return json.RawMessage(strconv.FormatFloat(v, 'f', -1, 64))
		}
	} else if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return json.RawMessage(strconv.FormatInt(v, 10))
	}
	b, _ := json.Marshal(text)
	return b
}

// fixedWidth gives its object a fixed width and its own height.
type fixedWidth struct{ w float32 }

func (f fixedWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(f.w, objs[0].MinSize().Height)
}

func (fixedWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(size)
}

// dateField is a date typed as YYYY-MM-DD, the form of the records, with buttons for today and
// a calendar (our own: in the interface language, weeks from Monday, no day after tomorrow).
// Fyne's DateEntry types dates in the system locale's order (02/01/2006), which would differ from
// the records and from the inspector's paper forms.
type dateField struct {
	u         *UI
	entry     *widget.Entry
	err       fieldError
	box       fyne.CanvasObject
	CalButton *widget.Button
	Calendar  *calendar // the calendar open, nil when none
	pop       *widget.PopUp
}

func newDateField(u *UI, onChange func()) *dateField {
	d := &dateField{u: u, entry: widget.NewEntry(), err: newFieldError()}
	d.entry.PlaceHolder = u.T("ui.date.placeholder")
	d.entry.OnChanged = func(string) {
		if onChange != nil {
			onChange()
		} else {
			d.check()
		}
	}
	today := widget.NewButton(u.T("ui.date.today"), func() { d.setTime(u.cfg.Now()) })
	d.CalButton = widget.NewButtonWithIcon("", theme.CalendarIcon(), nil)
	d.CalButton.OnTapped = func() { d.showCalendar(d.CalButton) }
	d.box = container.NewBorder(nil, nil, nil, container.NewHBox(today, d.CalButton), d.entry)
	d.setTime(u.cfg.Now())
	return d
}

// check shows the date's problem as it is typed (a form that validates its fields itself passes
// onChange instead).
func (d *dateField) check() {
	var msg string
	if v := textJSON(d.text()); v != nil {
		ps, _ := record.Validate(record.EntitySurvey, map[string]json.RawMessage{"date": v}, d.u.validateOptions(false))
		msg = problemsByField(d.u.cfg.Catalog, d.u.lang, ps)["date"]
	}
	d.err.set(msg)
}

func (d *dateField) text() string { return strings.TrimSpace(d.entry.Text) }

func (d *dateField) time() (time.Time, bool) {
	t, err := time.Parse("2006-01-02", d.text())
	return t, err == nil
}

func (d *dateField) setTime(t time.Time) { d.entry.SetText(t.Format("2006-01-02")) }

// codeSelect is a Select over codes of a list, showing their labels. Fyne's Select knows its
// choice only by its label (SelectedIndex is the first option with that text), so the select keeps
// the index of the chosen option itself, and its labels are made unique (setOptions, add): two
// events of the same day, kind and soum must stay two choices.
//
// It embeds the Select by value and extends it (ExtendBaseWidget), as Fyne asks of a widget that
// wraps another: the codeSelect itself is what sits in the layout, so the Select's pop-up must
// look up the codeSelect's canvas. Embedding a *widget.Select made by NewSelect left the Select
// registered as itself, off every canvas, and the first tap in a real window crashed
// (nil overlay in Select.showPopUp).
type codeSelect struct {
	widget.Select
	codes []string
	idx   int // the chosen option, -1 for none
}

func newCodeSelect(labels, codes []string, placeholder string, onChange func()) *codeSelect {
	s := &codeSelect{idx: -1}
	s.OnChanged = func(text string) {
		s.chosen(text)
		if onChange != nil {
			onChange()
		}
	}
	s.PlaceHolder = placeholder
	s.ExtendBaseWidget(s)
	s.setOptions(labels, codes)
	return s
}

// chosen follows the Select's OnChanged: the option already chosen when it carries this label (a
// choice by index), otherwise the option with this label.
func (s *codeSelect) chosen(text string) {
	if text == "" {
		s.idx = -1
		return
	}
	if s.idx >= 0 && s.idx < len(s.Options) && s.Options[s.idx] == text {
		return
	}
	s.idx = -1
	for i, o := range s.Options {
		if o == text {
			s.idx = i
			return
		}
	}
}

// setOptions replaces the options; the choice is dropped (callers choose again by code).
func (s *codeSelect) setOptions(labels, codes []string) {
	s.codes = append([]string(nil), codes...)
	s.idx = -1
	s.Options = uniqueLabels(labels)
	s.Refresh()
}

// add appends one option.
func (s *codeSelect) add(label, code string) {
	labels := append(append([]string(nil), s.Options...), label)
	idx, sel := s.idx, s.Selected
	s.Options = uniqueLabels(labels)
	s.codes = append(s.codes, code)
	s.idx = idx
	if idx >= 0 && idx < len(s.Options) && s.Options[idx] != sel {
		s.idx = -1
	}
	s.Refresh()
}

// uniqueLabels numbers the repeats of a label: "2026-05-14 · Open day (2)".
func uniqueLabels(labels []string) []string {
	out := make([]string, len(labels))
	taken := make(map[string]bool, len(labels))
	for _, l := range labels {
		taken[l] = true
	}
	seen := make(map[string]int, len(labels))
	for i, l := range labels {
		seen[l]++
		if seen[l] == 1 {
			out[i] = l
			continue
		}
		for n := seen[l]; ; n++ {
			c := l + " (" + strconv.Itoa(n) + ")"
			if !taken[c] {
				taken[c] = true
				out[i] = c
				break
			}
		}
	}
	return out
}

// SetSelectedIndex chooses the option at index i.
func (s *codeSelect) SetSelectedIndex(i int) {
	if i < 0 || i >= len(s.Options) {
		return
	}
	s.idx = i
	s.Select.SetSelectedIndex(i)
}

func (s *codeSelect) code() string {
	i := s.idx
	if i < 0 || i >= len(s.Options) || s.Options[i] != s.Selected {
		i = s.SelectedIndex()
	}
	if i < 0 || i >= len(s.codes) {
		return ""
	}
	return s.codes[i]
}

// setCodeOffering selects code, first adding it under label when it is not among the choices
// (a record's soum outside the inspector's own: an officer's move, or changed reference data),
// so the record can still be shown and edited.
func (s *codeSelect) setCodeOffering(code, label string) {
	s.setCode(code)
	if s.code() == "" && code != "" {
		s.add(label, code)
		s.setCode(code)
	}
}

func (s *codeSelect) setCode(code string) {
	for i, c := range s.codes {
		if c == code {
			s.SetSelectedIndex(i)
			return
		}
	}
	s.ClearSelected()
}

// codeRadio is a RadioGroup over codes of a list, showing their labels. Embedded by value and
// extended, for the same reason as codeSelect.
type codeRadio struct {
	widget.RadioGroup
	codes, labels []string
}

func newCodeRadio(u *UI, list string, items []record.Label, horizontal bool) *codeRadio {
	r := &codeRadio{}
	for _, l := range items {
		r.codes = append(r.codes, l.Code)
		r.labels = append(r.labels, u.label(list, l.Code))
	}
	r.Options = r.labels
	r.Horizontal = horizontal
	r.ExtendBaseWidget(r)
	return r
}

func (r *codeRadio) code() string {
	for i, l := range r.labels {
		if l == r.Selected {
			return r.codes[i]
		}
	}
	return ""
}

func (r *codeRadio) setCode(code string) {
	for i, c := range r.codes {
		if c == code {
			r.SetSelected(r.labels[i])
			return
		}
	}
	r.SetSelected("")
}

// codeChecks is a list of checks over codes of a list. Unlike widget.CheckGroup its labels wrap,
// so "Хөдөлмөр, халамжийн үйлчилгээний байгууллага" fits a phone; tapping a label toggles its box.
type codeChecks struct {
	Box           *fyne.Container // what goes in a layout: Fyne draws the children of a *fyne.Container only
	codes, labels []string
	checks        []*widget.Check
}

func newCodeChecks(u *UI, list string, items []record.Label) *codeChecks {
	c := &codeChecks{Box: container.NewVBox()}
	for _, l := range items {
		label := u.label(list, l.Code)
		c.codes = append(c.codes, l.Code)
		c.labels = append(c.labels, label)
		chk := widget.NewCheck("", nil)
		c.checks = append(c.checks, chk)
		c.Box.Add(container.NewBorder(nil, nil, chk, nil, newTapLabel(label, func() { chk.SetChecked(!chk.Checked) })))
	}
	return c
}

// SetSelected checks the options with these labels and clears the others.
func (c *codeChecks) SetSelected(labels []string) {
	for i, l := range c.labels {
		on := false
		for _, x := range labels {
			on = on || x == l
		}
		c.checks[i].SetChecked(on)
	}
}

// selectedCodes are the checked codes in the list's order, nil when none.
func (c *codeChecks) selectedCodes() []string {
	var out []string
	for i, chk := range c.checks {
		if chk.Checked {
			out = append(out, c.codes[i])
		}
	}
	return out
}

func (c *codeChecks) setCodes(codes []string) {
	for i, code := range c.codes {
		on := false
		for _, x := range codes {
			on = on || x == code
		}
		c.checks[i].SetChecked(on)
	}
}

// tapLabel is a wrapping label that reacts to a tap.
type tapLabel struct {
	widget.Label
	onTap func()
}

func newTapLabel(text string, onTap func()) *tapLabel {
	l := &tapLabel{onTap: onTap}
	l.Text = text
	l.Wrapping = fyne.TextWrapWord
	l.ExtendBaseWidget(l)
	return l
}

// Tapped toggles the label's check.
func (l *tapLabel) Tapped(*fyne.PointEvent) { l.onTap() }

// textJSON is typed text as JSON, nil when empty.
func textJSON(s string) json.RawMessage {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	b, _ := json.Marshal(s)
	return b
}

// listJSON is a list of codes as JSON, nil when empty.
func listJSON(codes []string) json.RawMessage {
	if len(codes) == 0 {
		return nil
	}
	b, _ := json.Marshal(codes)
	return b
}

// nullable turns a nil value into JSON null, which clears an optional field of a stored record.
func nullable(v json.RawMessage) json.RawMessage {
	if v == nil {
		return json.RawMessage("null")
	}
	return v
}

// problemsByField translates problems for the lines under their fields, grouped by field
// ("reached.herders" stays whole): the message alone, as the field's own label is right above.
func problemsByField(c *i18n.Catalog, lang string, ps []record.Problem) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		msg := c.ProblemText(lang, p)
		if out[p.Field] != "" {
			out[p.Field] += "\n" + msg
		} else {
			out[p.Field] = msg
		}
	}
	return out
}

// fieldless are the messages, with their field's name, of the problems whose field has no place
// on the form (has reports those that have one), in the order of their field names: the status
// line reads the same each time.
func fieldless(c *i18n.Catalog, lang string, ps []record.Problem, has func(name string) bool) []string {
	var sorted []record.Problem
	for _, p := range ps {
		if !has(p.Field) {
			sorted = append(sorted, p)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Field < sorted[j].Field })
	out := make([]string, len(sorted))
	for i, p := range sorted {
		out[i] = c.Problem(lang, p)
	}
	return out
}

// card is a titled block with a light background, used for the figures on the home screen.
func card(title fyne.CanvasObject, objs ...fyne.CanvasObject) fyne.CanvasObject {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameHeaderBackground))
	bg.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	inner := container.NewVBox(append([]fyne.CanvasObject{title}, objs...)...)
	return container.NewStack(bg, container.NewPadded(inner))
}

// jsonStr decodes a JSON string value, "" otherwise.
func jsonStr(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// jsonStrs decodes a JSON list of strings.
func jsonStrs(raw json.RawMessage) []string {
	var s []string
	_ = json.Unmarshal(raw, &s)
	return s
}

// jsonCounts decodes a JSON object of counts.
func jsonCounts(raw json.RawMessage) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(raw, &m)
	return m
}
