package storetest

import (
	"context"
	"testing"

	"talbar/server/store"
	"talbar/shared/survey"
)

// testSurveyCatalogue: a new store serves the embedded catalogue; a good next version is added
// (the default's versions stored with it), a version with the wrong number or a mistake is
// refused with its problems and changes nothing, and the catalogue read afresh has the new one.
func testSurveyCatalogue(t *testing.T, open Opener) {
	ctx := context.Background()
	db := newStore(t, open, nil)
	cat, err := db.SurveyCatalogue(ctx, false)
	if err != nil || cat.Latest().Version != store.DefaultSurveyCatalogue().Latest().Version {
		t.Fatalf("new store's catalogue: %v %v", cat, err)
	}
	v := cat.Latest()
	v.Version += 2
	if ps, err := db.AddSurveyVersion(ctx, v, "hq"); err != nil || len(ps) != 1 || ps[0].Code != survey.ErrNotNext {
		t.Fatalf("wrong number: %v %v", ps, err)
	}
	v.Version--
	v.Title.EN = ""
	if ps, err := db.AddSurveyVersion(ctx, v, "hq"); err != nil || len(ps) != 1 || ps[0].Code != survey.ErrNoTitle {
		t.Fatalf("no title: %v %v", ps, err)
	}
	v.Title.EN = "next"
	if ps, err := db.AddSurveyVersion(ctx, v, "hq"); err != nil || len(ps) > 0 {
		t.Fatalf("good version: %v %v", ps, err)
	}
	got, err := db.SurveyCatalogue(ctx, false)
	if err != nil || len(got.Versions) != v.Version || got.Latest().Title.EN != "next" {
		t.Fatalf("catalogue after add: %+v %v", got, err)
	}
	if ps := got.Check(); len(ps) > 0 {
		t.Fatalf("stored catalogue: %v", ps)
	}
}
