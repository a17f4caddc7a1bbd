package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"talbar/server/store"
	"talbar/shared/i18n"
	"talbar/shared/unit"
)

// Cookie names.
const (
	SessionCookie    = "talbar_session"
	LoginCSRFCookie  = "talbar_login_csrf"
	LangCookie       = "talbar_lang"
	CSRFField        = "csrf"
	sessionKey       = "dashboard.session"
	minPasswordChars = 8
)

// signedIn is the request's session and user.
type signedIn struct {
	Token   string
	Session store.Session
	User    store.User
}

// HashPassword hashes a password with bcrypt at the default cost; it refuses passwords shorter
// than 8 characters, and longer than bcrypt's 72 bytes rather than silently truncating them.
func HashPassword(pw string) (string, error) {
	if len([]rune(pw)) < minPasswordChars {
		return "", fmt.Errorf("%w: the password must have at least %d characters", store.ErrInvalid, minPasswordChars)
	}
	if len(pw) > 72 {
		return "", fmt.Errorf("%w: the password must be at most 72 bytes", store.ErrInvalid)
	}
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(b), nil
}

// dummyHash is compared against when a name is unknown, so a wrong name costs as long as a wrong
// password and timing does not reveal who has an account.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("talbar-dummy-password"), bcrypt.DefaultCost)

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// lang picks the interface language: ?lang= (remembered in a cookie), the cookie, Mongolian.
func (h *Handler) lang(c *fiber.Ctx) string {
	if l := c.Query("lang"); slices.Contains(i18n.Langs, l) {
		if c.Cookies(LangCookie) != l {
			c.Cookie(&fiber.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
				HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: secure(c)})
		}
		return strings.Clone(l)
	}
	if l := c.Cookies(LangCookie); slices.Contains(i18n.Langs, l) {
		return strings.Clone(l)
	}
	return i18n.Default
}

// secure reports whether the request came over TLS (directly or through a proxy that says so),
// so cookies are marked Secure there and still work on a plain-HTTP office network.
func secure(c *fiber.Ctx) bool { return c.Protocol() == "https" }

func (h *Handler) setCookie(c *fiber.Ctx, name, value string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Secure: secure(c)})
}

// loginForm shows the sign-in form with a fresh double-submit CSRF token: there is no session
// yet to hold one.
func (h *Handler) loginForm(c *fiber.Ctx) error {
	tok := randomToken()
	h.setCookie(c, LoginCSRFCookie, tok, 3600)
	v := h.newView(c, "login")
	v.Title = v.T("dash.sign_in")
	v.CSRF = tok
	v.Data = loginData{Next: safeNext(c.Query("next"))}
	return h.render(c, "login", v)
}

type loginData struct {
	Next  string
	Name  string
	Error string
}

// safeNext keeps a post-sign-in redirect inside the dashboard: a path under Prefix of printable
// ASCII only, so no CR or LF can split the Location header into headers of an attacker's
// choosing, and no "//", backslash or scheme can lead off the site.
func safeNext(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f || s[i] == '\\' {
			return Prefix + "/"
		}
	}
	if u, err := url.Parse(s); err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return Prefix + "/"
	}
	if strings.HasPrefix(s, Prefix+"/") && !strings.HasPrefix(s, "//") {
		return s
	}
	return Prefix + "/"
}

// login checks a name and password. Guessing is bounded per client address and per typed name
// (see LoginLimit): a locked-out key is refused with 429 before its password is looked at, and
// the same way whether or not the name has an account. The typed name is never logged, since
// it may be a password typed into the wrong field; a short keyed hash stands for it.
func (h *Handler) login(c *fiber.Ctx) error {
	cookie := c.Cookies(LoginCSRFCookie)
	if !tokensEqual(cookie, c.FormValue(CSRFField)) {
		return h.fail(c, fiber.StatusForbidden, "dash.csrf_failed")
	}
	name, pw := strings.Clone(c.FormValue("name")), strings.Clone(c.FormValue("password"))
	next := safeNext(c.FormValue("next"))
	ip := strings.Clone(c.IP())
	ipKey, nameKey := "ip:"+ip, "name:"+h.nameHash(strings.ToLower(strings.TrimSpace(name)))
	lim := h.cfg.LoginLimit
	if wait := max(h.limits.wait(ipKey, h.cfg.Now()), h.limits.wait(nameKey, h.cfg.Now())); wait > 0 {
		h.cfg.Logger.Warn("sign-in refused: too many failures", "name_hash", h.nameHash(name)[:12], "ip", ip,
			"retry_in", wait.Round(time.Second))
		return h.loginAgain(c, cookie, next, name, wait)
	}
	u, hash, err := h.cfg.Store.FindUserByName(c.UserContext(), name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(pw))
	case err != nil:
		return h.serverError(c, fmt.Errorf("sign in: %w", err))
	}
	if err != nil || bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) != nil {
		now := h.cfg.Now()
		wait := max(h.limits.fail(ipKey, lim.IPFailures, lim, now), h.limits.fail(nameKey, lim.NameFailures, lim, now))
		attrs := []any{"name_hash", h.nameHash(name)[:12], "ip", ip}
		if err == nil {
			// The name is an account's, so it is no secret: say whose password was wrong.
			attrs = append(attrs, "user", u.Name)
		}
		if wait > 0 {
			attrs = append(attrs, "locked_for", wait)
		}
		h.cfg.Logger.Warn("sign-in refused", attrs...)
		if wait > 0 {
			return h.loginAgain(c, cookie, next, name, wait)
		}
		v := h.newView(c, "login")
		v.Title = v.T("dash.sign_in")
		v.CSRF = cookie
		v.Data = loginData{Next: next, Name: name, Error: v.T("dash.bad_login")}
		c.Status(fiber.StatusUnauthorized)
		return h.render(c, "login", v)
	}
	h.limits.forget(nameKey)
	token, _, err := h.cfg.Store.CreateSession(c.UserContext(), u.ID, h.cfg.SessionTTL)
	if err != nil {
		return h.serverError(c, fmt.Errorf("create session: %w", err))
	}
	h.setCookie(c, SessionCookie, token, int(h.cfg.SessionTTL/time.Second))
	h.setCookie(c, LoginCSRFCookie, "", -1)
	h.cfg.Logger.Info("signed in", "user", u.Name, "role", u.Role)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// loginAgain answers a locked-out sign-in: 429, Retry-After and the form with a message saying
