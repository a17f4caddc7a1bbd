// Package firstsync measures a device's first sync against a real server: a fresh local store in
// a temporary folder, enrolled with a one-time code, N typical changes saved offline through the
// real store (events and their surveys, as fieldapp/sim makes them), then the real sync client
// run until the outbox is empty. The load tool fieldapp/cmd/firstsync and the benchmarks use it,
// so the figure a rollout team measures is the one the benchmarks report.
package firstsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
)

// Options say what to measure.
type Options struct {
	Server  string // server base URL
	Code    string // enrollment code of the measured device
	Changes int    // changes to save offline before the sync (push); records to seed (pull)
	// Pull measures the first pull of a new device (an officer's) instead of a push. When
	// SeedCode is set, a first device enrolled with it pushes Changes typical changes beforehand
	// (not timed), so the server holds them; otherwise the server is taken as it is.
	Pull     bool
	SeedCode string
	// Dir keeps the device stores there (for inspection); a temporary folder removed afterwards
	// when empty.
	Dir string
	// Synchronous is the device store's pragma; the app's default (FULL) when empty.
	Synchronous string
	Seed        uint64 // random seed of the records; 1 when zero
	Logger      *slog.Logger
	// CPUProfile, when set, receives a CPU profile (pprof) of the sync alone.
	CPUProfile io.Writer
	// Client, when set, adjusts the sync client of the measured device before the sync (batch
	// size, HTTP client), for experiments and benchmarks.
	Client func(*syncclient.Client)
}

// Result is one measurement. Its JSON is the tool's output line.
type Result struct {
	Changes      int     `json:"changes"`                // changes pushed (push) or merged (pull)
	Seconds      float64 `json:"seconds"`                // the sync alone
	RequestBytes int64   `json:"request_bytes"`          // compressed push bodies (push)
	Pushes       int64   `json:"pushes"`                 // push requests
	AnswerBytes  int64   `json:"answer_bytes,omitempty"` // compressed pull answers (pull)
	Pulls        int64   `json:"pulls,omitempty"`        // pull requests (pull)
	Events       int     `json:"-"`                      // events saved, for checks against totals
	Surveys      int     `json:"-"`                      // surveys saved
	Reached      int64   `json:"-"`                      // people reached by the saved events
	Year         int     `json:"-"`                      // year of every saved record
	Unit         string  `json:"-"`                      // unit of the saving device
	Token        string  `json:"-"`                      // the measured device's token
}

// Run enrolls a fresh device, prepares it and measures its sync.
func Run(ctx context.Context, o Options) (Result, error) {
	var res Result
	if o.Changes < 0 {
		return res, errors.New("changes: must not be negative")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "talbar-firstsync-")
		if err != nil {
			return res, fmt.Errorf("temp dir: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if o.Pull {
		if o.SeedCode != "" {
			seed, err := Run(ctx, Options{Server: o.Server, Code: o.SeedCode, Changes: o.Changes,
				Dir: filepath.Join(dir, "seed"), Synchronous: "NORMAL", Seed: o.Seed, Logger: o.Logger})
			if err != nil {
				return res, fmt.Errorf("seed the server: %w", err)
			}
			res.Events, res.Surveys, res.Reached, res.Year, res.Unit = seed.Events, seed.Surveys, seed.Reached, seed.Year, seed.Unit
		}
		return pull(ctx, o, dir, res)
	}
	return push(ctx, o, dir)
}

// device is a fresh store enrolled with code, with a sync client whose requests are counted.
type device struct {
	db    *localstore.DB
	c     *syncclient.Client
	meter *Meter
	unit  string
	token string
}

func enroll(ctx context.Context, o Options, dir, name string) (*device, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("device folder: %w", err)
	}
	db, err := localstore.Open(filepath.Join(dir, name+".db"), localstore.Options{Synchronous: o.Synchronous, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("open device store: %w", err)
	}
	m := &Meter{Base: syncclient.DefaultTransport()}
	c := &syncclient.Client{Store: db, Logger: o.Logger, HTTP: &http.Client{Transport: m}}
	resp, err := c.Enroll(ctx, o.Server, o.Code, name, "firstsync")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("enroll: %w", err)
	}
	if o.Client != nil {
		o.Client(c)
		if c.HTTP == nil || c.HTTP.Transport != m {
			// Keep counting whatever client the caller chose.
			base := http.RoundTripper(syncclient.DefaultTransport())
			if c.HTTP != nil && c.HTTP.Transport != nil {
				base = c.HTTP.Transport
			}
			m.Base = base
			hc := &http.Client{Transport: m}
			if c.HTTP != nil {
				hc.Timeout = c.HTTP.Timeout
			}
			c.HTTP = hc
		}
	}
	return &device{db: db, c: c, meter: m, unit: resp.Inspector.UnitCode, token: resp.Token}, nil
}

