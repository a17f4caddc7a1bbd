package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"talbar/shared/indicator"
	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/shared/unit"
)

// figure is one number on a page: a stable key (a tally metric or a derived share) that tests
// and the refresh script find it by, its label, its value and its text in the page's language.
type figure struct {
	Key   string
	Label string
	Value int64
	Pct   *float64
	Text  string
}

// overviewData is what the overview shows for one unit, year and period.
type overviewData struct {
	Unit     string
	Year     int
	Period   Period
	Years    []int
	Periods  []Period
	Units    []string
	Headline []figure
	Kinds    []figure
	Groups   []figure
	Material []figure
	Survey   []figure
	// The breakdowns of issue 14: participants by sex and age band, topics explained, channels
	// used, SMS campaigns (messages by purpose and target group) and broadcasts.
	Sex, Age, Topics, Channels []figure
	SMS, SMSGroups, Media      []figure
	Chart                      string // JSON for the month-by-month chart
	// Months is the chart's data, also shown as a table for those who cannot see the chart.
	Months  chartData
	Refresh string // URL of the JSON the page refreshes from
	Every   int64  // milliseconds between refreshes
	AsOf    string
}

// chartData is the month-by-month chart's JSON: labels and one series per metric.
type chartData struct {
	Labels []string      `json:"labels"`
	Series []chartSeries `json:"series"`
	// Axes titles the two y axes: counts on the left, people reached on the right.
	Axes map[string]string `json:"axes,omitempty"`
}

type chartSeries struct {
	Label string  `json:"label"`
	Data  []int64 `json:"data"`
	Axis  string  `json:"axis,omitempty"`
}

// sumMonths adds months from..to (1-based, inclusive) of a year's per-month totals.
func sumMonths(m [12]tally.Vector, p Period) tally.Vector {
	v := tally.New()
	for i := p.From; i <= p.To; i++ {
		v.Add(m[i-1])
	}
	return v
}

// figuresOf builds every figure of a totals vector; the overview and the unit table share it.
func figuresOf(v *view, t tally.Vector) map[string]figure {
	out := map[string]figure{}
	for _, k := range tally.Metrics {
		out[k] = figure{Key: k, Value: t.Get(k), Text: v.N(t.Get(k))}
	}
	info, _ := indicator.Measure(indicator.CannotGetInfoPct, t)
	sat, _ := indicator.Measure(indicator.SatisfactionPct, t)
	out["cannot_get_info_pct"] = figure{Key: "cannot_get_info_pct", Pct: info, Text: v.Pct(info)}
	out["satisfaction_pct"] = figure{Key: "satisfaction_pct", Pct: sat, Text: v.Pct(sat)}
	return out
}

// labelled picks figures by key and labels them.
func labelled(v *view, all map[string]figure, keys []string, label func(string) string) []figure {
	out := make([]figure, 0, len(keys))
	for _, k := range keys {
		f := all[k]
		f.Label = label(k)
		out = append(out, f)
	}
	return out
}

// metricLabel names a tally metric or derived share in the page's language.
func metricLabel(v *view, k string) string {
	switch {
	case k == "events":
		return v.T("dash.m.events")
	case k == "reached":
		return v.T("dash.m.reached")
	case len(k) > 7 && k[:7] == "events.":
		return v.T("kind." + k[7:])
	case len(k) > 8 && k[:8] == "reached.":
		return v.T("target_group." + k[8:])
	case len(k) > 10 && k[:10] == "materials.":
		return v.T("material." + k[10:])
	case strings.HasPrefix(k, "reached_sex."):
		return v.T("sex." + k[len("reached_sex."):])
	case strings.HasPrefix(k, "reached_age."):
		return v.T("participant_age." + k[len("reached_age."):])
	case strings.HasPrefix(k, "messages_purpose."):
		return v.T("sms_purpose." + k[len("messages_purpose."):])
	case strings.HasPrefix(k, "messages."):
		return v.T("target_group." + k[len("messages."):])
	case strings.HasPrefix(k, "topics."):
		return v.T("topic." + k[len("topics."):])
	case strings.HasPrefix(k, "channels."):
		return v.T("channel." + k[len("channels."):])
	case k == "messages_sent" || k == "broadcasts" || k == "broadcast_minutes" || k == "entries":
		return v.T("field." + k)
	case k == "cannot_get_info_pct":
		return v.T("indicator.cannot_get_info_pct")
	case k == "satisfaction_pct":
		return v.T("dash.m.satisfied_pct")
	}
	return v.T("dash.m." + k)
}

