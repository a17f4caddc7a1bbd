package api

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/server/store"
	"talbar/shared/indicator"
	"talbar/syncproto"
)

// enroll exchanges a one-time code for a device token.
func (a *API) enroll(c *fiber.Ctx) error {
	var req syncproto.EnrollRequest
	if e := readJSON(c, 64<<10, &req); e != nil {
		return e.send(c)
	}
	if req.Code == "" {
		return fail(c, fiber.StatusBadRequest, syncproto.ErrMalformed, "code is required")
	}
	now := time.Now()
	if wait := a.enrollLimit.blocked(c.IP(), req.Code, now); wait > 0 {
		secs := int(wait/time.Second) + 1
		a.cfg.Logger.Warn("enrollment refused: too many failures", "ip", c.IP(), "retry_after_s", secs)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		return fail(c, fiber.StatusTooManyRequests, syncproto.ErrRateLimited, "too many failed enrollments; retry after "+strconv.Itoa(secs)+" seconds")
	}
	p, token, err := a.cfg.Store.Enroll(c.UserContext(), req.Code, req.DeviceName, req.Platform)
	if errors.Is(err, store.ErrCodeUnknown) || errors.Is(err, store.ErrCodeExpired) || errors.Is(err, store.ErrCodeUsed) {
		// The code itself is never logged: part of it would narrow the guessing of the rest.
		n := a.enrollLimit.fail(c.IP(), req.Code, now)
		a.cfg.Logger.Warn("enrollment failed", "ip", c.IP(), "reason", err.Error(), "failures_this_minute", n)
	}
	switch {
	case errors.Is(err, store.ErrCodeUnknown):
		return fail(c, fiber.StatusUnauthorized, syncproto.ErrCodeUnknown, "enrollment code is not known")
	case errors.Is(err, store.ErrCodeExpired):
		return fail(c, fiber.StatusUnauthorized, syncproto.ErrCodeExpired, "enrollment code has expired")
	case errors.Is(err, store.ErrCodeUsed):
		return fail(c, fiber.StatusUnauthorized, syncproto.ErrCodeUsed, "enrollment code was already used")
	case err != nil:
		return a.storeError(c, err)
	}
	a.cfg.Logger.Info("device enrolled", "device", p.DeviceID, "inspector", p.Inspector.ID, "unit", p.Inspector.Unit)
	return c.Status(fiber.StatusCreated).JSON(syncproto.EnrollResponse{
		DeviceID: p.DeviceID, Token: token,
		Inspector: syncproto.Inspector{ID: p.Inspector.ID, Name: p.Inspector.Name, UnitCode: p.Inspector.Unit, Role: p.Inspector.Role},
		ServerHLC: a.cfg.Store.ServerHLC(), ServerEpoch: a.cfg.Store.Epoch(),
	})
}

// push merges a batch. Whole-request checks come first, in the order that costs least.
func (a *API) push(c *fiber.Ctx) error {
	if a.draining.Load() {
		c.Set(fiber.HeaderRetryAfter, "5")
		return fail(c, fiber.StatusServiceUnavailable, syncproto.ErrUnavailable, "server is shutting down; retry later")
	}
	select {
	case a.inflight <- struct{}{}:
		defer func() { <-a.inflight }()
	default:
		a.cfg.Metrics.Shed.Add(1)
		c.Set(fiber.HeaderRetryAfter, "2")
		return fail(c, fiber.StatusTooManyRequests, syncproto.ErrRateLimited, "too many pushes at once; retry after 2 seconds")
	}
	body, e := readBody(c, syncproto.MaxBodyBytes)
	if e != nil {
		return e.send(c)
	}
	req, err := syncproto.DecodePushAs(c.Get(fiber.HeaderContentType), body, syncproto.MaxChanges)
	switch {
	case req.Protocol != syncproto.Protocol && (err == nil || req.Protocol != 0):
		// Checked first: a newer client's body may not even decode as protocol 1.
		return fail(c, fiber.StatusUpgradeRequired, syncproto.ErrProtocol,
			"protocol "+strconv.Itoa(req.Protocol)+" is not supported; this server speaks protocol "+strconv.Itoa(syncproto.Protocol)+
				": update the field app, your unsent changes stay on the device")
	case errors.Is(err, syncproto.ErrTooManyChanges):
		return fail(c, fiber.StatusRequestEntityTooLarge, syncproto.ErrTooLarge, "more than 5000 changes in one push")
	case err != nil:
		return fail(c, fiber.StatusBadRequest, syncproto.ErrMalformed, "malformed push: "+err.Error())
	}
	p := principal(c)
	if req.DeviceID != "" && req.DeviceID != p.DeviceID {
		return fail(c, fiber.StatusBadRequest, syncproto.ErrMalformed, "device_id does not match the token's device")
	}
	// The merge runs to completion even if the client hangs up or the server begins to shut
	// down: a half-done push is rolled back, but a done one should reach its commit.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.UserContext()), 60*time.Second)
	defer cancel()
	start := time.Now()
	resp, err := a.engine.Push(ctx, p, req)
	if err != nil {
		return a.storeError(c, err)
	}
	a.cfg.Metrics.observePush(len(resp.Accepted), len(resp.Duplicates), len(resp.Rejected), time.Since(start))
	a.cfg.Logger.Info("push", "device", p.DeviceID, "unit", p.Inspector.Unit, "accepted", len(resp.Accepted),
		"duplicates", len(resp.Duplicates), "rejected", len(resp.Rejected), "ms", time.Since(start).Milliseconds())
	return answer(c, resp)
}

