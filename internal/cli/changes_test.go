package cli

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/changelog/changelogtest"
)

// TestChangesCommand prints the change log of the hand-made fixture of
// package changelogtest (its entries are held to hand-written rows on both
// engines by package changelog) in each format, scope and kind filter,
// against golden files, and checks the usage errors. On the embedded
// engine: the command's flow is the subject.
func TestChangesCommand(t *testing.T) {
	cfgPath, dsn, db := engineConfig(t, "chdb")
	w := openEngine(t, "chdb", dsn, db)
	if r := run(t, nil, "-c", cfgPath, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d\n%s", r.code, r.stderr)
	}
	changelogtest.Read(t).Load(t, w)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"changes.table.golden", []string{"--to", "2026-03-16"}},
		{"changes.json.golden", []string{"--as-of", "2026-03-16", "--format", "json", "--scope", "program:Core"}},
		{"changes.csv.golden", []string{"--to", "2026-03-16", "--format", "csv"}},
		{"changes_gamma_dates.table.golden", []string{"--from", "2026-03-01", "--to", "2026-03-16", "--scope", "project:GAMMA", "--kind", "due_date,release_date"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "changes"}, c.args...)...)
			if r.code != 0 {
				t.Fatalf("pmo changes %s: exit %d\n%s", strings.Join(c.args, " "), r.code, r.stderr)
			}
			golden(t, c.golden, r.stdout)
		})
	}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown scope", []string{"--to", "2026-03-16", "--scope", "project:NOPE"}, []string{`--scope: no scope "project:NOPE"`}},
		{"kind without a name", []string{"--scope", "program"}, []string{"--scope program: name one, e.g. program:NAME"}},
		{"bad kind", []string{"--kind", "sprint,scope"}, []string{`--kind: unknown kind "scope"; expected one or more of sprint, release, due_date, release_date, priority, estimate`}},
		{"bad format", []string{"--format", "xml"}, []string{`--format "xml": expected one of table, json, csv`}},
		{"bad date", []string{"--from", "01.03.2026"}, []string{`--from "01.03.2026" is not a date; expected YYYY-MM-DD`}},
		{"empty period", []string{"--from", "2026-03-16", "--to", "2026-03-16"}, []string{"--from 2026-03-16 is not before the end of the period (2026-03-16)"}},
		{"to and as-of", []string{"--to", "2026-03-16", "--as-of", "2026-03-15"}, []string{"--to 2026-03-16 and --as-of 2026-03-15: give one"}},
		{"before the data", []string{"--to", "2025-01-01"}, []string{"no data before 2026-02-20"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, nil, append([]string{"-c", cfgPath, "changes"}, c.args...)...)
			checkOneLineError(t, r, ExitUsage, c.want, nil)
		})
	}
}

// TestChangesHelp: pmo changes --help says what each kind holds (golden).
func TestChangesHelp(t *testing.T) {
	r := run(t, nil, "changes", "--help")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	golden(t, "changes_help.golden", r.stdout)
}
