// Package syncclient is the field app's side of PROTOCOL.md: it enrolls the device, pushes the
// outbox in batches and pulls the changes of the inspector's scope, retrying what can be retried
// and never dropping a change the server has not durably taken. It stores nothing itself: every
// write goes through the small Outbox interface, which fieldapp/localstore implements.
package syncclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"talbar/shared/record"
	"talbar/syncproto"
)

// Outbox is what the client needs of the local store. Every method that writes does so in one
// local transaction, so a crash between any two calls loses nothing: at worst a change already
// taken by the server is pushed again and answered as a duplicate.
type Outbox interface {
	// Credentials returns where and as whom to sync; token is empty when the device is not enrolled.
	Credentials(ctx context.Context) (serverURL, deviceID, token string, err error)
	// SaveEnrollment stores a successful enrollment.
	SaveEnrollment(ctx context.Context, serverURL string, resp syncproto.EnrollResponse) error
	// Counts returns how many changes wait to be pushed and how many the server rejected.
	Counts(ctx context.Context) (pending, rejected int, err error)
	// OutboxHealth is what the device tells the server of its queue.
	OutboxHealth(ctx context.Context) (syncproto.OutboxHealth, error)
	// PendingChangesAfter returns up to limit changes to push from outbox position after on
	// (0: the oldest), oldest first, without rejected ones, and the position of the last one.
	PendingChangesAfter(ctx context.Context, after int64, limit int) ([]syncproto.Change, int64, error)
	// Acknowledge drops accepted and duplicate changes, keeps rejected ones with their reason,
	// keeps the clock-skew warning and observes server_hlc, and says how many it dropped and rejected.
	Acknowledge(ctx context.Context, resp syncproto.PushResponse) (dropped, rejected int, err error)
	// SyncState returns the stored pull cursor and server epoch.
	SyncState(ctx context.Context) (cursor, epoch string, err error)
	// ApplyPull merges a page pulled from since and stores its cursor; it fails if the stored
	// cursor is no longer since. It returns how many changes it merged.
	ApplyPull(ctx context.Context, since string, page syncproto.PullResponse) (int, error)
	// ResendState queues the state of every record for a server that lost some of it, stores
	// epoch and resets the pull cursor; it returns how many changes it queued.
	ResendState(ctx context.Context, epoch string) (int, error)
	// MarkSynced records the time of a successful sync.
	MarkSynced(ctx context.Context, at time.Time) error
	// AdoptEpoch stores a new epoch and resets the pull cursor without queuing the state again
	// (it was queued moments ago and none of it has been pushed).
	AdoptEpoch(ctx context.Context, epoch string) error
	// ReferenceDue reports whether the next pull should ask for units and targets (ref=1).
	ReferenceDue(ctx context.Context, now time.Time) (bool, error)
	// SurveyVersion is the newest survey catalogue version held: sent on pull as survey=N, so a
	// server with a newer catalogue sends it at once.
	SurveyVersion(ctx context.Context) (int, error)
	// Probe returns a change the server acknowledged earlier (nil if none); Acknowledge keeps the
	// newest acknowledged change as the next probe.
	Probe(ctx context.Context) (*syncproto.Change, error)
	// DropProbe forgets the probe.
	DropProbe(ctx context.Context) error
}

// Phase of a sync, for progress reports.
type Phase string

// Phases.
const (
	PhasePush   Phase = "push"
	PhasePull   Phase = "pull"
	PhaseResend Phase = "resend" // the server lost data: the device queued its state again
	PhaseDone   Phase = "done"
)

// Progress is what a screen shows as a progress bar: pushed n of m, pulled n.
type Progress struct {
	Phase  Phase
	Pushed int // changes the server answered for (accepted, duplicate or rejected)
	ToPush int // changes to push in this sync
	Pulled int // changes merged from the server
	// BytesPerSecond is the link's rate the client measured (0 before it could); Left estimates
	// the time the rest of the push takes at that rate (0 when unknown). A screen on a slow link
	// shows them beside the counts.
	BytesPerSecond float64
	Left           time.Duration
	// Bytes is what this sync moved over the link so far, both ways, compressed as on the wire.
	Bytes int64
}

