package integration_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"talbar/assets"
	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/i18n"
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

// A device a year ahead was warned about its clock; then a change too large for the server is
// kept as rejected with the client's own too_large code, which the screens translate like a
// server's rejection, and the warning stays.
func TestTooLargeKeepsSkewWarning(t *testing.T) {
	ctx := context.Background()
	srv := startServer(t)
	px := newProxy(t, srv.URL)
	d := newDevice(t, "ahead", px.URL(), srv.Code("ahead", soumA, "inspector"), func() time.Time { return time.Now().AddDate(1, 0, 0) })
	d.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay, "date": "2026-05-14", "unit": soumA}})
	d.sync()
	if w, _ := d.DB.SkewWarning(ctx); w == nil {
		t.Fatal("no clock-skew warning")
	}
	d.save(localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{"kind": record.KindOpenDay, "date": "2026-05-15", "unit": soumA}})
	px.setFault(func(r *http.Request, n int) fault {
		if n > 0 {
			return fault{Status: http.StatusRequestEntityTooLarge}
		}
		return fault{}
	})
	if res := d.sync(); res.Rejected != 1 {
		t.Fatalf("res=%+v", res)
	}
	rej, _ := d.DB.Changes(ctx, localstore.StateRejected)
	if len(rej) != 1 || rej[0].Code != syncclient.CodeTooLarge {
		t.Fatalf("rejected=%+v", rej)
	}
	cat := i18n.MustNew(assets.Translations())
	for _, lang := range i18n.Langs {
		if key := "reject." + rej[0].Code; !cat.Has(lang, key) { // as fieldapp/ui's rejected screen looks it up
			t.Errorf("%s: no text for %s", lang, key)
		}
	}
	if w, _ := d.DB.SkewWarning(ctx); w == nil {
		t.Fatal("the made-up too_large answer cleared the clock-skew warning")
	}
}