// pull returns the next page of changes in the caller's scope.
func (a *API) pull(c *fiber.Ctx) error {
	since := int64(0)
	if s := c.Query("since"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return fail(c, fiber.StatusBadRequest, syncproto.ErrMalformed, "since must be a cursor this server returned")
		}
		since = n
	}
	limit := syncproto.DefaultPullLimit
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > syncproto.MaxPullLimit {
			return fail(c, fiber.StatusBadRequest, syncproto.ErrMalformed, "limit must be between 1 and 5000")
		}
		limit = n
	}
	p := principal(c)
	changes, cursor, more, err := a.cfg.Store.Pull(c.UserContext(), p, since, limit)
	if errors.Is(err, store.ErrCursorAhead) {
		return c.Status(fiber.StatusConflict).JSON(syncproto.ErrorBody{Error: syncproto.ErrorDetail{
			Code: syncproto.ErrCursorAhead, Message: "cursor " + strconv.FormatInt(since, 10) +
				" is beyond this server's change log (" + strconv.FormatInt(cursor, 10) + "): re-send your records and pull from 0"}})
	}
	if err != nil {
		return a.storeError(c, err)
	}
	a.cfg.Metrics.Pulled.Add(int64(len(changes)))
	cat, err := a.cfg.Store.SurveyCatalogue(c.UserContext(), false)
	if err != nil {
		return a.storeError(c, err)
	}
	resp := syncproto.PullResponse{Changes: changes, Cursor: strconv.FormatInt(cursor, 10), More: more,
		ServerEpoch: a.cfg.Store.Epoch(), ServerHLC: a.cfg.Store.ServerHLC(), SurveyVersion: cat.Latest().Version}
	// The catalogue (about 9 KB) goes only to a device that says it holds an older one
	// (survey=N): a new question reaches it on this pull, not a day later; clients that do not
	// read the catalogue (protocol 2 ones send no survey=) are not sent it.
	held, err := strconv.Atoi(c.Query("survey"))
	stale := err == nil && held < cat.Latest().Version
	if since == 0 || c.Query("ref") == "1" {
		targets, err := a.cfg.Store.Targets(c.UserContext())
		if err != nil {
			return a.storeError(c, err)
		}
		baselines, err := a.cfg.Store.Baselines(c.UserContext())
		if err != nil {
			return a.storeError(c, err)
		}
		// Devices get the targets as the server judges with them: coverage targets derived.
		resp.Reference = &syncproto.Reference{Units: a.cfg.Units.All(), Targets: indicator.Resolve(targets, baselines)}
		if stale {
			resp.Reference.Survey = cat
		}
	} else if stale {
		resp.Reference = &syncproto.Reference{Survey: cat}
	}
	if c.Query("dense") == "1" {
		resp.Densify()
	}
	return answer(c, resp)
}
