package archtest

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Module is pmo's module path; rules name packages relative to it.
const Module = "github.com/pmo-oss/pmo"

// Rule kinds.
const (
	// Only: the package (and those under it) depend on no pmo package but
	// the listed ones.
	Only = "imports only"
	// Never: the packages depend on none of the listed ones, directly or
	// through another package.
	Never = "never imports"
	// ImportedOnlyBy: only the listed packages import it directly.
	ImportedOnlyBy = "is imported only by"
)

// Rule is one import rule. Patterns are relative to the module: "a/b" is
// that package, "a/b/..." it and every package under it, "a/b/*" every
// package strictly under it. Packages whose name ends in "test"
// (collectortest, jiratest, whtest, kpitest, reporttest, ...) are helpers
// for tests, never built into pmo, and outside the rules.
type Rule struct {
	Pkg  string   // the package(s) the rule is about (a pattern)
	Kind string   // Only, Never or ImportedOnlyBy
	Pkgs []string // the patterns the rule lists ("nothing" when empty)
	Why  string
}

// Rules are the import rules of pmo. The README's Architecture section
// lists them (TestREADMEListsTheRules); TestImportRules checks them.
var Rules = []Rule{
	{"internal/model", Only, nil, "the tracker-neutral records everything else shares"},
	{"internal/sqlmodel", Only, []string{"internal/warehouse", "internal/model", "internal/secret"}, "the SQL model files of the packages that compute from the warehouse (kpi, raid, standards, changelog): read and rendered one way, below them all"},
	{"internal/config", Only, []string{"internal/secret"}, "a leaf: each part keeps its own section type; internal/pipeline puts them together"},
	{"collectors/...", Never, []string{"internal/warehouse/...", "internal/kpi/...", "internal/report/...", "internal/exporter/...", "internal/pipeline/...", "internal/cli/..."}, "collectors emit records into a Sink and know nothing downstream"},
	{"internal/warehouse/...", Never, []string{"collectors/...", "internal/kpi/..."}, "the warehouse satisfies collectors.Sink without importing the collectors"},
	{"internal/kpi/...", Never, []string{"internal/report/...", "internal/exporter/...", "internal/mail/...", "internal/pipeline/...", "internal/cli/...", "internal/config/..."}, "KPIs read the warehouse; their readers come after them"},
	{"internal/exporter/...", Never, []string{"internal/pipeline/...", "internal/cli/..."}, "the exporter reads KPI snapshots"},
	{"internal/report/...", Never, []string{"internal/pipeline/...", "internal/cli/..."}, "reports read KPI snapshots"},
	{"internal/pipeline/...", Never, []string{"collectors/*"}, "the orchestrator gets collectors from the registry in collectors, never a concrete one"},
	{"collectors/all", ImportedOnlyBy, []string{"cmd/pmo", "internal/cli"}, "the binary chooses which collectors it contains"},
	{"dashboards/...", Never, []string{"collectors/...", "internal/pipeline/...", "internal/cli/...", "internal/report/...", "internal/mail/..."}, "dashboards are generated from the KPI engine's SQL (internal/kpi); they run nothing (their test runs pmo serve)"},
}

// Line renders the rule as its row in the README table.
func (r Rule) Line() string {
	list := "nothing of pmo"
	if len(r.Pkgs) > 0 {
		quoted := make([]string, len(r.Pkgs))
		for i, p := range r.Pkgs {
			quoted[i] = "`" + p + "`"
		}
		list = strings.Join(quoted, ", ")
	}
	return fmt.Sprintf("| `%s` | %s | %s | %s |", r.Pkg, r.Kind, list, r.Why)
}

// Table renders every rule as the README's Markdown table.
func Table(rules []Rule) string {
	var b strings.Builder
	b.WriteString("| package | rule | packages | why |\n|---|---|---|---|\n")
	for _, r := range rules {
		b.WriteString(r.Line())
		b.WriteByte('\n')
	}
	return b.String()
}

// Package is one package of the import graph: its path relative to the
// module and the pmo packages it imports directly (non-test imports).
type Package struct {
	Path    string
	Imports []string
}

// match reports whether pkg (relative) matches pattern.
func match(pattern, pkg string) bool {
	switch {
	case strings.HasSuffix(pattern, "/..."):
		base := strings.TrimSuffix(pattern, "/...")
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	case strings.HasSuffix(pattern, "/*"):
		return strings.HasPrefix(pkg, strings.TrimSuffix(pattern, "*"))
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if match(p, pkg) {
			return true
		}
	}
	return false
}

// testHelper reports whether pkg is a helper for tests (outside the rules).
func testHelper(pkg string) bool {
	return strings.HasSuffix(path.Base(pkg), "test")
}

// Check returns one message per broken rule and package, naming the chain
// of imports that breaks it and the rule; none when every rule holds.
func Check(graph []Package, rules []Rule) []string {
	imports := map[string][]string{}
	for _, p := range graph {
		imports[p.Path] = p.Imports
	}
	var out []string
	for _, r := range rules {
		for _, p := range graph {
			if testHelper(p.Path) {
				continue
			}
			switch r.Kind {
			case Only, Never:
				if !match(r.Pkg, p.Path) {
					continue
				}
				bad := func(dep string) bool {
					if r.Kind == Only {
						return !matchAny(r.Pkgs, dep) && !match(r.Pkg, dep)
					}
					return matchAny(r.Pkgs, dep)
				}
				if chain := find(imports, p.Path, bad); chain != nil {
					out = append(out, fmt.Sprintf("%s imports %s (%s); rule: %s %s %s — %s",
						p.Path, chain[len(chain)-1], strings.Join(chain, " → "), r.Pkg, r.Kind, listOf(r), r.Why))
				}
			case ImportedOnlyBy:
				if matchAny(r.Pkgs, p.Path) || match(r.Pkg, p.Path) {
					continue
				}
				for _, imp := range p.Imports {
					if match(r.Pkg, imp) {
						out = append(out, fmt.Sprintf("%s imports %s; rule: %s %s %s — %s", p.Path, imp, r.Pkg, r.Kind, listOf(r), r.Why))
					}
				}
			default:
				out = append(out, fmt.Sprintf("rule for %s has an unknown kind %q", r.Pkg, r.Kind))
			}
		}
	}
	sort.Strings(out)
	return out
}

func listOf(r Rule) string {
	if len(r.Pkgs) == 0 {
		return "nothing of pmo"
	}
	return strings.Join(r.Pkgs, ", ")
}

// find returns the shortest import chain from start to a package bad
// accepts (start excluded from the test), or nil.
func find(imports map[string][]string, start string, bad func(string) bool) []string {
	prev := map[string]string{start: ""}
	queue := []string{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, next := range imports[cur] {
			if _, seen := prev[next]; seen {
				continue
			}
			prev[next] = cur
			if bad(next) {
				chain := []string{next}
				for p := cur; p != ""; p = prev[p] {
					chain = append([]string{p}, chain...)
				}
				return chain
			}
			queue = append(queue, next)
		}
	}
	return nil
}
