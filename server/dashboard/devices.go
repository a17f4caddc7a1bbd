package dashboard

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// CodeTTL is how long an enrollment code issued from the dashboard stays valid, as the admin
// command's.
const CodeTTL = 7 * 24 * time.Hour

// silentAfter is how long without contact makes a device "silent" in the devices filter.
const silentAfter = 7 * 24 * time.Hour

// deviceRow is one device as the page shows it: the stored health with the unit named under its
// aimag, and the values the table sorts by.
type deviceRow struct {
	store.Device
	UnitPath string
	Skew     string
	SkewBad  bool
	Silent   bool
}

// rejectionRow is one refused change with its inspector and its problems translated.
type rejectionRow struct {
	ChangeID  string
	At        time.Time
	Inspector string
	Device    string
	UnitPath  string
	Code      string
	Details   []string
}

// codeCard is the one-time enrollment code shown after it was issued, with what the inspector
// types into the field app and a QR code holding both.
type codeCard struct {
	Code   string
	For    string
	Server string
	// Guessed: Server is the browser's address, not a configured --public-url.
	Guessed bool
	QR      template.URL // data: URL of a PNG, made here, so safe to put in src
	Expires time.Time
}

type devicesData struct {
	Inspectors []store.Inspector
	Devices    []deviceRow
	Rejections []rejectionRow
	Leaves     []string
	Divisions  []string
	// Filter choices: the divisions the visible devices belong to.
	FilterUnits []string
	Unit        string
	Show        string
	Sort        string
	Desc        bool
	Total       int
	Card        *codeCard
	Message     string
	Error       string
}

// Since formats a time for the devices table, or a dash.
func (v *view) Since(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return FormatTime(v.Lang, t.Local())
}

// UnitPath names a unit under its aimag ("Архангай / Эрдэнэбулган"), since soum names repeat
// across aimags; an aimag or the capital stands alone.
func (v *view) UnitPath(code string) string {
	u, ok := v.h.cfg.Units.Get(unit.Code(code))
	if !ok {
		return code
	}
	if u.Parent == "" || u.Parent == unit.Nation {
		return u.Name(v.Lang)
	}
	return v.UnitName(string(u.Parent)) + " / " + u.Name(v.Lang)
}

// FormatSkew writes a device clock's offset from the server's: "+3 min" ahead, "−2 h" behind.
func FormatSkew(v *view, ms int64) string {
	sign := "+"
	if ms < 0 {
		sign, ms = "−", -ms
	}
	d := time.Duration(ms) * time.Millisecond
	if d < time.Second {
		return v.T("dash.skew_s", 0)
	}
	switch {
	case d < time.Minute:
		return sign + v.T("dash.skew_s", int64(d/time.Second))
	case d < time.Hour:
		return sign + v.T("dash.skew_min", int64(d/time.Minute))
	case d < 48*time.Hour:
		return sign + v.T("dash.skew_h", int64(d/time.Hour))
	}
	return sign + v.T("dash.skew_d", int64(d/(24*time.Hour)))
}

// rejectionsShown is how many recent rejections the devices page lists.
const rejectionsShown = 100