func push(ctx context.Context, o Options, dir string) (Result, error) {
	var res Result
	d, err := enroll(ctx, o, dir, "firstsync")
	if err != nil {
		return res, err
	}
	defer d.db.Close()
	res.Unit, res.Token = d.unit, d.token
	if err := fill(ctx, d.db, d.unit, o.Changes, o.Seed, &res); err != nil {
		return res, err
	}
	d.meter.Reset()
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return res, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	for {
		sr, err := d.c.Sync(ctx)
		if err != nil {
			return res, fmt.Errorf("sync: %w", err)
		}
		pending, rejected, err := d.db.Counts(ctx)
		if err != nil {
			return res, fmt.Errorf("count outbox: %w", err)
		}
		res.Changes += sr.Pushed
		if rejected > 0 {
			return res, fmt.Errorf("the server rejected %d changes", rejected)
		}
		if pending == 0 {
			break
		}
	}
	res.Seconds = time.Since(t0).Seconds()
	res.RequestBytes, res.Pushes = d.meter.PushBytes.Load(), d.meter.Pushes.Load()
	return res, nil
}

func pull(ctx context.Context, o Options, dir string, res Result) (Result, error) {
	d, err := enroll(ctx, o, dir, "firstpull")
	if err != nil {
		return res, err
	}
	defer d.db.Close()
	res.Token = d.token
	d.meter.Reset()
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return res, fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	t0 := time.Now()
	sr, err := d.c.Sync(ctx)
	if err != nil {
		return res, fmt.Errorf("sync: %w", err)
	}
	res.Seconds = time.Since(t0).Seconds()
	res.Changes = sr.Pulled
	res.RequestBytes, res.Pushes = d.meter.PushBytes.Load(), d.meter.Pushes.Load()
	res.AnswerBytes, res.Pulls = d.meter.PullBytes.Load(), d.meter.Pulls.Load()
	return res, nil
}

// fill saves n typical changes: herder meetings with up to three surveys each, dated this year
// before today (the server refuses dates after tomorrow).
func fill(ctx context.Context, db *localstore.DB, unit string, n int, seed uint64, res *Result) error {
	rng := rand.New(rand.NewPCG(seed, 13))
	now := time.Now().UTC()
	year := now.Year()
	days := now.YearDay() - 1
	if days < 30 {
		year, days = year-1, 360
	}
	res.Year = year
	save := func(d localstore.Draft) (string, error) {
		id, probs, err := db.Save(ctx, d)
		if err != nil {
			return "", fmt.Errorf("save: %w", err)
		}
		if len(probs) > 0 {
			return "", fmt.Errorf("save: the typical record was refused: %v", probs)
		}
		return id, nil
	}
	for i := 0; i < n; {
		date := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(days))
		f := sim.Event(rng, record.KindHerderMeeting, unit, date)
		id, err := save(localstore.Draft{Entity: record.EntityEvent, Fields: f})
		if err != nil {
			return err
		}
		res.Events++
		if r, ok := f["reached"].(map[string]int); ok {
			for _, v := range r {
				res.Reached += int64(v)
			}
		}
		i++
		for j := rng.IntN(4); j > 0 && i < n; j-- {
			if _, err := save(localstore.Draft{Entity: record.EntitySurvey, Fields: sim.Survey(rng, record.KindHerderMeeting, unit, date, id)}); err != nil {
				return err
			}
			res.Surveys++
			i++
		}
	}
	return nil
}

// Meter counts the requests a client sends through it: push requests and their compressed body
// bytes, pull requests and their answers' bytes as they came over the wire.
type Meter struct {
	Base      http.RoundTripper
	Pushes    atomic.Int64
	PushBytes atomic.Int64
	Pulls     atomic.Int64
	PullBytes atomic.Int64
}

// Reset sets the counts to zero.
func (m *Meter) Reset() {
	m.Pushes.Store(0)
	m.PushBytes.Store(0)
	m.Pulls.Store(0)
	m.PullBytes.Store(0)
}

// RoundTrip counts and forwards one request.
func (m *Meter) RoundTrip(req *http.Request) (*http.Response, error) {
	isPush := strings.HasSuffix(req.URL.Path, "/push")
	isPull := strings.HasSuffix(req.URL.Path, "/pull")
	if isPush {
		m.Pushes.Add(1)
		if req.ContentLength > 0 {
			m.PushBytes.Add(req.ContentLength)
		}
	}
	resp, err := m.Base.RoundTrip(req)
	if err != nil || !isPull {
		return resp, err
	}
	m.Pulls.Add(1)
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &m.PullBytes}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}
