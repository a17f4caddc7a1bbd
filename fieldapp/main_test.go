package main

import (
	"runtime/debug"
	"testing"
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
