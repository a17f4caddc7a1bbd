package surveyresult

import (
	"reflect"
	"testing"

	"talbar/server/store"
	"talbar/shared/survey"
)

// TestInsuranceByGroup: mandatory and voluntary count as insured, pensioners and the uninsured
// in N only, a status outside the list not at all; everyone first, then the groups in order.
func TestInsuranceByGroup(t *testing.T) {
	rec := func(group, status string) store.Record {
		return store.Record{Date: "2025-03-01", Values: map[string]any{"target_group": group, "insurance_status": status}}
	}
	recs := []store.Record{rec("students", "voluntary"), rec("herders", "mandatory"), rec("herders", "voluntary"),
		rec("herders", "pensioner"), rec("herders", "none"), rec("herders", "bogus")}
	res := Aggregate(recs, nil, &survey.Catalogue{}, Query{By: ByGroup})
	want := []Insurance{{Key: "", N: 5, Insured: 3, Voluntary: 2}, {Key: "herders", N: 4, Insured: 2, Voluntary: 1}, {Key: "students", N: 1, Insured: 1, Voluntary: 1}}
	if !reflect.DeepEqual(res.Insurance, want) {
		t.Fatalf("insurance = %+v, want %+v", res.Insurance, want)
	}
	if s := *res.Insurance[1].InsuredShare(); s != 50 {
		t.Errorf("herders insured %v%%, want 50", s)
	}
	if s := *res.Insurance[0].VoluntaryShare(); s < 66.6 || s > 66.7 {
		t.Errorf("voluntary of the insured %v%%, want 66.7", s)
	}
	if (Insurance{N: 2}).VoluntaryShare() != nil || (Insurance{}).InsuredShare() != nil {
		t.Error("a share of nobody is not nil")
	}
}
