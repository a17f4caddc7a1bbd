package dashboard

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"talbar/shared/tally"
	"talbar/shared/unit"
)

// unitColumns are the figures of the unit table and the choices for colouring the map.
var unitColumns = []string{"events", "reached", "consultations", "contracts_signed", "contributions_mnt",
	"surveys", "cannot_get_info_pct", "satisfaction_pct"}

type unitRow struct {
	Code    string
	Name    string
	Sub     bool // a district listed under the capital
	Link    string
	Figures map[string]figure
}

type mapShape struct {
	Code, D, Fill, Name, Text, Link string
	// Dark writes the name in white on a dark fill; Small in small letters.
	Dark   bool
	Small  bool
	LX, LY string
	// Callout is for the capital, too small to hold its name: the name is written above and
	// right of it (TX, TY, where the map has room, between Darkhan-Uul's and Khentii's names),
	// with a leader line from inside the shape (LX, LY) to it (LineX, LineY).
	Callout              bool
	TX, TY, LineX, LineY string
}

type unitsData struct {
	Unit    string // "MN" for the national table, else the aimag or capital drilled into
	Year    int
	Period  Period
	Years   []int
	Periods []Period
	Columns []string
	Sort    string
	Desc    bool
	Rows    []unitRow
	Total   unitRow
	Metric  string
	Map     *aimagMap
	Shapes  []mapShape
	Legend  [2]string
}

// leafTotals reads every leaf's totals for the year and period.
func (h *Handler) leafTotals(ctx context.Context, year int, p Period) (map[string]tally.Vector, error) {
	m, err := h.cfg.Store.TotalsByLeafMonths(ctx, year, p.From, p.To)
	if err != nil {
		return nil, fmt.Errorf("unit totals: %w", err)
	}
	return m, nil
}

// rollUp sums leaf totals into code (any level).
func (h *Handler) rollUp(leaves map[string]tally.Vector, code string) tally.Vector {
	v := tally.New()
	if u, ok := h.cfg.Units.Get(unit.Code(code)); ok && u.Leaf() {
		if x, ok := leaves[code]; ok {
			v.Add(x)
		}
		return v
	}
	for _, l := range h.cfg.Units.Leaves(unit.Code(code)) {
		if x, ok := leaves[string(l)]; ok {
			v.Add(x)
		}
	}
	return v
}

func (h *Handler) units(c *fiber.Ctx) error {
	u := user(c)
	code := strings.Clone(c.Params("code"))
	if code == "" && !h.mayView(u, string(unit.Nation)) {
		return c.Redirect(Prefix+"/units/"+u.Unit, fiber.StatusFound)
	}
	if code == "" {
		code = string(unit.Nation)
	}
	code, st := h.scopeUnit(c, code)
	if st != 0 {
		return h.scopeFail(c, st)
	}
	x, _ := h.cfg.Units.Get(unit.Code(code))
	if x.Leaf() {
		return c.Redirect(Prefix+"/?unit="+code, fiber.StatusFound)
	}
	v := h.newView(c, "units")
	year, p := h.yearQuery(c), ParsePeriod(c.Query("period"))
	leaves, err := h.leafTotals(c.UserContext(), year, p)
	if err != nil {
		return h.serverError(c, err)
	}
	d := unitsData{Unit: code, Year: year, Period: p, Years: h.years(), Periods: Periods, Columns: unitColumns}
	link := func(code string) string { return Prefix + "/units/" + code + v.Q() }
	row := func(code string, sub bool) unitRow {
		r := unitRow{Code: code, Name: v.UnitName(code), Sub: sub, Figures: figuresOf(v, h.rollUp(leaves, code))}
		if xu, ok := h.cfg.Units.Get(unit.Code(code)); ok && xu.Leaf() {
			r.Link = Prefix + "/" + v.Q("unit", code)
		} else {
			r.Link = link(code)
		}
		return r
	}
	if code == string(unit.Nation) {
		for _, a := range h.cfg.Units.Children(unit.Nation) {
			d.Rows = append(d.Rows, row(string(a), false))
			if au, _ := h.cfg.Units.Get(a); au.Level == unit.LevelCapital {
				for _, dist := range h.cfg.Units.Children(a) {
					d.Rows = append(d.Rows, row(string(dist), true))
				}
			}
		}
	} else {
		for _, l := range h.cfg.Units.Children(unit.Code(code)) {
			d.Rows = append(d.Rows, row(string(l), false))
		}
	}
	d.Total = row(code, false)
	d.Sort, d.Desc = c.Query("sort"), c.Query("dir") == "desc"
	if d.Sort == "name" || slices.Contains(unitColumns, d.Sort) {
		sortRows(d.Rows, d.Sort, d.Desc)
	} else {
		d.Sort = ""
	}
	if code == string(unit.Nation) {
		d.Metric = c.Query("metric")
		if !slices.Contains(unitColumns, d.Metric) {
			d.Metric = "events"
		}
		h.colour(v, &d, leaves)
	}
	v.Title = v.T("dash.nav.units")
	if code != string(unit.Nation) {
		v.Title += " — " + v.UnitName(code)
	}
	v.Data = d
	return h.render(c, "units", v)
}

