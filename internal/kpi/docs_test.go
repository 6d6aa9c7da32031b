package kpi

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/kpis.md and golden files")

// TestDocs fails when docs/kpis.md is stale; -update rewrites it.
func TestDocs(t *testing.T) {
	var b bytes.Buffer
	if err := WriteDocs(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "kpis.md")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading docs/kpis.md: %v (generate it: go test ./internal/kpi -run TestDocs -update)", err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Fatal("docs/kpis.md is stale: regenerate it with go test ./internal/kpi -run TestDocs -update")
	}
}

func TestCatalogComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Catalog {
		if seen[d.ID] {
			t.Errorf("%s: defined twice", d.ID)
		}
		seen[d.ID] = true
		if d.Name == "" || d.Question == "" || d.Help == "" || d.Unit == "" || d.Window == "" || d.Ref == "" || d.Direction == "" {
			t.Errorf("%s: incomplete definition", d.ID)
		}
	}
	// The KPIs of issue 4.
	for _, id := range []string{"throughput", "cycle_time", "lead_time", "wip", "work_item_age", "sle_attainment", "flow_efficiency",
		"arrival_departure_ratio", "sprint_velocity", "velocity_variability", "say_do_ratio", "commitment_completion_rate",
		"sprint_scope_change", "sprint_carryover", "defect_ratio", "escaped_defect_rate", "reopen_rate", "bug_mttr",
		"created_vs_resolved", "backlog_age", "stale_ratio", "field_completeness", "workflow_consistency"} {
		if !seen[id] {
			t.Errorf("%s: missing from the catalog", id)
		}
	}
}
