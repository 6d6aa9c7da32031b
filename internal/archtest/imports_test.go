package archtest

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the import-rule table in README.md")

// root is the module's root folder (the tests run in internal/archtest).
var root = filepath.Join("..", "..")

// loadGraph lists every package of the module with its direct pmo imports
// (non-test files), as go list sees them.
func loadGraph(t *testing.T) []Package {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./... in %s: %v\n%s", root, err, stderr.String())
	}
	var graph []Package
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		p := Package{Path: rel(fields[0])}
		for _, imp := range fields[1:] {
			if r := rel(imp); r != imp {
				p.Imports = append(p.Imports, r)
			}
		}
		graph = append(graph, p)
	}
	return graph
}

// rel strips the module path: "github.com/pmo-oss/pmo/internal/kpi" → "internal/kpi".
func rel(pkg string) string {
	if pkg == Module {
		return "."
	}
	if r, ok := strings.CutPrefix(pkg, Module+"/"); ok {
		return r
	}
	return pkg
}

// TestImportRules checks every rule of Rules against the real import graph.
func TestImportRules(t *testing.T) {
	graph := loadGraph(t)
	if len(graph) < 15 {
		t.Fatalf("go list found %d packages: suspiciously few", len(graph))
	}
	// Every rule is about packages that exist, so a renamed package
	// cannot make its rule hold vacuously.
	for _, r := range Rules {
		found := false
		for _, p := range graph {
			found = found || match(r.Pkg, p.Path)
		}
		if !found {
			t.Errorf("rule %q is about %s, which matches no package", r.Line(), r.Pkg)
		}
	}
	for _, v := range Check(graph, Rules) {
		t.Error(v)
	}
}

// TestCheckFindsBrokenRules breaks each kind of rule in a small graph and
// expects Check to name the chain and the rule.
func TestCheckFindsBrokenRules(t *testing.T) {
	base := []Package{
		{Path: "cmd/pmo", Imports: []string{"internal/cli", "collectors/all"}},
		{Path: "internal/cli", Imports: []string{"internal/pipeline", "internal/config", "collectors/all"}},
		{Path: "internal/config", Imports: []string{"internal/secret"}},
		{Path: "internal/secret"},
		{Path: "internal/model"},
		{Path: "collectors", Imports: []string{"internal/model"}},
		{Path: "collectors/all", Imports: []string{"collectors/jira"}},
		{Path: "collectors/jira", Imports: []string{"collectors", "internal/model", "internal/secret"}},
		{Path: "collectors/jira/jiratest", Imports: []string{"collectors/jira", "internal/warehouse"}},
		{Path: "internal/warehouse", Imports: []string{"internal/model"}},
		{Path: "internal/kpi", Imports: []string{"internal/warehouse"}},
		{Path: "internal/report", Imports: []string{"internal/kpi"}},
		{Path: "internal/exporter", Imports: []string{"internal/kpi"}},
		{Path: "internal/mail", Imports: []string{"internal/secret"}},
		{Path: "internal/pipeline", Imports: []string{"collectors", "internal/config", "internal/kpi", "internal/report", "internal/exporter", "internal/mail", "internal/warehouse"}},
	}
	if v := Check(base, Rules); len(v) != 0 {
		t.Fatalf("the sound graph breaks rules:\n%s", strings.Join(v, "\n"))
	}
	tests := []struct {
		name     string
		pkg, imp string // add this import
		want     []string
	}{
		{"model imports nothing of pmo", "internal/model", "internal/secret", []string{"internal/model imports internal/secret", "internal/model imports only nothing of pmo"}},
		{"config is a leaf", "internal/config", "internal/kpi", []string{"internal/config imports internal/kpi (internal/config → internal/kpi)", "imports only internal/secret"}},
		{"config is a leaf, also through another package", "internal/secret", "internal/model", []string{"internal/config imports internal/model (internal/config → internal/secret → internal/model)"}},
		{"collectors never import the warehouse", "collectors/jira", "internal/warehouse", []string{"collectors/jira imports internal/warehouse", "collectors/... never imports"}},
		{"the registry neither", "collectors", "internal/kpi", []string{"collectors imports internal/kpi"}},
		{"warehouse never imports collectors", "internal/warehouse", "collectors", []string{"internal/warehouse imports collectors"}},
		{"kpi never imports config", "internal/kpi", "internal/config", []string{"internal/kpi imports internal/config"}},
		{"kpi never imports report", "internal/kpi", "internal/report", []string{"internal/kpi imports internal/report"}},
		{"exporter never imports pipeline", "internal/exporter", "internal/pipeline", []string{"internal/exporter imports internal/pipeline"}},
		{"report never imports cli", "internal/report", "internal/cli", []string{"internal/report imports internal/cli"}},
		{"pipeline knows no concrete collector", "internal/pipeline", "collectors/jira", []string{"internal/pipeline imports collectors/jira"}},
		{"pipeline imports no collectors/all", "internal/pipeline", "collectors/all", []string{"internal/pipeline imports collectors/all", "collectors/all is imported only by cmd/pmo, internal/cli"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			graph := make([]Package, len(base))
			for i, p := range base {
				graph[i] = Package{Path: p.Path, Imports: append([]string(nil), p.Imports...)}
				if p.Path == tt.pkg {
					graph[i].Imports = append(graph[i].Imports, tt.imp)
				}
			}
			v := strings.Join(Check(graph, Rules), "\n")
			if v == "" {
				t.Fatalf("adding %s → %s breaks no rule", tt.pkg, tt.imp)
			}
			for _, w := range tt.want {
				if !strings.Contains(v, w) {
					t.Errorf("violations lack %q:\n%s", w, v)
				}
			}
		})
	}
}

// The README's Architecture section lists the rules between these markers.
const (
	tableStart = "<!-- import rules: generated from internal/archtest/rules.go (go test ./internal/archtest -update) -->\n"
	tableEnd   = "<!-- end of import rules -->"
)

// TestREADMEListsTheRules keeps the README's table and Rules the same.
func TestREADMEListsTheRules(t *testing.T) {
	file := filepath.Join(root, "README.md")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i, j := strings.Index(text, tableStart), strings.Index(text, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no import-rule table between %q and %q in its Architecture section", strings.TrimSpace(tableStart), tableEnd)
	}
	want := Table(Rules)
	got := text[i+len(tableStart) : j]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(file, []byte(text[:i+len(tableStart)]+want+text[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's import rules differ from internal/archtest/rules.go (go test ./internal/archtest -update rewrites the table):\n--- README\n%s--- rules.go\n%s", got, want)
}
