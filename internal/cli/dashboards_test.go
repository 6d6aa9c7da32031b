package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashboardsCommand writes the dashboards for a configuration with
// teams: every dashboard file is written, the drill-down SQL carries the
// config's teams (the committed dashboards carry none), a rerun overwrites
// pmo's own files, and a file of the same name that is not a pmo dashboard
// is left alone with an error naming it.
func TestDashboardsCommand(t *testing.T) {
	cfgPath, _, _ := engineConfig(t, "chdb")
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	teams := "kpi:\n  teams:\n    - {name: Payments, components: [payments]}\n"
	if err := os.WriteFile(cfgPath, append(b, teams...), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "-c", cfgPath, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "grafana")
	r := run(t, nil, "-c", cfgPath, "dashboards", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "wrote "); n != 6 {
		t.Fatalf("%d files written, want 6:\n%s", n, r.stdout)
	}
	flow, err := os.ReadFile(filepath.Join(out, "delivery-flow.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(flow), "Payments") {
		t.Error("delivery-flow.json: the drill-down SQL does not carry kpi.teams (team Payments)")
	}
	// A file that is not pmo's is refused, and kept (the other five are
	// pmo's: ownDashboard lets them be rewritten).
	foreign := filepath.Join(out, "portfolio.json")
	if err := os.WriteFile(foreign, []byte(`{"uid":"ops-portfolio","tags":["ops"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "-c", cfgPath, "dashboards", "--out", out)
	checkOneLineError(t, r, 1, []string{foreign + " exists and is not a pmo dashboard", "choose another --out folder"}, nil)
	if b, _ := os.ReadFile(foreign); string(b) != `{"uid":"ops-portfolio","tags":["ops"]}` {
		t.Errorf("the foreign file was changed: %s", b)
	}
	r = run(t, nil, "-c", cfgPath, "dashboards")
	checkOneLineError(t, r, ExitUsage, []string{"--out: missing"}, nil)
}

// TestOwnDashboard: which files pmo dashboards may overwrite.
func TestOwnDashboard(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"missing.json", "", true},
		{"pmo.json", `{"uid":"pmo-portfolio","title":"pmo / Portfolio","tags":["pmo"]}`, true},
		{"other-uid.json", `{"uid":"ops-portfolio","tags":["pmo"]}`, false},
		{"other-tag.json", `{"uid":"pmo-x","tags":["ops"]}`, false},
		{"not-json.json", "<html>", false},
	} {
		path := filepath.Join(dir, tc.name)
		if tc.body != "" {
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := ownDashboard(path); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