// Result sums up one sync.
type Result struct {
	Pushed     int // changes that left the outbox (accepted or duplicates)
	Duplicates int // of Pushed, those the server already held (an earlier answer was lost)
	Rejected   int // changes the server refused; they stay in the outbox
	Pulled     int
	Resent     int  // changes queued again because the server lost data
	Restored   bool // the server's epoch changed or its log went backwards
	Warnings   []syncproto.Warning
	ServerTime string // server_hlc of the last answer
}

// Client syncs one device. Set the fields before the first call; the zero values are the defaults.
// A Client is safe for concurrent use, but runs one sync at a time: Sync returns
// ErrSyncInProgress at once while another is running (a screen's "sync now" button and the
// background timer then never queue up behind each other).
type Client struct {
	Store Outbox
	// HTTP is the client for requests; DefaultTransport without a total timeout when nil (the
	// link is watched for progress instead: StallTimeout).
	HTTP *http.Client
	// BatchSize is the most changes that go in one push: 500 by default, at most
	// syncproto.MaxChanges. Within it a push is sized by bytes to the link (RequestTime). A 413
	// halves it for the rest of the sync.
	BatchSize int
	// PullLimit is the most changes asked of one pull page; syncproto.MaxPullLimit by default.
	// Within it a page is sized by bytes to the link, as a push is, so a fast link takes large
	// pages and a slow one small ones.
	PullLimit int
	// StallTimeout abandons a request that moved no byte for this long (30 s by default); it is
	// then tried again smaller. There is no total timeout: a slow link that moves never sticks.
	StallTimeout time.Duration
	// RequestTime is how long one request should take at the link's measured rate (20 s by
	// default); pushes and pull pages are sized by bytes to it.
	RequestTime time.Duration
	// MaxAnswerBytes caps one answer's size (256 MiB by default). A pull page larger than that is
	// asked for again with half as many changes, down to one, rather than retried as it was.
	MaxAnswerBytes int64
	// MaxAttempts bounds the tries of one request on network errors, 429 and 5xx (default 5);
	// then Sync returns an error and the outbox stays as it was.
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential backoff with jitter (defaults 1 s and 1 min).
	// A Retry-After longer than the backoff is honoured.
	BaseDelay, MaxDelay time.Duration
	// Sleep waits between attempts; tests replace it to run without waiting.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1); rand.Float64 by default.
	Jitter func() float64
	// Now is the device's wall clock, sent as device_time.
	Now func() time.Time
	// Progress, when set, is called as the sync advances (from the syncing goroutine).
	Progress func(Progress)
	// Logger receives sync events; slog.Default() when nil. Tokens are never logged.
	Logger *slog.Logger
	// CrashPoint, when set, is called at named points ("push-answered": after the server answered
	// a push, before the outbox is updated) so fault-injection tests can kill the process there.
	CrashPoint func(point string)

	// GzipOnly speaks as clients did before zstd: pushes as gzip JSON, answers asked for as gzip
	// only (for tests and benchmarks of old clients, and as a switch should a server mishandle
	// zstd).
	GzipOnly bool

	mu   sync.Mutex
	link link // what was measured of the link, kept from one sync to the next
	// plainPush is set once the server refused a dense zstd push (415): it predates zstd or
	// holds another dictionary, and gets gzip JSON until the app restarts.
	plainPush atomic.Bool
}

const (
	apiPrefix       = "/api/v1"
	maxAnswerBytes  = 256 << 20
	maxSyncRounds   = 4
	maxRestamps     = 3
	defaultAttempts = 5
)

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return defaultHTTP
}

// defaultHTTP shares one pool of connections between the clients without HTTP.
var defaultHTTP = &http.Client{Transport: DefaultTransport()}

func (c *Client) batchSize() int {
	switch {
	case c.BatchSize <= 0:
		return 500
	case c.BatchSize > syncproto.MaxChanges:
		return syncproto.MaxChanges
	}
	return c.BatchSize
}

func (c *Client) progress(p Progress) {
	if c.Progress != nil {
		c.Progress(c.link.estimate(p))
	}
}

