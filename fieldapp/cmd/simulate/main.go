// Command simulate drives N virtual field devices through the real local store and sync client
// against a running server: realistic events and surveys on the programme's calendar, offline
// periods and random sync times. It makes demo data for the dashboard and load for benchmarks.
//
//	go run ./fieldapp/cmd/simulate --server http://127.0.0.1:8080 --db data/talbar.db --devices 20 --days 365
//	go run ./fieldapp/cmd/simulate --server URL --codes codes.txt --days 90
//
// Run with --help for every flag.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"talbar/assets"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
	"talbar/shared/unit"
)

const usage = `simulate: drive virtual field devices through the field app's store and sync client.

Enrollment codes come from one of:
  --db PATH       the server's SQLite file: for each device the simulator runs
                  "<server-cmd> inspector add --db PATH --name … --unit …" and reads the code from
                  the last line of its output (the server may keep running: SQLite allows it);
  --codes FILE    one enrollment code per line, used in order (one per device); each code's
                  inspector decides the device's unit.
Without --db, --codes must name at least --devices codes.

Each simulated day every device plans events with the programme's calendar (herder meetings in
December-January and May-June, market days mid-month each quarter, open days on weekdays), saves
them with their surveys, sometimes corrects an older record, and syncs with probability
1 - offline at a random point of its day; offline devices keep everything in their outbox.
Record dates follow the simulated calendar; device clocks are the real clock.

Flags:
`

type config struct {
	server    string
	db        string
	codes     string
	serverCmd string
	devices   int
	days      int
	start     string
	aimag     string
	offline   float64
	seed      uint64
	data      string
	parallel  int
	verbose   bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "simulate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	fs.StringVar(&c.server, "server", "http://127.0.0.1:8080", "server base URL")
	fs.StringVar(&c.db, "db", "", "server database file, to create inspectors and their codes")
	fs.StringVar(&c.codes, "codes", "", "file of enrollment codes, one per line")
	fs.StringVar(&c.serverCmd, "server-cmd", "go run ./server", "command that runs the server binary (for --db)")
	fs.IntVar(&c.devices, "devices", 5, "number of virtual devices")
	fs.IntVar(&c.days, "days", 30, "number of simulated days")
	fs.StringVar(&c.start, "start", time.Now().AddDate(0, 0, -30).Format("2006-01-02"), "first simulated day (record dates)")
	fs.StringVar(&c.aimag, "aimag", "", "put every device in this aimag's soums (default: soums across the country)")
	fs.Float64Var(&c.offline, "offline", 0.4, "probability that a device does not sync on a given day")
	fs.Uint64Var(&c.seed, "seed", uint64(time.Now().UnixNano()), "random seed")
	fs.StringVar(&c.data, "data", "", "directory for the devices' store files (default: a temp dir, removed after)")
	fs.IntVar(&c.parallel, "parallel", 4, "devices syncing at once")
	fs.BoolVar(&c.verbose, "v", false, "log every sync")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.db == "" && c.codes == "" {
		fs.Usage()
		return errors.New("need --db or --codes")
	}
	start, err := time.Parse("2006-01-02", c.start)
	if err != nil {
		return fmt.Errorf("--start: %w", err)
	}
	level := slog.LevelWarn
	if c.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if c.data == "" {
		if c.data, err = os.MkdirTemp("", "talbar-simulate-"); err != nil {
			return err
		}
		defer os.RemoveAll(c.data)
	}
	rng := rand.New(rand.NewPCG(c.seed, 1))
	fmt.Fprintf(stdout, "seed %d, %d devices, %d days from %s, stores in %s\n", c.seed, c.devices, c.days, c.start, c.data)

	devs, err := enroll(ctx, c, rng, log, stdout)
	if err != nil {
		return err
	}
	defer func() {
		for _, d := range devs {
			d.db.Close()
		}
	}()
	saved, syncs, failed := 0, 0, 0
	for day := 0; day < c.days; day++ {
		date := start.AddDate(0, 0, day)
		var online []*vdevice
		for _, d := range devs {
			saved += d.work(ctx, date)
			if d.rng.Float64() >= c.offline {
				online = append(online, d)
			}
		}
		// Online devices sync at random points of the day: in a shuffled order, a few at once.
		rng.Shuffle(len(online), func(i, j int) { online[i], online[j] = online[j], online[i] })
		s, f := syncAll(ctx, online, c.parallel, log)
		syncs, failed = syncs+s, failed+f
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if (day+1)%30 == 0 || day == c.days-1 {
			fmt.Fprintf(stdout, "%s: %d changes saved, %d syncs (%d failed)\n", date.Format("2006-01-02"), saved, syncs, failed)
		}
	}
	s, f := syncAll(ctx, devs, c.parallel, log) // everyone comes back online at the end
	syncs, failed = syncs+s, failed+f
	pending := 0
	for _, d := range devs {
		p, r, _ := d.db.Counts(ctx)
		pending += p + r
	}
	fmt.Fprintf(stdout, "done: %d changes saved, %d syncs (%d failed), %d changes still in outboxes\n", saved, syncs, failed, pending)
	return nil
}

