package slowlink

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// echo runs a TCP echo server on loopback until the test ends.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends b through the proxy to the echo server and reads it back, returning how
// long it took.
func roundTrip(t *testing.T, px *Proxy, b []byte) time.Duration {
	t.Helper()
	c, err := net.Dial("tcp", px.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	go func() { c.Write(b) }()
	got := make([]byte, len(b))
	c.SetReadDeadline(time.Now().Add(2 * time.Minute))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read back: %v", err)
	}
	if !bytes.Equal(got, b) {
		t.Fatal("the link changed the bytes")
	}
	return time.Since(start)
}

// TestDelayIsLatencyNotThrottle: a few bytes take one RTT, and 12 KB each way at 4,000 B/s
// take ~3 s plus one RTT: the delay is a pipeline, bytes in flight do not wait for each other.
// A per-write sleep of 400 ms would add ~3.2 s each way for the 9 segments.
func TestDelayIsLatencyNotThrottle(t *testing.T) {
	px := Start(t, echo(t), Options{Rate: 4000, Delay: 400 * time.Millisecond})
	small := roundTrip(t, px, []byte("ping"))
	if small < 800*time.Millisecond || small > 1100*time.Millisecond {
		t.Errorf("4 bytes took %v, want one RTT of 800 ms", small)
	}
	big := roundTrip(t, px, bytes.Repeat([]byte("x"), 12000))
	t.Logf("4 B: %v; 12,000 B there and back: %v", small, big)
	// Up and down overlap: the echo answers as the bytes come, so ~3 s of transmission, one
	// RTT, and one segment's time behind.
	if big < 3*time.Second || big > 5*time.Second {
		t.Errorf("12,000 B took %v, want 3.8–5 s at 4,000 B/s with 800 ms RTT", big)
	}
}

// TestLossCostsRetransmissionAndKeepsOrder: with 10 % loss each lost segment costs an RTO (at
// least 1 s) and holds the segments behind it; the stream arrives whole and in order.
func TestLossCostsRetransmissionAndKeepsOrder(t *testing.T) {
	px := Start(t, echo(t), Options{Delay: 20 * time.Millisecond, Loss: 0.1, Seed: 7})
	b := make([]byte, 60*MSS)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	took := roundTrip(t, px, b)
	lost := px.Lost.Load()
	t.Logf("%d segments, %d lost, %v", px.Segments.Load(), lost, took)
	if lost < 3 || lost > 30 {
		t.Errorf("%d of %d segments lost at 10 %%", lost, px.Segments.Load())
	}
	if took < time.Second {
		t.Errorf("took %v with %d losses: an RTO is at least 1 s", took, lost)
	}
	if got := RTO(400 * time.Millisecond); got != 1600*time.Millisecond {
		t.Errorf("RTO at 800 ms RTT = %v, want 1.6 s", got)
	}
}