// Enroll exchanges a one-time enrollment code for this device's identity and stores it. The code
// errors come back as *Error with CodeCodeUnknown, CodeCodeExpired or CodeCodeUsed. The request is
// sent once, never retried (the code works once): when the connection fails after it was sent,
// the error is CodeEnrollUnsure, whose message tells the inspector to try again and, should the
// server then say the code was used, to ask headquarters for a new one.
//
// Enrolling against another server (another URL) while changes wait in the outbox is refused
// with CodePendingChanges before the code is spent: those changes were meant for the server the
// device is enrolled with, so the inspector should sync first. EnrollForce does it anyway.
func (c *Client) Enroll(ctx context.Context, serverURL, code, deviceName, platform string) (syncproto.EnrollResponse, error) {
	return c.enroll(ctx, serverURL, code, deviceName, platform, false)
}

// EnrollForce enrolls like Enroll even while changes for another server are pending (the old
// server is gone, or the device was enrolled with the wrong one). Nothing is lost: the new server
// has another epoch, so the state of every record, which holds everything the pending changes
// set with their original hlc and writer, is queued for it in their place, and the pull starts
// over from its beginning. Rejected changes stay for the inspector.
func (c *Client) EnrollForce(ctx context.Context, serverURL, code, deviceName, platform string) (syncproto.EnrollResponse, error) {
	return c.enroll(ctx, serverURL, code, deviceName, platform, true)
}

func (c *Client) enroll(ctx context.Context, serverURL, code, deviceName, platform string, force bool) (syncproto.EnrollResponse, error) {
	serverURL = strings.TrimRight(serverURL, "/")
	var resp syncproto.EnrollResponse
	oldURL, _, _, err := c.Store.Credentials(ctx)
	if err != nil {
		return resp, fmt.Errorf("read credentials: %w", err)
	}
	if oldURL != "" && !sameServer(oldURL, serverURL) {
		pending, _, err := c.Store.Counts(ctx)
		if err != nil {
			return resp, fmt.Errorf("count outbox: %w", err)
		}
		if pending > 0 && !force {
			return resp, &Error{Code: CodePendingChanges, Message: fmt.Sprintf("%d changes wait to be sent to %s", pending, oldURL)}
		}
		if pending > 0 {
			c.logger().Warn("enrolling with another server while changes are pending: they go to the new server",
				"pending", pending, "old", oldURL, "new", serverURL)
		}
	}
	req := syncproto.EnrollRequest{Code: strings.TrimSpace(code), DeviceName: deviceName, Platform: platform}
	if err := c.enrollCall(ctx, serverURL+apiPrefix+"/enroll", req, &resp); err != nil {
		return resp, err
	}
	if resp.DeviceID == "" || resp.Token == "" {
		return resp, &Error{Code: CodeBadAnswer, Message: "enroll answer without device id or token"}
	}
	if err := c.Store.SaveEnrollment(ctx, serverURL, resp); err != nil {
		return resp, fmt.Errorf("store enrollment: %w", err)
	}
	c.logger().Info("device enrolled", "device_id", resp.DeviceID, "unit", resp.Inspector.UnitCode, "role", resp.Inspector.Role)
	return resp, nil
}

// enrollCall sends the enroll request once, never retrying: a code works once, so a retry after
// the server used it but the answer was lost would only get code_used. A network failure after
// the request was written comes back as CodeEnrollUnsure (try again; if the code was used, ask
// headquarters for a new one); one before it was written, as CodeUnreachable.
func (c *Client) enrollCall(ctx context.Context, u string, body, out any) error {
	payload, err := syncproto.Gzip(body)
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	var sent atomic.Bool
	trace := &httptrace.ClientTrace{WroteRequest: func(i httptrace.WroteRequestInfo) {
		if i.Err == nil {
			sent.Store(true)
		}
	}}
	_, err = c.once(httptrace.WithClientTrace(ctx, trace), http.MethodPost, u, "", payload, out)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var se *Error
	if errors.As(err, &se) && se.Code == CodeUnreachable && (sent.Load() || se.Status != 0) {
		c.logger().Warn("enroll answer lost after sending", "err", err)
		return &Error{Code: CodeEnrollUnsure, Status: se.Status, Err: err}
	}
	return err
}

