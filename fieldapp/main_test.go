package main

import (
	"runtime/debug"
	"testing"
	"time"
)

// TestVersionString: Settings shows the -ldflags version, else the commit the binary was built
// from, never "dev" when the build knows better.
func TestVersionString(t *testing.T) {
	info := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "4eb6199abcdef"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		v    string
		info *debug.BuildInfo
		want string
	}{
		{"v1.2.0", info, "v1.2.0"},
		{"dev", info, "4eb6199-dirty"},
		{"dev", &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "4eb6199abcdef"}}}, "4eb6199"},
		{"dev", &debug.BuildInfo{}, "dev"},
		{"dev", nil, "dev"},
	} {
		if got := versionString(c.v, c.info); got != c.want {
			t.Errorf("versionString(%q) = %q, want %q", c.v, got, c.want)
		}
	}
}

// TestHelpIsNoError: --help prints the flags and exits 0, not "talbar: flag: help requested".
func TestHelpIsNoError(t *testing.T) {
	if err := run([]string{"--help"}); err != nil {
		t.Fatalf("--help: %v", err)
	}
}

// The test clock is for the automation tests only, and runs on from the time it is given.
func TestTestClock(t *testing.T) {
	if now, err := testClock("", ""); err != nil || now != nil {
		t.Errorf("unset: clock set %v, err %v; want the wall clock", now != nil, err)
	}
	if _, err := testClock("", "2026-06-15T10:00:00+08:00"); err == nil {
		t.Error("a test clock without the automation hook was accepted")
	}
	if _, err := testClock("127.0.0.1:1", "2026-06-15"); err == nil {
		t.Error("a date without a time was accepted")
	}
	now, err := testClock("127.0.0.1:1", "2026-06-15T10:00:00+08:00")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC)
	if got := now(); got.Before(start) || got.After(start.Add(time.Minute)) {
		t.Errorf("now() = %v, want just after %v", got, start)
	}
}
