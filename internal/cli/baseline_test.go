package cli

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestBaselineCommand: on each engine, after a small demo collection, pmo
// baseline create freezes a project's baseline in kpi_baselines, refuses to
// overwrite it (exit 2, one line, the table unchanged), and pmo baseline
// list shows it with its issue count.
func TestBaselineCommand(t *testing.T) {
	// On the server; the baseline's SQL is held on both engines by internal/kpi.
	for _, engine := range []string{"server"} {
		t.Run(engine, func(t *testing.T) {
			cfgPath, dsn, db := engineConfig(t, engine)
			if r := runAt(t, demoDay, "-c", cfgPath, "demo", "--issues", "200", "--no-serve", "--history-weeks", "0", "--out", t.TempDir()); r.code != 0 {
				t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
			}
			r := run(t, nil, "-c", cfgPath, "baseline", "list")
			if r.code != 0 || !strings.Contains(r.stdout, "no baselines stored") {
				t.Fatalf("baseline list on an empty table: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
			r = run(t, nil, "-c", cfgPath, "baseline", "create", "--project", "APO", "--name", "plan-1")
			if r.code != 0 {
				t.Fatalf("baseline create: exit %d\n%s", r.code, r.stderr)
			}
			var n int
			if _, err := fmt.Sscanf(r.stdout[strings.LastIndex(r.stdout, ": ")+2:], "%d issues", &n); err != nil || n == 0 {
				t.Fatalf("baseline create printed %q (%v); want a non-zero issue count", r.stdout, err)
			}
			w := openEngine(t, engine, dsn, db)
			count := fmt.Sprintf("SELECT count() FROM `%s`.kpi_baselines WHERE name = 'plan-1'", db)
			if got := countRows(t, w, count); got != uint64(n) {
				t.Fatalf("kpi_baselines holds %d rows of plan-1, create said %d", got, n)
			}

			// Frozen: the same name again is refused, nothing is added.
			r = run(t, nil, "-c", cfgPath, "baseline", "create", "--project", "APO", "--name", "plan-1", "--at", "2025-07-01")
			checkOneLineError(t, r, ExitUsage, []string{`baseline "plan-1"`, "APO", "frozen", "--name"}, nil)
			if got := countRows(t, w, count); got != uint64(n) {
				t.Fatalf("after the refused overwrite kpi_baselines holds %d rows of plan-1, want %d", got, n)
			}

			// A dated baseline under its default name (the date).
			r = run(t, nil, "-c", cfgPath, "baseline", "create", "--project", "APO", "--at", "2025-07-01")
			if r.code != 0 || !strings.Contains(r.stdout, `baseline "2025-07-01"`) {
				t.Fatalf("baseline create --at: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}

			r = run(t, nil, "-c", cfgPath, "baseline", "list")
			if r.code != 0 {
				t.Fatalf("baseline list: exit %d\n%s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != 3 || !strings.Contains(lines[0], "BAC HOURS") {
				t.Fatalf("baseline list: want a header and 2 rows, got\n%s", r.stdout)
			}
			if f := strings.Fields(lines[2]); len(f) != 6 || !strings.HasSuffix(f[0], "/APO") || f[1] != "plan-1" || f[4] != fmt.Sprint(n) {
				t.Errorf("baseline list row %q: want SOURCE/APO plan-1 <at> %d <bac>", lines[2], n)
			}
			if f := strings.Fields(lines[1]); len(f) != 6 || f[1] != "2025-07-01" || f[2] != "2025-07-01" || f[3] != "00:00:00" {
				t.Errorf("baseline list row %q: want the 2025-07-01 baseline at 2025-07-01 00:00:00", lines[1])
			}

			// pmo kpi computes the project's EVM in mode effort from it.
			f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.WriteString("kpi:\n  scopes:\n    - kind: project\n      name: APO\n      evm: {mode: effort, baseline: \"2025-07-01\"}\n")
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
			r = run(t, nil, "-c", cfgPath, "kpi", "--scope", "project:APO", "--as-of", "2025-08-01", "--format", "csv")
			if r.code != 0 {
				t.Fatalf("kpi with mode effort: exit %d\n%s", r.code, r.stderr)
			}
			var bac string
			for _, l := range strings.Split(r.stdout, "\n") {
				if strings.Contains(l, "evm_eac") && strings.Contains(l, "variant=effort") && strings.Contains(l, "measure=bac") {
					bac = l
				}
			}
			if bac == "" || !strings.Contains(r.stdout, "evm_spi") {
				t.Fatalf("pmo kpi printed no mode-effort EVM values of APO:\n%s", tail(r.stdout, 20))
			}
			// Its BAC is the BAC hours pmo baseline list showed.
			rec, err := csv.NewReader(strings.NewReader(bac)).Read()
			if err != nil || len(rec) < 7 {
				t.Fatalf("evm_eac row %q: %v", bac, err)
			}
			v, err := strconv.ParseFloat(rec[6], 64)
			if listed := strings.Fields(lines[1])[5]; err != nil || fmt.Sprintf("%.1f", v) != listed {
				t.Errorf("evm_eac bac %q (%v), want the listed BAC %s hours", rec[6], err, listed)
			}
		})
	}
}

func TestBaselineUsageErrors(t *testing.T) {
	cfg := writeConfig(t, "warehouse:\n  dsn: \"clickhouse://127.0.0.1:1/default\"\n")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"baseline", "create"}, []string{"--project is required"}},
		{[]string{"baseline", "create", "--project", "PAY", "--at", "01/03/2025"}, []string{"--at", "01/03/2025", "YYYY-MM-DD"}},
		{[]string{"baseline"}, []string{"create or list"}},
		{[]string{"baseline", "create", "PAY"}, []string{"unknown command"}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, nil, append(tc.args, "-c", cfg)...)
			checkOneLineError(t, r, ExitUsage, tc.want, nil)
		})
	}
	r := run(t, nil, "baseline", "create", "--help")
	for _, want := range []string{"--project", "--name", "--at", "pmo baseline create --project PAY --name release-3 --at 2025-03-01", "frozen"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("baseline create --help lacks %q", want)
		}
	}
}