// devicesData reads the devices page. Headquarters sees every inspector, device and rejection;
// a division officer only those of inspectors in their aimag or the capital, read-only.
func (h *Handler) devicesData(c *fiber.Ctx, v *view) (devicesData, error) {
	ctx := c.UserContext()
	u := user(c)
	hq := u.Role == store.WebAdmin || u.Role == store.WebViewer
	d := devicesData{Unit: c.Query("unit"), Show: c.Query("show"), Sort: c.Query("sort"), Desc: c.Query("dir") == "desc"}
	ins, err := h.cfg.Store.Inspectors(ctx)
	if err != nil {
		return d, fmt.Errorf("inspectors: %w", err)
	}
	for _, x := range ins {
		if hq || h.mayView(u, x.Unit) {
			d.Inspectors = append(d.Inspectors, x)
		}
	}
	devs, err := h.cfg.Store.Devices(ctx)
	if err != nil {
		return d, fmt.Errorf("devices: %w", err)
	}
	now := h.cfg.Now()
	mine := map[string]store.Device{}
	divs := map[string]bool{}
	for _, x := range devs {
		if !hq && !h.mayView(u, x.Unit) {
			continue
		}
		mine[x.ID] = x
		div := string(h.cfg.Units.Division(unit.Code(x.Unit)))
		divs[div] = true
		r := deviceRow{Device: x, UnitPath: v.UnitPath(x.Unit), Skew: "—",
			Silent: x.LastSeen == nil || now.Sub(*x.LastSeen) > silentAfter}
		if x.LastPush != nil {
			r.Skew = FormatSkew(v, x.SkewMillis)
			sk := time.Duration(x.SkewMillis) * time.Millisecond
			r.SkewBad = sk > syncproto.SkewWarning || sk < -syncproto.SkewWarning
		}
		d.Total++
		if d.Unit != "" && div != d.Unit {
			continue
		}
		switch d.Show {
		case "pending":
			if x.OutboxPending == 0 {
				continue
			}
		case "silent":
			if !r.Silent {
				continue
			}
		case "skew":
			if !r.SkewBad {
				continue
			}
		}
		d.Devices = append(d.Devices, r)
	}
	for div := range divs {
		d.FilterUnits = append(d.FilterUnits, div)
	}
	sort.Slice(d.FilterUnits, func(i, j int) bool { return v.UnitName(d.FilterUnits[i]) < v.UnitName(d.FilterUnits[j]) })
	sortDevices(d.Devices, d.Sort, d.Desc)

	// An officer's share of the latest rejections is found among more of them.
	limit := rejectionsShown
	if !hq {
		limit *= 10
	}
	rej, err := h.cfg.Store.RecentRejections(ctx, limit)
	if err != nil {
		return d, fmt.Errorf("rejections: %w", err)
	}
	for _, x := range rej {
		dev, ok := mine[x.DeviceID]
		if (!hq && !ok) || len(d.Rejections) >= rejectionsShown {
			continue
		}
		r := rejectionRow{ChangeID: x.ChangeID, At: x.At, Inspector: dev.InspectorName, Device: dev.Name, UnitPath: v.UnitPath(dev.Unit), Code: x.Code}
		if !ok {
			r.Inspector, r.UnitPath = "—", "—"
		}
		for _, p := range x.Problems {
			if p.Code == syncproto.RejectOutOfScope {
				// The unit the record named, outside the inspector's own.
				r.Details = append(r.Details, v.T("field.unit")+": "+v.UnitPath(p.Message))
				continue
			}
			r.Details = append(r.Details, h.cfg.Catalog.Problem(v.Lang, record.Problem{Field: p.Field, Code: p.Code}))
		}
		d.Rejections = append(d.Rejections, r)
	}
	if u.Role != store.WebAdmin {
		return d, nil
	}
	for _, x := range h.cfg.Units.All() {
		if x.Leaf() {
			d.Leaves = append(d.Leaves, string(x.Code))
		} else if x.Level == unit.LevelAimag || x.Level == unit.LevelCapital {
			d.Divisions = append(d.Divisions, string(x.Code))
		}
	}
	return d, nil
}

// sortDevices orders the rows by unit (the default), last contact, pending or clock skew;
// ties keep the store's order (unit, inspector, enrolment).
func sortDevices(rows []deviceRow, by string, desc bool) {
	contact := func(r deviceRow) int64 {
		if r.LastSeen == nil {
			return math.MinInt64
		}
		return r.LastSeen.UnixNano()
	}
	less := map[string]func(a, b deviceRow) bool{
		"contact": func(a, b deviceRow) bool { return contact(a) < contact(b) },
		"pending": func(a, b deviceRow) bool { return a.OutboxPending < b.OutboxPending },
		"skew": func(a, b deviceRow) bool {
			return math.Abs(float64(a.SkewMillis)) < math.Abs(float64(b.SkewMillis))
		},
	}[by]
	if less == nil {
		less = func(a, b deviceRow) bool { return a.UnitPath < b.UnitPath }
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if desc {
			return less(rows[j], rows[i])
		}
		return less(rows[i], rows[j])
	})
}

