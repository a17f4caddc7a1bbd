package syncclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"

	"talbar/syncproto"
)

// DefaultTransport is the transport of a Client without HTTP: keep-alive connections to the
// server, no total timeout (a slow link is watched for progress instead, see StallTimeout).
// Answers are asked for as gzip and inflated by the client itself, so what it measures of the
// link is the bytes on the wire.
func DefaultTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   30 * time.Second,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
	}
}

// Defaults of the link's adaptation.
const (
	defaultStall       = 30 * time.Second
	defaultRequestTime = 20 * time.Second
	// firstBudget is the size of a request before the link was measured: a few seconds at
	// 2G speeds, one round trip on a good link.
	firstBudget = 64 << 10
	// minBudget keeps a request worth its round trip even on the worst link.
	minBudget = 2 << 10
	// firstBytesPerChange guesses a pulled change's wire size before one was seen.
	firstBytesPerChange = 150
)

// errStalled is the cause of a request abandoned because nothing moved for StallTimeout.
var errStalled = errors.New("no bytes moved on the link")

// link is what the client learned of its link to the server. It outlives one sync, so a device on
// a slow link starts the next sync with requests that fit it.
type link struct {
	mu   sync.Mutex
	rate float64 // bytes per second, smoothed; 0 until measured
	// cap bounds the next request after one that failed midway: half of what moved before it
	// failed, so a link that is cut every few seconds still carries every request whole. It is
	// relaxed again by each success.
	cap        int
	pushPer    float64 // compressed push bytes per change, smoothed
	pullPer    float64 // compressed pull answer bytes per change, smoothed
	successes  int
	failures   int
	lastFailed time.Time
	// sampled says rate comes from a finished request. A rate read off a failed request counts
	// the bytes that went into the sockets' buffers, not over the link, and overstates it
	// (a 4 KB/s link cut every 5 s read as 13 KB/s).
	sampled bool
	// streak counts the failures since the last success.
	streak int
}

// budget is how many wire bytes one request may carry to finish in about target at the observed
// rate.
func (l *link) budget(target time.Duration) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := firstBudget
	if l.rate > 0 {
		b = int(l.rate * target.Seconds())
	}
	if l.cap > 0 && b > l.cap {
		b = l.cap
	}
	return max(b, minBudget)
}

// succeeded records one finished request: n wire bytes moved in d. Only a request large or long
// enough to tell the rate from the round trip's latency (sample) updates the rate; every success
// relaxes the bound a failure set.
func (l *link) succeeded(n int64, d time.Duration, sample bool) {
	if d <= 0 {
		d = time.Millisecond
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if sample {
		if r := float64(n) / d.Seconds(); l.rate == 0 || !l.sampled {
			l.rate = r
		} else {
			l.rate = (l.rate + r) / 2
		}
		l.sampled = true
	}
	l.streak = 0
	if l.cap > 0 {
		// Slowly: a link that was cut may be cut again.
		l.cap += l.cap / 2
		if l.rate > 0 && float64(l.cap) > l.rate*defaultRequestTime.Seconds()*4 {
			l.cap = 0
		}
	}
	l.successes++
}

// failed records a request of size bytes that failed after moving moved bytes in d. stalled
// says nothing moved for the stall timeout before it (a freeze), otherwise the link was cut.
//
// The next request gets at most half of what moved, but, up to the failed request's size, never
// less than a quarter of what the link carries between two cuts (the time since the last failure
// at the rate): a request that small finishes between two cuts, and one cut a moment
// after it began says nothing of the size that fits, and on a link cut every few seconds
// halving on it shrank requests to one change each, their round trips taking the link's time.
func (l *link) failed(size int, moved int64, d time.Duration, stalled bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if moved > 0 && d > time.Second && l.rate == 0 {
		// Before any request finished, what moved before the failure is the only sample of the
		// link's rate. Once measured, a failure does not lower it: a request cut a moment after
		// it began moved little for the reconnect and the round trip it waited, and taking that
		// for the rate (as before) shrank a 4 KB/s link cut every 5 s to ~500 B/s, its requests
		// to one change each.
		l.rate = float64(moved) / d.Seconds()
	}
	c := size / 2
	if m := int(moved / 2); moved > 0 && m < c {
		c = m
	}
	// Only where the request's size was not exceeded by what moved: a pull page's size is an
	// estimate from earlier pages (or a guess before any), and a page that moved more than its
	// estimate before the cut is larger than thought, so it is halved as before.
	//
	// Only with a rate a finished request measured, and not after several failures in a row: a
	// floor from an overstated rate kept every request too large to finish between two cuts,
	// for ever; halving always comes down to a request that fits.
	if !stalled && l.sampled && l.streak < maxFloorStreak && l.rate > 0 && moved <= int64(size)+2<<10 {
		up := d
		if !l.lastFailed.IsZero() {
			up = now.Sub(l.lastFailed)
		}
		// A quarter of it: the reconnect and the request's own round trip take the link's time
		// too, and a request begun midway between two cuts has half the time left.
		if fit := int(l.rate * up.Seconds() / 4); fit > c {
			c = min(fit, size)
		}
	}
	if l.cap == 0 || c < l.cap {
		l.cap = max(c, minBudget)
	}
	l.failures++
	l.streak++
	l.lastFailed = now
}

// maxFloorStreak is how many failures in a row may keep the floor of a quarter of the link's
// up time; after that every failure halves.
const maxFloorStreak = 3

func smooth(est *float64, v float64) {
	if *est == 0 {
		*est = v
	} else {
		*est = (*est + v) / 2
	}
}

// notePush records the size of a push body of changes.
func (l *link) notePush(bytes, changes int) {
	if changes > 0 {
		l.mu.Lock()
		smooth(&l.pushPer, float64(bytes)/float64(changes))
		l.mu.Unlock()
	}
}

// notePull records the wire size of a pull answer of changes.
func (l *link) notePull(bytes, changes int) {
	if changes > 0 {
		l.mu.Lock()
		smooth(&l.pullPer, float64(bytes)/float64(changes))
		l.mu.Unlock()
	}
}

func (l *link) pushPerChange() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pushPer
}

