package store

import (
	"context"
	"errors"
	"time"

	"talbar/server/annualplan"
)

// ErrStaleVersion is a save made over a version that someone else has replaced meanwhile.
var ErrStaleVersion = errors.New("changed meanwhile")

// AnnualPlan is a unit's plan for a year as it stands: its lines and which version they are.
// Version 0 with no lines is a plan never entered.
type AnnualPlan struct {
	Unit    string
	Year    int
	Version int
	Items   []annualplan.Item
	By      string // who saved the version
	At      time.Time
}

// PlanChange is one activity's line changed by one version: Before nil for a new line, After
// nil for a removed one.
type PlanChange struct {
	Version  int
	Activity string
	Before   *annualplan.Item
	After    *annualplan.Item
	By       string
	Source   string // "form" or "xlsx"
	At       time.Time
}

// AnnualPlans keeps the divisions' annual plans (order A/21 §4.2: each aimag and district
// division plans its year from Annex 1), every change kept with who made it and when. It is a
// separate interface from Store, as Users is, so the sync path does not depend on it.
type AnnualPlans interface {
	// AnnualPlan is a unit's current plan for a year.
	AnnualPlan(ctx context.Context, unit string, year int) (AnnualPlan, error)
	// AnnualPlansOfYear is every unit's current lines for a year, by unit.
	AnnualPlansOfYear(ctx context.Context, year int) (map[string][]annualplan.Item, error)
	// SaveAnnualPlan replaces a unit's plan for a year with items (empty lines dropped), as a
	// new version over base, the version the editor started from; ErrStaleVersion when the plan has
	// moved past base. Items are checked by the caller (annualplan.Check). It returns the
	// version now current, which is base when nothing changed.
	SaveAnnualPlan(ctx context.Context, unit string, year int, items []annualplan.Item, by, source string, base int) (int, error)
	// AnnualPlanHistory is a unit's changes for a year, newest first, at most limit.
	AnnualPlanHistory(ctx context.Context, unit string, year int, limit int) ([]PlanChange, error)
}