// sameServer compares two server URLs, ignoring case of scheme and host and trailing slashes.
func sameServer(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimRight(strings.TrimSpace(s), "/")
		if u, err := url.Parse(s); err == nil {
			u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
			return u.String()
		}
		return s
	}
	return norm(a) == norm(b)
}

// Sync pushes the outbox and then pulls until the server has nothing more. If the server's epoch
// changed, or its change log went back behind the device's cursor (a restore that kept the epoch),
// the device queues the state of every record again and pushes it before finishing. It returns
// ErrSyncInProgress at once while another Sync runs.
func (c *Client) Sync(ctx context.Context) (Result, error) {
	if !c.mu.TryLock() {
		return Result{}, ErrSyncInProgress
	}
	defer c.mu.Unlock()
	var res Result
	serverURL, deviceID, token, err := c.Store.Credentials(ctx)
	if err != nil {
		return res, fmt.Errorf("read credentials: %w", err)
	}
	if token == "" || serverURL == "" {
		return res, ErrNotEnrolled
	}
	s := &session{c: c, base: strings.TrimRight(serverURL, "/") + apiPrefix, device: deviceID, token: token, res: &res}
	// Pull one page first: a server restored from an older copy that kept its epoch shows it by
	// a log shorter than this device's cursor, and this device's own pushes must not lengthen the
	// log past the cursor before it looks. Then push, then pull the rest: a long or slow pull
	// never keeps the device's own changes from the server. Should even that first page fail on
	// the link, the outbox still goes (a restore is then found by the probe) before Sync fails.
	// A device that never pulled has no cursor for a restore to hide behind, and its first page
	// carries the reference data (~20 KB, 5 s on a 2G link): it pushes first.
	cursor, _, err := c.Store.SyncState(ctx)
	if err != nil {
		return res, fmt.Errorf("read cursor: %w", err)
	}
	fresh := cursor == "" || cursor == "0"
	for round := 0; ; round++ {
		if round > maxSyncRounds {
			return res, &Error{Code: CodeBadAnswer, Message: "the server keeps losing data"}
		}
		var restart bool
		var err error
		if round > 0 || !fresh {
			restart, err = s.pull(ctx, round == 0)
		}
		if err != nil {
			var se *Error
			if round == 0 && errors.As(err, &se) && se.Code == CodeUnreachable {
				c.logger().Warn("first pull failed on the link: pushing before giving up", "err", err)
				s.linkFails = 0
				if perr := s.push(ctx); perr != nil {
					c.logger().Warn("push failed too", "err", perr)
				}
			}
			return res, err
		}
		if restart {
			continue
		}
		before := s.pushed
		if err := s.push(ctx); err != nil {
			return res, err
		}
		if s.pushed == before && !s.resent && s.pulledAll {
			break
		}
		s.resent = false
		if restart, err = s.pull(ctx, false); err != nil {
			return res, err
		}
		if !restart {
			break
		}
	}
	if err := c.Store.MarkSynced(ctx, c.now()); err != nil {
		return res, fmt.Errorf("mark synced: %w", err)
	}
	s.progress(PhaseDone)
	c.logger().Info("sync done", "pushed", res.Pushed, "rejected", res.Rejected, "pulled", res.Pulled, "resent", res.Resent)
	return res, nil
}

type session struct {
	c      *Client
	base   string
	device string
	token  string
	res    *Result
	toPush int
	pushed int
	batch  int
	resent bool // state was queued again during this round's push
	// queued is true from queuing the state until the first push after it: an epoch change
	// seen meanwhile needs no second queuing, the state already waits for the new epoch.
	queued bool
	probed bool // the probe went out in this sync
	// pulledAll is true when the last pull reached the end of the server's log.
	pulledAll bool
	// linkFails counts the requests that failed on the link in a row (each is tried smaller).
	linkFails int
	// restamps counts pushes whose changes the server refused as clock_ahead.
	restamps int
	// The outbox as read ahead of the answers (push.go): queue holds pending changes not yet
	// sent, read up to position after; readAll is set when the last read found no more.
	queue   []syncproto.Change
	after   int64
	readAll bool
	// fast is true while answers come quickly and the link never failed in this sync: then the
	// next push may go before the answer to the one before it.
	fast bool
	// bytes counts the wire bytes this sync moved (Progress.Bytes).
	bytes int64
	// shaky is set by the first request of this sync that failed on the link.
	shaky bool
}

