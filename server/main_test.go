package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"talbar/syncproto"
	"talbar/syncproto/hlc"
)

// MustRunMain starts the real server on 127.0.0.1:0 with a SQLite file at db.
func MustRunMain(tb testing.TB, db string) *Main {
	tb.Helper()
	m := &Main{Config: Config{Addr: "127.0.0.1:0", DB: db},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if err := m.Run(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

func tempDB(tb testing.TB) string { return filepath.Join(tb.TempDir(), "talbar.db") }

// client speaks the protocol to a server as one device.
type client struct {
	tb     testing.TB
	base   string
	token  string
	device string
	clock  *hlc.Clock
}

// enrollDevice creates an inspector (or officer) and enrolls a device for them over HTTP.
func enrollDevice(tb testing.TB, m *Main, unit, role string) *client {
	tb.Helper()
	ctx := context.Background()
	in, err := m.Store.CreateInspector(ctx, "Test "+unit, unit, role)
	if err != nil {
		tb.Fatal(err)
	}
	code, err := m.Store.IssueCode(ctx, in.ID, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	c := &client{tb: tb, base: "http://" + m.Addr(), clock: &hlc.Clock{}}
	var resp syncproto.EnrollResponse
	if st := c.do("POST", "/api/v1/enroll", syncproto.EnrollRequest{Code: code, DeviceName: "test", Platform: "linux"}, &resp); st != 201 {
		tb.Fatalf("enroll status %d", st)
	}
	c.token, c.device = resp.Token, resp.DeviceID
	return c
}

// do sends a JSON request and decodes the answer into out, returning the status.
func (c *client) do(method, path string, body any, out any) int {
	c.tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	st, b := c.raw(method, path, rd, map[string]string{"Content-Type": "application/json"})
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.tb.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return st
}

func (c *client) raw(method, path string, body io.Reader, hdr map[string]string) (int, []byte) {
	c.tb.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.tb.Fatal(err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (c *client) push(changes ...syncproto.Change) syncproto.PushResponse {
	c.tb.Helper()
	resp, err := c.tryPush(changes...)
	if err != nil {
		c.tb.Fatal(err)
	}
	return resp
}

// tryPush pushes without failing the test, for goroutines other than the test's own.
func (c *client) tryPush(changes ...syncproto.Change) (syncproto.PushResponse, error) {
	var resp syncproto.PushResponse
	b, err := json.Marshal(syncproto.PushRequest{Protocol: syncproto.Protocol, DeviceID: c.device, DeviceTime: time.Now().UTC().Format(time.RFC3339), Changes: changes})
	if err != nil {
		return resp, err
	}
	req, _ := http.NewRequest("POST", c.base+"/api/v1/push", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		return resp, fmt.Errorf("push: %w", err)
	}
	defer hr.Body.Close()
	if hr.StatusCode != 200 {
		return resp, fmt.Errorf("push status %d", hr.StatusCode)
	}
	return resp, json.NewDecoder(hr.Body).Decode(&resp)
}

func (c *client) totals(unit string, year int) map[string]any {
	c.tb.Helper()
	var t map[string]any
	if st := c.do("GET", fmt.Sprintf("/api/v1/totals?year=%d&unit=%s", year, unit), nil, &t); st != 200 {
		c.tb.Fatalf("totals %s status %d", unit, st)
	}
	return t
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// event builds a create of a new event record.
func (c *client) event(unit, kind string, reached int, extra string) syncproto.Change {
	js := fmt.Sprintf(`{"kind":%q,"date":"2026-05-14","unit":%q,"reached":{"herders":%d},"consultations":2%s}`, kind, unit, reached, extra)
	return c.change(newID(), "event", syncproto.OpUpsert, js)
}

func (c *client) change(recordID, entity, op, fields string) syncproto.Change {
	ch := syncproto.Change{ID: newID(), Entity: entity, RecordID: recordID, Op: op, HLC: c.clock.Next().String()}
	if fields != "" {
		if err := json.Unmarshal([]byte(fields), &ch.Fields); err != nil {
			c.tb.Fatal(err)
		}
	}
	return ch
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func num(m map[string]any, path string) float64 {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		cur = cur.(map[string]any)[p]
	}
	f, _ := cur.(float64)
	return f
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// Help is no failure: the list of commands for --help and for a group of commands, and a
// command's --help ends in flag.ErrHelp, which main turns into exit status 0.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}, {"inspector", "--help"}} {
		var out, errb bytes.Buffer
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Errorf("%v: %v", args, err)
		}
		if !strings.Contains(out.String(), "usage: talbar-server") || !strings.Contains(out.String(), "inspector add") {
			t.Errorf("%v printed %q", args, out.String())
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"serve", "--help"}, &out, &errb); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("serve --help: %v, want flag.ErrHelp", err)
	}
}
