package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"talbar/fieldapp/internal/servertest"
	"talbar/fieldapp/localstore"
	"talbar/shared/tally"
)

func TestMain(m *testing.M) {
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

// output is the tool's JSON line, decoded strictly: exactly the keys the issue names.
type output struct {
	Changes      int     `json:"changes"`
	Seconds      float64 `json:"seconds"`
	RequestBytes int64   `json:"request_bytes"`
	Pushes       int64   `json:"pushes"`
	AnswerBytes  int64   `json:"answer_bytes"`
	Pulls        int64   `json:"pulls"`
}

func runTool(t *testing.T, args ...string) (output, map[string]any) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("firstsync %v: %v\n%s", args, err, stderr.String())
	}
	line := strings.TrimSpace(stdout.String())
	if strings.Count(line, "\n") != 0 {
		t.Fatalf("want one JSON line, got %q", line)
	}
	var o output
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		t.Fatalf("output %q: %v", line, err)
	}
	var keys map[string]any
	json.Unmarshal([]byte(line), &keys)
	return o, keys
}

// storeTotals adds up what the device store at path holds, for unit and year, independently of
// the server.
func storeTotals(t *testing.T, path string, year int) (tally.Vector, string) {
	t.Helper()
	db, err := localstore.Open(path, localstore.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, _, token, err := db.Credentials(context.Background())
	if err != nil || token == "" {
		t.Fatalf("token: %q %v", token, err)
	}
	recs, _, err := db.FindRecords(context.Background(), localstore.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	v := tally.New()
	for _, r := range recs {
		if k, rv, ok := tally.Of(r.Entity, r.Values); ok && k.Year == year {
			v.Add(rv)
		}
	}
	return v, token
}

func vectorOf(tt tally.Totals) tally.Vector {
	v := tally.New()
	v[tally.Index["events"]] = tt.Events["total"]
	v[tally.Index["reached"]] = tt.Reached["total"]
	v[tally.Index["surveys"]] = tt.Surveys.Responses
	v[tally.Index["consultations"]] = tt.Consultations
	v[tally.Index["contributions_mnt"]] = tt.ContributionsMNT
	return v
}

func pick(v tally.Vector) tally.Vector {
	out := tally.New()
	for _, n := range []string{"events", "reached", "surveys", "consultations", "contributions_mnt"} {
		out[tally.Index[n]] = v.Get(n)
	}
	return out
}

// TestFirstSyncAgainstRealServer runs the tool against the real server binary on 127.0.0.1 and
// checks its JSON line and that the server's totals are those of the changes the device saved.
func TestFirstSyncAgainstRealServer(t *testing.T) {
	srv := servertest.Start(t)
	const n = 1200
	dir := t.TempDir()
	o, keys := runTool(t, "--server", srv.URL, "--code", srv.AddInspector("MN6501", "inspector"),
		"--changes", "1200", "--dir", dir)
	if len(keys) != 4 {
		t.Errorf("keys %v, want changes, seconds, request_bytes, pushes", keys)
	}
	if o.Changes != n || o.Seconds <= 0 || o.Pushes < 1 || o.RequestBytes < int64(n)*10 || o.RequestBytes > int64(n)*400 {
		t.Errorf("output %+v: want %d changes, positive seconds, at least one push, 10–400 B per change", o, n)
	}
	for _, year := range []int{2025, 2026} {
		want, token := storeTotals(t, filepath.Join(dir, "firstsync.db"), year)
		got := vectorOf(srv.Totals(t, token, year, "MN6501"))
		if pick(want).String() != got.String() {
			t.Errorf("%d: server totals %v, device saved %v", year, got, pick(want))
		}
		if year == 2026 && want.Get("events") == 0 {
			t.Errorf("no events saved in %d", year)
		}
	}

	// The first pull of an officer of the same aimag gets all of them.
	po, _ := runTool(t, "--server", srv.URL, "--code", srv.AddInspector("MN-073", "officer"), "--changes", "0", "--pull")
	if po.Changes != n || po.Pulls < 1 || po.AnswerBytes <= 0 {
		t.Errorf("pull %+v: want %d changes pulled", po, n)
	}
}

// TestFirstPullSeeded seeds the server through --seed-code and measures an officer's first pull.
func TestFirstPullSeeded(t *testing.T) {
	srv := servertest.Start(t)
	po, _ := runTool(t, "--server", srv.URL, "--code", srv.AddInspector("MN-073", "officer"), "--changes", "700",
		"--pull", "--seed-code", srv.AddInspector("MN6504", "inspector"))
	if po.Changes != 700 || po.Pulls < 1 || po.AnswerBytes < 700*10 {
		t.Errorf("pull %+v: want 700 changes pulled", po)
	}
}

func TestFlagsRefused(t *testing.T) {
	for _, args := range [][]string{{"--code", "X"}, {"--server", "http://127.0.0.1:1"}, {"--server", "u", "--code", "c", "--changes", "-1"},
		{"--server", "u", "--code", "c", "--seed-code", "s"}} {
		var out, errb bytes.Buffer
		err := run(context.Background(), args, &out, &errb)
		if err == nil || !strings.HasPrefix(err.Error(), "--") {
			t.Errorf("%v: err %v, want one naming the flag", args, err)
		}
	}
}
