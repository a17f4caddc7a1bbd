// Package tally turns one merged record into the counts it adds to the programme's totals. Totals
// are a pure function of the merged records (DESIGN.md), so both the server's incremental totals
// and a full recomputation, and the field app's local summary, are sums of Of over records.
package tally

import (
	"encoding/json"
	"strconv"

	"talbar/shared/record"
)

// Metrics are the metric names, in column order: column mNN of every store's totals table holds
// Metrics[NN]. They are the keys of the JSON totals of PROTOCOL.md, flattened with dots
// ("events.open_day", "reached.herders"). Append only: a new event kind, target group or
// material goes at the end (with a migration adding its column), never between, or stored totals
// would be read under another metric's name. TestMetricsCoverCatalogue fails until a new
// catalogue entry is appended here, and each store's schema test checks its columns against this.
var Metrics = []string{
	"events",                // m00
	"events.open_day",       // m01
	"events.market_day",     // m02
	"events.herder_meeting", // m03
	"reached",               // m04
	"reached.herders",       // m05
	"reached.self_employed", // m06
	"reached.unemployed",    // m07
	"reached.disabled",      // m08
	"reached.abroad",        // m09
	"reached.students",      // m10
	"reached.pupils",        // m11
	"reached.near_pension",  // m12
	"reached.employers",     // m13
	"reached.employees",     // m14
	"reached.other",         // m15
	"materials.handbook",    // m16
	"materials.brochure",    // m17
	"materials.poster",      // m18
	"materials.comic",       // m19
	"materials.other",       // m20
	"consultations",         // m21
	"contracts_signed",      // m22
	"contributions_mnt",     // m23
	"surveys",               // m24
	"info_yes",              // m25
	"info_partly",           // m26
	"info_no",               // m27
	"satisfied",             // m28
}

// Index of each metric in a Vector.
var Index = func() map[string]int {
	m := map[string]int{}
	for i, n := range Metrics {
		m[n] = i
	}
	return m
}()

// N is the number of metrics.
var N = len(Metrics)

// Vector holds one value per metric.
type Vector []int64

// New returns a zero vector.
func New() Vector { return make(Vector, N) }

// Add adds o to v in place.
func (v Vector) Add(o Vector) {
	for i := range o {
		v[i] += o[i]
	}
}

// Sub subtracts o from v in place.
func (v Vector) Sub(o Vector) {
	for i := range o {
		v[i] -= o[i]
	}
}

// IsZero reports whether every metric is zero.
func (v Vector) IsZero() bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

// Get returns a metric by name. An unknown name is a programming error, not a zero: it panics
// rather than answer another metric's figure.
func (v Vector) Get(name string) int64 {
	i, ok := Index[name]
	if !ok {
		panic("tally: unknown metric " + strconv.Quote(name))
	}
	return v[i]
}

// Key says where a record's counts go: its leaf unit and the year and month of its date.
type Key struct {
	Unit  string
	Year  int
	Month int
}

// Of returns where a merged record counts and what it adds. ok is false for a record that counts
// nowhere: deleted, undated, without a unit, or of an entity this version does not tally.
func Of(entity string, fields map[string]json.RawMessage) (k Key, v Vector, ok bool) {
	if record.Deleted(fields) {
		return k, nil, false
	}
	d, okd := record.Date(fields)
	u := record.Str(fields, "unit")
	if !okd || u == "" {
		return k, nil, false
	}
	k = Key{Unit: u, Year: d.Year(), Month: int(d.Month())}
	v = New()
	switch entity {
	case record.EntityEvent:
		kind := record.Str(fields, "kind")
		if _, known := Index["events."+kind]; !known {
			return k, nil, false
		}
		v[Index["events"]] = 1
		v[Index["events."+kind]] = 1
		for g, n := range record.Counts(fields, "reached") {
			if i, known := Index["reached."+g]; known && n > 0 {
				v[i] += n
				v[Index["reached"]] += n
			}
		}
		for g, n := range record.Counts(fields, "materials") {
			if i, known := Index["materials."+g]; known && n > 0 {
				v[i] += n
			}
		}
		for _, f := range []string{"consultations", "contracts_signed", "contributions_mnt"} {
			if n := record.Int(fields, f); n > 0 {
				v[Index[f]] = n
			}
		}
	case record.EntitySurvey:
		v[Index["surveys"]] = 1
		switch record.Str(fields, "info_access") {
		case "yes":
			v[Index["info_yes"]] = 1
		case "partly":
			v[Index["info_partly"]] = 1
		case "no":
			v[Index["info_no"]] = 1
		}
		if s := record.Int(fields, "satisfaction"); s >= 4 {
			v[Index["satisfied"]] = 1
		}
	default:
		return k, nil, false
	}
	return k, v, true
}

// Totals is the JSON shape of GET /totals (PROTOCOL.md).
type Totals struct {
	Unit             string           `json:"unit"`
	Year             int              `json:"year"`
	Month            int              `json:"month,omitempty"`
	Events           map[string]int64 `json:"events"`
	Reached          map[string]int64 `json:"reached"`
	Materials        map[string]int64 `json:"materials"`
	Consultations    int64            `json:"consultations"`
	ContractsSigned  int64            `json:"contracts_signed"`
	ContributionsMNT int64            `json:"contributions_mnt"`
	Surveys          SurveyTotals     `json:"surveys"`
}

// SurveyTotals counts survey responses and the answers the indicators need.
type SurveyTotals struct {
	Responses  int64 `json:"responses"`
	InfoYes    int64 `json:"info_yes"`
	InfoPartly int64 `json:"info_partly"`
	InfoNo     int64 `json:"info_no"`
	Satisfied  int64 `json:"satisfied"`
}

// Shape turns a vector into the JSON totals for unit and year.
func (v Vector) Shape(unit string, year int) Totals {
	t := Totals{Unit: unit, Year: year,
		Events:    map[string]int64{"total": v.Get("events")},
		Reached:   map[string]int64{"total": v.Get("reached")},
		Materials: map[string]int64{},
	}
	for _, k := range record.EventKinds {
		t.Events[k.Code] = v.Get("events." + k.Code)
	}
	for _, g := range record.TargetGroups {
		t.Reached[g.Code] = v.Get("reached." + g.Code)
	}
	var mat int64
	for _, g := range record.Materials {
		t.Materials[g.Code] = v.Get("materials." + g.Code)
		mat += t.Materials[g.Code]
	}
	t.Materials["total"] = mat
	t.Consultations = v.Get("consultations")
	t.ContractsSigned = v.Get("contracts_signed")
	t.ContributionsMNT = v.Get("contributions_mnt")
	t.Surveys = SurveyTotals{Responses: v.Get("surveys"), InfoYes: v.Get("info_yes"),
		InfoPartly: v.Get("info_partly"), InfoNo: v.Get("info_no"), Satisfied: v.Get("satisfied")}
	return t
}

// String renders the non-zero metrics, for test failure messages.
func (v Vector) String() string {
	s := "{"
	for i, x := range v {
		if x != 0 {
			if len(s) > 1 {
				s += " "
			}
			s += Metrics[i] + "=" + strconv.FormatInt(x, 10)
		}
	}
	return s + "}"
}
