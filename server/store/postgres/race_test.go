package postgres_test

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"

	"talbar/server/store"
	"talbar/server/store/pgtest"
	"talbar/server/store/storetest"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// TestCursorRace: pushers on separate connections (three stores on one database, as three
// servers would be) push batches of different sizes at once while pullers page through the log
// with small pages. Every puller must end with every accepted change: a cursor handed out before
// a smaller one commits would make a puller jump past the smaller one for ever.
func TestCursorRace(t *testing.T) {
	ctx := context.Background()
	url := pgtest.DB(t)
	cfg := storetest.Config{Units: storetest.Units(t)}
	servers := []store.Store{openURL(t, url, cfg), openURL(t, url, cfg), openURL(t, url, cfg)}
	const pushers, pullers, batches = 6, 4, 12
	specs := make([][2]string, pushers+pullers)
	for i := range specs {
		specs[i] = [2]string{"MN6501", "inspector"}
	}
	ps := storetest.Principals(t, servers[0], specs)

	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		wg       sync.WaitGroup
		done     atomic.Bool
		failed   atomic.Value
	)
	for i := 0; i < pushers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(i)))
			clock := &hlc.Clock{}
			for b := 0; b < batches; b++ {
				n := 1 + r.Intn(1+r.Intn(300)) // mostly small, some large: commits of different lengths
				cs := make([]syncproto.Change, n)
				for j := range cs {
					cs[j] = storetest.Event(clock, "MN6501", fmt.Sprintf("2026-%02d-10", 1+r.Intn(11))) // to November: dates after the server's tomorrow are refused
				}
				resp, err := storetest.Push(ctx, servers[(i+b)%len(servers)], ps[i], syncproto.PushRequest{Protocol: syncproto.Protocol, Changes: cs})
				if err != nil || len(resp.Accepted) != n {
					failed.Store(fmt.Sprintf("push: %v (%d of %d accepted)", err, len(resp.Accepted), n))
					return
				}
				mu.Lock()
				for _, id := range resp.Accepted {
					accepted[id] = true
				}
				mu.Unlock()
			}
		}(i)
	}
	seen := make([]map[string]bool, pullers)
	var pwg sync.WaitGroup
	for k := 0; k < pullers; k++ {
		seen[k] = map[string]bool{}
		pwg.Add(1)
		go func(k int) {
			defer pwg.Done()
			p := ps[pushers+k]
			var since int64
			pull := func() bool {
				cs, cur, more, err := servers[k%len(servers)].Pull(ctx, p, since, 1+k*7)
				if err != nil {
					failed.Store(fmt.Sprintf("pull: %v", err))
					return false
				}
				for _, c := range cs {
					if seen[k][c.ID] {
						failed.Store("pulled " + c.ID + " twice")
					}
					seen[k][c.ID] = true
				}
				since = cur
				return more
			}
			for !done.Load() {
				pull()
			}
			for pull() { // drain what committed after the last pass
			}
		}(k)
	}
	wg.Wait()
	done.Store(true)
	pwg.Wait()
	if f := failed.Load(); f != nil {
		t.Fatal(f)
	}
	total := 0
	for k := range seen {
		missed := 0
		for id := range accepted {
			if !seen[k][id] {
				missed++
			}
		}
		if missed > 0 || len(seen[k]) != len(accepted) {
			t.Errorf("puller %d saw %d of %d accepted changes, missed %d", k, len(seen[k]), len(accepted), missed)
		}
		total = len(accepted)
	}
	v, err := servers[1].Totals(ctx, "MN6501", 2026, 0)
	if err != nil || v.Get("events") != int64(total) {
		t.Fatalf("totals %d events after %d accepted (%v)", v.Get("events"), total, err)
	}
	t.Logf("%d changes pushed by %d devices through %d stores, pulled by %d devices", total, pushers, len(servers), pullers)
}
