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
	// Issue 14: the other field activities, their topics and channels, participants by sex and
	// age band, SMS campaigns and broadcasts (docs/glossary.md).
	"events.mobile_service",           // m29
	"events.lecture",                  // m30
	"events.workplace_talk",           // m31
	"events.office_counselling",       // m32
	"events.student_conference",       // m33
	"events.essay_contest",            // m34
	"events.broadcast",                // m35
	"events.sms_campaign",             // m36
	"events.other",                    // m37
	"reached_sex.female",              // m38
	"reached_sex.male",                // m39
	"reached_age.under_18",            // m40
	"reached_age.18_24",               // m41
	"reached_age.25_34",               // m42
	"reached_age.35_44",               // m43
	"reached_age.45_54",               // m44
	"reached_age.55_plus",             // m45
	"messages_sent",                   // m46
	"messages.herders",                // m47
	"messages.self_employed",          // m48
	"messages.unemployed",             // m49
	"messages.disabled",               // m50
	"messages.abroad",                 // m51
	"messages.students",               // m52
	"messages.pupils",                 // m53
	"messages.near_pension",           // m54
	"messages.employers",              // m55
	"messages.employees",              // m56
	"messages.other",                  // m57
	"messages_purpose.contract",       // m58
	"messages_purpose.payment",        // m59
	"messages_purpose.pre_retirement", // m60
	"messages_purpose.other",          // m61
	"broadcasts",                      // m62
	"broadcast_minutes",               // m63
	"entries",                         // m64
	"topics.voluntary_insurance",      // m65
	"topics.contracts_payments",       // m66
	"topics.pensions",                 // m67
	"topics.disability",               // m68
	"topics.contributions_check",      // m69
	"topics.unemployment_benefit",     // m70
	"topics.law",                      // m71
	"topics.other",                    // m72
	"channels.in_person",              // m73
	"channels.printed",                // m74
	"channels.sms",                    // m75
	"channels.tv",                     // m76
	"channels.radio",                  // m77
	"channels.social_media",           // m78
	"channels.website_app",            // m79
	"channels.podcast",                // m80
	"channels.intermediaries",         // m81
	"channels.other",                  // m82
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

// leafMetric is one leaf of a counts object ("reached.herders") and the metric it adds to, -1
// for none.
type leafMetric struct {
	leaf   string
	metric int
}

// leafMetrics holds each counts object's leaves with their metrics, worked out once: Of runs for
// every record of every push, twice for an edit.
var leafMetrics = func() map[string][]leafMetric {
	m := map[string][]leafMetric{}
	for _, name := range record.CountsFields {
		for _, code := range record.CountsCodes(name) {
			i, known := Index[record.Leaf(name, code)]
			if !known {
				i = -1
			}
			m[name] = append(m[name], leafMetric{record.Leaf(name, code), i})
		}
	}
	return m
}()

// eachCount calls fn with each count of the counts object name in fields and the metric it adds
// to (-1 for none), the counts record.Counts reads. A record of protocol 2 holds only leaves,
// which are read in place; a whole object (protocol 1) goes through record.Counts.
func eachCount(fields map[string]json.RawMessage, name string, fn func(metric int, n int64)) {
	if _, whole := fields[name]; whole {
		for g, n := range record.Counts(fields, name) {
			i, known := Index[name+"."+g]
			if !known {
				i = -1
			}
			fn(i, n)
		}
		return
	}
	for _, l := range leafMetrics[name] {
		if _, ok := fields[l.leaf]; ok {
			fn(l.metric, record.Int(fields, l.leaf))
		}
	}
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
		// People reached is the total where one is given: the groups may overlap (a herder who is
		// near pension age is in two), so their sum counts some people twice. A record without a
		// total (made before it existed) keeps its old meaning, the sum of its groups. Should
		// concurrent edits leave a group above the total, the larger figure counts.
		var groups, largest int64
		eachCount(fields, "reached", func(i int, n int64) {
			if i >= 0 && n > 0 {
				v[i] += n
				groups += n
				largest = max(largest, n)
			}
		})
		if _, ok := fields["reached_total"]; ok {
			v[Index["reached"]] = max(record.Int(fields, "reached_total"), largest)
		} else {
			v[Index["reached"]] = groups
		}
		for _, c := range []string{"materials", "reached_sex", "reached_age", "messages"} {
			eachCount(fields, c, func(i int, n int64) {
				if i >= 0 && n > 0 {
					v[i] += n
				}
			})
		}
		for _, f := range []string{"consultations", "contracts_signed", "contributions_mnt", "broadcast_minutes", "entries"} {
			if n := record.Int(fields, f); n > 0 {
				v[Index[f]] = n
			}
		}
		// Messages sent are the campaign's figure where given, else the sum of its groups (each
		// message goes to one person), and count under the campaign's purpose.
		if _, ok := fields["messages_sent"]; ok {
			v[Index["messages_sent"]] = record.Int(fields, "messages_sent")
		} else {
			for _, g := range record.TargetGroups {
				v[Index["messages_sent"]] += v[Index["messages."+g.Code]]
			}
		}
		if i, ok := Index["messages_purpose."+record.Str(fields, "sms_purpose")]; ok {
			v[i] = v[Index["messages_sent"]]
		}
		// A broadcast is one unless it says how many (a series recorded as one).
		if _, ok := fields["broadcasts"]; ok {
			v[Index["broadcasts"]] = record.Int(fields, "broadcasts")
		} else if kind == record.KindBroadcast {
			v[Index["broadcasts"]] = 1
		}
		for _, list := range []string{"topics", "channels"} {
			for _, c := range record.Strs(fields, list) {
				if i, known := Index[list+"."+c]; known {
					v[i] = 1
				}
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
	// Participants by sex and age band, where the records say.
	ReachedSex map[string]int64 `json:"reached_sex"`
	ReachedAge map[string]int64 `json:"reached_age"`
	// Messages of SMS campaigns: "total" and by target group; MessagesPurpose by purpose.
	Messages         map[string]int64 `json:"messages"`
	MessagesPurpose  map[string]int64 `json:"messages_purpose"`
	Broadcasts       int64            `json:"broadcasts"`
	BroadcastMinutes int64            `json:"broadcast_minutes"`
	Entries          int64            `json:"entries"`
	// Topics and Channels count the events that name each.
	Topics   map[string]int64 `json:"topics"`
	Channels map[string]int64 `json:"channels"`
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
	by := func(prefix string, list []record.Label) map[string]int64 {
		m := make(map[string]int64, len(list))
		for _, l := range list {
			m[l.Code] = v.Get(prefix + "." + l.Code)
		}
		return m
	}
	t.ReachedSex, t.ReachedAge = by("reached_sex", record.Sexes), by("reached_age", record.ParticipantAges)
	t.Messages = by("messages", record.TargetGroups)
	t.Messages["total"] = v.Get("messages_sent")
	t.MessagesPurpose = by("messages_purpose", record.SMSPurposes)
	t.Broadcasts, t.BroadcastMinutes, t.Entries = v.Get("broadcasts"), v.Get("broadcast_minutes"), v.Get("entries")
	t.Topics, t.Channels = by("topics", record.Topics), by("channels", record.Channels)
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
