// Package api is the sync API of PROTOCOL.md on fiber: enroll, push, pull, totals, kpis, units and
// healthz under /api/v1. It translates HTTP to server/store calls and store errors to the
// whole-request errors of the protocol; the merge itself lives behind the store.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/server/push"
	"talbar/server/store"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// Config wires the API.
type Config struct {
	Store  store.Store
	Units  *unit.Tree
	Logger *slog.Logger
	// MaxInflightPushes sheds load with 429 beyond this many pushes at once (default 32).
	MaxInflightPushes int
	// Metrics counts requests; may be nil.
	Metrics *Metrics
	// Now is the server's wall clock, sent as X-Server-Time; time.Now when nil.
	Now func() time.Time
}

// API holds the handlers' dependencies.
type API struct {
	cfg       Config
	engine    *push.Engine
	unitsJSON []byte
	inflight  chan struct{}
	draining  atomic.Bool
	// enrollLimit bounds failed enrollments per address and code prefix.
	enrollLimit enrollLimit
}

// New builds the API.
func New(cfg Config) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxInflightPushes <= 0 {
		cfg.MaxInflightPushes = 32
	}
	if cfg.Metrics == nil {
		cfg.Metrics = &Metrics{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b, _ := json.Marshal(cfg.Units.All())
	return &API{cfg: cfg, engine: &push.Engine{Store: cfg.Store, Units: cfg.Units}, unitsJSON: b, inflight: make(chan struct{}, cfg.MaxInflightPushes)}
}

// Mount registers the routes on app.
func (a *API) Mount(app *fiber.App) {
	v1 := app.Group("/api/v1", a.serverTime)
	v1.Get("/healthz", a.healthz)
	v1.Get("/units", a.units)
	v1.Post("/enroll", a.enroll)
	v1.Post("/push", a.auth, a.push)
	v1.Get("/pull", a.auth, a.pull)
	v1.Get("/totals", a.auth, a.totals)
	v1.Get("/kpis", a.auth, a.kpis)
	app.Get("/metrics", a.metrics)
}

// serverTime stamps every answer with the server's clock, so a device corrects its own from any
// answer, an error included.
func (a *API) serverTime(c *fiber.Ctx) error {
	c.Set(syncproto.HeaderServerTime, a.cfg.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	return c.Next()
}

// InflightPushes is how many pushes are being merged now.
func (a *API) InflightPushes() int { return len(a.inflight) }

// Drain makes new pushes answer 503 while a shutdown lets those in flight finish.
func (a *API) Drain() { a.draining.Store(true) }

// fail writes a whole-request error of the protocol.
func fail(c *fiber.Ctx, status int, code, msg string) error {
	return c.Status(status).JSON(syncproto.ErrorBody{Error: syncproto.ErrorDetail{Code: code, Message: msg}})
}

// ErrorHandler answers fiber's own errors (body too large, unknown route) in the protocol's shape.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			code := map[int]string{400: syncproto.ErrMalformed, 404: syncproto.ErrNotFound, 405: syncproto.ErrNotFound,
				413: syncproto.ErrTooLarge, 503: syncproto.ErrUnavailable}[fe.Code]
			if code == "" {
				code = syncproto.ErrInternal
			}
			return fail(c, fe.Code, code, fe.Message)
		}
		log.Error("request failed", "path", c.Path(), "err", err)
		return fail(c, fiber.StatusInternalServerError, syncproto.ErrInternal, "internal error")
	}
}

// storeError maps a store error to its whole-request answer.
func (a *API) storeError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, store.ErrDeviceUnknown):
		return fail(c, fiber.StatusUnauthorized, syncproto.ErrDeviceUnknown,
			"this server does not know this device (it was restored from a backup older than the enrollment): enroll again with a new code; your records are kept and sent again")
	case errors.Is(err, store.ErrUnauthorized):
		return fail(c, fiber.StatusUnauthorized, syncproto.ErrUnauthorized, "bad or revoked token")
	case errors.Is(err, store.ErrInvalid):
		return fail(c, fiber.StatusBadRequest, syncproto.ErrMalformed, err.Error())
	case errors.Is(err, store.ErrNotFound):
		return fail(c, fiber.StatusNotFound, syncproto.ErrNotFound, err.Error())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fail(c, fiber.StatusServiceUnavailable, syncproto.ErrUnavailable, "request cancelled")
	}
	a.cfg.Logger.Error("store failed", "path", c.Path(), "err", err)
	c.Set(fiber.HeaderRetryAfter, "5")
	return fail(c, fiber.StatusServiceUnavailable, syncproto.ErrUnavailable, "the store is unavailable; retry later")
}