func (l *link) pullPerChange() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pullPer
}

// estimate adds the measured rate and the time the rest of the push takes to p.
func (l *link) estimate(p Progress) Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	p.BytesPerSecond = l.rate
	if left := p.ToPush - p.Pushed; p.Phase == PhasePush && l.rate > 0 && l.pushPer > 0 && left > 0 {
		p.Left = time.Duration(float64(left) * l.pushPer / l.rate * float64(time.Second))
	}
	return p
}

// changesFor returns how many changes of about per bytes fit in budget, within [1, most].
func changesFor(budget int, per float64, most int) int {
	if per <= 0 {
		per = firstBytesPerChange
	}
	n := int(float64(budget) / per)
	return min(max(n, 1), most)
}

// LinkRate is the link's rate the client measured, in bytes per second (0 before any request).
func (c *Client) LinkRate() float64 {
	c.link.mu.Lock()
	defer c.link.mu.Unlock()
	return c.link.rate
}

func (c *Client) stallTimeout() time.Duration {
	if c.StallTimeout > 0 {
		return c.StallTimeout
	}
	return defaultStall
}

func (c *Client) requestTime() time.Duration {
	if c.RequestTime > 0 {
		return c.RequestTime
	}
	return defaultRequestTime
}

// watch is one request's progress: every byte written or read moves it on, and a watchdog
// cancels the request when nothing moved for the stall timeout. It also counts the wire bytes.
type watch struct {
	last   atomic.Int64 // unix nanoseconds of the last progress
	moved  atomic.Int64
	cancel context.CancelCauseFunc
	done   chan struct{}
}

type watchKey struct{}

// watchOf returns the watch of a request's context, nil if it has none.
func watchOf(ctx context.Context) *watch {
	w, _ := ctx.Value(watchKey{}).(*watch)
	return w
}

// reader returns r counted as progress of w (r itself when w is nil).
func (w *watch) reader(r io.Reader) io.Reader {
	if w == nil {
		return r
	}
	return &watchedReader{r: r, w: w}
}

// watchRequest derives the request's context from ctx and starts its watchdog; stop ends it.
func watchRequest(ctx context.Context, stall time.Duration) (context.Context, *watch) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watch{cancel: cancel, done: make(chan struct{})}
	w.tick()
	trace := &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { w.tick() },
		WroteHeaders:         func() { w.tick() },
		WroteRequest:         func(httptrace.WroteRequestInfo) { w.tick() },
		GotFirstResponseByte: func() { w.tick() },
	}
	ctx = httptrace.WithClientTrace(context.WithValue(ctx, watchKey{}, w), trace)
	go func() {
		every := max(stall/8, 10*time.Millisecond)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-w.done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if time.Since(time.Unix(0, w.last.Load())) > stall {
					cancel(errStalled)
					return
				}
			}
		}
	}()
	return ctx, w
}

func (w *watch) tick() { w.last.Store(time.Now().UnixNano()) }

func (w *watch) add(n int) {
	if n > 0 {
		w.moved.Add(int64(n))
		w.tick()
	}
}

func (w *watch) stop() {
	close(w.done)
	w.cancel(nil)
}

// reader counts what passes through r as progress of w.
type watchedReader struct {
	r io.Reader
	w *watch
}

func (r *watchedReader) Read(p []byte) (int, error) {
	// Small reads, so a slow upload shows progress often.
	if len(p) > 4<<10 {
		p = p[:4<<10]
	}
	n, err := r.r.Read(p)
	r.w.add(n)
	return n, err
}

