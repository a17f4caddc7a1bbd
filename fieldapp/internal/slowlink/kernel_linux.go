package slowlink

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

var kernelSeq atomic.Int32

// KernelShaped shapes a real link in the kernel: it creates a network namespace joined to this
// one by a veth pair, puts a tc tbf qdisc at kbit kilobits per second with a small queue on both
// ends, and returns a listener on the far end's address. A connection to it crosses the pair
// both ways, so the kernel's own TCP (its windows, its retransmissions of what tbf drops) runs
// over the shaped rate. The kernel here has no netem, so delay and loss still come from a Proxy
// put on the listener (Options.Listener, Rate 0). Everything is removed when the test ends. It
// returns an error, having removed what it made, where the machine does not allow it (not root,
// no ip or tc, namespaces refused).
func KernelShaped(tb testing.TB, kbit int) (net.Listener, error) {
	tb.Helper()
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("kernel shaping: %w", err)
		}
	}
	n := int(kernelSeq.Add(1))
	ns := fmt.Sprintf("slowlink%d-%d", os.Getpid(), n)
	a, b := fmt.Sprintf("sl%da%d", os.Getpid()%100000, n), fmt.Sprintf("sl%db%d", os.Getpid()%100000, n)
	net3 := fmt.Sprintf("10.213.%d", (os.Getpid()+n)%250)
	here, there := net3+".1", net3+".2"
	run := func(args ...string) error {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if err := run("ip", "netns", "add", ns); err != nil {
		return nil, fmt.Errorf("kernel shaping: %w", err)
	}
	tb.Cleanup(func() { run("ip", "netns", "del", ns) }) // takes the pair with it
	rate := fmt.Sprintf("%dkbit", kbit)
	in := func(args ...string) []string { return append([]string{"ip", "netns", "exec", ns}, args...) }
	for _, c := range [][]string{
		{"ip", "link", "add", a, "type", "veth", "peer", "name", b},
		{"ip", "link", "set", b, "netns", ns},
		{"ip", "addr", "add", here + "/30", "dev", a},
		{"ip", "link", "set", a, "up"},
		in("ip", "addr", "add", there+"/30", "dev", b),
		in("ip", "link", "set", b, "up"),
		in("ip", "link", "set", "lo", "up"),
		// burst: one full frame; limit: a queue of about two segments more (a small buffer).
		{"tc", "qdisc", "add", "dev", a, "root", "tbf", "rate", rate, "burst", "1600", "limit", "4500"},
		in("tc", "qdisc", "add", "dev", b, "root", "tbf", "rate", rate, "burst", "1600", "limit", "4500"),
	} {
		if err := run(c...); err != nil {
			run("ip", "link", "del", a)
			return nil, fmt.Errorf("kernel shaping: %w", err)
		}
	}
	// The listening socket is made from a thread moved into the namespace; the thread is never
	// handed back (it ends with its goroutine), the socket stays in the namespace.
	type res struct {
		ln  net.Listener
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			ch <- res{err: err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{err: fmt.Errorf("setns: %w", err)}
			return
		}
		ln, err := net.Listen("tcp", there+":0")
		ch <- res{ln, err}
	}()
	r := <-ch
	if r.err != nil {
		return nil, fmt.Errorf("kernel shaping: listen in %s: %w", ns, r.err)
	}
	tb.Cleanup(func() {
		r.ln.Close()
		// What the shaping saw, so a run shows the traffic crossed it.
		out, _ := exec.Command("tc", "-s", "qdisc", "show", "dev", a).CombinedOutput()
		tb.Logf("tbf toward the namespace (%s): %s", a, strings.Join(strings.Fields(string(out)), " "))
	})
	return r.ln, nil
}
