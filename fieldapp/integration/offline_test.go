package integration_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
	"talbar/shared/tally"
	"talbar/syncproto/merge"
)

// offlineEdit is one edit a device makes on a day offline: top-level values replaced and target
// groups' counts set.
type offlineEdit struct {
	dev     *device
	after   time.Duration // how far the device's clock has moved since the last sync
	values  map[string]any
	reached map[string]int
}

// editOffline saves what a form would (every loaded value, some changed, the loaded values as the
// base) and returns the leaves the edit changed with their new values, compact.
func editOffline(d *device, id string, e offlineEdit) map[string]string {
	d.tb.Helper()
	r, err := d.DB.FindRecordByID(context.Background(), id)
	if err != nil {
		d.tb.Fatal(err)
	}
	form := map[string]any{}
	for k, v := range r.Values {
		form[k] = v
	}
	for k, v := range e.values {
		form[k] = v
	}
	if e.reached != nil {
		reached := map[string]int{}
		json.Unmarshal(r.Values["reached"], &reached)
		for k, v := range e.reached {
			reached[k] = v
		}
		form["reached"] = reached
	}
	d.save(localstore.Draft{ID: id, Fields: form, Base: r.Values})
	raw := map[string]json.RawMessage{}
	for k, v := range form {
		b, _ := json.Marshal(v)
		raw[k] = b
	}
	before, after := merge.Leaves(r.Values), merge.Leaves(raw)
	changed := map[string]string{}
	for k, v := range after {
		if compact(v) != compact(before[k]) {
			changed[k] = compact(v)
		}
	}
	return changed
}

func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if len(v) == 0 || json.Compact(&b, v) != nil {
		return string(v)
	}
	return b.String()
}

// The review's "both offline for days" case: an inspector and an officer each edit the same
// record several times over days without a sync (different counts, the same count, the notes,
// each device's clock moving on), then both sync, in either order. Every replica ends equal, the
// server's totals equal a count of the merged record, and each leaf both wrote has exactly one
// open conflict on the server: the losing side's last value, lost against the winner's.
func TestBothOfflineForDays(t *testing.T) {
	for _, officerFirst := range []bool{false, true} {
		name := "inspector_syncs_first"
		if officerFirst {
			name = "officer_syncs_first"
		}
		t.Run(name, func(t *testing.T) { bothOfflineForDays(t, officerFirst) })
	}
}

