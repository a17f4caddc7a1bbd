package automation

import (
	"io"
	"log/slog"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// The hook serves only on a loopback address: it shows what an inspector's screen shows.
func TestServeRefusesNonLoopback(t *testing.T) {
	w := test.NewApp().NewWindow("")
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.168.1.5:0", "localhost"} {
		if stop, err := Serve(addr, w, nil, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
			stop()
			t.Errorf("Serve(%q) accepted a non-loopback address", addr)
		}
	}
}

// picked embeds a Select by value, as the app's own drop-downs do.
type picked struct{ widget.Select }

// Take lists the objects with their text, state and absolute position, inside a scroll too, and
// reads a widget that embeds Fyne's as Fyne's.
func TestTakeDescribesWidgets(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	w := a.NewWindow("")
	e := widget.NewEntry()
	e.PlaceHolder = "code"
	c := widget.NewCheck("agree", nil)
	c.SetChecked(true)
	s := &picked{}
	s.Options, s.Selected = []string{"a", "b"}, "b"
	s.ExtendBaseWidget(s)
	low := widget.NewButton("far below", nil)
	w.SetContent(container.NewVScroll(container.NewVBox(e, c, s, container.NewGridWrap(fyne.NewSize(10, 2000)), low)))
	w.Resize(fyne.NewSize(300, 400))

	snap := Take(w)
	find := func(typ string) Object {
		for _, o := range snap.Objects {
			if o.Type == typ {
				return o
			}
		}
		t.Fatalf("no %s in %+v", typ, snap.Objects)
		return Object{}
	}
	if o := find("*widget.Entry"); o.PlaceHolder != "code" || !o.InView || o.W <= 0 {
		t.Errorf("entry: %+v", o)
	}
	if o := find("*widget.Check"); o.Text != "agree" || o.Checked == nil || !*o.Checked {
		t.Errorf("check: %+v", o)
	}
	if o := find("*automation.picked"); o.Selected != "b" {
		t.Errorf("embedded select: %+v", o)
	}
	if o := find("*widget.Button"); o.Text != "far below" || o.InView || o.Y < 2000 {
		t.Errorf("button below the fold: %+v, want out of view below y 2000", o)
	}
}