type vdevice struct {
	name string
	unit string
	db   *localstore.DB
	c    *syncclient.Client
	rng  *rand.Rand
	ids  []string
}

func enroll(ctx context.Context, c config, rng *rand.Rand, log *slog.Logger, stdout io.Writer) ([]*vdevice, error) {
	var codes []string
	if c.codes != "" {
		b, err := os.ReadFile(c.codes)
		if err != nil {
			return nil, fmt.Errorf("read codes: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); s != "" {
				codes = append(codes, s)
			}
		}
		if len(codes) < c.devices {
			return nil, fmt.Errorf("%s has %d codes for %d devices", c.codes, len(codes), c.devices)
		}
	}
	tree, err := unit.Parse(bytes.NewReader(assets.UnitsCSV()))
	if err != nil {
		return nil, err
	}
	root := unit.Nation
	if c.aimag != "" {
		root = unit.Code(c.aimag)
	}
	leaves := tree.Leaves(root)
	if len(leaves) == 0 {
		return nil, fmt.Errorf("no soums under %s", root)
	}
	var devs []*vdevice
	for i := 0; i < c.devices; i++ {
		d := &vdevice{name: fmt.Sprintf("sim-%03d", i+1), unit: string(leaves[rng.IntN(len(leaves))]),
			rng: rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))}
		code := ""
		if codes != nil {
			code = codes[i]
		} else {
			if code, err = addInspector(ctx, c, d.name, d.unit); err != nil {
				return nil, err
			}
		}
		if d.db, err = localstore.Open(filepath.Join(c.data, d.name+".db"), localstore.Options{Logger: log}); err != nil {
			return nil, err
		}
		d.c = &syncclient.Client{Store: d.db, Logger: log, MaxAttempts: 3}
		resp, err := d.c.Enroll(ctx, c.server, code, d.name, "simulate")
		if err != nil {
			return nil, fmt.Errorf("%s: enroll: %w", d.name, err)
		}
		d.unit = resp.Inspector.UnitCode
		if !tree.IsLeaf(d.unit) { // an officer: records go to soums of the division
			ls := tree.Leaves(unit.Code(d.unit))
			if len(ls) == 0 {
				return nil, fmt.Errorf("%s: unit %s has no soums", d.name, d.unit)
			}
			d.unit = string(ls[d.rng.IntN(len(ls))])
		}
		devs = append(devs, d)
	}
	fmt.Fprintf(stdout, "enrolled %d devices\n", len(devs))
	return devs, nil
}

// addInspector runs the server's "inspector add" and returns the code on its last output line.
func addInspector(ctx context.Context, c config, name, unitCode string) (string, error) {
	argv := append(strings.Fields(c.serverCmd), "inspector", "add", "--db", c.db, "--name", name, "--unit", unitCode)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("inspector add: %w: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}

// work saves one day's records and returns how many changes it saved.
func (d *vdevice) work(ctx context.Context, date time.Time) int {
	n := 0
	save := func(dr localstore.Draft) string {
		id, probs, err := d.db.Save(ctx, dr)
		if err != nil || len(probs) > 0 {
			slog.Warn("save failed", "device", d.name, "err", err, "problems", probs)
			return ""
		}
		n++
		return id
	}
	for _, p := range sim.Day(d.rng, date) {
		id := save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(d.rng, p.Kind, d.unit, date)})
		if id == "" {
			continue
		}
		d.ids = append(d.ids, id)
		for i := 0; i < p.Surveys; i++ {
			save(localstore.Draft{Entity: record.EntitySurvey, Fields: sim.Survey(d.rng, p.Kind, d.unit, date, id)})
		}
	}
	if len(d.ids) > 0 && d.rng.Float64() < 0.05 { // a correction of an older event
		save(localstore.Draft{ID: d.ids[d.rng.IntN(len(d.ids))], Fields: sim.Edit(d.rng, record.EntityEvent)})
	}
	return n
}

func syncAll(ctx context.Context, devs []*vdevice, parallel int, log *slog.Logger) (syncs, failed int) {
	if parallel < 1 {
		parallel = 1
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for _, d := range devs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			_, err := d.c.Sync(ctx)
			mu.Lock()
			defer mu.Unlock()
			syncs++
			if err != nil {
				failed++
				log.Warn("sync failed", "device", d.name, "err", err)
			}
		}()
	}
	wg.Wait()
	return syncs, failed
}
