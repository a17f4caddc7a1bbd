package firstsync

import (
	"bytes"
	"context"
	"testing"

	"talbar/syncproto"
)

// BenchmarkEncodePush10k is the CPU of encoding 10,000 typical changes in pushes of 500 on the
// device and decoding them on the server, as gzip JSON (old clients) and as dense JSON in zstd
// with the dictionary, and the wire bytes per change of each, in pushes of 500 and of 5.
func BenchmarkEncodePush10k(b *testing.B) {
	changes, err := Samples(context.Background(), 10_000, 1, "MN6501")
	if err != nil {
		b.Fatal(err)
	}
	split := func(size int) []syncproto.PushRequest {
		var out []syncproto.PushRequest
		for i := 0; i < len(changes); i += size {
			out = append(out, syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: "01a2373e-9046-7041-80e6-27f942509084",
				DeviceTime: "2026-09-15T08:30:00Z", Outbox: syncproto.OutboxHealth{Pending: size}, Changes: changes[i:min(i+size, len(changes))]})
		}
		return out
	}
	batches, small := split(500), split(5)
	for _, enc := range []struct {
		name, encoding, ctype string
		encode                func(syncproto.PushRequest) ([]byte, error)
	}{
		{"gzip", "gzip", "application/json", func(r syncproto.PushRequest) ([]byte, error) { return syncproto.Gzip(r) }},
		{"zstd", "zstd", "application/json", func(r syncproto.PushRequest) ([]byte, error) { return syncproto.ZstdJSON(r) }},
		{"dense+zstd", "zstd", syncproto.ContentTypeDense, func(r syncproto.PushRequest) ([]byte, error) {
			b, _, err := syncproto.DensePushBody(r)
			return b, err
		}},
	} {
		b.Run(enc.name+"/encode", func(b *testing.B) {
			var size int
			for i := 0; i < b.N; i++ {
				size = 0
				for _, r := range batches {
					p, err := enc.encode(r)
					if err != nil {
						b.Fatal(err)
					}
					size += len(p)
				}
			}
			b.ReportMetric(float64(size)/float64(len(changes)), "wire_B/change")
			// A day's sync: pushes of 5 changes, where the dictionary is most of the context.
			size = 0
			for _, r := range small {
				p, _ := enc.encode(r)
				size += len(p)
			}
			b.ReportMetric(float64(size)/float64(len(changes)), "wire_B/change_in_5s")
		})
		b.Run(enc.name+"/decode", func(b *testing.B) {
			var bodies [][]byte
			for _, r := range batches {
				p, _ := enc.encode(r)
				bodies = append(bodies, p)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for _, p := range bodies {
					raw, err := syncproto.ReadBody(bytes.NewReader(p), enc.encoding, syncproto.MaxBodyBytes)
					if err != nil {
						b.Fatal(err)
					}
					if _, err := syncproto.DecodePushAs(enc.ctype, raw, syncproto.MaxChanges); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
