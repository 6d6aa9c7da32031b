package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestReportOutRules: config check, pmo report and pmo serve refuse a
// report folder that is the working directory, the configuration's folder,
// the warehouse's, or a non-empty folder pmo does not own — exit 2, naming
// the key and how to fix it, before any work — and leave its files alone.
func TestReportOutRules(t *testing.T) {
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "keep.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	wh := t.TempDir()
	cfgDir := t.TempDir()
	cfgFile := func(out string) string {
		p := filepath.Join(cfgDir, "pmo.yaml")
		body := fmt.Sprintf("warehouse:\n  dsn: chdb://%s\nreport:\n  out: %q\nserve:\n  listen: %q\n", wh, out, closedPort(t))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name string
		out  string
		want []string
	}{
		{"working directory", ".", []string{`report.out "." is the working directory`, "not a folder pmo may publish reports into", "./.pmo/reports"}},
		{"configuration folder", cfgDir, []string{"report.out", "is the folder of the configuration file", "./.pmo/reports"}},
		{"warehouse folder", wh, []string{"report.out", "is the warehouse folder (warehouse.dsn)"}},
		{"foreign files", foreign, []string{"report.out: not a pmo report folder", "keep.txt", "choose a new or empty folder, or move them out"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := cfgFile(tt.out)
			for _, args := range [][]string{{"config", "check"}, {"config", "check", "--print"}, {"report"}, {"serve"}} {
				r := run(t, nil, append(args, "-c", cfg)...)
				checkOneLineError(t, r, ExitUsage, tt.want, nil)
			}
			// --out follows the same rule and names the flag.
			r := run(t, nil, "report", "-c", cfgFile(filepath.Join(t.TempDir(), "fine")), "--out", tt.out)
			want := append([]string{"--out"}, tt.want[1:]...)
			checkOneLineError(t, r, ExitUsage, want, nil)
		})
	}
	if b, err := os.ReadFile(filepath.Join(foreign, "keep.txt")); err != nil || string(b) != "mine" {
		t.Errorf("keep.txt: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(foreign, ".pmo-reports")); err == nil {
		t.Error("a refused folder was marked as pmo's")
	}
}
