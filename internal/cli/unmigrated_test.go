package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/report"
)

// TestUnmigratedWarehouse: every command that reads the warehouse says
// "run pmo migrate" on a warehouse without pmo's schema, instead of a raw
// ClickHouse error; pmo status shows it and exits 0.
func TestUnmigratedWarehouse(t *testing.T) {
	js := filepath.Join(t.TempDir(), "echarts.min.js")
	if err := os.WriteFile(js, []byte("/* echarts */"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(report.EnvEChartsJS, js)
	for _, engine := range []string{"chdb", "server"} {
		t.Run(engine, func(t *testing.T) {
			cfgPath, _, _ := engineConfig(t, engine)
			b, _ := os.ReadFile(cfgPath)
			if err := os.WriteFile(cfgPath, append(b, "email:\n  host: localhost\n  from: pmo@example.com\n"...), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"report", "--out", t.TempDir()},
				{"report", "--scope", "project:X", "--as-of", "2025-01-01", "--out", t.TempDir()},
				{"email", "--to", "a@example.com", "--dry-run", filepath.Join(t.TempDir(), "m.eml")},
				{"kpi"},
				{"kpi", "explain", "wip", "--scope", "portfolio"},
				{"baseline", "list"},
			} {
				r := run(t, nil, append([]string{"-c", cfgPath}, args...)...)
				if r.code == 0 || !strings.Contains(r.stderr, "run pmo migrate") || strings.Contains(r.stderr, "DB::Exception") || strings.Contains(r.stderr, "code: ") {
					t.Errorf("pmo %s on an unmigrated warehouse: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
				}
			}
			if r := run(t, nil, "-c", cfgPath, "status"); r.code != 0 || !strings.Contains(r.stdout, "run pmo migrate") {
				t.Errorf("pmo status on an unmigrated warehouse: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}
