package integration_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"talbar/fieldapp/internal/servertest"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/syncproto"
	"talbar/syncproto/merge"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild())
	}
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

// server is the real server binary running on 127.0.0.1 with its own database file
// (fieldapp/internal/servertest).
type server struct {
	*servertest.Server
}

// startServer runs the server on a free loopback port with a database in a temp dir.
func startServer(tb testing.TB) *server {
	tb.Helper()
	return &server{servertest.Start(tb)}
}

func freeAddr(tb testing.TB) string { return servertest.FreeAddr(tb) }

// Code creates an inspector (or officer) and returns its enrollment code.
func (s *server) Code(name, unit, role string) string {
	return s.AddNamedInspector(name, unit, role)
}

// device is one virtual tablet: a local store file and a sync client.
type device struct {
	Name   string
	Path   string
	DB     *localstore.DB
	C      *syncclient.Client
	Now    func() time.Time
	Sleeps []time.Duration
	mu     sync.Mutex
	tb     testing.TB
}

type clockFunc = func() time.Time

// newDevice opens a store and enrolls it with code at url.
func newDevice(tb testing.TB, name, url, code string, now clockFunc) *device {
	tb.Helper()
	if now == nil {
		now = time.Now
	}
	d := &device{Name: name, Path: filepath.Join(tb.TempDir(), name+".db"), Now: now, tb: tb}
	d.open()
	tb.Cleanup(func() { d.DB.Close() })
	if _, err := d.C.Enroll(context.Background(), url, code, name, "test"); err != nil {
		tb.Fatalf("%s enroll: %v", name, err)
	}
	return d
}

// deviceSynchronous is the devices' synchronous pragma: NORMAL keeps the tests quick; the
// benchmarks use the app's default (FULL).
var deviceSynchronous = "NORMAL"

func (d *device) open() {
	d.tb.Helper()
	db, err := localstore.Open(d.Path, localstore.Options{Now: func() time.Time { return d.Now() }, Synchronous: deviceSynchronous,
		Logger: quietLogger()})
	if err != nil {
		d.tb.Fatal(err)
	}
	d.DB = db
	d.C = &syncclient.Client{Store: db, MaxAttempts: 3, Now: func() time.Time { return d.Now() }, Logger: quietLogger(),
		Sleep: func(ctx context.Context, dur time.Duration) error {
			d.mu.Lock()
			d.Sleeps = append(d.Sleeps, dur)
			d.mu.Unlock()
			return ctx.Err()
		}}
}

// reopen closes and opens the store file again, as an app restart does.
func (d *device) reopen() {
	d.DB.Close()
	d.open()
}

func (d *device) token() string {
	_, _, tok, err := d.DB.Credentials(context.Background())
	if err != nil || tok == "" {
		d.tb.Fatalf("%s: no token: %v", d.Name, err)
	}
	return tok
}

func (d *device) deviceID() string {
	_, id, _, _ := d.DB.Credentials(context.Background())
	return id
}

func (d *device) save(f localstore.Draft) string {
	d.tb.Helper()
	id, probs, err := d.DB.Save(context.Background(), f)
	if err != nil || len(probs) > 0 {
		d.tb.Fatalf("%s save: %v %v", d.Name, err, probs)
	}
	return id
}

func (d *device) sync() syncclient.Result {
	d.tb.Helper()
	res, err := d.C.Sync(context.Background())
	if err != nil {
		d.tb.Fatalf("%s sync: %v", d.Name, err)
	}
	return res
}

func (d *device) counts() (int, int) {
	p, r, err := d.DB.Counts(context.Background())
	if err != nil {
		d.tb.Fatal(err)
	}
	return p, r
}