// checkProbe reads the answer to the probe. A server that answers it as accepted, not duplicate,
// no longer holds a change it acknowledged: lost is true. Of the rejections only those that say
// the server lacks the record show that loss: record_not_found (an edit or delete of a record it
// lacks), and invalid with nothing but required fields missing that the probe does not carry,
// which is how the server refuses a record's first upsert, cut to one field by the probe, when it
// lost the record (a server holding the record merges one field without asking for the others).
// Any other refusal (a role or scope that changed, a stricter validation) proves nothing, and
// re-sending every record on its word would only pile up changes refused the same way. A refused
// probe is dropped either way, so it is not asked again; the next acknowledged change becomes
// the probe.
func (s *session) checkProbe(ctx context.Context, probe *syncproto.Change, resp syncproto.PushResponse) (lost bool, err error) {
	for _, a := range resp.Accepted {
		if a == probe.ID {
			return true, nil
		}
	}
	for _, r := range resp.Rejected {
		if r.ID == probe.ID {
			lost := recordMissing(probe, r)
			s.c.logger().Info("probe refused", "code", r.Code, "server_lost_data", lost)
			if err := s.c.Store.DropProbe(ctx); err != nil {
				return false, fmt.Errorf("drop probe: %w", err)
			}
			return lost, nil
		}
	}
	return false, nil
}

// recordMissing reports whether the refusal r of the probe says the server lacks its record.
func recordMissing(probe *syncproto.Change, r syncproto.Rejection) bool {
	switch r.Code {
	case syncproto.RejectNotFound:
		return true
	case syncproto.RejectInvalid:
		if probe.Op != syncproto.OpUpsert || len(r.Problems) == 0 {
			return false
		}
		for _, p := range r.Problems {
			if _, sent := probe.Fields[p.Field]; p.Code != record.ErrRequired || sent {
				return false // a field the probe carries is refused: a stricter validation
			}
		}
		return true
	}
	return false
}

func (s *session) resend(ctx context.Context, epoch, why string) error {
	n, err := s.c.Store.ResendState(ctx, epoch)
	if err != nil {
		return fmt.Errorf("queue state: %w", err)
	}
	s.c.logger().Warn("server lost data: state queued again", "why", why, "changes", n)
	s.res.Resent += n
	s.res.Restored = true
	s.resent = true
	s.queued = true
	s.probed = true // the state just queued is all the probe could ask for
	s.toPush += n
	s.progress(PhaseResend)
	return nil
}

