package dashboard

import (
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/server/store"
	"talbar/shared/record"
	"talbar/shared/unit"
	"talbar/syncproto/hlc"
)

// conflictRow is one kept conflict as the review list shows it.
type conflictRow struct {
	ID       int64
	RecordID string
	Entity   string
	UnitPath string
	Field    string
	Kept     versionRow // the record's current value, which the choices are made against
	Current  string     // its hlc, sent back with a choice so a stale page is refused
	Lost     versionRow
	Numeric  bool // the field takes a count: the third value is a number box
	Detected time.Time
}

type versionRow struct {
	Value string
	Who   string
	When  *time.Time
}

// conflictsData is the review page.
type conflictsData struct {
	Rows    []conflictRow
	Counts  []unitCount
	Message string
	Error   string
}

type unitCount struct {
	UnitPath string
	N        int
}

// mayReview reports whether the user may settle conflicts of a unit: headquarters' administrators
// for every unit, an officer for the soums and districts of their own division.
func (h *Handler) mayReview(u store.User, leaf string) bool {
	switch u.Role {
	case store.WebAdmin:
		return true
	case store.WebOfficer:
		return h.cfg.Units.Contains(unit.Code(u.Unit), unit.Code(leaf))
	}
	return false
}

func (h *Handler) conflicts(c *fiber.Ctx) error {
	f := h.flashes.take(flashKey(c), h.cfg.Now())
	return h.renderConflicts(c, f.MessageKey, "")
}

func (h *Handler) renderConflicts(c *fiber.Ctx, msgKey, errKey string) error {
	v := h.newView(c, "conflicts")
	u := user(c)
	scope := "MN"
	if u.Role == store.WebOfficer {
		scope = u.Unit
	}
	list, err := h.cfg.Store.Conflicts(c.UserContext(), store.ConflictFilter{Unit: scope, Limit: 500})
	if err != nil {
		return h.serverError(c, err)
	}
	counts, err := h.cfg.Store.OpenConflicts(c.UserContext())
	if err != nil {
		return h.serverError(c, err)
	}
	d := &conflictsData{}
	for _, k := range list {
		kind, _, _ := record.Limit(k.Field)
		// Shown is the record's value now, not the one that won when the conflict was found
		// (the push engine keeps the row's kept value current; this holds for older rows too).
		cur, who := k.Kept, k.Kept.Name
		if k.Current.HLC != "" && (k.Current.HLC != k.Kept.HLC || k.Current.Device != k.Kept.Device) {
			cur, who = k.Current, ""
		}
		d.Rows = append(d.Rows, conflictRow{ID: k.ID, RecordID: k.RecordID, Entity: k.Entity, UnitPath: v.UnitPath(k.Unit),
			Field: v.FieldName(k.Field), Numeric: kind == "count", Detected: k.Detected, Current: cur.HLC,
			Kept: versionRow{Value: v.Value(k.Field, cur.Value), Who: who, When: hlcTime(cur.HLC)},
			Lost: versionRow{Value: v.Value(k.Field, k.Lost.Value), Who: k.Lost.Name, When: hlcTime(k.Lost.HLC)}})
	}
	for code, n := range counts {
		if h.mayReview(u, code) {
			d.Counts = append(d.Counts, unitCount{UnitPath: v.UnitPath(code), N: n})
		}
	}
	sort.Slice(d.Counts, func(i, j int) bool { return d.Counts[i].UnitPath < d.Counts[j].UnitPath })
	if msgKey != "" {
		d.Message = v.T(msgKey)
	}
	if errKey != "" {
		d.Error = v.T(errKey)
		c.Status(fiber.StatusBadRequest)
	}
	v.Title = v.T("dash.nav.conflicts")
	v.Data = d
	return h.render(c, "conflicts", v)
}

// resolveConflict settles one conflict: keep the current value, restore the other, or enter a
// third. A written value is a change through the normal merge, so devices learn it by pull.
func (h *Handler) resolveConflict(c *fiber.Ctx) error {
	u := user(c)
	id, err := strconv.ParseInt(c.FormValue("id"), 10, 64)
	if err != nil {
		return h.renderConflicts(c, "", "error.not_found")
	}
	scope := "MN"
	if u.Role == store.WebOfficer {
		scope = u.Unit
	}
	list, err := h.cfg.Store.Conflicts(c.UserContext(), store.ConflictFilter{Unit: scope})
	if err != nil {
		return h.serverError(c, err)
	}
	var k *store.Conflict
	for i := range list {
		if list[i].ID == id {
			k = &list[i]
		}
	}
	if k == nil || !h.mayReview(u, k.Unit) {
		return h.renderConflicts(c, "", "error.not_found")
	}
	choice := c.FormValue("choice")
	var value json.RawMessage
	if choice == store.ConflictReplaced {
		s := strings.TrimSpace(c.FormValue("value"))
		if kind, _, _ := record.Limit(k.Field); kind == "count" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n < 0 {
				return h.renderConflicts(c, "", "dash.conflict_bad_value")
			}
			value = json.RawMessage(strconv.FormatInt(n, 10))
		} else {
			value, _ = json.Marshal(s)
		}
	}
	err = h.engine.Resolve(c.UserContext(), id, choice, value, "dashboard:"+u.Name, c.FormValue("current"))
	switch {
	case errors.Is(err, store.ErrStale):
		// The page showed a value that has changed since: nothing is written, the list shows
		// the record's value now, and the reviewer chooses again.
		h.cfg.Logger.Info("conflict decision refused: the value changed since the page was shown", "conflict", id, "by", u.Name)
		return h.renderConflicts(c, "", "dash.conflict_stale")
	case errors.Is(err, store.ErrNotFound):
		return h.renderConflicts(c, "", "error.not_found")
	case errors.Is(err, store.ErrInvalid):
		return h.renderConflicts(c, "", "dash.conflict_bad_value")
	case err != nil:
		return h.serverError(c, err)
	}
	h.cfg.Logger.Info("conflict settled", "conflict", id, "choice", choice, "by", u.Name)
	h.flashes.put(flashKey(c), flash{MessageKey: "dash.conflict_settled"}, h.cfg.Now())
	return c.Redirect(Prefix+"/conflicts", fiber.StatusSeeOther)
}

// FieldName is a field's label; a count is named under its object ("People reached: Herders").
func (v *view) FieldName(name string) string {
	if parent, code, ok := record.LeafOf(name); ok {
		l, _ := record.CountsLabel(parent, code)
		w := l.MN
		if v.Lang == "en" {
			w = l.EN
		}
		return v.T("field."+parent) + ": " + w
	}
	return v.T("field." + name)
}

// Value shows a stored value: a count as a number, a cleared one as a dash, a tombstone in words.
func (v *view) Value(field string, raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "" || s == "null":
		return "—"
	case field == record.FieldDeleted && s == "true":
		return v.T("dash.conflict_deleted")
	case field == record.FieldDeleted:
		return v.T("dash.conflict_kept_record")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v.N(n)
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	return s
}

// hlcTime is when a value was written, by its hlc.
func hlcTime(s string) *time.Time {
	ts, err := hlc.Parse(s)
	if err != nil {
		return nil
	}
	t := ts.Time()
	return &t
}
