// Package automation lets the real-window tests see what the field app's window shows. When the
// app is started with TALBAR_AUTOMATION=127.0.0.1:PORT it serves, on that loopback address only,
// GET /objects: a JSON list of the visible objects of the window and of its pop-ups, each with its
// type, text, placeholder, state and absolute position and size, so a test knows where to click.
// Clicks and typing do not go through here: the tests use a real X input tool (xdotool), so the
// app meets the same events a person's mouse and keyboard give it.
package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// Env is the environment variable that turns the hook on.
const Env = "TALBAR_AUTOMATION"

// Object is one visible object of the window.
type Object struct {
	Type        string  `json:"type"`
	Text        string  `json:"text,omitempty"`
	PlaceHolder string  `json:"placeholder,omitempty"`
	Selected    string  `json:"selected,omitempty"`
	Checked     *bool   `json:"checked,omitempty"`
	Disabled    bool    `json:"disabled,omitempty"`
	Focused     bool    `json:"focused,omitempty"`
	X           float32 `json:"x"`
	Y           float32 `json:"y"`
	W           float32 `json:"w"`
	H           float32 `json:"h"`
	// MinW is the object's minimum width: what makes a screen wider than its window.
	MinW float32 `json:"min_w"`
	// InView says that the object's centre is inside the window and inside every scroll around
	// it, so a click there reaches it.
	InView bool `json:"in_view"`
	// Overlay is the number of the pop-up it is on (1 the first), 0 for the window's content.
	Overlay int `json:"overlay,omitempty"`
}

// Snapshot is the answer of GET /objects.
type Snapshot struct {
	// Scale turns the positions (Fyne units) into window pixels.
	Scale    float32  `json:"scale"`
	Width    float32  `json:"width"`
	Height   float32  `json:"height"`
	Screen   string   `json:"screen"`
	Overlays int      `json:"overlays"`
	Objects  []Object `json:"objects"`
}

// Serve starts the hook on addr, which must be a loopback address, for window w; screen names the
// screen shown. It returns a function that stops the server.
func Serve(addr string, w fyne.Window, screen func() string, log *slog.Logger) (stop func(), err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("automation address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("automation address %q: only a loopback address is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("automation listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /objects", func(rw http.ResponseWriter, r *http.Request) {
		var snap Snapshot
		done := make(chan struct{})
		// The widget tree belongs to Fyne's main thread; a window that no longer runs its loop
		// leaves the request unanswered, which the tests count as a hang.
		fyne.Do(func() {
			defer close(done)
			snap = Take(w)
			if screen != nil {
				snap.Screen = screen()
			}
		})
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			http.Error(rw, "the window's main loop did not answer within 5 s", http.StatusServiceUnavailable)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(snap)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("automation server", "err", err)
		}
	}()
	log.Info("automation hook listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// Take lists the visible objects of w's content and pop-ups; call it on Fyne's main thread.
func Take(w fyne.Window) Snapshot {
	c := w.Canvas()
	size := c.Size()
	snap := Snapshot{Scale: c.Scale(), Width: size.Width, Height: size.Height}
	view := rect{0, 0, size.Width, size.Height}
	focused := c.Focused()
	walk(c.Content(), fyne.NewPos(0, 0), view, 0, focused, &snap.Objects)
	for i, o := range c.Overlays().List() {
		snap.Overlays++
		walk(o, fyne.NewPos(0, 0), view, i+1, focused, &snap.Objects)
	}
	return snap
}

type rect struct{ x, y, w, h float32 }

func (r rect) intersect(o rect) rect {
	x, y := max(r.x, o.x), max(r.y, o.y)
	x2, y2 := min(r.x+r.w, o.x+o.w), min(r.y+r.h, o.y+o.h)
	return rect{x, y, max(0, x2-x), max(0, y2-y)}
}

func (r rect) contains(x, y float32) bool { return x >= r.x && y >= r.y && x < r.x+r.w && y < r.y+r.h }

// walk records obj and its children: a container's objects, a widget's renderer's objects.
// origin is the absolute position of obj's parent; clip the part of the window still visible.
func walk(obj fyne.CanvasObject, origin fyne.Position, clip rect, overlay int, focused fyne.Focusable, out *[]Object) {
	if obj == nil || !obj.Visible() {
		return
	}
	pos := origin.Add(obj.Position())
	size := obj.Size()
	o := describe(obj)
	o.X, o.Y, o.W, o.H = pos.X, pos.Y, size.Width, size.Height
	o.MinW = obj.MinSize().Width
	o.InView = clip.contains(pos.X+size.Width/2, pos.Y+size.Height/2)
	o.Overlay = overlay
	if f, ok := obj.(fyne.Focusable); ok && focused != nil && f == focused {
		o.Focused = true
	}
	*out = append(*out, o)

	var children []fyne.CanvasObject
	switch v := obj.(type) {
	case *fyne.Container:
		children = v.Objects
	case fyne.Widget:
		if r := rendererOf(v); r != nil {
			children = r.Objects()
		}
	}
	if _, ok := obj.(*container.Scroll); ok {
		clip = clip.intersect(rect{pos.X, pos.Y, size.Width, size.Height})
	}
	for _, ch := range children {
		walk(ch, pos, clip, overlay, focused, out)
	}
}

// describe reads what a person would read off obj: its text, placeholder, choice and check state,
// found by field name so that our own widgets, which embed Fyne's, are described as theirs are.
func describe(obj fyne.CanvasObject) Object {
	o := Object{Type: reflect.TypeOf(obj).String()}
	if d, ok := obj.(fyne.Disableable); ok {
		o.Disabled = d.Disabled()
	}
	v := reflect.ValueOf(obj)
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return o
		}
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		fields(v, &o, 0)
	}
	return o
}

func fields(v reflect.Value, o *Object, depth int) {
	t := v.Type()
	for i := range t.NumField() {
		f, fv := t.Field(i), v.Field(i)
		switch {
		case f.Anonymous && depth < 3:
			for fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					break
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				fields(fv, o, depth+1)
			}
		case fv.Kind() == reflect.String:
			switch f.Name {
			case "Text", "Label", "text":
				if o.Text == "" {
					o.Text = fv.String()
				}
			case "PlaceHolder":
				o.PlaceHolder = fv.String()
			case "Selected":
				o.Selected = fv.String()
			}
		case fv.Kind() == reflect.Bool && (f.Name == "Checked" || f.Name == "Selected"):
			b := fv.Bool()
			o.Checked = &b
		case f.Name == "Item" && fv.Kind() == reflect.Pointer && !fv.IsNil() && fv.Type() == reflect.TypeFor[*fyne.MenuItem]():
			o.Text = fv.Interface().(*fyne.MenuItem).Label
		}
	}
}
