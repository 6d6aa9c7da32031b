package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/standards/stdtest"
)

// TestStandardsCommand prints the explain list of a standard in a project
// of the hand-made fixture of package stdtest (its results are held to
// hand-computed values on both engines, and each format to golden files,
// by package standards) against a golden file, kpi.standards read from the
// config file (wip.limit 2, as the fixture assumes); then the usage
// errors. On the embedded engine: the command's flow is the subject.
func TestStandardsCommand(t *testing.T) {
	cfgPath, dsn, db := engineConfig(t, "chdb")
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's two teams (stdtest.Teams) and its WIP limit.
	teams := "kpi:\n  teams:\n    - {name: Web, components: [web], program: Core}\n    - {name: Apps, boards: [Beta board], program: Core}\n"
	if err := os.WriteFile(cfgPath, append(b, teams+"  standards:\n    wip:\n      limit: 2\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	w := openEngine(t, "chdb", dsn, db)
	if r := run(t, nil, "-c", cfgPath, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
	}
	stdtest.Read(t).Load(t, w)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		// wip fails in ALPHA with 3 items in progress under the file's limit of 2 (it passes under the default 15).
		{"standards_alpha_wip.table.golden", []string{"--as-of", "2026-03-16", "--scope", "project:ALPHA", "--explain", "wip"}},
		// The team Web of kpi.teams (component web across ALPHA, BETA, GAMMA) as one unit; its sprints are those
		// that hold its items (it names no board). Apps names a board: its sprints are that board's.
		{"standards_team_web.table.golden", []string{"--as-of", "2026-03-16", "--scope", "team:Web"}},
		{"standards_team_apps_sprint_length.table.golden", []string{"--as-of", "2026-03-16", "--scope", "team:Apps", "--explain", "sprint_length"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "standards"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("pmo standards %s: exit %d\n%s", strings.Join(c.args, " "), r.code, r.stderr)
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
			[]string{`--scope: no scope "project:NOPE" with issues created before 2026-03-16`}},
		{"unknown team", []string{"--as-of", "2026-03-16", "--scope", "team:Nope"},
			[]string{`--scope: no scope "team:Nope"`}},
		{"kind without a name", []string{"--scope", "program"}, []string{"--scope program: name one, e.g. program:NAME"}},
		{"bad standard", []string{"--explain", "wips"}, []string{`--explain: unknown standard "wips"; expected one of required_fields, workflow, wip, estimates, due_dates, sprint_length, stale`}},
		{"bad format", []string{"--format", "xml"}, []string{`--format "xml": expected one of table, json, csv`}},
		{"bad date", []string{"--as-of", "16.03.2026"}, []string{`--as-of "16.03.2026" is not a date; expected YYYY-MM-DD`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "standards"}, c.args...)...)
			checkOneLineError(t, r, ExitUsage, c.want, nil)
		})
	}
	t.Run("disabled", func(t *testing.T) {
		p := writeConfig(t, string(b)+"kpi:\n  standards:\n    stale:\n      enabled: false\n")
		r := run(t, nil, "-c", p, "standards", "--explain", "stale")
		checkOneLineError(t, r, ExitUsage, []string{"--explain stale: the standard is disabled (kpi.standards.stale.enabled: false)"}, nil)
	})
	t.Run("bad config", func(t *testing.T) {
		p := writeConfig(t, string(b)+"kpi:\n  standards:\n    wip:\n      limt: 2\n")
		r := run(t, nil, "-c", p, "standards")
		if r.code == 0 || !strings.Contains(r.stderr, "kpi.standards.wip.limt") {
			t.Errorf("a misspelt key: exit %d\n%s\nwant an error naming kpi.standards.wip.limt", r.code, r.stderr)
		}
	})
}

// TestStandardsHelp: pmo standards --help says what each standard checks
// and which knobs it reads (golden).
func TestStandardsHelp(t *testing.T) {
	r := run(t, nil, "standards", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	golden(t, "standards_help.golden", r.stdout)
}