const principalKey = "principal"

// auth checks the bearer token and stores the principal for the handler.
func (a *API) auth(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return fail(c, fiber.StatusUnauthorized, syncproto.ErrUnauthorized, "missing bearer token")
	}
	p, err := a.cfg.Store.Authenticate(c.UserContext(), tok)
	if err != nil {
		return a.storeError(c, err)
	}
	c.Locals(principalKey, p)
	return c.Next()
}

func principal(c *fiber.Ctx) store.Principal {
	p, _ := c.Locals(principalKey).(store.Principal)
	return p
}

// apiError is a whole-request failure on its way to the client.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) send(c *fiber.Ctx) error { return fail(c, e.status, e.code, e.message) }

// readBody returns the request body, decompressed and bounded: the raw size is checked first, and
// gzip is inflated only up to limit, so a gzip bomb is refused rather than inflated.
func readBody(c *fiber.Ctx, limit int64) ([]byte, *apiError) {
	// The raw body is read here, bounded, for a push (after its token was checked); other routes
	// were bounded by LimitBodies. c.Request().Body() is then the raw body: fiber's c.Body()
	// would inflate gzip without a bound.
	if e := bufferBody(c, limit); e != nil {
		return nil, e
	}
	raw := c.Request().Body()
	ct := c.Get(fiber.HeaderContentType)
	if ct != "" && !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) && !strings.HasPrefix(ct, syncproto.ContentTypeDense) {
		return nil, &apiError{fiber.StatusUnsupportedMediaType, syncproto.ErrEncoding, "content type must be application/json or " + syncproto.ContentTypeDense}
	}
	b, err := syncproto.ReadBody(bytes.NewReader(raw), strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentEncoding))), limit)
	switch {
	case errors.Is(err, syncproto.ErrUnknownDictionary):
		return nil, &apiError{fiber.StatusUnsupportedMediaType, syncproto.ErrDictionary,
			"zstd dictionary not known to this server (it holds id " + strconv.Itoa(syncproto.DictID) + "): send gzip"}
	case errors.Is(err, syncproto.ErrUnsupportedEncoding):
		return nil, &apiError{fiber.StatusUnsupportedMediaType, syncproto.ErrEncoding, err.Error()}
	case errors.Is(err, syncproto.ErrBodyTooLarge):
		return nil, &apiError{fiber.StatusRequestEntityTooLarge, syncproto.ErrTooLarge, "body exceeds 8 MiB decompressed"}
	case err != nil:
		return nil, &apiError{fiber.StatusBadRequest, syncproto.ErrMalformed, err.Error()}
	}
	return b, nil
}

// answer sends v as JSON, compressed with zstd and the dictionary when the client holds it
// (Accept-Encoding zstd and syncproto.HeaderZstdDicts); otherwise the compress middleware
// gzips it as before, for clients that predate zstd.
func answer(c *fiber.Ctx, v any) error {
	if !syncproto.AcceptsDict(c.Get(fiber.HeaderAcceptEncoding), c.Get(syncproto.HeaderZstdDicts)) {
		return c.JSON(v)
	}
	b, err := syncproto.ZstdAnswer(v)
	if err != nil {
		return fmt.Errorf("compress answer: %w", err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderContentEncoding, syncproto.EncodingZstd)
	c.Vary(fiber.HeaderAcceptEncoding, syncproto.HeaderZstdDicts)
	return c.Send(b)
}

// readJSON reads a bounded body into v.
func readJSON(c *fiber.Ctx, limit int64, v any) *apiError {
	b, e := readBody(c, limit)
	if e != nil {
		return e
	}
	if err := json.Unmarshal(b, v); err != nil {
		return &apiError{fiber.StatusBadRequest, syncproto.ErrMalformed, "malformed JSON: " + err.Error()}
	}
	return nil
}
