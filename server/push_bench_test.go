package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// BenchmarkHTTPPush is the server's load tool: several devices push gzip batches of 500 new
// events at once over HTTP into a copy of the 1,000,000-event store, the way field devices do
// after a market day. It reports committed changes per second over all devices.
//
//	go test -run '^$' -bench HTTPPush -benchtime 20x ./server
func BenchmarkHTTPPush(b *testing.B) {
	src := benchDB(b)
	dst := filepath.Join(b.TempDir(), "push.db")
	if err := copyBenchFile(src, dst); err != nil {
		b.Fatal(err)
	}
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: dst}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for _, devices := range []int{1, 4} {
		b.Run(fmt.Sprintf("devices=%d/batch=500", devices), func(b *testing.B) {
			var clients []*client
			var leaves [][]unit.Code
			divisions := m.Units.Children(unit.Nation)
			for i := 0; i < devices; i++ {
				div := divisions[i%len(divisions)]
				clients = append(clients, enrollDevice(b, m, string(div), syncproto.RoleOfficer))
				leaves = append(leaves, m.Units.Leaves(div))
			}
			// Bodies are built before the clock starts: the benchmark measures the server.
			bodies := make([][][]byte, devices)
			for d := range bodies {
				r := rand.New(rand.NewPCG(uint64(d), 9))
				clock := &hlc.Clock{}
				for i := 0; i < b.N; i++ {
					req := syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: clients[d].device, DeviceTime: time.Now().UTC().Format(time.RFC3339)}
					for j := 0; j < 500; j++ {
						f := map[string]json.RawMessage{
							"kind":              json.RawMessage(`"herder_meeting"`),
							"date":              json.RawMessage(fmt.Sprintf(`"2026-%02d-%02d"`, 1+r.IntN(11), 1+r.IntN(28))), // up to November: the server refuses dates after its tomorrow
							"unit":              json.RawMessage(strconv.Quote(string(leaves[d][r.IntN(len(leaves[d]))]))),
							"occasion":          json.RawMessage(`"wool_cashmere"`),
							"partners":          json.RawMessage(`["governor","bank"]`),
							"reached":           json.RawMessage(fmt.Sprintf(`{"herders":%d,"self_employed":%d}`, r.IntN(60), r.IntN(9))),
							"materials":         json.RawMessage(fmt.Sprintf(`{"handbook":%d}`, r.IntN(40))),
							"consultations":     json.RawMessage(strconv.Itoa(r.IntN(20))),
							"contracts_signed":  json.RawMessage(strconv.Itoa(r.IntN(4))),
							"contributions_mnt": json.RawMessage(strconv.Itoa(r.IntN(20) * 50000)),
						}
						req.Changes = append(req.Changes, syncproto.Change{ID: uuid.Must(uuid.NewV7()).String(), Entity: "event",
							RecordID: uuid.Must(uuid.NewV7()).String(), Op: syncproto.OpUpsert, HLC: clock.Next().String(), Fields: f})
					}
					body, err := syncproto.Gzip(req)
					if err != nil {
						b.Fatal(err)
					}
					bodies[d] = append(bodies[d], body)
				}
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			errs := make(chan error, devices)
			for d := 0; d < devices; d++ {
				wg.Add(1)
				go func(c *client, bodies [][]byte) {
					defer wg.Done()
					for _, body := range bodies {
						req, _ := http.NewRequest("POST", c.base+"/api/v1/push", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+c.token)
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Content-Encoding", "gzip")
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							errs <- err
							return
						}
						var pr syncproto.PushResponse
						err = json.NewDecoder(resp.Body).Decode(&pr)
						resp.Body.Close()
						if err != nil || resp.StatusCode != 200 || len(pr.Accepted) != 500 {
							errs <- fmt.Errorf("status %d, accepted %d: %v", resp.StatusCode, len(pr.Accepted), err)
							return
						}
					}
				}(clients[d], bodies[d])
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(devices*500*b.N)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}

func copyBenchFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
