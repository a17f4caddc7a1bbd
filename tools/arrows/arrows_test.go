package arrows

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the packages of the module that pattern's packages depend on, by package.
func deps(t *testing.T, pattern string) map[string][]string {
	t.Helper()
	pkgs, err := exec.Command("go", "list", pattern).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	res := map[string][]string{}
	for _, p := range strings.Fields(string(pkgs)) {
		o, err := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{end}}`, p).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", p, err)
		}
		res[p] = strings.Fields(string(o))
	}
	if len(res) == 0 {
		t.Fatalf("no packages match %s", pattern)
	}
	return res
}

func TestArrows(t *testing.T) {
	for _, c := range []struct {
		from      string
		forbidden []string
	}{
		{"talbar/shared/...", []string{"talbar/server", "talbar/fieldapp", "talbar/syncproto"}},
		{"talbar/syncproto/...", []string{"talbar/server", "talbar/fieldapp"}},
		{"talbar/server/dashboard", []string{"talbar/server/api"}},
	} {
		for pkg, ds := range deps(t, c.from) {
			for _, d := range ds {
				for _, f := range c.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s depends on %s", pkg, d)
					}
				}
			}
		}
	}
}
