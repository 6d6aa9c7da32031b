package report_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/pmo-oss/pmo/internal/report"
	"github.com/pmo-oss/pmo/internal/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestEmailTextGolden pins the plain-text part of the report email of a
// synthetic portfolio (go test ./internal/report -run Golden -update).
func TestEmailTextGolden(t *testing.T) {
	m := reporttest.Model(24, 5)
	for _, tc := range []struct {
		name string
		s    *report.Scope
		o    report.EmailOptions
	}{
		{"email_portfolio.golden", m.Portfolio, report.EmailOptions{Attached: "pmo-report-2026-11-23.zip"}},
		{"email_project.golden", m.Projects[0], report.EmailOptions{ReportURL: "https://pmo.example.com/reports/project-3.html"}},
	} {
		e, err := report.EmailBody(m, tc.s, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, tc.name, e.Text)
	}
}

// checkGolden compares got with testdata/name (-update rewrites it).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update if intended):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}