// exchange sends one request under a stall watchdog and measures it: the wire bytes it moved
// (request body and answer as they came, compressed) and how long it took. A finished exchange
// large or long enough to tell the link's rate from its latency updates the measured rate.
func (c *Client) exchange(ctx context.Context, method, u, token string, payload []byte, out any) (moved int64, took time.Duration, retryAfter time.Duration, err error) {
	stall := c.stallTimeout()
	wctx, w := watchRequest(ctx, stall)
	start := time.Now()
	retryAfter, err = c.once(wctx, method, u, token, payload, out)
	stalled := context.Cause(wctx) == errStalled
	w.stop()
	moved, took = w.moved.Load(), time.Since(start)
	var se *Error
	switch {
	case err == nil:
		c.link.succeeded(moved, took, moved >= 8<<10 || took >= 2*time.Second)
	case stalled && ctx.Err() == nil:
		if !errors.As(err, &se) {
			se = &Error{Code: CodeUnreachable, Err: err}
		}
		se.Code = CodeUnreachable
		se.Err = fmt.Errorf("%w for %v (%d bytes in %v): %w", errStalled, stall, moved, took.Round(time.Millisecond), se.Err)
		err = se
	}
	return moved, took, retryAfter, err
}

// isLinkErr reports whether err is a failure of the link (no answer, a cut, a stall), after which
// the request is tried again smaller.
func isLinkErr(err error) bool {
	var se *Error
	return errors.As(err, &se) && se.Code == CodeUnreachable
}

// linkFailed notes a request of size bytes that failed on the link after moving moved bytes in
// took, so the next one is smaller, and waits the backoff. It returns nil to try again, or err
// once MaxAttempts requests in a row failed (the outbox stays as it was; what was acknowledged
// stays acknowledged).
func (s *session) linkFailed(ctx context.Context, err error, size int, moved int64, took time.Duration) error {
	c := s.c
	c.link.failed(size, moved, took, errors.Is(err, errStalled))
	s.linkFails++
	s.shaky = true
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	if s.linkFails >= attempts {
		c.logger().Warn("giving up after retries on the link", "attempts", s.linkFails, "err", err)
		return err
	}
	// A request that moved bytes and was cut on the way (not a stall) met a link that works
	// between cuts: the next, smaller one goes after the first step of the backoff. Growing
	// waits are for a server that cannot be reached or a link that froze; on a link cut every
	// few seconds they outgrew the time between cuts, and no request finished for a minute.
	step := s.linkFails
	if moved > 0 && !errors.Is(err, errStalled) {
		step = 1
	}
	d := c.backoff(step, 0)
	c.logger().Info("request failed on the link: trying smaller", "attempt", s.linkFails, "size", size,
		"moved", moved, "next_budget", c.link.budget(c.requestTime()), "wait", d, "err", err)
	if err := c.sleep(ctx, d); err != nil {
		return err
	}
	return nil
}

// fitPush encodes req as gzip JSON, dropping changes from its end until the body is within about
// budget bytes (never below one change), and returns the body.
func fitPush(req *syncproto.PushRequest, budget int) ([]byte, error) {
	b, _, err := fitPushAs(req, budget, false)
	return b, err
}

// fitPushAs is fitPush, in zstd with the dictionary when zstdOK is set (encodePush), and returns
// the body's content type too ("" for gzip JSON).
func fitPushAs(req *syncproto.PushRequest, budget int, zstdOK bool) (payload []byte, ctype string, err error) {
	for {
		payload, ctype, err = encodePush(*req, zstdOK)
		if err != nil {
			return nil, "", err
		}
		n := len(req.Changes)
		if len(payload) <= budget+budget/4 || n <= 1 {
			return payload, ctype, nil
		}
		keep := n * budget / len(payload)
		keep = min(max(keep, 1), n-1)
		req.Changes = req.Changes[:keep]
	}
}

// smallPush is the size below which a push is also tried as plain JSON in zstd: for a few
// changes the dictionary knows plain changes as well as columns, and the columns' names cost
// more than they save.
const smallPush = 64

// encodePush is the body of req and its content type: with zstdOK, dense JSON (or, for a small
// push, plain JSON when smaller) in zstd with the dictionary; otherwise, or when a change does not
// fit the dense encoding, gzip JSON ("").
func encodePush(req syncproto.PushRequest, zstdOK bool) ([]byte, string, error) {
	if zstdOK {
		b, ok, err := syncproto.DensePushBody(req)
		if err != nil {
			return nil, "", fmt.Errorf("encode request: %w", err)
		}
		if ok {
			if len(req.Changes) < smallPush {
				if p, err := syncproto.ZstdJSON(req); err == nil && len(p) < len(b) {
					return p, "application/json", nil
				}
			}
			return b, syncproto.ContentTypeDense, nil
		}
	}
	b, err := syncproto.Gzip(req)
	if err != nil {
		return nil, "", fmt.Errorf("encode request: %w", err)
	}
	return b, "", nil
}

// bodyTypeKey carries a zstd body's content type from the push to once.
type bodyTypeKey struct{}

func withBodyType(ctx context.Context, ctype string) context.Context {
	return context.WithValue(ctx, bodyTypeKey{}, ctype)
}
