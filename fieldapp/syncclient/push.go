package syncclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"talbar/syncproto"
)

// outboxPage is how many pending changes one read of the outbox takes: decoding them is a good
// part of the device's work, and one large read is cheaper than one per push.
const outboxPage = 2000

// maxInFlight is how many pushes may await their answers at once on a fast link: while the
// server merges one, the next is on its way and the device acknowledges the one before.
const maxInFlight = 2

// flight is one push request: built (encoded and compressed), then sent from its own goroutine.
type flight struct {
	changes []syncproto.Change // as sent, the probe first when it goes along
	probe   *syncproto.Change
	payload []byte
	req     syncproto.PushRequest // as encoded in payload, to encode again as gzip
	ctype   string                // payload's content type, "" for gzip JSON (else zstd)
	records map[string]bool
	done    chan flightResult
}

type flightResult struct {
	resp  syncproto.PushResponse
	moved int64
	took  time.Duration
	err   error
}

// push sends the outbox in batches until nothing pending is left. It is pipelined: the next
// batch is read and compressed while the server merges the current one and goes as soon as the
// current one is answered (or, on a fast link and when the two share no record, before), and
// the device acknowledges the answered batch while the next one is on its way. Answers are
// acknowledged strictly in the order the batches were built: when a push fails, the answers of
// the pushes sent after it are dropped unacknowledged (their changes stay pending and, if the
// server took them, come back as duplicates), so what is acknowledged is always a prefix of the
// outbox and stays acknowledged after a cut.
//
// Two pushes in flight at once never share a record: the server merges them in whatever order
// it receives them, and an edit or a delete that overtook its record's creation would be refused.
func (s *session) push(ctx context.Context) error {
	c := s.c
	if s.batch == 0 {
		s.batch = c.batchSize()
	}
	pending, _, err := c.Store.Counts(ctx)
	if err != nil {
		return fmt.Errorf("count outbox: %w", err)
	}
	s.toPush = s.pushed + pending
	s.progress(PhasePush)
	var probe *syncproto.Change
	if !s.probed && !s.queued {
		// Once a sync, a change the server acknowledged before goes out again: a server that
		// answers it as accepted, not duplicate, lost it (restored from an older copy) even if
		// neither its epoch nor its log length shows it.
		s.probed = true
		if probe, err = c.Store.Probe(ctx); err != nil {
			return fmt.Errorf("read probe: %w", err)
		}
	}
	_, epoch, err := c.Store.SyncState(ctx)
	if err != nil {
		return fmt.Errorf("read epoch: %w", err)
	}
	health, err := c.Store.OutboxHealth(ctx)
	if err != nil {
		return fmt.Errorf("outbox health: %w", err)
	}
	pushedBefore := s.pushed
	s.resetQueue()
	fresh := true // nothing was sent since the outbox was last read from its start
	var inFlight []*flight
	var next *flight // built, not yet sent
	// drain waits for every push in flight and drops its answer; the changes it and the built
	// batch held are read again from the outbox.
	drain := func() {
		for _, f := range inFlight {
			s.bytes += (<-f.done).moved
			if f.probe != nil {
				probe = f.probe
			}
		}
		inFlight = nil
		if next != nil && next.probe != nil {
			probe = next.probe
		}
		next = nil
		s.resetQueue()
	}
	defer drain()
	launch := func(f *flight) {
		inFlight = append(inFlight, f)
		fresh = false
		go func() {
			var r flightResult
			r.moved, r.took, r.err = c.callPayload(withBodyType(ctx, f.ctype), http.MethodPost, s.base+"/push", s.token, f.payload, &r.resp)
			if f.ctype != "" && refusedEncoding(r.err) {
				// A server that predates zstd, or holds another dictionary: gzip from now on.
				c.logger().Info("server refused the zstd push: sending gzip JSON", "err", r.err)
				c.plainPush.Store(true)
				if p, _, err := encodePush(f.req, false); err != nil {
					r.err = err
				} else {
					f.payload, f.ctype = p, ""
					var moved int64
					moved, r.took, r.err = c.callPayload(ctx, http.MethodPost, s.base+"/push", s.token, f.payload, &r.resp)
					r.moved += moved
				}
			}
			f.done <- r
		}()
	}
	for {
		if next == nil {
			h := health
			h.Pending = max(0, health.Pending-(s.pushed-pushedBefore))
			if next, err = s.build(ctx, &probe, h); err != nil {
				return err
			}
		}
		if next != nil && s.mayLaunch(inFlight, next) {
			launch(next)
			next = nil
			continue // build the one after while this one is on its way
		}
		if len(inFlight) == 0 {
			if fresh {
				return nil
			}
			// Read once more from the start: changes stamped again (clock_ahead) stay pending
			// behind the read position, and changes may have been saved meanwhile.
			s.resetQueue()
			fresh = true
			continue
		}
		f := inFlight[0]
		inFlight = inFlight[1:]
		r := <-f.done
		s.bytes += r.moved
		if r.err == nil && next != nil && !s.special(f, r.resp, epoch) && s.mayLaunch(inFlight, next) {
			// The next batch goes before this answer is acknowledged: the device's work on it
			// overlaps the server's on the next one.
			launch(next)
			next = nil
		}
		if isLinkErr(r.err) {
			if f.probe != nil {
				probe = f.probe
			}
			drain()
			s.fast = false
			if err := s.linkFailed(ctx, r.err, len(f.payload), r.moved, r.took); err != nil {
				return err
			}
			continue // tried again, smaller
		}
		s.linkFails = 0
		resp := r.resp
		var se *Error
		if errors.As(r.err, &se) && se.Code == CodeTooLarge {
			drain()
			if f.probe != nil && len(f.changes) <= 2 {
				// The probe is never what blocks the outbox: it stays out of this sync.
				probe = nil
				continue
			}
			if s.batch > 1 && len(f.changes) > 1 {
				if f.probe != nil {
					probe = f.probe
				}
				s.batch = max(1, min(s.batch, len(f.changes))/2)
				c.logger().Info("push too large: batch halved", "batch", s.batch)
				continue
			}
			// One change alone is over the server's limit: it can never go, so it is kept as
			// rejected for the inspector instead of blocking everything behind it. The answer
			// has no server_hlc, so Acknowledge keeps the clock and any clock-skew warning; the
			// screens translate its code as "reject.too_large" (assets/i18n/fieldapp.*.json).
			resp = syncproto.PushResponse{Rejected: []syncproto.Rejection{{ID: f.changes[0].ID, Code: CodeTooLarge,
				Message: "the change is larger than the server accepts"}}}
			r.err = nil
		}
		if r.err != nil {
			return r.err
		}
		s.fast = r.took < c.requestTime()/4 && !s.shaky
		if c.CrashPoint != nil {
			c.CrashPoint("push-answered")
		}
		s.queued = false
		lost, sent := false, len(f.changes)
		if f.probe != nil {
			sent--
			if lost, err = s.checkProbe(ctx, f.probe, resp); err != nil {
				return err
			}
		}
		dropped, rejected, err := c.Store.Acknowledge(ctx, resp)
		if err != nil {
			return fmt.Errorf("update outbox: %w", err)
		}
		restamped := 0
		for _, r := range resp.Rejected {
			if r.Code == syncproto.RejectClockAhead {
				restamped++
			}
		}
		if restamped > 0 {
			// Stamped again with the corrected clock by Acknowledge, and still pending: they go
			// again once the outbox is read from its start. A server that keeps refusing them
			// ends the sync, not a loop.
			if s.restamps++; s.restamps > maxRestamps {
				return &Error{Code: CodeBadAnswer, Message: "the server keeps refusing this device's clock"}
			}
			c.logger().Warn("changes refused as stamped ahead of the server's clock: stamped again", "changes", restamped)
		}
		if dropped+rejected+restamped == 0 && sent > 0 {
			return &Error{Code: CodeBadAnswer, Message: "the push answer named none of the changes sent"}
		}
		s.pushed += dropped + rejected
		s.res.Pushed += dropped
		s.res.Rejected += rejected
		s.res.Duplicates += len(resp.Duplicates)
		s.res.Warnings = append(s.res.Warnings, resp.Warnings...)
		s.res.ServerTime = resp.ServerHLC
		s.progress(PhasePush)
		if lost {
			drain()
			if err := s.resend(ctx, epoch, "the server no longer holds a change it acknowledged"); err != nil {
				return err
			}
			probe, fresh = nil, false
			continue
		}
		if resp.ServerEpoch != "" && resp.ServerEpoch != epoch {
			drain()
			if err := s.resend(ctx, resp.ServerEpoch, "epoch changed"); err != nil {
				return err
			}
			epoch, probe, fresh = resp.ServerEpoch, nil, false
			continue
		}
	}
}