// how many minutes to wait, the same whether or not the name has an account.
func (h *Handler) loginAgain(c *fiber.Ctx, csrf, next, name string, wait time.Duration) error {
	minutes := int((wait + time.Minute - 1) / time.Minute)
	v := h.newView(c, "login")
	v.Title = v.T("dash.sign_in")
	v.CSRF = csrf
	v.Data = loginData{Next: next, Name: name, Error: v.T("dash.login_locked", minutes)}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	c.Status(fiber.StatusTooManyRequests)
	return h.render(c, "login", v)
}

// nameHash is a keyed hash of a typed name, in hex: the limiter's key and, shortened, what the
// log shows instead of the name. The key is random per process, so a logged hash cannot be
// tested against guessed passwords; the same name gives the same hash until a restart.
func (h *Handler) nameHash(name string) string {
	m := hmac.New(sha256.New, h.hashKey)
	m.Write([]byte(name))
	return hex.EncodeToString(m.Sum(nil))
}

func (h *Handler) logout(c *fiber.Ctx) error {
	s := c.Locals(sessionKey).(*signedIn)
	if err := h.cfg.Store.DeleteSession(c.UserContext(), s.Token); err != nil {
		return h.serverError(c, err)
	}
	h.setCookie(c, SessionCookie, "", -1)
	return c.Redirect(Prefix+"/login", fiber.StatusSeeOther)
}

// session requires a signed-in user: pages redirect to the sign-in form, JSON and exports get 401.
func (h *Handler) session(c *fiber.Ctx) error {
	tok := strings.Clone(c.Cookies(SessionCookie))
	s, u, err := h.cfg.Store.FindSession(c.UserContext(), tok)
	if errors.Is(err, store.ErrUnauthorized) {
		if c.Method() == fiber.MethodGet && !strings.Contains(c.Path(), "/api/") && !strings.Contains(c.Path(), "/export/") {
			return c.Redirect(Prefix+"/login?next="+url.QueryEscape(string(c.Request().RequestURI())), fiber.StatusSeeOther)
		}
		return h.fail(c, fiber.StatusUnauthorized, "dash.need_sign_in")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	c.Locals(sessionKey, &signedIn{Token: tok, Session: s, User: u})
	if ok, err := h.bufferBody(c, FormBodyBytes); !ok {
		return err
	}
	return c.Next()
}

// csrf refuses a form whose token is not the session's.
func (h *Handler) csrf(c *fiber.Ctx) error {
	s := c.Locals(sessionKey).(*signedIn)
	if !tokensEqual(s.Session.CSRF, c.FormValue(CSRFField)) {
		h.cfg.Logger.Warn("form refused: bad CSRF token", "path", c.Path(), "user", s.User.Name)
		return h.fail(c, fiber.StatusForbidden, "dash.csrf_failed")
	}
	return c.Next()
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// require lets only the given roles through.
func (h *Handler) require(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		s := c.Locals(sessionKey).(*signedIn)
		if !slices.Contains(roles, s.User.Role) {
			return h.fail(c, fiber.StatusForbidden, "error.forbidden")
		}
		return c.Next()
	}
}

// user is the signed-in user.
func user(c *fiber.Ctx) store.User { return c.Locals(sessionKey).(*signedIn).User }

// mayView reports whether u may see unit code: headquarters everything, an officer their
// aimag or the capital and what lies below it.
func (h *Handler) mayView(u store.User, code string) bool {
	if u.Role == store.WebAdmin || u.Role == store.WebViewer {
		return true
	}
	return u.Unit != "" && u.Unit != string(unit.Nation) && h.cfg.Units.Contains(unit.Code(u.Unit), unit.Code(code))
}

// scopeUnit reads ?unit= (default: the user's own unit) and checks the user may see it.
// It returns the unit and 0, or a status (400 unknown, 403 outside the user's division).
func (h *Handler) scopeUnit(c *fiber.Ctx, code string) (string, int) {
	u := user(c)
	if code == "" {
		code = u.Unit
	}
	if code == "" {
		code = string(unit.Nation)
	}
	x, ok := h.cfg.Units.Get(unit.Code(code))
	if !ok {
		return "", fiber.StatusBadRequest
	}
	if !h.mayView(u, code) {
		return "", fiber.StatusForbidden
	}
	return string(x.Code), 0
}

// scopeFail answers a scopeUnit status.
func (h *Handler) scopeFail(c *fiber.Ctx, st int) error {
	if st == fiber.StatusForbidden {
		return h.fail(c, st, "dash.forbidden_unit")
	}
	return h.fail(c, st, "dash.unknown_unit")
}
