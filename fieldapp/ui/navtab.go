package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// navTab is a phone nav button: its icon with its name underneath in small type, so a "+" says
// "New event" on a 360-pixel screen where a button with the name beside it does not fit. A name of
// two words goes on two lines ("Арга / хэмжээ"); the text has no padding of its own, so five tabs
// fit 360 pixels.
type navTab struct {
	widget.BaseWidget
	text     string
	icon     fyne.Resource
	selected bool
	OnTapped func()
}

func newNavTab(text string, icon fyne.Resource, tapped func()) *navTab {
	t := &navTab{text: text, icon: icon, OnTapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

// set changes what the tab shows.
func (t *navTab) set(text string, icon fyne.Resource, selected bool) {
	t.text, t.icon, t.selected = text, icon, selected
	t.Refresh()
}

// Tapped opens the tab's screen.
func (t *navTab) Tapped(*fyne.PointEvent) {
	if t.OnTapped != nil {
		t.OnTapped()
	}
}

func (t *navTab) CreateRenderer() fyne.WidgetRenderer {
	r := &navTabRenderer{t: t, bg: canvas.NewRectangle(theme.Color(theme.ColorNameButton)), icon: widget.NewIcon(t.icon),
		lines: []*canvas.Text{canvas.NewText("", nil), canvas.NewText("", nil)}}
	r.bg.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	for _, l := range r.lines {
		l.Alignment = fyne.TextAlignCenter
	}
	r.Refresh()
	return r
}

type navTabRenderer struct {
	t     *navTab
	bg    *canvas.Rectangle
	icon  *widget.Icon
	lines []*canvas.Text
}

func (r *navTabRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.icon, r.lines[0], r.lines[1]}
}

func (r *navTabRenderer) Destroy() {}

func (r *navTabRenderer) lineHeight() float32 {
	return fyne.MeasureText("Ag", theme.Size(theme.SizeNameCaptionText), fyne.TextStyle{Bold: true}).Height
}

func (r *navTabRenderer) MinSize() fyne.Size {
	pad := theme.Padding()
	var w float32
	for _, l := range r.lines {
		w = max(w, l.MinSize().Width)
	}
	icon := theme.Size(theme.SizeNameInlineIcon)
	// Two pixels beside the name, no more: five tabs must fit 360 pixels also while one reads
	// "Засварлаж / байна" (an edit open); with a padding each they came to 361 and the real window
	// grew past a phone's edge.
	return fyne.NewSize(max(w+2, icon), pad+icon+pad/2+2*r.lineHeight()+pad)
}

func (r *navTabRenderer) Layout(s fyne.Size) {
	pad := theme.Padding()
	r.bg.Resize(s)
	icon := theme.Size(theme.SizeNameInlineIcon)
	r.icon.Move(fyne.NewPos((s.Width-icon)/2, pad))
	r.icon.Resize(fyne.NewSize(icon, icon))
	lh := r.lineHeight()
	y := pad + icon + pad/2
	if r.lines[1].Text == "" {
		y += lh / 2 // one line: centred in the space of two
	}
	for _, l := range r.lines {
		l.Move(fyne.NewPos(0, y))
		l.Resize(fyne.NewSize(s.Width, lh))
		y += lh
	}
}

func (r *navTabRenderer) Refresh() {
	r.icon.SetResource(r.t.icon)
	first, second, _ := strings.Cut(r.t.text, " ")
	r.lines[0].Text, r.lines[1].Text = first, second
	fg := theme.Color(theme.ColorNameForeground)
	r.bg.FillColor = theme.Color(theme.ColorNameButton)
	if r.t.selected {
		fg = theme.Color(theme.ColorNamePrimary)
		r.bg.FillColor = withAlpha(theme.Color(theme.ColorNamePrimary), 0x40)
	}
	for _, l := range r.lines {
		l.Color = fg
		l.TextSize = theme.Size(theme.SizeNameCaptionText)
		l.TextStyle.Bold = r.t.selected
		l.Refresh()
	}
	r.bg.Refresh()
	r.Layout(r.t.Size())
}