// refusedEncoding reports whether err is the server's 415 to a body it cannot read: a content
// encoding or dictionary it does not know.
func refusedEncoding(err error) bool {
	var se *Error
	return errors.As(err, &se) && se.Status == http.StatusUnsupportedMediaType
}

// special reports whether the answer r to f needs the pushes after it held back: it answers the
// probe, refuses changes as stamped ahead, or names another epoch.
func (s *session) special(f *flight, r syncproto.PushResponse, epoch string) bool {
	if f.probe != nil || (r.ServerEpoch != "" && r.ServerEpoch != epoch) {
		return true
	}
	for _, rj := range r.Rejected {
		if rj.Code == syncproto.RejectClockAhead {
			return true
		}
	}
	return false
}

// mayLaunch reports whether f may go now, with inFlight awaiting their answers.
func (s *session) mayLaunch(inFlight []*flight, f *flight) bool {
	if len(inFlight) == 0 {
		return true
	}
	if len(inFlight) >= maxInFlight || !s.fast || f.probe != nil {
		return false
	}
	for _, o := range inFlight {
		if o.probe != nil {
			return false
		}
		for id := range f.records {
			if o.records[id] {
				return false
			}
		}
	}
	return true
}

// resetQueue forgets what was read ahead: the outbox is read again from its oldest pending change.
func (s *session) resetQueue() {
	s.queue, s.after, s.readAll = nil, 0, false
}

