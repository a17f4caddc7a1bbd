// Package slowlink is a loopback TCP proxy that behaves like a bad mobile link, for the field
// app's tests: a bandwidth limit each way, a one-way delay, connections cut every few seconds,
// connections that freeze (a NAT that dropped them) and connections black-holed by their first
// bytes. The real client and the real server talk through it.
package slowlink

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options shape the link.
type Options struct {
	Rate  int           // bytes per second each way; 0 is unlimited
	Delay time.Duration // one-way delay of every byte
	// CutEvery closes every open connection this often (0: never).
	CutEvery time.Duration
	// FreezeAfter freezes a connection for good once it carried this many bytes from the
	// client (0: never); FreezeConns is how many connections it does that to (0: all).
	FreezeAfter int64
	FreezeConns int64
	// Hole black-holes a connection whose first bytes from the client it matches: they are read
	// and dropped, nothing is answered.
	Hole func(first []byte) bool
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
}

// Start runs a proxy to target (host:port) on a free loopback port until the test ends.
func Start(tb testing.TB, target string, opt Options) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
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
	due time.Time
}

// pipe copies src to dst at the link's rate and delay. Its queue holds about one
// bandwidth-delay product, so a sender is held back as by a real link.
func (p *Proxy) pipe(dst, src net.Conn, count *atomic.Int64, frozen *atomic.Bool, seen int64, up bool) {
	size := 1 << 10
	depth := 4
	if p.opt.Rate > 0 {
		depth += int(float64(p.opt.Rate)*p.opt.Delay.Seconds()) / size
	} else {
		size, depth = 32<<10, 16
	}
	q := make(chan chunk, depth)
	go func() {
		defer close(q)
		buf := make([]byte, size)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if up && p.opt.FreezeAfter > 0 && !frozen.Load() && seen+int64(n) >= p.opt.FreezeAfter &&
					(p.opt.FreezeConns == 0 || p.Frozen.Load() < p.opt.FreezeConns) {
					frozen.Store(true)
					p.Frozen.Add(1)
				}
				seen += int64(n)
				q <- chunk{b: append([]byte(nil), buf[:n]...), due: time.Now().Add(p.opt.Delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	next := time.Now()
	for c := range q {
		if frozen.Load() {
			continue // swallowed: the connection stays open and silent
		}
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		if p.opt.Rate > 0 {
			if now := time.Now(); next.Before(now) {
				next = now
			}
			next = next.Add(time.Duration(float64(len(c.b)) / float64(p.opt.Rate) * float64(time.Second)))
			time.Sleep(time.Until(next))
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