// pull fetches pages from the stored cursor until more is false. restart is true when the server
// turned out to have lost data, so the state queued again must be pushed first.
func (s *session) pull(ctx context.Context, onePage bool) (restart bool, err error) {
	c := s.c
	most := c.PullLimit
	if most <= 0 || most > syncproto.MaxPullLimit {
		most = syncproto.MaxPullLimit
	}
	s.pulledAll = false
	first := true
	refDue, err := c.Store.ReferenceDue(ctx, c.now())
	if err != nil {
		return false, fmt.Errorf("reference due: %w", err)
	}
	var pre *pullAhead
	defer func() {
		if pre != nil {
			<-pre.done
		}
	}()
	for {
		cursor, epoch, err := c.Store.SyncState(ctx)
		if err != nil {
			return false, fmt.Errorf("read cursor: %w", err)
		}
		var page syncproto.PullResponse
		var limit int
		var moved int64
		var took time.Duration
		if pre != nil && pre.since == cursor {
			r := <-pre.done
			page, limit, moved, took, err = r.page, pre.limit, r.moved, r.took, r.err
		} else {
			if pre != nil {
				<-pre.done // asked from another cursor: dropped
			}
			limit = changesFor(c.link.budget(c.requestTime()), c.link.pullPerChange(), most)
			q := c.pullQuery(limit)
			if cursor != "" {
				q.Set("since", cursor)
			}
			if sv, err := c.Store.SurveyVersion(ctx); err == nil && sv > 0 {
				q.Set("survey", strconv.Itoa(sv)) // a newer survey catalogue comes on this pull
			}
			if first && refDue && cursor != "" && cursor != "0" {
				// Units and targets come with a pull from 0 anyway; otherwise ask only when none are
				// stored or they are a day old (about 10 KB a time).
				q.Set("ref", "1")
			}
			moved, took, err = c.callPayload(ctx, http.MethodGet, s.base+"/pull?"+q.Encode(), s.token, nil, &page)
		}
		pre = nil
		s.bytes += moved
		if isLinkErr(err) {
			if err := s.linkFailed(ctx, err, int(float64(limit)*max(c.link.pullPerChange(), firstBytesPerChange)), moved, took); err != nil {
				return false, err
			}
			continue // asked again, for fewer
		}
		s.linkFails = 0
		first = false
		if err == nil {
			c.link.notePull(int(moved), len(page.Changes))
		}
		var se *Error
		if errors.Is(err, syncproto.ErrBodyTooLarge) && limit > 1 {
			// An old server, or one holding huge records, sent a page beyond the answer cap:
			// ask for fewer changes instead of the same page for ever.
			most = max(1, limit/2)
			c.logger().Warn("pull page too large; asking for fewer changes", "limit", most)
			continue
		}
		if errors.As(err, &se) && se.ServerCode == syncproto.ErrCursorAhead {
			// The server's log is shorter than what this device already read: it was restored
			// from an older copy that kept its epoch (409 cursor_ahead).
			return true, s.resend(ctx, epoch, "server log behind the device's cursor")
		}
		if err != nil {
			return false, err
		}
		if page.ServerEpoch != "" && page.ServerEpoch != epoch {
			if !s.queued {
				return true, s.resend(ctx, page.ServerEpoch, "epoch changed")
			}
			// The state was queued a moment ago on a 409 cursor_ahead, which made the server
			// rotate its epoch; nothing of it was pushed yet, so it goes to the new epoch as is.
			if err := c.Store.AdoptEpoch(ctx, page.ServerEpoch); err != nil {
				return false, err
			}
			continue // and pull from the beginning under the new epoch
		}
		if behind(page.Cursor, cursor) {
			// The same, from a server that answers with its own shorter cursor instead of a 409.
			return true, s.resend(ctx, epoch, "server cursor behind the device's")
		}
		if page.More && !onePage && page.Cursor != cursor && len(page.Changes) > 0 {
			// The next page is on its way while this one is merged into the store.
			pre = s.prefetch(ctx, page.Cursor, changesFor(c.link.budget(c.requestTime()), c.link.pullPerChange(), most))
		}
		n, err := c.Store.ApplyPull(ctx, cursor, page)
		if err != nil {
			return false, fmt.Errorf("apply pull: %w", err)
		}
		s.res.Pulled += n
		s.progress(PhasePull)
		if !page.More || (page.Cursor == cursor && len(page.Changes) == 0) {
			s.pulledAll = true
			return false, nil
		}
		if onePage {
			return false, nil
		}
	}
}

// progress reports the session's counts in phase.
func (s *session) progress(phase Phase) {
	s.c.progress(Progress{Phase: phase, Pushed: s.pushed, ToPush: s.toPush, Pulled: s.res.Pulled, Bytes: s.bytes})
}

// pullAhead is a pull page asked for before the one before it was merged.
type pullAhead struct {
	since string
	limit int
	done  chan pullResult
}

type pullResult struct {
	page  syncproto.PullResponse
	moved int64
	took  time.Duration
	err   error
}

// prefetch asks for the page after since from its own goroutine.
func (s *session) prefetch(ctx context.Context, since string, limit int) *pullAhead {
	p := &pullAhead{since: since, limit: limit, done: make(chan pullResult, 1)}
	q := s.c.pullQuery(limit)
	q.Set("since", since)
	if sv, err := s.c.Store.SurveyVersion(ctx); err == nil && sv > 0 {
		q.Set("survey", strconv.Itoa(sv))
	}
	go func() {
		var r pullResult
		r.moved, r.took, r.err = s.c.callPayload(ctx, http.MethodGet, s.base+"/pull?"+q.Encode(), s.token, nil, &r.page)
		p.done <- r
	}()
	return p
}

