package api

import (
	"io"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"talbar/syncproto"
)

// The server runs with fasthttp's request body streaming: only the first few KiB of a body are
// read before a handler runs, so a request is never buffered whole before it is authenticated.
// Each route then reads at most its own limit: SmallBodyBytes for everything that needs no
// device token (enroll, the dashboard's forms), syncproto.MaxBodyBytes for a push, and only once
// its token is checked.

// SmallBodyBytes bounds the body of every request but a push.
const SmallBodyBytes = 64 << 10

// LimitBodies buffers at most SmallBodyBytes of every request's body before any handler runs,
// except where exempt says the handlers read their bodies themselves, bounded (a push after its
// token is checked, the dashboard after its session is). A larger body is answered 413 without
// being held, and the connection is closed so its rest is never read as a next request; so is a
// connection whose exempt handler answered without reading the body.
func LimitBodies(exempt func(c *fiber.Ctx) bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if exempt(c) {
			err := c.Next()
			if c.Request().IsBodyStream() && c.Request().Header.ContentLength() != 0 {
				// Answered without reading the body (a bad token, load shedding): the rest of
				// it must not be taken for the next request on this connection.
				discard(c)
			}
			return err
		}
		if e := bufferBody(c, SmallBodyBytes); e != nil {
			return e.send(c)
		}
		return c.Next()
	}
}

// bufferBody reads at most limit bytes of the raw (still compressed) body into memory, so the
// handlers' c.Body(), c.FormValue and c.Request().Body() see a bounded body.
func bufferBody(c *fiber.Ctx, limit int64) *apiError {
	req := c.Request()
	tooLarge := &apiError{fiber.StatusRequestEntityTooLarge, syncproto.ErrTooLarge, "body exceeds " + size(limit)}
	if !req.IsBodyStream() {
		if int64(len(req.Body())) > limit {
			c.Context().SetConnectionClose()
			return tooLarge
		}
		return nil
	}
	if n := int64(req.Header.ContentLength()); n > limit {
		discard(c)
		return tooLarge
	}
	b, err := io.ReadAll(io.LimitReader(req.BodyStream(), limit+1))
	if err != nil {
		c.Context().SetConnectionClose()
		return &apiError{fiber.StatusBadRequest, syncproto.ErrMalformed, "read body: " + err.Error()}
	}
	if int64(len(b)) > limit {
		discard(c)
		return tooLarge
	}
	req.SetBody(b)
	return nil
}

// maxDiscard is how much of a refused body is read and thrown away, so that a client still
// sending it sees the answer (a 413 makes the field app halve its batch) rather than a reset.
// Reading to discard costs time, not memory; past it the connection is simply closed.
const maxDiscard = 4 * syncproto.MaxBodyBytes

// discard reads the rest of a refused body, up to maxDiscard, and closes the connection after
// the answer, so no byte of it is taken for a next request.
func discard(c *fiber.Ctx) {
	c.Context().SetConnectionClose()
	req := c.Request()
	if !req.IsBodyStream() || int64(req.Header.ContentLength()) > maxDiscard {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(req.BodyStream(), maxDiscard))
}

func size(n int64) string {
	if n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n>>10, 10) + " KiB"
}