// SortLink is the devices table's header link for a column: ascending first, then descending.
func (v *view) SortLink(col string) string {
	dir, by := "asc", v.query.Get("sort")
	if by == "" {
		by = "unit"
	}
	if by == col && v.query.Get("dir") != "desc" {
		dir = "desc"
	}
	return v.Q("sort", col, "dir", dir)
}

// SortMark is the arrow after the sorted column's title, and its aria-sort value.
func (v *view) SortMark(col string) string {
	if s := v.query.Get("sort"); s != col && !(s == "" && col == "unit") {
		return ""
	}
	if v.query.Get("dir") == "desc" {
		return " ▼"
	}
	return " ▲"
}

// AriaSort is the aria-sort of a sortable column header.
func (v *view) AriaSort(col string) string {
	switch v.SortMark(col) {
	case " ▲":
		return "ascending"
	case " ▼":
		return "descending"
	}
	return "none"
}

func (h *Handler) devices(c *fiber.Ctx) error {
	f := h.flashes.take(flashKey(c), h.cfg.Now())
	return h.renderDevices(c, f, "")
}

// renderDevices shows the page, with a one-time code or a message after a form.
func (h *Handler) renderDevices(c *fiber.Ctx, f flash, errKey string) error {
	v := h.newView(c, "devices")
	d, err := h.devicesData(c, v)
	if err != nil {
		return h.serverError(c, err)
	}
	d.Card = f.Card
	if f.MessageKey != "" {
		d.Message = v.T(f.MessageKey)
	}
	if errKey != "" {
		d.Error = v.T(errKey)
		c.Status(fiber.StatusBadRequest)
	}
	v.Title = v.T("dash.nav.devices")
	v.Data = d
	return h.render(c, "devices", v)
}

// afterPost answers a form that changed something with a redirect to the devices page, so a
// reload does not send it again; what the page must show once travels in the session's flash.
func (h *Handler) afterPost(c *fiber.Ctx, f flash) error {
	h.flashes.put(flashKey(c), f, h.cfg.Now())
	return c.Redirect(Prefix+"/devices", fiber.StatusSeeOther)
}

// serverAddress is the address a field app enrolls with: the configured public one, else the
// one this page was reached by (guessed true), which behind a proxy or on the server's own
// screen (localhost) is not what an inspector's phone can reach.
func (h *Handler) serverAddress(c *fiber.Ctx) (addr string, guessed bool) {
	if h.cfg.PublicURL != "" {
		return h.cfg.PublicURL, false
	}
	scheme := "http"
	if secure(c) {
		scheme = "https"
	}
	addr = scheme + "://" + strings.Clone(string(c.Request().Host()))
	h.cfg.Logger.Warn("enrollment slip shows the address the browser used; set --public-url", "address", addr)
	return addr, true
}

// newCard makes the code card: the QR code holds talbar://enroll?server=…&code=…, which a
// phone's camera shows as text and a field app that scans may read.
func (h *Handler) newCard(c *fiber.Ctx, code, name string) (*codeCard, error) {
	addr, guessed := h.serverAddress(c)
	card := &codeCard{Code: code, For: name, Server: addr, Guessed: guessed, Expires: h.cfg.Now().Add(CodeTTL)}
	q := url.Values{"server": {card.Server}, "code": {code}}
	png, err := qrcode.Encode("talbar://enroll?"+q.Encode(), qrcode.Medium, 256)
	if err != nil {
		return nil, fmt.Errorf("qr code: %w", err)
	}
	card.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	return card, nil
}

