package push_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"talbar/assets"
	"talbar/server/push"
	"talbar/server/store"
	"talbar/shared/unit"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

func planner(t *testing.T, now time.Time) push.Planner {
	t.Helper()
	tree, err := unit.Parse(bytes.NewReader(assets.UnitsCSV()))
	if err != nil {
		t.Fatal(err)
	}
	return push.Planner{Units: tree, Now: now}
}

func eventChange(h hlc.Timestamp) syncproto.Change {
	return syncproto.Change{ID: "01a212aa-b467-7a69-bb4e-852a1af2c914", RecordID: "01a212aa-b467-7a69-bb4e-852a1af2c915",
		Entity: "event", Op: "upsert", HLC: h.String(), Fields: map[string]json.RawMessage{
			"kind": json.RawMessage(`"open_day"`), "date": json.RawMessage(`"2026-05-14"`), "unit": json.RawMessage(`"MN6501"`)}}
}

func merge(p push.Planner, pr store.Principal, req syncproto.PushRequest) *push.Plan {
	return p.Merge(pr, req, p.Precheck(req), map[string]*store.StoredRecord{}, map[string]bool{})
}

func TestPlanForbiddenRole(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	p := planner(t, now)
	viewer := store.Principal{DeviceID: "d", Inspector: store.Inspector{Role: syncproto.RoleViewer, Unit: "MN"}}
	plan := merge(p, viewer, syncproto.PushRequest{Changes: []syncproto.Change{eventChange(hlc.New(now.UnixMilli(), 0))}})
	if len(plan.Response.Rejected) != 1 || plan.Response.Rejected[0].Code != syncproto.RejectForbidden {
		t.Fatalf("rejected=%+v", plan.Response.Rejected)
	}
}

func TestPlanClockWarnings(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	p := planner(t, now)
	in := store.Principal{DeviceID: "d", Inspector: store.Inspector{Role: syncproto.RoleInspector, Unit: "MN6501"}}
	ahead := now.Add(365 * 24 * time.Hour)
	plan := merge(p, in, syncproto.PushRequest{DeviceTime: ahead.Format(time.RFC3339),
		Changes: []syncproto.Change{eventChange(hlc.New(ahead.UnixMilli(), 0))}})
	codes := map[string]bool{}
	for _, w := range plan.Response.Warnings {
		codes[w.Code] = true
	}
	if !codes[syncproto.WarnClockSkew] {
		t.Fatalf("warnings=%+v", plan.Response.Warnings)
	}
	if len(plan.Response.Rejected) != 1 || plan.Response.Rejected[0].Code != syncproto.RejectClockAhead || len(plan.Log) != 0 {
		t.Fatalf("a change from a clock a year ahead must be refused as clock_ahead: %+v", plan.Response)
	}
	if plan.MaxHLC != 0 {
		t.Fatal("the server clock must not follow a clock a year ahead")
	}
	if got := plan.SkewMillis; got != ahead.Sub(now).Milliseconds() {
		t.Fatalf("skew=%d", got)
	}
	// Within the bound: accepted, and the server clock may follow it.
	near := hlc.New(now.Add(syncproto.MaxAhead-time.Second).UnixMilli(), 0)
	plan = merge(p, in, syncproto.PushRequest{Changes: []syncproto.Change{eventChange(near)}})
	if len(plan.Response.Accepted) != 1 || plan.MaxHLC != near {
		t.Fatalf("a change %s ahead: %+v max=%s", syncproto.MaxAhead-time.Second, plan.Response, plan.MaxHLC)
	}
}

// A record's date may not lie after the server's tomorrow, whatever the device's calendar says.
func TestPlanRefusesDateAfterTomorrow(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	p := planner(t, now)
	in := store.Principal{DeviceID: "d", Inspector: store.Inspector{Role: syncproto.RoleInspector, Unit: "MN6501"}}
	c := eventChange(hlc.New(now.UnixMilli(), 0))
	c.Fields["date"] = json.RawMessage(`"2036-05-14"`)
	plan := merge(p, in, syncproto.PushRequest{Changes: []syncproto.Change{c}})
	if len(plan.Response.Rejected) != 1 || len(plan.Response.Rejected[0].Problems) != 1 ||
		plan.Response.Rejected[0].Problems[0].Field != "date" || plan.Response.Rejected[0].Problems[0].Code != "too_late" {
		t.Fatalf("rejected=%+v", plan.Response.Rejected)
	}
	c.Fields["date"] = json.RawMessage(`"2026-05-15"`)
	if plan := merge(p, in, syncproto.PushRequest{Changes: []syncproto.Change{c}}); len(plan.Response.Accepted) != 1 {
		t.Fatalf("tomorrow: %+v", plan.Response)
	}
}

func TestPlanSplitFirstUpsert(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	p := planner(t, now)
	in := store.Principal{DeviceID: "d", Inspector: store.Inspector{Role: syncproto.RoleInspector, Unit: "MN6501"}}
	a := eventChange(hlc.New(now.UnixMilli(), 0))
	b := a
	b.ID = "01a212aa-b467-7a69-bb4e-852a1af2c916"
	b.HLC = hlc.New(now.UnixMilli(), 1).String()
	b.Fields = map[string]json.RawMessage{"kind": a.Fields["kind"]}
	delete(a.Fields, "kind")
	// Split over two changes of one batch (an epoch re-send): accepted.
	if plan := merge(p, in, syncproto.PushRequest{Changes: []syncproto.Change{a, b}}); len(plan.Response.Accepted) != 2 {
		t.Fatalf("split create: %+v", plan.Response)
	}
	// Only the part without kind: refused with the missing field named.
	plan := merge(p, in, syncproto.PushRequest{Changes: []syncproto.Change{a}})
	if len(plan.Response.Rejected) != 1 || plan.Response.Rejected[0].Problems[0].Field != "kind" || len(plan.Log) != 0 || len(plan.Deltas) != 0 {
		t.Fatalf("incomplete create: %+v", plan.Response)
	}
}

// TestPlanRepeatedIDInBatch: every id is answered once, whatever repeats the batch holds.
func TestPlanRepeatedIDInBatch(t *testing.T) {
	now := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	p := planner(t, now)
	in := store.Principal{DeviceID: "d", Inspector: store.Inspector{Role: syncproto.RoleInspector, Unit: "MN6501"}}
	good := eventChange(hlc.New(now.UnixMilli(), 0))
	bad := eventChange(hlc.New(now.UnixMilli(), 1))
	bad.ID, bad.RecordID = "01a212aa-b467-7a69-bb4e-852a1af2c917", "01a212aa-b467-7a69-bb4e-852a1af2c918"
	bad.Fields = map[string]json.RawMessage{"kind": json.RawMessage(`"picnic"`)}
	r := merge(p, in, syncproto.PushRequest{Changes: []syncproto.Change{good, bad, good, bad}}).Response
	if len(r.Accepted) != 1 || len(r.Duplicates) != 1 || len(r.Rejected) != 1 {
		t.Fatalf("accepted=%v duplicates=%v rejected=%v", r.Accepted, r.Duplicates, r.Rejected)
	}
}
