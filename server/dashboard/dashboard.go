// Package dashboard is the headquarters dashboard: server-rendered html/template pages for
// national and divisional totals, the indicators against their targets, the activity plan, the
// devices' sync health and the exports. Templates and the dashboard's own CSS and JS are
// embedded here; vendored libraries come from assets.Web. Nothing is cached between requests:
// totals are indexed reads, so a page is current the moment a push commits.
package dashboard

import (
	"bytes"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/server/push"
	"talbar/server/store"
	"talbar/shared/i18n"
	"talbar/shared/unit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Prefix is where the dashboard lives; "/" redirects here.
const Prefix = "/dashboard"

// Config wires the dashboard.
type Config struct {
	Store   store.Store
	Units   *unit.Tree
	Catalog *i18n.Catalog
	Logger  *slog.Logger
	// Vendor holds vendored browser files (assets.Web()).
	Vendor fs.FS
	// Now is the clock; tests set it.
	Now func() time.Time
	// SessionTTL is how long a sign-in lasts (default 12 hours: a working day).
	SessionTTL time.Duration
	// LoginLimit bounds password guessing at the sign-in form (defaults: 5 failures per user
	// name or 20 per address within 15 minutes lock it for 1 minute, doubling up to an hour).
	LoginLimit LoginLimit
	// RefreshEvery is how often an open overview asks for fresh figures (default 1 second, so a
	// push shows within a second without any cache to invalidate).
	RefreshEvery time.Duration
	// Plans keeps the divisions' annual plans; without it the plan page shows what was
	// recorded only.
	Plans store.AnnualPlans
	// Notes keeps what divisions write into the half-year report.
	Notes store.ReportNotes
	// PublicURL is the server's address for field apps (--public-url), printed on enrollment
	// slips; empty means the address the page was reached by, flagged on the slip.
	PublicURL string
}

// Handler serves the dashboard.
type Handler struct {
	cfg Config
	// engine writes what the dashboard decides (a settled conflict) as a change of its own.
	engine *push.Engine
	pages  map[string]*template.Template
	geo    *aimagMap
	limits *limiter
	// hashKey keys the hash that stands for a typed user name in logs and in the limiter.
	hashKey []byte
	// flashes carries a new enrollment code from a form's POST to the page it redirects to.
	flashes flashes
}

// New parses the templates and the aimag shapes.
func New(cfg Config, aimagsGeoJSON []byte) (*Handler, error) {
	if cfg.Store == nil || cfg.Units == nil || cfg.Catalog == nil {
		return nil, errors.New("dashboard: store, units and catalogue are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Plans == nil {
		cfg.Plans = cfg.Store
	}
	if cfg.Notes == nil {
		cfg.Notes = cfg.Store
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = time.Second
	}
	cfg.LoginLimit = cfg.LoginLimit.withDefaults()
	h := &Handler{cfg: cfg, pages: map[string]*template.Template{}, limits: newLimiter(), hashKey: make([]byte, 32),
		engine: &push.Engine{Store: cfg.Store, Units: cfg.Units, Now: cfg.Now}}
	if _, err := rand.Read(h.hashKey); err != nil {
		return nil, fmt.Errorf("name hash key: %w", err)
	}
	funcs := template.FuncMap{
		"int64":   func(n int) int64 { return int64(n) },
		"list":    func(xs ...string) []string { return xs },
		"timePtr": func(t time.Time) *time.Time { return &t },
		"parentOf": func(c string) string {
			u, _ := cfg.Units.Get(unit.Code(c))
			return string(u.Parent)
		},
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		h.pages[name] = t
	}
	h.geo, err = parseAimagMap(aimagsGeoJSON, 900)
	if err != nil {
		return nil, fmt.Errorf("aimag map: %w", err)
	}
	return h, nil
}

// Mount registers the dashboard's routes on app.
func (h *Handler) Mount(app *fiber.App) {
	app.Get("/", func(c *fiber.Ctx) error { return c.Redirect(Prefix+"/", fiber.StatusFound) })
	app.Get(Prefix+"/static/*", h.static)
	// Browsers ask for /favicon.ico on their own; the icon is an SVG, which they all draw.
	app.Get("/favicon.ico", h.favicon)
	app.Get(Prefix+"/login", h.loginForm)
	app.Post(Prefix+"/login", h.limitLogin, h.login)
	g := app.Group(Prefix, h.session)
	g.Post("/logout", h.csrf, h.logout)
	g.Get("/", h.overview)
	g.Get("/api/overview", h.overviewJSON)
	g.Get("/units", h.units)
	g.Get("/units/:code", h.units)
	g.Get("/indicators", h.indicators)
	g.Post("/indicators", h.require(store.WebAdmin), h.csrf, h.setTarget)
	g.Post("/indicators/baseline", h.require(store.WebAdmin), h.csrf, h.setBaseline)
	g.Get("/plan", h.plan)
	g.Get("/plan/edit", h.planEdit)
	g.Post("/plan/edit", h.csrf, h.savePlan)
	g.Get("/plan/template.xlsx", h.planTemplate)
	g.Post("/plan/upload", h.csrf, h.uploadPlan)
	// Officers see their division's devices read-only; changes stay with administrators.
	g.Get("/devices", h.require(store.WebAdmin, store.WebViewer, store.WebOfficer), h.devices)
	g.Post("/devices/inspectors", h.require(store.WebAdmin), h.csrf, h.createInspector)
	g.Post("/devices/code", h.require(store.WebAdmin), h.csrf, h.issueCode)
	g.Post("/devices/cancel-codes", h.require(store.WebAdmin), h.csrf, h.cancelCodes)
	g.Post("/devices/revoke", h.require(store.WebAdmin), h.csrf, h.revoke)
	g.Get("/conflicts", h.require(store.WebAdmin, store.WebOfficer), h.conflicts)
	g.Post("/conflicts/resolve", h.require(store.WebAdmin, store.WebOfficer), h.csrf, h.resolveConflict)
	g.Get("/exports", h.exports)
	g.Get("/export/totals.:ext", h.exportTotals)
	g.Get("/export/:entity.:ext", h.exportRecords)
	g.Get("/alerts", h.alerts)
	g.Get("/report", h.report)
	g.Get("/surveys", h.surveys)
	g.Get("/surveys/catalogue.json", h.surveyCatalogueJSON)
	g.Post("/surveys/catalogue", h.require(store.WebAdmin), h.csrf, h.uploadSurveyVersion)
	g.Post("/report/notes", h.csrf, h.saveReportNotes)
	// Last: any other path under the dashboard is a page that does not exist, answered as a
	// page rather than the sync API's JSON.
	g.Use(h.notFound)
}

// notFound answers an unknown dashboard path with a translated HTML page.
func (h *Handler) notFound(c *fiber.Ctx) error {
	return h.fail(c, fiber.StatusNotFound, "dash.page_not_found")
}

// view is what every template sees: the request's language, user and CSRF token, and helpers
// that translate and format, so templates never format a number themselves.
type view struct {
	h     *Handler
	Lang  string
	User  store.User
	CSRF  string
	Nav   string
	Title string
	Path  string
	query url.Values
	Data  any
}

// T translates key in the request's language.
func (v *view) T(key string, args ...any) string { return v.h.cfg.Catalog.T(v.Lang, key, args...) }

// N formats an integer for the language.
func (v *view) N(n int64) string { return FormatInt(v.Lang, n) }

// Pct formats a percentage with one decimal, or a dash for no data.
func (v *view) Pct(p *float64) string { return FormatPct(v.Lang, p) }

// F formats a float that holds a count (official insured numbers) or a percentage.
func (v *view) F(p *float64, percent bool) string {
	if percent {
		return FormatPct(v.Lang, p)
	}
	if p == nil {
		return "—"
	}
	return FormatInt(v.Lang, int64(*p+0.5))
}

// UnitName is a unit's name in the request's language.
func (v *view) UnitName(code string) string {
	if u, ok := v.h.cfg.Units.Get(unit.Code(code)); ok {
		return u.Name(v.Lang)
	}
	return code
}

// IsAdmin reports whether the user may change things.
func (v *view) IsAdmin() bool { return v.User.Role == store.WebAdmin }

// MayReview reports whether the user may settle conflicts (headquarters' administrators and
// division officers).
func (v *view) MayReview() bool {
	return v.User.Role == store.WebAdmin || v.User.Role == store.WebOfficer
}

// IsHQ reports whether the user sees the whole nation.
func (v *view) IsHQ() bool { return v.User.Role == store.WebAdmin || v.User.Role == store.WebViewer }

// LangURL is the current page in another language.
func (v *view) LangURL(lang string) string {
	q := url.Values{}
	for k, vs := range v.query {
		q[k] = vs
	}
	q.Set("lang", lang)
	return v.Path + "?" + q.Encode()
}

// Q is the current page's query with some keys replaced ("key", "value", …), for links that
// change one setting and keep the others.
func (v *view) Q(kv ...string) string {
	q := url.Values{}
	for k, vs := range v.query {
		if k != "lang" {
			q[k] = vs
		}
	}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return "?" + q.Encode()
}

// Langs lists the interface languages for the switch.
func (v *view) Langs() []string { return i18n.Langs }

// filters is the year, period and unit selector shared by the pages.
type filters struct {
	V       *view
	Unit    string
	Units   []string
	Year    int
	Years   []int
	Period  string
	Periods []Period
	Extra   map[string]string
}

// Filters builds the selector; an empty period leaves the period choice out.
func (v *view) Filters(code string, units []string, year int, period string) filters {
	f := filters{V: v, Unit: code, Units: units, Year: year, Years: v.h.years(), Period: period, Extra: map[string]string{}}
	if period != "" {
		f.Periods = Periods
	}
	for _, k := range []string{"metric", "sort", "dir"} {
		if x := v.query.Get(k); x != "" {
			f.Extra[k] = x
		}
	}
	return f
}

// PlanFilters is the selector of the plan pages: the year and its halves only, which is what a
// plan is made for.
func (v *view) PlanFilters(code string, units []string, year int, period string) filters {
	f := v.Filters(code, units, year, period)
	f.Periods = planPeriods
	return f
}

// Cmp wraps comparison rows for the "cmp" partial.
func (v *view) Cmp(rows []compareRow) struct {
	V    *view
	Rows []compareRow
} {
	return struct {
		V    *view
		Rows []compareRow
	}{v, rows}
}

// FV formats a plain float figure (a baseline) as a count or a percentage.
func (v *view) FV(x float64, percent bool) string { return v.F(&x, percent) }

// Now is the time a page was made.
func (v *view) Now() string { return v.h.asOf(v.Lang) }

// Figs wraps a figure list for the "figtable" partial.
func (v *view) Figs(f []figure) struct{ Figs []figure } { return struct{ Figs []figure }{f} }

// newView starts a page's view from the request.
func (h *Handler) newView(c *fiber.Ctx, nav string) *view {
	v := &view{h: h, Lang: h.lang(c), Nav: nav, Path: strings.Clone(c.Path()), query: url.Values{}}
	c.Context().QueryArgs().VisitAll(func(k, val []byte) { v.query.Add(string(k), string(val)) })
	if s, ok := c.Locals(sessionKey).(*signedIn); ok {
		v.User, v.CSRF = s.User, s.Session.CSRF
	}
	return v
}

// render executes a page into a buffer first, so a template error becomes a clean 500.
func (h *Handler) render(c *fiber.Ctx, page string, v *view) error {
	t, ok := h.pages[page]
	if !ok {
		return fmt.Errorf("no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		h.cfg.Logger.Error("render page", "page", page, "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString(v.T("error.internal"))
	}
	h.secureHeaders(c)
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

// secureHeaders forbids inline scripts and framing: every script is a file of ours.
func (h *Handler) secureHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// fail renders an error page with a status and a translated message.
func (h *Handler) fail(c *fiber.Ctx, status int, key string) error {
	v := h.newView(c, "")
	v.Title = v.T(key)
	v.Data = key
	c.Status(status)
	return h.render(c, "error", v)
}

// serverError logs err and answers 500.
func (h *Handler) serverError(c *fiber.Ctx, err error) error {
	h.cfg.Logger.Error("dashboard request failed", "path", c.Path(), "err", err)
	return h.fail(c, fiber.StatusInternalServerError, "error.internal")
}

// favicon answers /favicon.ico with the dashboard's icon.
func (h *Handler) favicon(c *fiber.Ctx) error {
	b, err := staticFS.ReadFile("static/favicon.svg")
	if err != nil {
		return fmt.Errorf("favicon: %w", err)
	}
	c.Set(fiber.HeaderContentType, "image/svg+xml")
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	return c.Send(b)
}

// static serves the dashboard's own files and the vendored libraries under static/vendor/.
func (h *Handler) static(c *fiber.Ctx) error {
	p := path.Clean("/" + c.Params("*"))[1:]
	var b []byte
	var err error
	if rest, ok := strings.CutPrefix(p, "vendor/"); ok && h.cfg.Vendor != nil {
		b, err = fs.ReadFile(h.cfg.Vendor, "vendor/"+rest)
	} else {
		b, err = staticFS.ReadFile("static/" + p)
	}
	if err != nil {
		return c.Status(fiber.StatusNotFound).SendString("not found")
	}
	ct := mime.TypeByExtension(path.Ext(p))
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(b)
}
