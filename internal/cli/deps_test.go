package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/deps/depstest"
	"github.com/pmo-oss/pmo/internal/raid/raidtest"
)

// TestDepsCommand prints the dependencies of the hand-made fixture of
// package depstest (its matrix, cycles and chain are held to hand-computed
// rows on both engines by package deps) in each format, against golden
// files, and checks the usage errors. On the embedded engine: the
// command's flow is the subject.
func TestDepsCommand(t *testing.T) {
	cfgPath, dsn, db := engineConfig(t, "chdb")
	w := openEngine(t, "chdb", dsn, db)
	if r := run(t, nil, "-c", cfgPath, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
	}
	depstest.Read(t).Load(t, w)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"deps.table.golden", []string{"--as-of", "2026-03-16"}},
		{"deps_edge.json.golden", []string{"--as-of", "2026-03-16", "--format", "json", "--scope", "program:Edge"}},
		{"deps_program.csv.golden", []string{"--as-of", "2026-03-16", "--format", "csv", "--group-by", "program"}},
		{"deps_release.dot.golden", []string{"--as-of", "2026-03-16", "--format", "dot", "--scope", "project:ALPHA", "--release", "1.0"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "deps"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("pmo deps %s: exit %d\n%s", strings.Join(c.args, " "), r.code, r.stderr)
			}
			golden(t, c.golden, r.stdout)
		})
	}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"release without a date", []string{"--as-of", "2026-03-16", "--release", "2.0"},
			[]string{`deps: release "2.0": no such release: no open item of portfolio is planned into a fix version of that name with a release date`}},
		{"kind without a name", []string{"--scope", "program"}, []string{"--scope program: name one, e.g. program:NAME"}},
		{"bad format", []string{"--format", "svg"}, []string{`--format "svg": expected one of table, json, csv, dot`}},
		{"teams not set", []string{"--group-by", "team"}, []string{"--group-by team: kpi.teams is not set"}},
		{"bad grouping", []string{"--group-by", "board"}, []string{`--group-by: unknown grouping "board": expected project, program or team`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "deps"}, c.args...)...)
			checkOneLineError(t, r, ExitUsage, c.want, nil)
		})
	}
}

// TestTeamRegisterCommands prints the registers of raidtest's teams fixture
// (two teams sharing project WEB by component, one by project; the rows are
// held by hand on both engines by packages raid, deps and changelog) for
// team scopes, against golden files: pmo deps --group-by team (the team ×
// team matrix), pmo raid --scope team:Catalog, pmo changes --scope
// team:Checkout. On the embedded engine: the commands' flow is the subject.
func TestTeamRegisterCommands(t *testing.T) {
	cfgPath, dsn, db := engineConfig(t, "chdb")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = append(cfg, `kpi:
  teams:
    - {name: Checkout, components: [checkout], program: Shop}
    - {name: Catalog, components: [catalog], program: Shop}
    - {name: Ops, projects: [OPS], program: Infra}
`...)
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	w := openEngine(t, "chdb", dsn, db)
	if r := run(t, nil, "-c", cfgPath, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
	}
	raidtest.ReadTeams(t).Load(t, w)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"deps_team.table.golden", []string{"deps", "--as-of", "2026-03-16", "--group-by", "team"}},
		{"raid_team_catalog.table.golden", []string{"raid", "--as-of", "2026-03-16", "--scope", "team:Catalog"}},
		{"changes_team_checkout.table.golden", []string{"changes", "--as-of", "2026-03-16", "--scope", "team:Checkout"}},
		{"raid_team.csv.golden", []string{"raid", "--as-of", "2026-03-16", "--format", "csv"}},
		{"changes_team.csv.golden", []string{"changes", "--as-of", "2026-03-16", "--format", "csv"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("pmo %s: exit %d\n%s", strings.Join(c.args, " "), r.code, r.stderr)
			}
			golden(t, c.golden, r.stdout)
		})
	}
	r := run(t, nil, "-c", cfgPath, "raid", "--as-of", "2026-03-16", "--scope", "team:Nope")
	checkOneLineError(t, r, ExitUsage, []string{`--scope: `, `"team:Nope"`, "team:Checkout"}, nil)
}
