package cli

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/deps/depstest"
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
		{"bad grouping", []string{"--group-by", "team"}, []string{`--group-by: unknown grouping "team": expected project or program`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "deps"}, c.args...)...)
			checkOneLineError(t, r, ExitUsage, c.want, nil)
		})
	}
}