func (h *Handler) createInspector(c *fiber.Ctx) error {
	name, code, role := strings.Clone(c.FormValue("name")), strings.Clone(c.FormValue("unit")), strings.Clone(c.FormValue("role"))
	if role == syncproto.RoleOfficer {
		code = strings.Clone(c.FormValue("division"))
	}
	in, err := h.cfg.Store.CreateInspector(c.UserContext(), name, code, role)
	if errors.Is(err, store.ErrInvalid) {
		return h.renderDevices(c, flash{}, "dash.inspector_invalid")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	tok, err := h.cfg.Store.IssueCode(c.UserContext(), in.ID, CodeTTL)
	if err != nil {
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("inspector created", "inspector", in.ID, "unit", in.Unit, "user", user(c).Name)
	card, err := h.newCard(c, tok, in.Name)
	if err != nil {
		return h.serverError(c, err)
	}
	return h.afterPost(c, flash{Card: card})
}

func (h *Handler) issueCode(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("inspector"))
	tok, err := h.cfg.Store.IssueCode(c.UserContext(), id, CodeTTL)
	if errors.Is(err, store.ErrNotFound) {
		return h.renderDevices(c, flash{}, "error.not_found")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	name := id
	if ins, err := h.cfg.Store.Inspectors(c.UserContext()); err == nil {
		for _, in := range ins {
			if in.ID == id {
				name = in.Name
			}
		}
	}
	h.cfg.Logger.Info("enrollment code issued", "inspector", id, "user", user(c).Name)
	card, err := h.newCard(c, tok, name)
	if err != nil {
		return h.serverError(c, err)
	}
	return h.afterPost(c, flash{Card: card})
}

// cancelCodes makes an inspector's unused enrollment codes stop working (a code handed to the
// wrong person, or lost).
func (h *Handler) cancelCodes(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("inspector"))
	cc, ok := h.cfg.Store.(store.CodeCanceller)
	if !ok {
		return h.serverError(c, errors.New("this store cannot cancel enrollment codes"))
	}
	n, err := cc.CancelCodes(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return h.renderDevices(c, flash{}, "error.not_found")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("enrollment codes cancelled", "inspector", id, "codes", n, "user", user(c).Name)
	return h.afterPost(c, flash{MessageKey: "dash.codes_cancelled"})
}

func (h *Handler) revoke(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("device"))
	err := h.cfg.Store.RevokeDevice(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return h.renderDevices(c, flash{}, "error.not_found")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("device revoked", "device", id, "user", user(c).Name)
	return h.afterPost(c, flash{MessageKey: "dash.device_revoked"})
}

// flash is what the page after a redirect shows once: a new code or a message.
type flash struct {
	Card       *codeCard
	MessageKey string
	at         time.Time
}

// flashTTL bounds how long a flash waits for its page: the redirect follows at once, so a flash
// still there after this was never picked up (the browser went elsewhere). The code itself
// stays valid for CodeTTL; only the chance to see it here is gone, and a new code can be issued.
const flashTTL = 5 * time.Minute

// flashes keeps each session's pending flash in memory, keyed by a hash of the session token,
// so the one-time code never appears in a URL, a log or the database. A restart forgets them.
type flashes struct {
	mu sync.Mutex
	m  map[string]flash
}

func (fs *flashes) put(key string, f flash, now time.Time) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.m == nil {
		fs.m = map[string]flash{}
	}
	for k, x := range fs.m {
		if now.Sub(x.at) > flashTTL {
			delete(fs.m, k)
		}
	}
	f.at = now
	fs.m[key] = f
}

// take returns and forgets a session's flash.
func (fs *flashes) take(key string, now time.Time) flash {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.m[key]
	if !ok || now.Sub(f.at) > flashTTL {
		return flash{}
	}
	delete(fs.m, key)
	return f
}

// flashKey is the request's session, hashed.
func flashKey(c *fiber.Ctx) string {
	s, _ := c.Locals(sessionKey).(*signedIn)
	if s == nil {
		return ""
	}
	sum := sha256.Sum256([]byte(s.Token))
	return hex.EncodeToString(sum[:])
}
