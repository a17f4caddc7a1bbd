package dashboard

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/server/store"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// CodeTTL is how long an enrollment code issued from the dashboard stays valid, as the admin
// command's.
const CodeTTL = 7 * 24 * time.Hour

type devicesData struct {
	Inspectors []store.Inspector
	Devices    []store.Device
	Rejections []store.Rejection
	DeviceUnit map[string]string
	Leaves     []string
	Divisions  []string
	NewCode    string
	CodeFor    string
	Message    string
	Error      string
}

// Since formats a time for the devices table, or a dash.
func (v *view) Since(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return FormatTime(v.Lang, t.Local())
}

// rejectionsShown is how many recent rejections the devices page lists.
const rejectionsShown = 100

// devicesData reads the devices page. Headquarters sees every inspector, device and rejection;
// a division officer only those of inspectors in their aimag or the capital, read-only.
func (h *Handler) devicesData(c *fiber.Ctx) (devicesData, error) {
	ctx := c.UserContext()
	u := user(c)
	hq := u.Role == store.WebAdmin || u.Role == store.WebViewer
	var d devicesData
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
	d.DeviceUnit = map[string]string{}
	for _, x := range devs {
		if hq || h.mayView(u, x.Unit) {
			d.Devices = append(d.Devices, x)
			d.DeviceUnit[x.ID] = x.Unit
		}
	}
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
		if _, mine := d.DeviceUnit[x.DeviceID]; (hq || mine) && len(d.Rejections) < rejectionsShown {
			d.Rejections = append(d.Rejections, x)
		}
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

func (h *Handler) devices(c *fiber.Ctx) error {
	return h.renderDevices(c, "", "", "", "")
}

// renderDevices shows the page, with a one-time code or a message after a form.
func (h *Handler) renderDevices(c *fiber.Ctx, code, codeFor, msg, errKey string) error {
	v := h.newView(c, "devices")
	d, err := h.devicesData(c)
	if err != nil {
		return h.serverError(c, err)
	}
	d.NewCode, d.CodeFor, d.Message = code, codeFor, msg
	if errKey != "" {
		d.Error = v.T(errKey)
		c.Status(fiber.StatusBadRequest)
	}
	v.Title = v.T("dash.nav.devices")
	v.Data = d
	return h.render(c, "devices", v)
}

func (h *Handler) createInspector(c *fiber.Ctx) error {
	name, code, role := strings.Clone(c.FormValue("name")), strings.Clone(c.FormValue("unit")), strings.Clone(c.FormValue("role"))
	if role == syncproto.RoleOfficer {
		code = strings.Clone(c.FormValue("division"))
	}
	in, err := h.cfg.Store.CreateInspector(c.UserContext(), name, code, role)
	if errors.Is(err, store.ErrInvalid) {
		return h.renderDevices(c, "", "", "", "dash.inspector_invalid")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	tok, err := h.cfg.Store.IssueCode(c.UserContext(), in.ID, CodeTTL)
	if err != nil {
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("inspector created", "inspector", in.ID, "unit", in.Unit, "user", user(c).Name)
	return h.renderDevices(c, tok, in.Name, "", "")
}

func (h *Handler) issueCode(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("inspector"))
	tok, err := h.cfg.Store.IssueCode(c.UserContext(), id, CodeTTL)
	if errors.Is(err, store.ErrNotFound) {
		return h.renderDevices(c, "", "", "", "error.not_found")
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
	return h.renderDevices(c, tok, name, "", "")
}

func (h *Handler) revoke(c *fiber.Ctx) error {
	id := strings.Clone(c.FormValue("device"))
	err := h.cfg.Store.RevokeDevice(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return h.renderDevices(c, "", "", "", "error.not_found")
	}
	if err != nil {
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("device revoked", "device", id, "user", user(c).Name)
	v := h.newView(c, "devices")
	return h.renderDevices(c, "", "", v.T("dash.device_revoked"), "")
}
