package dashboard

import (
	"io"

	"github.com/gofiber/fiber/v2"
)

// Request bodies reach the dashboard unread (the server streams them; see server/api.LimitBodies,
// which leaves /dashboard paths to this package). The sign-in form reads at most LoginBodyBytes
// before anything else; every other route reads at most FormBodyBytes, and only once the session
// is checked, so a stranger cannot make the server hold more than the sign-in form's few KiB.
const (
	LoginBodyBytes = 16 << 10
	// FormBodyBytes leaves room for a plan file just over maxPlanFile, so its own message says it
	// is too large; the report's six notes of 6 000 Cyrillic letters, URL-encoded, are ~220 KB.
	FormBodyBytes = 2*maxPlanFile + 64<<10
)

// bufferBody reads at most limit bytes of the body into memory for c.FormValue, answering 413
// (and closing the connection, so the rest is never taken for a next request) past it.
func (h *Handler) bufferBody(c *fiber.Ctx, limit int64) (bool, error) {
	req := c.Request()
	if !req.IsBodyStream() {
		return true, nil
	}
	if int64(req.Header.ContentLength()) > limit {
		c.Context().SetConnectionClose()
		return false, h.fail(c, fiber.StatusRequestEntityTooLarge, "error.too_large")
	}
	b, err := io.ReadAll(io.LimitReader(req.BodyStream(), limit+1))
	if err != nil || int64(len(b)) > limit {
		c.Context().SetConnectionClose()
		return false, h.fail(c, fiber.StatusRequestEntityTooLarge, "error.too_large")
	}
	req.SetBody(b)
	return true, nil
}

// limitLogin bounds the sign-in form's body before the form is read.
func (h *Handler) limitLogin(c *fiber.Ctx) error {
	if ok, err := h.bufferBody(c, LoginBodyBytes); !ok {
		return err
	}
	return c.Next()
}
