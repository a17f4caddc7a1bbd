package indicator

import (
	"cmp"
	"slices"
)

// How a year's target was set (Target.Basis).
const (
	// BasisEntered: typed by headquarters for that year; used as typed.
	BasisEntered = "entered"
	// BasisProgramme: a survey indicator's target as Annex 2 publishes it.
	BasisProgramme = "programme"
	// BasisBaseline: the programme's growth on the baseline (the first programme year, l.459-460
	// "суурь түвшнөөс").
	BasisBaseline = "baseline"
	// BasisActual: the growth on the previous year's official actual ("2019 оноос").
	BasisActual = "actual"
	// BasisTarget: the growth on the previous year's target, while that year's actual is not
	// entered; it becomes BasisActual once headquarters enters it.
	BasisTarget = "target"
)

// Resolve returns the targets with each coverage indicator's programme-year targets derived as
// Annex 2 words them (l.459-460): the first programme year grows on the baseline, every later one on the previous year's official actual once headquarters has entered
// it, else on the previous year's target. A target headquarters typed for a year is kept and,
// for want of that year's actual, anchors the next year. Because nothing derived is stored, a
// new actual or baseline recomputes every later year. Survey targets are kept; each row says its
// basis. Rows already resolved (Basis set) are kept as they are, so Resolve may run twice.
func Resolve(targets []Target, baselines []Baseline) []Target {
	type key struct {
		id   string
		year int
	}
	out := make([]Target, 0, len(targets)+8)
	at := map[key]int{}
	for _, t := range targets {
		if t.Target != nil && t.Basis == "" {
			t.Basis = BasisEntered
			if in, ok := ByID(t.Indicator); ok && in.Percent {
				if d, ok := DefaultTarget(t.Indicator, t.Year); ok && d == *t.Target {
					t.Basis = BasisProgramme
				}
			}
		}
		at[key{t.Indicator, t.Year}] = len(out)
		out = append(out, t)
	}
	for _, in := range All {
		g, ok := growthPct[in.ID]
		if !ok {
			continue
		}
		base, baseYear := in.Baseline, in.BaselineYear
		// A stored baseline from before the programme's first year corrects this programme's
		// (S5: headquarters may confirm another series); a later one is a new programme's, whose
		// targets headquarters enters, and leaves 2019-2022 on this programme's baseline.
		for _, b := range baselines {
			if b.Indicator == in.ID && b.Year < ProgrammeYears[0] {
				base, baseYear = b.Value, b.Year
			}
		}
		first := true
		for _, y := range ProgrammeYears {
			if y <= baseYear {
				continue
			}
			i, ok := at[key{in.ID, y}]
			if ok && out[i].Target != nil {
				first = false
				continue
			}
			var from float64
			basis, basisYear := BasisBaseline, baseYear
			if !first {
				p, ok := at[key{in.ID, y - 1}]
				switch {
				case ok && out[p].Actual != nil:
					from, basis, basisYear = *out[p].Actual, BasisActual, y-1
				case ok && out[p].Target != nil:
					from, basis, basisYear = *out[p].Target, BasisTarget, y-1
				default:
					continue // the previous year has neither: nothing to grow from
				}
			} else {
				from = base
			}
			first = false
			v := grow(from, g)
			if !ok {
				at[key{in.ID, y}] = len(out)
				out = append(out, Target{Indicator: in.ID, Year: y})
				i = len(out) - 1
			}
			out[i].Target, out[i].Basis, out[i].BasisYear = &v, basis, basisYear
		}
	}
	slices.SortStableFunc(out, func(a, b Target) int {
		return cmp.Or(cmp.Compare(a.Indicator, b.Indicator), cmp.Compare(a.Year, b.Year))
	})
	return out
}

// grow is from raised by g percent and rounded up to a whole person, in integer arithmetic so
// that 639 820 × 1.03 is exactly 659 015 rather than a float's guess.
func grow(from float64, g int64) float64 {
	p := int64(from + 0.5)
	return float64((p*(100+g) + 99) / 100)
}