// overviewFor reads and shapes the overview; the page and its JSON share it.
func (h *Handler) overviewFor(ctx context.Context, v *view, code string, year int, p Period) (overviewData, error) {
	months, err := h.cfg.Store.TotalsByMonth(ctx, code, year)
	if err != nil {
		return overviewData{}, fmt.Errorf("overview totals: %w", err)
	}
	t := sumMonths(months, p)
	all := figuresOf(v, t)
	d := overviewData{Unit: code, Year: year, Period: p, Years: h.years(), Periods: Periods, AsOf: v.T("term.as_of", h.asOf(v.Lang)),
		Every: h.cfg.RefreshEvery.Milliseconds()}
	lbl := func(k string) string { return metricLabel(v, k) }
	d.Headline = labelled(v, all, []string{"events", "reached", "consultations", "contracts_signed", "contributions_mnt",
		"surveys", "cannot_get_info_pct", "satisfaction_pct"}, lbl)
	var kinds, groups, mats []string
	for _, k := range record.EventKinds {
		kinds = append(kinds, "events."+k.Code)
	}
	for _, g := range record.TargetGroups {
		groups = append(groups, "reached."+g.Code)
	}
	for _, m := range record.Materials {
		mats = append(mats, "materials."+m.Code)
	}
	d.Kinds = labelled(v, all, kinds, lbl)
	d.Groups = labelled(v, all, groups, lbl)
	d.Material = labelled(v, all, mats, lbl)
	d.Survey = labelled(v, all, []string{"surveys", "info_yes", "info_partly", "info_no", "satisfied"}, lbl)
	keys := func(prefix string, list []record.Label) []string {
		out := make([]string, len(list))
		for i, l := range list {
			out[i] = prefix + "." + l.Code
		}
		return out
	}
	d.Sex = labelled(v, all, keys("reached_sex", record.Sexes), lbl)
	d.Age = labelled(v, all, keys("reached_age", record.ParticipantAges), lbl)
	d.Topics = labelled(v, all, keys("topics", record.Topics), lbl)
	d.Channels = labelled(v, all, keys("channels", record.Channels), lbl)
	d.SMS = labelled(v, all, append([]string{"events.sms_campaign", "messages_sent"}, keys("messages_purpose", record.SMSPurposes)...), lbl)
	d.SMSGroups = labelled(v, all, keys("messages", record.TargetGroups), lbl)
	d.Media = labelled(v, all, []string{"events.broadcast", "broadcasts", "broadcast_minutes", "entries"}, lbl)
	cd := chartData{Axes: map[string]string{"y": v.T("dash.axis.count"), "y1": v.T("dash.axis.people")}}
	for m := 1; m <= 12; m++ {
		cd.Labels = append(cd.Labels, v.T("dash.month_short."+strconv.Itoa(m)))
	}
	for _, k := range []string{"events", "surveys", "reached"} {
		s := chartSeries{Label: lbl(k)}
		if k == "reached" {
			s.Axis = "y1"
		}
		for _, mv := range months {
			s.Data = append(s.Data, mv.Get(k))
		}
		cd.Series = append(cd.Series, s)
	}
	b, _ := json.Marshal(cd)
	d.Chart = string(b)
	d.Months = cd
	q := url.Values{"unit": {code}, "year": {strconv.Itoa(year)}, "period": {p.Code}, "lang": {v.Lang}}
	d.Refresh = Prefix + "/api/overview?" + q.Encode()
	return d, nil
}

// unitChoices lists the units a user may pick on the overview: the nation and every division
// for headquarters; an officer's division and its soums or districts.
func (h *Handler) unitChoices(v *view) []string {
	tree := h.cfg.Units
	if v.IsHQ() {
		out := []string{string(unit.Nation)}
		for _, c := range tree.Children(unit.Nation) {
			out = append(out, string(c))
		}
		return out
	}
	out := []string{v.User.Unit}
	for _, c := range tree.Leaves(unit.Code(v.User.Unit)) {
		out = append(out, string(c))
	}
	return out
}

func (h *Handler) overview(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return h.scopeFail(c, st)
	}
	v := h.newView(c, "overview")
	d, err := h.overviewFor(c.UserContext(), v, code, h.yearQuery(c), ParsePeriod(c.Query("period")))
	if err != nil {
		return h.serverError(c, err)
	}
	d.Units = h.unitChoices(v)
	v.Title = v.T("dash.nav.overview")
	v.Data = d
	return h.render(c, "overview", v)
}

// overviewJSON is what an open overview polls: each figure's text by key, and the chart.
func (h *Handler) overviewJSON(c *fiber.Ctx) error {
	code, st := h.scopeUnit(c, c.Query("unit"))
	if st != 0 {
		return c.SendStatus(st)
	}
	v := h.newView(c, "overview")
	d, err := h.overviewFor(c.UserContext(), v, code, h.yearQuery(c), ParsePeriod(c.Query("period")))
	if err != nil {
		h.cfg.Logger.Error("overview json", "err", err)
		return c.SendStatus(fiber.StatusInternalServerError)
	}
	texts, values := map[string]string{}, map[string]int64{}
	for _, list := range [][]figure{d.Headline, d.Kinds, d.Groups, d.Material, d.Survey} {
		for _, f := range list {
			texts[f.Key], values[f.Key] = f.Text, f.Value
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"unit": code, "year": d.Year, "period": d.Period.Code, "figures": texts, "values": values,
		"chart": json.RawMessage(d.Chart), "as_of": d.AsOf})
}