// pullQuery asks for limit changes, by columns (dense=1) unless the client speaks as an old one.
func (c *Client) pullQuery(limit int) url.Values {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if !c.GzipOnly {
		q.Set("dense", "1")
	}
	return q
}

// behind reports whether the server's cursor is before the one the device stored. Cursors are
// opaque, but this server's are decimal positions; anything else is never judged behind.
func behind(got, stored string) bool {
	g, err1 := strconv.ParseInt(got, 10, 64)
	s, err2 := strconv.ParseInt(stored, 10, 64)
	return err1 == nil && err2 == nil && g < s
}

// call sends one request, gzip-compressed, retrying network errors, 429 and 5xx with backoff and
// jitter, and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, method, u, token string, body, out any) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = syncproto.Gzip(body); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	_, _, err := c.callPayload(ctx, method, u, token, payload, out)
	return err
}

// callPayload sends an encoded request as call does, except that a failure on the link
// (CodeUnreachable) comes back at once, with the wire bytes moved and the time taken, so the
// caller tries again smaller rather than the same request. Otherwise moved counts the bytes of
// the successful exchange.
func (c *Client) callPayload(ctx context.Context, method, u, token string, payload []byte, out any) (moved int64, took time.Duration, err error) {
	attempts := c.MaxAttempts
	if attempts <= 0 {
		attempts = defaultAttempts
	}
	for attempt := 1; ; attempt++ {
		var retryAfter time.Duration
		moved, took, retryAfter, err = c.exchange(ctx, method, u, token, payload, out)
		if err == nil {
			return moved, took, nil
		}
		if ctx.Err() != nil {
			return moved, took, ctx.Err()
		}
		var se *Error
		if !errors.As(err, &se) || !retryable(se.Code) || se.Code == CodeUnreachable {
			return moved, took, err
		}
		if attempt >= attempts {
			c.logger().Warn("giving up after retries", "url", redactURL(u), "attempts", attempt, "err", err)
			return moved, took, err
		}
		d := c.backoff(attempt, retryAfter)
		c.logger().Info("retrying", "url", redactURL(u), "attempt", attempt, "wait", d, "err", err)
		if err := c.sleep(ctx, d); err != nil {
			return moved, took, err
		}
	}
}

func retryable(code string) bool {
	return code == CodeUnreachable || code == CodeBusy || code == CodeUnavailable
}

func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// backoff is exponential with "equal jitter": half the step fixed, half random, so many devices
// coming back online at once spread out; a longer Retry-After wins.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	base, max := c.BaseDelay, c.MaxDelay
	if base <= 0 {
		base = time.Second
	}
	if max <= 0 {
		max = time.Minute
	}
	d := base << (attempt - 1)
	if d > max || d <= 0 {
		d = max
	}
	j := rand.Float64
	if c.Jitter != nil {
		j = c.Jitter
	}
	d = d/2 + time.Duration(j()*float64(d/2))
	if retryAfter > d {
		d = retryAfter
	}
	return d
}

