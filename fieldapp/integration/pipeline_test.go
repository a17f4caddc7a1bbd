package integration_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/sim"
	"talbar/shared/record"
)

// saveTypicalEvents saves n typical events of soumA on d and returns their change ids, oldest first.
func saveTypicalEvents(t *testing.T, d *device, n int, seed uint64) []string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 13))
	for i := 0; i < n; i++ {
		date := time.Date(year, time.Month(1+rng.IntN(11)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
		d.save(localstore.Draft{Entity: record.EntityEvent, Fields: sim.Event(rng, record.KindHerderMeeting, soumA, date)})
	}
	return pendingIDs(t, d)
}

func pendingIDs(t *testing.T, d *device) []string {
	t.Helper()
	chs, err := d.DB.PendingChanges(context.Background(), 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(chs))
	for i, c := range chs {
		ids[i] = c.ID
	}
	return ids
}

// TestPipelinedPushAcknowledgesInOrder: on a fast link the next push goes before the answer to
// the one before it, so two are at the server at once. The third push is cut before it reaches
// the server while the fourth, already sent, is taken: the device must drop the fourth's answer
// unacknowledged, so what left its outbox is exactly the first two batches (a prefix, never a
// hole), and the next sync sends the rest, the fourth batch coming back as duplicates.
func TestPipelinedPushAcknowledgesInOrder(t *testing.T) {
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	d := newDevice(t, "pipe", px.URL(), srv.Code("pipe", soumA, "inspector"), nil)
	d.C.MaxAttempts = 1
	all := saveTypicalEvents(t, d, 3000, 1)
	var pushes atomic.Int64
	px.setFault(func(r *http.Request, _ int) fault {
		if !strings.HasSuffix(r.URL.Path, "/push") {
			return fault{}
		}
		// Slow answers, so the pipelined pushes are seen at the proxy together.
		switch pushes.Add(1) {
		case 3:
			return fault{Delay: 300 * time.Millisecond, DropBefore: true}
		default:
			return fault{Delay: 100 * time.Millisecond}
		}
	})
	if _, err := d.C.Sync(context.Background()); err == nil {
		t.Fatal("sync with its third push cut and one attempt: want an error")
	}
	if got := px.PushesAtOnce.Load(); got < 2 {
		t.Errorf("at most %d push at the proxy at once: the pushes were not pipelined", got)
	}
	px.mu.Lock()
	batches := append([]int(nil), px.Batches...)
	px.mu.Unlock()
	if len(batches) < 4 {
		t.Fatalf("pushes %v: the fourth was not sent while the third was out", batches)
	}
	left := pendingIDs(t, d)
	acked := batches[0] + batches[1]
	if len(left) != len(all)-acked {
		t.Fatalf("pending after the cut: %d, want %d (all %d less the first two batches %v)", len(left), len(all)-acked, len(all), batches)
	}
	for i, id := range left {
		if id != all[acked+i] {
			t.Fatalf("pending change %d is %s, want %s: the outbox kept a hole, not a suffix", i, id, all[acked+i])
		}
	}

	px.setFault(nil)
	res := d.sync()
	if res.Pushed != len(left) {
		t.Errorf("second sync pushed %d, want %d", res.Pushed, len(left))
	}
	if res.Duplicates < batches[3] {
		t.Errorf("second sync: %d duplicates, want at least the fourth batch's %d (taken, its answer dropped)", res.Duplicates, batches[3])
	}
	if p, r := d.counts(); p != 0 || r != 0 {
		t.Errorf("outbox after the second sync: %d pending, %d rejected", p, r)
	}
}
