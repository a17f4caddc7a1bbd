package realwindow

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// AcceptEnv, set to 1, makes TestScreenshotComparison take the pictures of this run as the
// accepted ones (scripts/screenshots.sh sets it): after a deliberate change of a screen.
const AcceptEnv = "TALBAR_ACCEPT_SCREENSHOTS"

// acceptedDir is docs/screenshots of the repository.
func acceptedDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "screenshots")
}

// TestScreenshotComparison compares every picture of the real-window run with the accepted one in
// docs/screenshots, with a tolerance for what differs from run to run (a clock, a pixel of
// anti-aliasing): a black window, a form that did not draw or a screen laid out anew fails.
func TestScreenshotComparison(t *testing.T) {
	shotMu.Lock()
	dir := shotDir
	shotMu.Unlock()
	if dir == "" {
		// Run alone (-run TestScreenshotComparison): take the pictures first.
		TestRealWindow(t)
		if t.Failed() {
			return
		}
		shotMu.Lock()
		dir = shotDir
		shotMu.Unlock()
	}
	accept := os.Getenv(AcceptEnv) == "1"
	for _, r := range runs {
		for _, screen := range screens {
			name := fmt.Sprintf("fieldapp-%s-%s-%s.png", screen, r.lang, r.device)
			t.Run(name, func(t *testing.T) {
				got, err := readPNG(filepath.Join(dir, name))
				if err != nil {
					t.Fatalf("this run's picture: %v", err)
				}
				path := filepath.Join(acceptedDir(), name)
				if accept {
					if err := copyFile(filepath.Join(dir, name), path); err != nil {
						t.Fatal(err)
					}
					t.Logf("accepted %s", path)
					return
				}
				want, err := readPNG(path)
				if err != nil {
					t.Fatalf("no accepted picture (take them with scripts/screenshots.sh): %v", err)
				}
				d := compare(got, want)
				t.Logf("%s: %v", name, d)
				if d.failed() {
					t.Errorf("%s differs from the accepted picture: %v (look at the picture of this run, then re-accept with scripts/screenshots.sh if the change is meant)", name, d)
				}
			})
		}
	}
}

// TestCompareCatchesBlackAndMissingForm proves the tolerance is not blind: a black window and
// another screen in place of a form differ, the same picture does not.
func TestCompareCatchesBlackAndMissingForm(t *testing.T) {
	event, err := readPNG(filepath.Join(acceptedDir(), "fieldapp-event-mn-laptop.png"))
	if err != nil {
		t.Fatal(err)
	}
	home, err := readPNG(filepath.Join(acceptedDir(), "fieldapp-home-mn-laptop.png"))
	if err != nil {
		t.Fatal(err)
	}
	black := image.NewGray(event.Bounds())
	if d := compare(event, event); d.failed() {
		t.Errorf("a picture differs from itself: %v", d)
	}
	if d := compare(black, event); !d.failed() {
		t.Errorf("a black window passes for the event form: %v", d)
	}
	if d := compare(home, event); !d.failed() {
		t.Errorf("home passes for the event form: %v", d)
	}
	// The form's fields gone, the nav and the title left: the lower two thirds painted over with
	// the background.
	partial := image.NewRGBA(event.Bounds())
	b := event.Bounds()
	bg := event.At(b.Max.X-20, b.Max.Y/2)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := event.At(x, y)
			if y > b.Max.Y/3 {
				c = bg
			}
			partial.Set(x, y, c)
		}
	}
	d := compare(partial, event)
	t.Logf("event form without its fields: %v", d)
	if !d.failed() {
		t.Errorf("an event form without its fields passes: %v", d)
	}
}

// cellDiff is the outcome of compare.
type cellDiff struct {
	sizeGot, sizeWant image.Point
	cells, differ     int
}

// Tolerance: the pictures are cut into cells of cellSize pixels; a cell differs when its mean
// grey, or the spread of its greys (text or an outline in it), differs by more than greyDelta (of
// 255); the pictures differ when more than maxShare of the cells do, or when their sizes differ.
// The mean alone misses a form gone from a dark screen: its labels are few bright pixels on a dark
// background, and the cells they leave stay dark on average.
const (
	cellSize  = 8
	greyDelta = 16
	maxShare  = 0.02
)

func (d cellDiff) failed() bool {
	return d.sizeGot != d.sizeWant || d.cells == 0 || float64(d.differ) > maxShare*float64(d.cells)
}

func (d cellDiff) String() string {
	if d.sizeGot != d.sizeWant {
		return fmt.Sprintf("size %v, accepted %v", d.sizeGot, d.sizeWant)
	}
	return fmt.Sprintf("%d of %d cells (%.1f%%) differ, at most %.0f%% may", d.differ, d.cells,
		100*float64(d.differ)/float64(max(1, d.cells)), 100*maxShare)
}

func compare(got, want image.Image) cellDiff {
	d := cellDiff{sizeGot: got.Bounds().Size(), sizeWant: want.Bounds().Size()}
	if d.sizeGot != d.sizeWant {
		return d
	}
	g, w := greyCells(got), greyCells(want)
	for i := range g {
		d.cells++
		if math.Abs(g[i].mean-w[i].mean) > greyDelta || math.Abs(g[i].spread-w[i].spread) > greyDelta {
			d.differ++
		}
	}
	return d
}

// cell is a cell's mean grey and the standard deviation of its greys.
type cell struct{ mean, spread float64 }

// greyCells are the cells of a picture, row by row.
func greyCells(img image.Image) []cell {
	b := img.Bounds()
	var out []cell
	for y0 := b.Min.Y; y0 < b.Max.Y; y0 += cellSize {
		for x0 := b.Min.X; x0 < b.Max.X; x0 += cellSize {
			var sum, sq float64
			var n int
			for y := y0; y < min(y0+cellSize, b.Max.Y); y++ {
				for x := x0; x < min(x0+cellSize, b.Max.X); x++ {
					v := float64(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
					sum += v
					sq += v * v
					n++
				}
			}
			mean := sum / float64(n)
			out = append(out, cell{mean, math.Sqrt(max(0, sq/float64(n)-mean*mean))})
		}
	}
	return out
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return img, nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}
