// Package slowlink is a loopback TCP proxy that behaves like a bad mobile link, for the field
// app's tests: a bandwidth limit each way, a round trip's latency, segment loss as TCP lives it,
// connections cut every few seconds, connections that freeze (a NAT that dropped them) and
// connections black-holed by their first bytes. The real client and the real server talk
// through it.
//
// The model of one direction, applied to the byte stream the proxy reads from one side and
// writes to the other (the machine's kernel has no netem, and TCP over loopback never loses a
// packet, so the proxy plays the link):
//
//   - The stream is cut into segments of at most 1,460 bytes (one Ethernet MSS).
//   - Rate: segments leave a bottleneck one after the other, each taking len/Rate seconds, so
//     the direction carries Rate bytes per second however the sender writes.
//   - Delay: a segment arrives Delay after it left the bottleneck. This is a pipeline delay,
//     not a pause of the sender: many segments are in flight at once and throughput stays at
//     Rate. An RTT of 800 ms is Delay 400 ms each way.
//   - Loss: each segment (and each retransmission of it) is lost with probability Loss. A lost
//     segment costs a retransmission timeout, RTO = max(1 s, RTT + 4·RTTVAR) with RTTVAR taken
//     as RTT/4 (a steady link), doubled on each consecutive loss of the same segment, as TCP
//     backs off (RFC 6298); a 2G link's window of ~2 segments rarely gets fast retransmit. The
//     retransmission takes the bottleneck again. Segments behind a lost one go on leaving the
//     bottleneck but are delivered only after it (head-of-line blocking: TCP hands bytes over
//     in order); once the queue below is full of them, the sender waits too (a full window).
//   - Buffer: what the bottleneck queues plus what is in flight is bounded by about one
//     bandwidth-delay product plus Buffer bytes; beyond it the proxy stops reading, so the
//     sender's socket fills and its writes wait, as on a real link with a small queue.
//
// Not modelled: slow start and congestion window after a loss (the rate returns at once), and
// the ACK clock (a window of bytes in flight limited by the receiver). TwoG is the issue 13 link.
package slowlink

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options shape the link.
type Options struct {
	Rate  int           // bytes per second each way; 0 is unlimited
	Delay time.Duration // one-way latency of every segment in flight (half the RTT)
	// Loss is the probability that a segment is lost and retransmitted after the RTO (see the
	// package doc); 0 loses nothing.
	Loss float64
	// Seed makes the losses of a run repeatable (each connection and direction draws from its
	// own stream); 0 seeds from the clock.
	Seed uint64
	// Buffer is how many bytes the bottleneck queues beyond the bandwidth-delay product; 4 KB
	// when zero.
	Buffer int
	// CutEvery closes every open connection this often (0: never).
	CutEvery time.Duration
	// FreezeAfter freezes a connection for good once it carried this many bytes from the
	// client (0: never); FreezeConns is how many connections it does that to (0: all).
	FreezeAfter int64
	FreezeConns int64
	// Hole black-holes a connection whose first bytes from the client it matches: they are read
	// and dropped, nothing is answered.
	Hole func(first []byte) bool
	// Listener, when set, is where the proxy takes its connections instead of a loopback port
	// of its own (KernelShaped's far end of a shaped pair).
	Listener net.Listener
}

// Proxy is a running shaping proxy.
type Proxy struct {
	opt    Options
	target string
	ln     net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  chan struct{}
	wg    sync.WaitGroup

	Up, Down atomic.Int64 // bytes forwarded to the server and to the client
	Cuts     atomic.Int64 // connections cut
	Frozen   atomic.Int64 // connections frozen
	Holed    atomic.Int64 // connections black-holed
	Conns    atomic.Int64 // connections accepted
	Lost     atomic.Int64 // segment losses (each one costs an RTO)
	Segments atomic.Int64 // segments carried, both ways

	seq atomic.Uint64 // numbers the connections' loss streams
}

// TwoG is the 2G link of issue 13: 32 kbit/s up and down (4,000 B/s), 800 ms RTT, 2 % loss.
func TwoG() Options {
	return Options{Rate: 4000, Delay: 400 * time.Millisecond, Loss: 0.02}
}

// MSS is the most bytes of one segment.
const MSS = 1460

// RTO is the retransmission timeout of the link with one-way delay d (see the package doc).
func RTO(d time.Duration) time.Duration {
	rtt := 2 * d
	return max(time.Second, rtt+4*(rtt/4))
}

// Start runs a proxy to target (host:port) on a free loopback port until the test ends.
func Start(tb testing.TB, target string, opt Options) *Proxy {
	tb.Helper()
	ln := opt.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
	}
	p := &Proxy{opt: opt, target: target, ln: ln, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	if opt.CutEvery > 0 {
		p.wg.Add(1)
		go p.cutter()
	}
	tb.Cleanup(p.Close)
	return p
}

// URL is the proxy's http:// address.
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.done)
	p.ln.Close()
	p.closeAll()
	p.wg.Wait()
}

