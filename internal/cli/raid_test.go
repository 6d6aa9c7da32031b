package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/raid/raidtest"
)

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update if the change is meant):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

// TestRaidCommand prints the RAID log of the hand-made fixture of package
// raidtest (its rows are held to hand-computed values on both engines by
// package raid) in each format and section, against golden files, and
// checks the usage errors. On the embedded engine: the command's flow is
// the subject.
func TestRaidCommand(t *testing.T) {
	cfgPath, dsn, db := engineConfig(t, "chdb")
	w := openEngine(t, "chdb", dsn, db)
	if r := run(t, nil, "-c", cfgPath, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
	}
	raidtest.Read(t).Load(t, w)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"raid.table.golden", []string{"--as-of", "2026-03-16"}},
		{"raid.json.golden", []string{"--as-of", "2026-03-16", "--format", "json", "--scope", "program:Core"}},
		{"raid.csv.golden", []string{"--as-of", "2026-03-16", "--format", "csv"}},
		{"raid_gamma_dependencies.table.golden", []string{"--as-of", "2026-03-16", "--scope", "project:GAMMA", "--section", "dependencies"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "raid"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("pmo raid %s: exit %d\n%s", strings.Join(c.args, " "), r.code, r.stderr)
			}
			golden(t, c.golden, r.stdout)
		})
	}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown scope", []string{"--as-of", "2026-03-16", "--scope", "project:NOPE"},
			[]string{`--scope: no scope "project:NOPE" with issues created before 2026-03-16; known scopes: portfolio, source:jira, program:Core, program:Edge, project:jira/ALPHA`}},
		{"kind without a name", []string{"--scope", "program"}, []string{"--scope program: name one, e.g. program:NAME"}},
		{"bad section", []string{"--section", "risk"}, []string{`--section: unknown section "risk"; expected one of risks, assumptions, issues, dependencies, all`}},
		{"bad format", []string{"--format", "xml"}, []string{`--format "xml": expected one of table, json, csv`}},
		{"bad date", []string{"--as-of", "16.03.2026"}, []string{`--as-of "16.03.2026" is not a date; expected YYYY-MM-DD`}},
		{"before the data", []string{"--as-of", "2025-01-01"}, []string{"no data before 2026-01-01"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "raid"}, c.args...)...)
			checkOneLineError(t, r, ExitUsage, c.want, nil)
		})
	}
}

// TestRaidHelp: pmo raid --help says what each register holds and which
// knobs it reads (golden).
func TestRaidHelp(t *testing.T) {
	r := run(t, nil, "raid", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	golden(t, "raid_help.golden", r.stdout)
}
