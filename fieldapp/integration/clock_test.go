package integration_test

import (
	"context"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/shared/record"
)

// An officer whose tablet runs a year ahead edits a record; the inspector pulls it and edits the
// same field afterwards. The inspector's edit is the later one and must win everywhere, although
// the server's server_hlc never moves past a change more than a day ahead.
func TestEditAfterFutureClockWins(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	insp := newDevice(t, "insp", srv.URL, srv.Code("insp", soumA, "inspector"), nil)
	off := newDevice(t, "officer", srv.URL, srv.Code("officer", aimag, "officer"),
		func() time.Time { return time.Now().AddDate(1, 0, 0) })
	id := insp.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindMarketDay,
		"date": "2026-05-14", "unit": soumA, "place": "Bagh 1"}})
	insp.sync()
	off.sync()
	off.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "Officer's place"}})
	off.sync()
	insp.sync()
	if r, _ := insp.DB.FindRecordByID(ctx, id); record.Str(r.Values, "place") != "Officer's place" {
		t.Fatalf("pulled place=%q", record.Str(r.Values, "place"))
	}
	insp.save(localstore.Draft{ID: id, Fields: map[string]any{"place": "Inspector's place"}})
	insp.sync()
	off.sync()
	for _, d := range []*device{insp, off} {
		if r, _ := d.DB.FindRecordByID(ctx, id); record.Str(r.Values, "place") != "Inspector's place" {
			t.Errorf("%s: place=%q", d.Name, record.Str(r.Values, "place"))
		}
	}
}
