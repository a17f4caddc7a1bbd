package ui

import (
	"strconv"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"talbar/shared/record"
)

// calendar is a month of days to tap, in the interface language, weeks starting on Monday as in
// Mongolia. Fyne's widget.Calendar is English-only and starts on Sunday. Days before the
// programme (record.EarliestDate) and after tomorrow (record.LatestDate) cannot be chosen.
type calendar struct {
	widget.BaseWidget
	u        *UI
	month    time.Time // the first day of the month shown
	selected time.Time
	min, max time.Time
	onPick   func(time.Time)

	Title      *widget.Label
	Prev, Next *widget.Button
	Days       [42]*widget.Button // six weeks of seven days; the days of other months are hidden
	dayDates   [42]time.Time
	weekdays   []fyne.CanvasObject
}

func newCalendar(u *UI, selected time.Time, onPick func(time.Time)) *calendar {
	c := &calendar{u: u, selected: dateOnly(selected), min: record.EarliestDate,
		max: record.LatestDate(u.cfg.Now()), onPick: onPick}
	if c.selected.After(c.max) {
		c.selected = c.max
	}
	if c.selected.Before(c.min) {
		c.selected = c.min
	}
	c.month = time.Date(c.selected.Year(), c.selected.Month(), 1, 0, 0, 0, 0, time.UTC)
	c.Title = widget.NewLabelWithStyle("", fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	c.Prev = widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { c.shift(-1) })
	c.Next = widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { c.shift(1) })
	for i := 1; i <= 7; i++ {
		l := widget.NewLabelWithStyle(u.T("ui.weekday."+strconv.Itoa(i)), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		c.weekdays = append(c.weekdays, l)
	}
	for i := range c.Days {
		i := i
		c.Days[i] = widget.NewButton("", func() { c.pick(c.dayDates[i]) })
	}
	c.ExtendBaseWidget(c)
	c.show()
	return c
}

func dateOnly(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (c *calendar) CreateRenderer() fyne.WidgetRenderer {
	days := make([]fyne.CanvasObject, len(c.Days))
	for i, b := range c.Days {
		days[i] = b
	}
	top := container.NewBorder(nil, nil, c.Prev, c.Next, c.Title)
	body := container.NewVBox(top, container.NewGridWithColumns(7, c.weekdays...), container.NewGridWithColumns(7, days...))
	return widget.NewSimpleRenderer(body)
}

// shift shows the month n months away, within the allowed range.
func (c *calendar) shift(n int) {
	m := c.month.AddDate(0, n, 0)
	if m.Before(time.Date(c.min.Year(), c.min.Month(), 1, 0, 0, 0, 0, time.UTC)) || m.After(c.max) {
		return
	}
	c.month = m
	c.show()
}

func (c *calendar) pick(d time.Time) {
	if d.Before(c.min) || d.After(c.max) {
		return
	}
	c.selected = d
	if c.onPick != nil {
		c.onPick(d)
	}
}

// show fills the title and the day buttons for the month.
func (c *calendar) show() {
	u := c.u
	c.Title.SetText(u.T("ui.calendar.month", c.month.Year(), u.T("ui.month."+strconv.Itoa(int(c.month.Month())))))
	lead := (int(c.month.Weekday()) + 6) % 7 // Monday first
	start := c.month.AddDate(0, 0, -lead)
	for i, b := range c.Days {
		d := start.AddDate(0, 0, i)
		c.dayDates[i] = d
		if d.Month() != c.month.Month() {
			b.Hide()
			continue
		}
		b.SetText(strconv.Itoa(d.Day()))
		b.Show()
		b.Importance = widget.LowImportance
		if d.Equal(c.selected) {
			b.Importance = widget.HighImportance
		}
		if d.Before(c.min) || d.After(c.max) {
			b.Disable()
		} else {
			b.Enable()
		}
		b.Refresh()
	}
	prevMonth := c.month.AddDate(0, -1, 0)
	if prevMonth.Before(time.Date(c.min.Year(), c.min.Month(), 1, 0, 0, 0, 0, time.UTC)) {
		c.Prev.Disable()
	} else {
		c.Prev.Enable()
	}
	if c.month.AddDate(0, 1, 0).After(c.max) {
		c.Next.Disable()
	} else {
		c.Next.Enable()
	}
}

// showCalendar opens a calendar for d in a pop-up under the button at, kept inside the window.
func (d *dateField) showCalendar(at fyne.CanvasObject) {
	u := d.u
	t, ok := d.time()
	if !ok {
		t = u.cfg.Now()
	}
	var pop *widget.PopUp
	d.Calendar = newCalendar(u, t, func(t time.Time) {
		d.setTime(t)
		pop.Hide()
		d.Calendar = nil
	})
	c := u.win.Canvas()
	pop = widget.NewPopUp(d.Calendar, c)
	size := pop.MinSize()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(at).Add(fyne.NewPos(0, at.Size().Height))
	cs := c.Size()
	pos.X = max(0, min(pos.X+at.Size().Width-size.Width, cs.Width-size.Width))
	if pos.Y+size.Height > cs.Height {
		pos.Y = max(0, cs.Height-size.Height)
	}
	pop.ShowAtPosition(pos)
	d.pop = pop
}
