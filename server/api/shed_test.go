package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"talbar/assets"
	"talbar/server/store/sqlite"
	"talbar/shared/unit"
	"talbar/syncproto"
)

// TestPushShedsLoadWith429 fills the in-flight slots and checks the next push is answered 429
// with Retry-After, over a real listener.
func TestPushShedsLoadWith429(t *testing.T) {
	ctx := context.Background()
	tree, err := unit.Parse(bytes.NewReader(assets.UnitsCSV()))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"), sqlite.Options{Units: tree,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in, _ := db.CreateInspector(ctx, "x", "MN6501", "inspector")
	code, _ := db.IssueCode(ctx, in.ID, time.Hour)
	_, token, err := db.Enroll(ctx, code, "d", "t")
	if err != nil {
		t.Fatal(err)
	}
	a := New(Config{Store: db, Units: tree, MaxInflightPushes: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: ErrorHandler(slog.Default())})
	a.Mount(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	defer app.Shutdown()

	push := func() (*http.Response, syncproto.ErrorBody) {
		body, _ := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol})
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/v1/push", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var e syncproto.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp, e
	}
	a.inflight <- struct{}{} // one push in flight
	resp, e := push()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || e.Error.Code != syncproto.ErrRateLimited {
		t.Fatalf("status=%d retry-after=%q code=%s", resp.StatusCode, resp.Header.Get("Retry-After"), e.Error.Code)
	}
	<-a.inflight
	if resp, _ := push(); resp.StatusCode != 200 {
		t.Fatalf("after the slot freed: %d", resp.StatusCode)
	}
	a.Drain()
	if resp, e := push(); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || e.Error.Code != syncproto.ErrUnavailable {
		t.Fatalf("draining: %d %s", resp.StatusCode, e.Error.Code)
	}
}