func (p *Proxy) closeAll() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
		n++
	}
	return n
}

func (p *Proxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns[c] = struct{}{}
	p.mu.Unlock()
}

func (p *Proxy) cutter() {
	defer p.wg.Done()
	t := time.NewTicker(p.opt.CutEvery)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
			p.Cuts.Add(int64(p.closeAll() / 2))
		}
	}
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	if tc, ok := client.(*net.TCPConn); ok && p.opt.Rate > 0 {
		// A small window, so the client's writes wait on the link as on a real one.
		tc.SetReadBuffer(8 << 10)
	}
	p.Conns.Add(1)
	p.track(client)
	if p.opt.Hole != nil {
		buf := make([]byte, 64)
		client.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _ := client.Read(buf)
		client.SetReadDeadline(time.Time{})
		if p.opt.Hole(buf[:n]) {
			p.Holed.Add(1)
			drain := make([]byte, 4<<10)
			for {
				if _, err := client.Read(drain); err != nil {
					client.Close()
					return
				}
			}
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			return
		}
		p.track(server)
		if _, err := server.Write(buf[:n]); err != nil {
			client.Close()
			server.Close()
			return
		}
		p.Up.Add(int64(n))
		p.pipes(client, server, int64(n))
		return
	}
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	if tc, ok := server.(*net.TCPConn); ok && p.opt.Rate > 0 {
		tc.SetReadBuffer(8 << 10) // the server's answers wait on the link too
	}
	p.track(server)
	p.pipes(client, server, 0)
}

func (p *Proxy) pipes(client, server net.Conn, sent int64) {
	frozen := &atomic.Bool{}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(server, client, &p.Up, frozen, sent, true) }()
	go func() { defer wg.Done(); p.pipe(client, server, &p.Down, frozen, 0, false) }()
	wg.Wait()
	client.Close()
	server.Close()
}

type chunk struct {
	b   []byte
	due time.Time // when it is handed to the other side
}

// shaped reports whether the proxy plays a link (rate, delay or loss) rather than a plain pipe.
func (p *Proxy) shaped() bool { return p.opt.Rate > 0 || p.opt.Delay > 0 || p.opt.Loss > 0 }

// pipe copies src to dst as one direction of the link (see the package doc): a reader cuts
// the stream into segments and schedules each one's delivery (bottleneck, loss, in-flight
// delay, in order); a writer hands them over at their time. The queue between them holds
// about a bandwidth-delay product plus the buffer, so a sender is held back as by a real link.
func (p *Proxy) pipe(dst, src net.Conn, count *atomic.Int64, frozen *atomic.Bool, seen int64, up bool) {
	size, depth := 32<<10, 16
	if p.shaped() {
		size = MSS
		buf := p.opt.Buffer
		if buf <= 0 {
			buf = 4 << 10
		}
		bdp := 0
		if p.opt.Rate > 0 {
			bdp = int(float64(p.opt.Rate) * p.opt.Delay.Seconds())
		} else {
			buf = 256 << 10 // no bottleneck: only the delay and the losses shape the stream
		}
		depth = 1 + (bdp+buf+size-1)/size
	}
	seed := p.opt.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(seed, p.seq.Add(1)))
	rto := RTO(p.opt.Delay)
	q := make(chan chunk, depth)
	go func() {
		defer close(q)
		buf := make([]byte, size)
		var free, last time.Time // when the bottleneck is free; the last segment's delivery
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if up && p.opt.FreezeAfter > 0 && !frozen.Load() && seen+int64(n) >= p.opt.FreezeAfter &&
					(p.opt.FreezeConns == 0 || p.Frozen.Load() < p.opt.FreezeConns) {
					frozen.Store(true)
					p.Frozen.Add(1)
				}
				seen += int64(n)
				now := time.Now()
				c := chunk{b: append([]byte(nil), buf[:n]...), due: now}
				if p.shaped() {
					tx := time.Duration(0)
					if p.opt.Rate > 0 {
						tx = time.Duration(float64(n) / float64(p.opt.Rate) * float64(time.Second))
					}
					free = later(free, now).Add(tx)
					left := free // the last (successful) transmission leaves the bottleneck
					for wait := rto; p.opt.Loss > 0 && rng.Float64() < p.opt.Loss; wait *= 2 {
						p.Lost.Add(1)
						left = left.Add(wait + tx)
						free = free.Add(tx) // the retransmission takes the bottleneck again
					}
					c.due = later(left.Add(p.opt.Delay), last) // in order, behind any lost one
					last = c.due
					p.Segments.Add(1)
				}
				q <- c
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		if frozen.Load() {
			continue // swallowed: the connection stays open and silent
		}
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		if frozen.Load() {
			continue
		}
		if _, err := dst.Write(c.b); err != nil {
			src.Close()
			for range q {
			}
			return
		}
		count.Add(int64(len(c.b)))
	}
	// src ended: pass the half-close on.
	if tc, ok := dst.(*net.TCPConn); ok {
		tc.CloseWrite()
	} else {
		dst.Close()
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