// build takes the next batch from the outbox, read ahead in pages, sized to the link's budget,
// with the probe first if it is still to go. It returns nil when nothing is left to send.
func (s *session) build(ctx context.Context, probe **syncproto.Change, health syncproto.OutboxHealth) (*flight, error) {
	c := s.c
	budget := c.link.budget(c.requestTime())
	n := changesFor(budget, c.link.pushPerChange(), s.batch)
	if *probe != nil && n > 1 {
		n--
	}
	if len(s.queue) < n && !s.readAll {
		want := max(outboxPage, n-len(s.queue))
		page, last, err := c.Store.PendingChangesAfter(ctx, s.after, want)
		if err != nil {
			return nil, fmt.Errorf("read outbox: %w", err)
		}
		s.after = last
		s.readAll = len(page) < want
		s.queue = append(s.queue, page...)
	}
	take := min(n, len(s.queue))
	changes := make([]syncproto.Change, 0, take+1)
	if *probe != nil {
		changes = append(changes, **probe)
	}
	changes = append(changes, s.queue[:take]...)
	if len(changes) == 0 {
		return nil, nil
	}
	req := syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: s.device,
		DeviceTime: c.now().UTC().Format(time.RFC3339), Outbox: health, Changes: changes}
	payload, ctype, err := fitPushAs(&req, budget, !c.GzipOnly && !c.plainPush.Load())
	if err != nil {
		return nil, err
	}
	f := &flight{changes: req.Changes, payload: payload, req: req, ctype: ctype, records: make(map[string]bool, len(req.Changes)),
		done: make(chan flightResult, 1)}
	kept := len(req.Changes)
	if *probe != nil {
		f.probe = *probe
		*probe = nil
		kept--
	}
	s.queue = s.queue[kept:]
	for _, ch := range f.changes {
		f.records[ch.RecordID] = true
	}
	c.link.notePush(len(payload), len(f.changes))
	return f, nil
}