func bothOfflineForDays(t *testing.T, officerFirst bool) {
	ctx := context.Background()
	srv := startServer(t)
	var inspShift, offShift time.Duration
	insp := newDevice(t, "insp", srv.URL, srv.Code("Батаа", soumA, "inspector"), func() time.Time { return time.Now().Add(inspShift) })
	off := newDevice(t, "officer", srv.URL, srv.Code("Сараа", aimag, "officer"), func() time.Time { return time.Now().Add(offShift) })
	id := insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindHerderMeeting,
		"date": fmt.Sprintf("%d-05-14", year), "unit": soumA, "consultations": 5, "notes": "Эхний бичлэг",
		"reached": map[string]int{"herders": 20, "self_employed": 2, "students": 4}}})
	insp.sync()
	off.sync()
	if r, _ := off.DB.FindRecordByID(ctx, id); r.ID != id {
		t.Fatal("the officer did not pull the record")
	}

	// Days offline. The real server's clock does not move, so at the sync each device finds its
	// clock days ahead and stamps its changes again, in their order (localstore.NoteServerTime).
	const day = 24 * time.Hour
	edits := []offlineEdit{
		{dev: insp, after: 1 * day, reached: map[string]int{"herders": 25}, values: map[string]any{"notes": "Байцаагч 1-р өдөр"}},
		{dev: off, after: 1*day + 6*time.Hour, reached: map[string]int{"self_employed": 6}},
		{dev: insp, after: 2 * day, reached: map[string]int{"herders": 27}, values: map[string]any{"consultations": 7}},
		{dev: off, after: 2*day + 12*time.Hour, reached: map[string]int{"herders": 30, "students": 9}, values: map[string]any{"notes": "Мэргэжилтэн 2-р өдөр"}},
		{dev: insp, after: 3 * day, reached: map[string]int{"students": 9}, values: map[string]any{"notes": "Байцаагч 3-р өдөр"}},
		{dev: off, after: 4 * day, reached: map[string]int{"herders": 31}},
	}
	last := map[*device]map[string]string{insp: {}, off: {}} // each device's last value of each leaf it wrote
	for _, e := range edits {
		if e.dev == insp {
			inspShift = e.after
		} else {
			offShift = e.after
		}
		for k, v := range editOffline(e.dev, id, e) {
			last[e.dev][k] = v
		}
	}
	if len(last[insp]) < 4 || len(last[off]) < 4 {
		t.Fatalf("the edits changed too few leaves: %v %v", last[insp], last[off])
	}

	first, second := insp, off
	if officerFirst {
		first, second = off, insp
	}
	first.sync()
	second.sync()
	first.sync()
	second.sync()

	// Every replica equal.
	a, b := insp.records(), off.records()
	if len(a) != 1 || a[id] == "" || a[id] != b[id] {
		t.Fatalf("replicas differ:\ninsp    %s\nofficer %s", a[id], b[id])
	}
	final, err := insp.DB.FindRecordByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	leaves := merge.Leaves(final.Values)

	// Each leaf written on one side only holds that value; a leaf both wrote holds the winner's
	// last value, and the loser's last value is the lost value of one open conflict.
	type lost struct{ field, value, device, keptDevice string }
	var want []lost
	byID := map[string]*device{insp.deviceID(): insp, off.deviceID(): off}
	for _, pair := range [][2]*device{{insp, off}, {off, insp}} {
		d, other := pair[0], pair[1]
		for k, v := range last[d] {
			got := compact(leaves[k])
			if _, both := last[other][k]; !both {
				if got != v {
					t.Errorf("%s=%s on the replicas, want %s's only value %s", k, got, d.Name, v)
				}
				continue
			}
			winner := byID[final.Merged.Fields[k].D]
			if winner == nil || last[winner][k] != got {
				t.Errorf("%s=%s on the replicas, not the last value of its writer %q", k, got, final.Merged.Fields[k].D)
				continue
			}
			if winner == other {
				want = append(want, lost{k, v, d.deviceID(), other.deviceID()})
			}
		}
	}
	if len(want) < 2 {
		t.Fatalf("the scenario kept only %d concurrent leaves: %v", len(want), want)
	}

	// The conflict list: the server's own database file, as /dashboard/conflicts reads it.
	sdb, err := sql.Open("sqlite", "file:"+srv.DB+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	rows, err := sdb.QueryContext(ctx, `SELECT field, lost_value, lost_device, kept_device, state FROM conflicts WHERE record_id = ?`, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []lost
	for rows.Next() {
		var l lost
		var state string
		if err := rows.Scan(&l.field, &l.value, &l.device, &l.keptDevice, &state); err != nil {
			t.Fatal(err)
		}
		if state == "open" {
			l.value = compact(json.RawMessage(l.value))
			got = append(got, l)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	key := func(l []lost) func(i, j int) bool {
		return func(i, j int) bool { return fmt.Sprint(l[i]) < fmt.Sprint(l[j]) }
	}
	sort.Slice(want, key(want))
	sort.Slice(got, key(got))
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("open conflicts on the server:\n got %v\nwant %v", got, want)
	}

	// The server's totals equal a count of the merged record.
	k, rv, ok := tally.Of(final.Entity, final.Values)
	if !ok || k.Year != year || k.Unit != soumA {
		t.Fatalf("the merged record does not count for %s in %d: %+v %v", soumA, year, k, ok)
	}
	sum := tally.New()
	sum.Add(rv)
	for _, d := range []*device{insp, off} {
		if v := vectorOf(srv.Totals(t, d.token(), year, soumA)); v.String() != sum.String() {
			t.Errorf("%s is told totals\n%s\nthe merged record counts\n%s", d.Name, v, sum)
		}
	}
}
