package api

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Metrics are the server's counters, exposed at /metrics in Prometheus's text format.
type Metrics struct {
	Pushes     atomic.Int64
	Accepted   atomic.Int64
	Duplicates atomic.Int64
	Rejected   atomic.Int64
	Pulled     atomic.Int64
	Shed       atomic.Int64
	PushMicros atomic.Int64
}

func (m *Metrics) observePush(acc, dup, rej int, d time.Duration) {
	m.Pushes.Add(1)
	m.Accepted.Add(int64(acc))
	m.Duplicates.Add(int64(dup))
	m.Rejected.Add(int64(rej))
	m.PushMicros.Add(d.Microseconds())
}

func (a *API) metrics(c *fiber.Ctx) error {
	m := a.cfg.Metrics
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4")
	return c.SendString(fmt.Sprintf(`# HELP talbar_pushes_total Pushes merged.
# TYPE talbar_pushes_total counter
talbar_pushes_total %d
# HELP talbar_changes_total Changes received, by outcome.
# TYPE talbar_changes_total counter
talbar_changes_total{outcome="accepted"} %d
talbar_changes_total{outcome="duplicate"} %d
talbar_changes_total{outcome="rejected"} %d
# HELP talbar_pulled_changes_total Changes sent to devices by pull.
# TYPE talbar_pulled_changes_total counter
talbar_pulled_changes_total %d
# HELP talbar_pushes_shed_total Pushes answered 429 to shed load.
# TYPE talbar_pushes_shed_total counter
talbar_pushes_shed_total %d
# HELP talbar_push_seconds_total Time spent merging pushes.
# TYPE talbar_push_seconds_total counter
talbar_push_seconds_total %g
`, m.Pushes.Load(), m.Accepted.Load(), m.Duplicates.Load(), m.Rejected.Load(), m.Pulled.Load(), m.Shed.Load(),
		float64(m.PushMicros.Load())/1e6))
}