func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// once sends one request. It returns the Retry-After of a 429 or 503.
func (c *Client) once(ctx context.Context, method, u, token string, payload []byte, out any) (time.Duration, error) {
	w := watchOf(ctx)
	var rd io.Reader
	if payload != nil {
		rd = w.reader(bytes.NewReader(payload))
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	if payload != nil {
		req.ContentLength = int64(len(payload))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(w.reader(bytes.NewReader(payload))), nil }
	}
	switch {
	case syncproto.IsZstd(payload):
		// Only pushes go in zstd (encodePush), dense unless the push said otherwise.
		ct, _ := ctx.Value(bodyTypeKey{}).(string)
		if ct == "" {
			ct = syncproto.ContentTypeDense
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Content-Encoding", syncproto.EncodingZstd)
	case payload != nil:
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
	}
	req.Header.Set("Accept", "application/json")
	// Asked for explicitly, answers are not inflated by the transport: the client reads them
	// as they came over the wire and inflates them itself. zstd with the dictionary when the
	// server holds it too, else gzip.
	if c.GzipOnly {
		req.Header.Set("Accept-Encoding", "gzip")
	} else {
		req.Header.Set("Accept-Encoding", "zstd, gzip")
		req.Header.Set(syncproto.HeaderZstdDicts, strconv.Itoa(syncproto.DictID))
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	sent := c.now()
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return 0, &Error{Code: CodeUnreachable, Err: err}
	}
	defer resp.Body.Close()
	c.noteServerTime(ctx, resp.Header.Get(syncproto.HeaderServerTime), sent)
	limit := c.MaxAnswerBytes
	if limit <= 0 {
		limit = maxAnswerBytes
	}
	b, err := syncproto.ReadBody(w.reader(resp.Body), resp.Header.Get("Content-Encoding"), limit)
	if errors.Is(err, syncproto.ErrBodyTooLarge) {
		// Retrying the same request cannot help; the caller may ask for less.
		return 0, &Error{Code: CodeTooLarge, Status: resp.StatusCode, Err: fmt.Errorf("read answer: %w", err)}
	}
	if err != nil {
		return 0, &Error{Code: CodeUnreachable, Status: resp.StatusCode, Err: fmt.Errorf("read answer: %w", err)}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				// A cut or garbled answer: the request may have been committed, and retrying an
				// idempotent push or pull is safe.
				return 0, &Error{Code: CodeUnreachable, Status: resp.StatusCode, Err: fmt.Errorf("decode answer: %w", err)}
			}
		}
		return 0, nil
	}
	var eb syncproto.ErrorBody
	_ = json.Unmarshal(b, &eb)
	e := &Error{Status: resp.StatusCode, ServerCode: eb.Error.Code, Message: eb.Error.Message}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		switch eb.Error.Code {
		case syncproto.ErrCodeUnknown, syncproto.ErrCodeExpired, syncproto.ErrCodeUsed:
			e.Code = eb.Error.Code
		case syncproto.ErrDeviceUnknown:
			e.Code = CodeDeviceUnknown
			c.serverForgot(ctx)
		default:
			e.Code = CodeRevoked
		}
	case resp.StatusCode == http.StatusUpgradeRequired:
		e.Code = CodeUpdateRequired
	case resp.StatusCode == http.StatusRequestEntityTooLarge:
		e.Code = CodeTooLarge
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Code = CodeBusy
	case resp.StatusCode >= 500:
		e.Code = CodeUnavailable
	default:
		e.Code = CodeRefused
	}
	// An HTTP-date Retry-After is read against the server's Date, not the device's clock, which
	// in the countryside may be days off.
	ref := time.Now()
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		ref = d
	}
	return retryAfter(resp.Header.Get("Retry-After"), ref), e
}

// EnrollmentLost is implemented by a store that can queue everything it holds for the next
// enrollment: a server that no longer knows the device (restored from an older backup) may lack
// any of what it acknowledged.
type EnrollmentLost interface {
	ServerForgotDevice(ctx context.Context) error
}

func (c *Client) serverForgot(ctx context.Context) {
	if s, ok := c.Store.(EnrollmentLost); ok {
		if err := s.ServerForgotDevice(ctx); err != nil {
			c.logger().Warn("note lost enrollment", "err", err)
		}
	}
}

// ClockCorrector is implemented by a store that stamps its changes with the device clock
// corrected by the server's (fieldapp/localstore does): every answer's X-Server-Time is noted.
type ClockCorrector interface {
	NoteServerTime(ctx context.Context, server, sent, received time.Time) error
}

// noteServerTime gives the store the server's clock against the device's when the request left
// and when its answer's headers arrived: the server read its clock in between.
func (c *Client) noteServerTime(ctx context.Context, header string, sent time.Time) {
	cc, ok := c.Store.(ClockCorrector)
	if !ok || header == "" {
		return
	}
	st, err := time.Parse(time.RFC3339Nano, header)
	if err != nil {
		c.logger().Warn("server time unreadable", "header", header)
		return
	}
	recv := c.now()
	if err := cc.NoteServerTime(ctx, st, sent, recv); err != nil {
		c.logger().Warn("note server time", "err", err)
	}
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
