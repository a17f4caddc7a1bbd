package surveyresult

import (
	"sort"
	"strings"

	"talbar/server/store"
	"talbar/shared/unit"
)

// Suggestion is one citizen's suggestion as a survey recorded it.
type Suggestion struct {
	ID, Date, Unit, TargetGroup, Text string
	Topics                            []string
}

// Count is a number of suggestions under a key (a unit or a topic code).
type Count struct {
	Key   string
	Count int
}

// Suggestions summarises the free-text suggestions of a period: how many, by unit (the children
// of the unit asked for), the most recent, and a grouping by topic keyword (Topics; a
// suggestion may fall under several topics, or under none: TopicOther).
type Suggestions struct {
	Total  int
	ByUnit []Count
	Topics []Count // by Topics order, TopicOther last; topics with none left out
	Recent []Suggestion
}

// RecentSuggestions is how many of the newest suggestions a summary lists.
const RecentSuggestions = 10

// TopicOther holds the suggestions no keyword matched.
const TopicOther = "other"

// Topic is one subject of suggestions and the word stems that put a suggestion under it. The
// stems are matched as substrings of the lower-cased text, so Mongolian case endings
// ("тэтгэврийн", "тэтгэвэрт") match their stem ("тэтгэв"). The list and its limits are in
// docs/survey.md: it sorts honestly only what names its subject in so many words.
type Topic struct {
	Code  string
	Stems []string
}

// Topics are the subjects the programme expects suggestions on (§2.2 l.240-242, l.325: more
// than 60% of e-suggestions are about where to get information and changes of the law).
var Topics = []Topic{
	{"pension", []string{"тэтгэв", "pension", "retire"}},
	{"voluntary", []string{"сайн дур", "voluntar"}},
	{"contributions", []string{"шимтгэл", "contribution"}},
	{"e_services", []string{"цахим", "онлайн", "аппликейшн", "апп", "вэб", "веб", "e-mongolia", "и-монгол", "online", "app", "website"}},
	{"information", []string{"мэдээлэл", "сургалт", "зөвлөгөө", "ойлгомжтой", "сурталч", "information", "training", "explain", "advice"}},
	{"service", []string{"үйлчилгээ", "ажилтан", "дараалал", "хүлээ", "чирэгд", "service", "staff", "queue", "wait"}},
	{"law", []string{"хууль", "журам", "law", "rule"}},
	{"benefits", []string{"тэтгэмж", "эрүүл мэнд", "хөгжлийн бэрхшээл", "магадлал", "benefit", "health", "disab"}},
}

// TopicsOf returns the codes of the topics text names, TopicOther when none.
func TopicsOf(text string) []string {
	t := lower(text)
	var out []string
	for _, tp := range Topics {
		for _, s := range tp.Stems {
			if strings.Contains(t, s) {
				out = append(out, tp.Code)
				break
			}
		}
	}
	if len(out) == 0 {
		out = []string{TopicOther}
	}
	return out
}

// Summarise summarises the suggestions of recs (already narrowed to a period), counting by the
// children of within.
func Summarise(recs []store.Record, units *unit.Tree, within string) Suggestions {
	var all []Suggestion
	byUnit, byTopic := map[string]int{}, map[string]int{}
	for _, r := range recs {
		text, _ := r.Values["suggestion"].(string)
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		g, _ := r.Values["target_group"].(string)
		s := Suggestion{ID: r.ID, Date: r.Date, Unit: r.Unit, TargetGroup: g, Text: text, Topics: TopicsOf(text)}
		all = append(all, s)
		byUnit[childWithin(units, r.Unit, within)]++
		for _, tp := range s.Topics {
			byTopic[tp]++
		}
	}
	out := Suggestions{Total: len(all)}
	for k, n := range byUnit {
		out.ByUnit = append(out.ByUnit, Count{k, n})
	}
	sort.Slice(out.ByUnit, func(i, j int) bool {
		if out.ByUnit[i].Count != out.ByUnit[j].Count {
			return out.ByUnit[i].Count > out.ByUnit[j].Count
		}
		return out.ByUnit[i].Key < out.ByUnit[j].Key
	})
	for _, tp := range append(append([]Topic(nil), Topics...), Topic{Code: TopicOther}) {
		if n := byTopic[tp.Code]; n > 0 {
			out.Topics = append(out.Topics, Count{tp.Code, n})
		}
	}
	sort.SliceStable(out.Topics, func(i, j int) bool {
		if (out.Topics[i].Key == TopicOther) != (out.Topics[j].Key == TopicOther) {
			return out.Topics[j].Key == TopicOther
		}
		return out.Topics[i].Count > out.Topics[j].Count
	})
	sort.Slice(all, func(i, j int) bool {
		if all[i].Date != all[j].Date {
			return all[i].Date > all[j].Date
		}
		return all[i].ID > all[j].ID // UUIDv7: the later written first
	})
	if len(all) > RecentSuggestions {
		all = all[:RecentSuggestions]
	}
	out.Recent = all
	return out
}
