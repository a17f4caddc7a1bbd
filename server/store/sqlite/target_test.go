package sqlite_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"talbar/server/store"
)

// TestSetTargetRefusesNonFigures: a target of Inf or NaN would break every JSON answer that
// carries targets (pull's reference data, kpis), so the store refuses it.
func TestSetTargetRefusesNonFigures(t *testing.T) {
	db := MustOpen(t)
	for _, v := range []float64{math.Inf(1), math.NaN(), -5} {
		v := v
		if err := db.SetTarget(context.Background(), store.Target{Indicator: "mandatory_insured", Year: 2026, Target: &v}); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("target %v: err=%v", v, err)
		}
	}
}

// TestBaselines: the programme's baselines are seeded and headquarters can replace one for a new
// programme.
func TestBaselines(t *testing.T) {
	db := MustOpen(t)
	ctx := context.Background()
	bs, err := db.Baselines(ctx)
	if err != nil || len(bs) != 4 {
		t.Fatalf("baselines=%v err=%v", bs, err)
	}
	if bs[1].Indicator != "mandatory_insured" || bs[1].Value != 639820 || bs[1].Year != 2018 {
		t.Fatalf("seeded %+v", bs[1])
	}
	if err := db.SetBaseline(ctx, store.Baseline{Indicator: "mandatory_insured", Year: 2022, Value: 720000}); err != nil {
		t.Fatal(err)
	}
	bs, _ = db.Baselines(ctx)
	if bs[1].Value != 720000 || bs[1].Year != 2022 {
		t.Fatalf("after set %+v", bs[1])
	}
	if err := db.SetBaseline(ctx, store.Baseline{Indicator: "nope", Year: 2022, Value: 1}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("unknown indicator: %v", err)
	}
}