// sortRows sorts in place; districts under the capital sort with everyone else once sorted.
func sortRows(rows []unitRow, key string, desc bool) {
	val := func(r unitRow) float64 {
		f := r.Figures[key]
		if f.Pct != nil {
			return *f.Pct
		}
		if strings.HasSuffix(key, "_pct") {
			return -1
		}
		return float64(f.Value)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if key == "name" {
			if desc {
				return rows[i].Name > rows[j].Name
			}
			return rows[i].Name < rows[j].Name
		}
		if desc {
			return val(rows[i]) > val(rows[j])
		}
		return val(rows[i]) < val(rows[j])
	})
	for i := range rows {
		rows[i].Sub = false
	}
}

// colour fills the map: each aimag (and the capital) shaded by its share of the largest value.
func (h *Handler) colour(v *view, d *unitsData, leaves map[string]tally.Vector) {
	d.Map = h.geo
	vals := map[string]figure{}
	var hi float64
	for _, p := range h.geo.Paths {
		f := figuresOf(v, h.rollUp(leaves, p.Code))[d.Metric]
		vals[p.Code] = f
		hi = max(hi, figValue(f))
	}
	for _, p := range h.geo.Paths {
		f := vals[p.Code]
		has := f.Pct != nil || (!strings.HasSuffix(d.Metric, "_pct") && f.Value > 0)
		share := 0.0
		if hi > 0 {
			share = figValue(f) / hi
		}
		u, _ := h.cfg.Units.Get(unit.Code(p.Code))
		sh := mapShape{Code: p.Code, D: p.D, Fill: shade(share, has), Name: v.UnitName(p.Code),
			Text: f.Text, Link: Prefix + "/units/" + p.Code + v.Q(),
			Dark: has && share > 0.55, Small: p.Small, LX: p.LX, LY: p.LY}
		if u.Level == unit.LevelCapital {
			sh.Callout, sh.Dark = true, false
			x, _ := strconv.ParseFloat(p.LX, 64)
			y, _ := strconv.ParseFloat(p.LY, 64)
			sh.TX, sh.TY = num(x+17), num(y-25)
			sh.LineX, sh.LineY = num(x+16), num(y-22)
		}
		d.Shapes = append(d.Shapes, sh)
	}
	zero := figure{}
	if strings.HasSuffix(d.Metric, "_pct") {
		z := 0.0
		zero.Text = v.Pct(&z)
		top := hi
		d.Legend = [2]string{zero.Text, v.Pct(&top)}
	} else {
		d.Legend = [2]string{v.N(0), v.N(int64(hi))}
	}
}

func figValue(f figure) float64 {
	if f.Pct != nil {
		return *f.Pct
	}
	return float64(f.Value)
}
