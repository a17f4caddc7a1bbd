package record

import (
	"encoding/json"
	"fmt"
)

// Rules between fields of one record, which Validate (one change's fields, each on its own)
// cannot check: a change may carry one count alone (protocol 2). The field app checks them on the
// whole form before it saves; the server on the record as merged with each change, refusing the
// change that breaks one (docs: syncproto/README.md, "Rules between fields").
//
// Participants are a total and breakdowns of it: by target group (a person may belong to several
// groups, so the groups may add up to more than the total, but none may exceed it), by sex and by
// age band (each person has one, so where known they add up to at most the total). Messages of an
// SMS campaign by target group are each at most the messages sent. An event of kind "other" says
// what it was in kind_other.

// breakdowns are the counts objects checked against a total, and whether their parts exclude
// one another (so that their sum is bounded too).
var breakdowns = []struct {
	counts, total string
	disjoint      bool
}{
	{"reached", "reached_total", false},
	{"reached_sex", "reached_total", true},
	{"reached_age", "reached_total", true},
	{"messages", "messages_sent", false},
}

// Consistency returns the problems between the fields of a record's values (counts as whole
// objects, as merge.Record.Values gives them), sorted as Validate sorts them. A total that is not
// given bounds nothing: records made before it existed keep counting their groups' sum.
func Consistency(entity string, values map[string]json.RawMessage) []Problem {
	if entity != EntityEvent {
		return nil
	}
	var out []Problem
	if Str(values, "kind") == KindOther && Str(values, "kind_other") == "" {
		out = append(out, Problem{"kind_other", ErrRequired, "is required when kind is other: say what the activity was"})
	}
	for _, b := range breakdowns {
		raw, ok := values[b.total]
		if !ok || isNull(raw) {
			continue
		}
		total, ok := integer(raw)
		if !ok {
			continue
		}
		var sum int64
		counts := Counts(values, b.counts)
		for _, code := range CountsCodes(b.counts) {
			n, ok := counts[code]
			if !ok {
				continue
			}
			sum += n
			if n > total {
				out = append(out, Problem{Leaf(b.counts, code), ErrOverTotal, fmt.Sprintf("%d is more than %s, %d", n, b.total, total)})
			}
		}
		if b.disjoint && sum > total {
			out = append(out, Problem{b.counts, ErrOverTotal, fmt.Sprintf("add up to %d, more than %s, %d", sum, b.total, total)})
		}
	}
	sortProblems(out)
	return out
}

// Involves reports whether field (a wire field or a leaf) is one of the fields problem p of
// Consistency is about: the count and its total, or kind and kind_other.
func Involves(p Problem, field string) bool {
	if p.Field == field {
		return true
	}
	if p.Field == "kind_other" {
		return field == "kind"
	}
	parent := p.Field
	if par, _, ok := LeafOf(p.Field); ok {
		parent = par
	}
	for _, b := range breakdowns {
		if b.counts != parent {
			continue
		}
		if field == b.total || field == parent {
			return true
		}
		if p.Field == parent { // a sum: every part is involved
			if par, _, ok := LeafOf(field); ok && par == parent {
				return true
			}
		}
	}
	return false
}