// records returns every record the device holds, as deterministic JSON by id.
func (d *device) records() map[string]string {
	d.tb.Helper()
	recs, _, err := d.DB.FindRecords(context.Background(), localstore.Filter{IncludeDeleted: true})
	if err != nil {
		d.tb.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs {
		out[r.ID] = string(r.Merged.Marshal())
	}
	return out
}

// ledger is the test's own account of every change the devices saved, merged independently of
// any store: "a count made directly from what the devices saved".
type ledger struct {
	mu      sync.Mutex
	seen    map[string]bool
	records map[string]*merge.Record
}

func newLedger() *ledger {
	return &ledger{seen: map[string]bool{}, records: map[string]*merge.Record{}}
}

// capture records the changes now in d's outbox (call before each sync).
func (l *ledger) capture(tb testing.TB, d *device) {
	tb.Helper()
	chs, err := d.DB.Changes(context.Background(), "")
	if err != nil {
		tb.Fatal(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range chs {
		if l.seen[c.ID] {
			continue
		}
		l.seen[c.ID] = true
		r := l.records[c.RecordID]
		if r == nil {
			r = &merge.Record{}
			l.records[c.RecordID] = r
		}
		merge.Apply(r, syncproto.Change{ID: c.ID, Entity: c.Entity, RecordID: c.RecordID, Op: c.Op, HLC: c.HLC, Fields: c.Fields}, d.deviceID())
	}
}

// totals adds up the ledger's merged records dated in year.
func (l *ledger) totals(year int, inUnit func(string) bool) tally.Vector {
	v := tally.New()
	for _, r := range l.records {
		k, rv, ok := tally.Of(r.Entity, r.Values())
		if ok && k.Year == year && (inUnit == nil || inUnit(k.Unit)) {
			v.Add(rv)
		}
	}
	return v
}

// vectorOf turns the JSON totals back into a vector for one-line comparison.
func vectorOf(t tally.Totals) tally.Vector {
	v := tally.New()
	set := func(name string, x int64) { v[tally.Index[name]] = x }
	set("events", t.Events["total"])
	for _, k := range record.EventKinds {
		set("events."+k.Code, t.Events[k.Code])
	}
	set("reached", t.Reached["total"])
	for _, g := range record.TargetGroups {
		set("reached."+g.Code, t.Reached[g.Code])
	}
	for _, g := range record.Materials {
		set("materials."+g.Code, t.Materials[g.Code])
	}
	set("consultations", t.Consultations)
	set("contracts_signed", t.ContractsSigned)
	set("contributions_mnt", t.ContributionsMNT)
	set("surveys", t.Surveys.Responses)
	set("info_yes", t.Surveys.InfoYes)
	set("info_partly", t.Surveys.InfoPartly)
	set("info_no", t.Surveys.InfoNo)
	set("satisfied", t.Surveys.Satisfied)
	for prefix, m := range map[string]map[string]int64{"reached_sex": t.ReachedSex, "reached_age": t.ReachedAge,
		"messages": t.Messages, "messages_purpose": t.MessagesPurpose, "topics": t.Topics, "channels": t.Channels} {
		for code, x := range m {
			if code != "total" {
				set(prefix+"."+code, x)
			}
		}
	}
	set("messages_sent", t.Messages["total"])
	set("broadcasts", t.Broadcasts)
	set("broadcast_minutes", t.BroadcastMinutes)
	set("entries", t.Entries)
	return v
}

// proxy is a fault-injecting reverse proxy on 127.0.0.1 in front of the server. Fault decides,
// per request, whether to answer with an injected status, forward and then drop the connection
// after the server answered, or forward normally.
type proxy struct {
	target string
	srv    *httptest.Server
	tr     *http.Transport

	mu    sync.Mutex
	fault func(r *http.Request, changes int) fault
	// Rewrite, when set, replaces a request's body (and may change its headers) before it is
	// forwarded.
	Rewrite func(r *http.Request, body []byte) []byte

	Requests  atomic.Int64
	BodyBytes atomic.Int64 // request bodies as sent on the wire (gzip)
	RespBytes atomic.Int64 // answer bodies as sent on the wire (gzip when asked)
	Batches   []int        // changes per push that reached the proxy
	URIs      []string     // every request's path and query, in order
	// PushesAtOnce is the most push requests the proxy held at the same time.
	PushesAtOnce atomic.Int64
	pushesNow    atomic.Int64
}

// uris returns the requests seen since the n-th.
func (p *proxy) uris(from int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.URIs[min(from, len(p.URIs)):]...)
}

type fault struct {
	Status     int
	RetryAfter string
	DropAfter  bool // forward, let the server commit, then cut the connection before answering
	// DropBefore cuts the connection without forwarding: the server never sees the request.
	DropBefore bool
	Delay      time.Duration // wait this long before forwarding
}

func newProxy(tb testing.TB, target string) *proxy {
	p := &proxy{target: target, tr: &http.Transport{DisableCompression: true}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	tb.Cleanup(p.srv.Close)
	return p
}

func (p *proxy) URL() string { return p.srv.URL }

func (p *proxy) setFault(f func(r *http.Request, changes int) fault) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) {
	p.Requests.Add(1)
	p.mu.Lock()
	p.URIs = append(p.URIs, r.URL.RequestURI())
	p.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	p.BodyBytes.Add(int64(len(body)))
	n := 0
	if strings.HasSuffix(r.URL.Path, "/push") {
		if b, err := syncproto.ReadBody(bytes.NewReader(body), r.Header.Get("Content-Encoding"), syncproto.MaxBodyBytes*4); err == nil {
			if req, err := syncproto.DecodePushAs(r.Header.Get("Content-Type"), b, 1<<30); err == nil {
				n = len(req.Changes)
			}
		}
		p.mu.Lock()
		p.Batches = append(p.Batches, n)
		p.mu.Unlock()
		now := p.pushesNow.Add(1)
		defer p.pushesNow.Add(-1)
		for m := p.PushesAtOnce.Load(); now > m && !p.PushesAtOnce.CompareAndSwap(m, now); m = p.PushesAtOnce.Load() {
		}
	}
	p.mu.Lock()
	ff := p.fault
	p.mu.Unlock()
	var f fault
	if ff != nil {
		f = ff(r, n)
	}
	if f.Status != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		json.NewEncoder(w).Encode(syncproto.ErrorBody{Error: syncproto.ErrorDetail{Code: "injected", Message: "injected by the test proxy"}})
		return
	}
	if f.Delay > 0 {
		time.Sleep(f.Delay)
	}
	if f.DropBefore {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	p.mu.Lock()
	rw := p.Rewrite
	p.mu.Unlock()
	if rw != nil {
		body = rw(r, body)
	}
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	req.Header = r.Header.Clone()
	resp, err := p.tr.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	p.RespBytes.Add(int64(len(rb)))
	if f.DropAfter {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(rb)
}

// once returns a fault function that applies f to the first n matching requests.
func once(path string, n int, f fault) func(*http.Request, int) fault {
	var left atomic.Int64
	left.Store(int64(n))
	return func(r *http.Request, _ int) fault {
		if strings.HasSuffix(r.URL.Path, path) && left.Add(-1) >= 0 {
			return f
		}
		return fault{}
	}
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
