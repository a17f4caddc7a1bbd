package syncclient_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"talbar/fieldapp/localstore"
	"talbar/fieldapp/syncclient"
	"talbar/shared/record"
	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Only a probe refused as record_not_found, or as invalid for nothing but required fields it does
// not carry (the server's answer to a record's first upsert, cut to one field, when it lost the
// record), shows that the server lost data; a probe refused for another reason is dropped without
// re-sending every record. (The answers are crafted: the real server looks a change's id up
// first, so it cannot be made to refuse a change it holds.)
func TestProbeRejectionResendsOnlyOnNotFound(t *testing.T) {
	// missing lists the required fields the probe lacks, as the server's completeness check does.
	missing := func(c syncproto.Change) (ps []syncproto.Problem) {
		for _, f := range record.Required(c.Entity) {
			if _, ok := c.Fields[f]; !ok {
				ps = append(ps, syncproto.Problem{Field: f, Code: record.ErrRequired, Message: "is required"})
			}
		}
		return ps
	}
	for _, tc := range []struct {
		name     string
		code     string
		problems func(syncproto.Change) []syncproto.Problem
		resend   bool
	}{
		{syncproto.RejectOutOfScope, syncproto.RejectOutOfScope, nil, false},
		{syncproto.RejectForbidden, syncproto.RejectForbidden, nil, false},
		{syncproto.RejectNotFound, syncproto.RejectNotFound, nil, true},
		{"invalid_required_missing", syncproto.RejectInvalid, missing, true},
		{"invalid_without_problems", syncproto.RejectInvalid, nil, false},
		{"invalid_field_sent", syncproto.RejectInvalid, func(c syncproto.Change) (ps []syncproto.Problem) {
			for f := range c.Fields { // a stricter validation of the field the probe carries
				ps = append(ps, syncproto.Problem{Field: f, Code: record.ErrRequired, Message: "is required and cannot be cleared"})
			}
			return append(ps, missing(c)...)
		}, false},
		{"invalid_other_code", syncproto.RejectInvalid, func(c syncproto.Change) []syncproto.Problem {
			return append(missing(c), syncproto.Problem{Field: "date", Code: record.ErrTooEarly, Message: "too early"})
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			var probeID string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				now := hlc.New(time.Now().UnixMilli(), 0).String()
				w.Header().Set("Content-Type", "application/json")
				if strings.HasSuffix(r.URL.Path, "/pull") {
					json.NewEncoder(w).Encode(syncproto.PullResponse{Cursor: "1", ServerEpoch: "e1", ServerHLC: now})
					return
				}
				b, _ := syncproto.ReadBody(r.Body, r.Header.Get("Content-Encoding"), syncproto.MaxBodyBytes)
				req, _ := syncproto.DecodePushAs(r.Header.Get("Content-Type"), b, syncproto.MaxChanges)
				resp := syncproto.PushResponse{ServerEpoch: "e1", ServerHLC: now}
				for _, c := range req.Changes {
					if c.ID == probeID {
						rej := syncproto.Rejection{ID: c.ID, Code: tc.code}
						if tc.problems != nil {
							rej.Problems = tc.problems(c)
						}
						resp.Rejected = append(resp.Rejected, rej)
					} else {
						resp.Accepted = append(resp.Accepted, c.ID)
					}
				}
				json.NewEncoder(w).Encode(resp)
			}))
			defer srv.Close()
			db, err := localstore.Open(filepath.Join(t.TempDir(), "f.db"), localstore.Options{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.SaveEnrollment(ctx, srv.URL, syncproto.EnrollResponse{DeviceID: "dev-1", Token: "t", ServerEpoch: "e1",
				Inspector: syncproto.Inspector{UnitCode: "MN6501", Role: syncproto.RoleInspector}}); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 3; i++ {
				if _, probs, err := db.Save(ctx, localstore.Draft{Entity: record.EntityEvent, Fields: map[string]any{
					"kind": record.KindOpenDay, "date": "2026-05-14", "unit": "MN6501"}}); err != nil || len(probs) > 0 {
					t.Fatal(err, probs)
				}
			}
			c := &syncclient.Client{Store: db, Logger: quiet}
			if _, err := c.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			p, _ := db.Probe(ctx)
			if p == nil {
				t.Fatal("no probe after the first sync")
			}
			probeID = p.ID
			res, err := c.Sync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Resent > 0; got != tc.resend {
				t.Fatalf("resent %d changes, want resend=%v", res.Resent, tc.resend)
			}
			if p, _ := db.Probe(ctx); p != nil && p.ID == probeID {
				t.Fatal("refused probe kept")
			}
		})
	}
}
