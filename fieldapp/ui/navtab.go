package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// navTab is a phone nav button: its icon with its name underneath in small type, so a "+" says
// "New event" on a 360-pixel screen where a button with the name beside it does not fit.
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
	r := &navTabRenderer{t: t, bg: canvas.NewRectangle(theme.Color(theme.ColorNameButton)),
		icon: widget.NewIcon(t.icon), label: widget.NewLabel(t.text)}
	r.label.SizeName = theme.SizeNameCaptionText
	r.label.Alignment = fyne.TextAlignCenter
	r.label.Wrapping = fyne.TextWrapWord // "Арга хэмжээ" on two lines rather than "Арга х…"
	r.bg.CornerRadius = theme.Size(theme.SizeNameInputRadius)
	r.box = container.NewStack(r.bg, container.NewBorder(container.NewCenter(r.icon), nil, nil, nil, r.label))
	r.Refresh()
	return r
}

type navTabRenderer struct {
	t     *navTab
	bg    *canvas.Rectangle
	icon  *widget.Icon
	label *widget.Label
	box   *fyne.Container
}

func (r *navTabRenderer) Layout(s fyne.Size)           { r.box.Resize(s) }
func (r *navTabRenderer) MinSize() fyne.Size           { return r.box.MinSize() }
func (r *navTabRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.box} }
func (r *navTabRenderer) Destroy()                     {}

func (r *navTabRenderer) Refresh() {
	r.icon.SetResource(r.t.icon)
	r.label.SetText(r.t.text)
	r.label.TextStyle.Bold = r.t.selected
	if r.t.selected {
		r.label.Importance = widget.HighImportance
		r.bg.FillColor = withAlpha(theme.Color(theme.ColorNamePrimary), 0x40)
	} else {
		r.bg.FillColor = theme.Color(theme.ColorNameButton)
		r.label.Importance = widget.MediumImportance
	}
	r.label.Refresh()
	r.bg.Refresh()
}
