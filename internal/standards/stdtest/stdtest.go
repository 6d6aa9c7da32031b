// Package stdtest loads the standards scorecard's hand-made fixture
// (testdata/standards.yaml) into a real warehouse, for the tests of package
// standards and of what shows the scorecard (pmo standards, the report).
package stdtest

import (
	_ "embed"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/standards"
)

//go:embed testdata/standards.yaml
var fixtureYAML []byte

// Read returns the fixture of testdata/standards.yaml.
func Read(t testing.TB) kpitest.Fixture {
	t.Helper()
	var f kpitest.Fixture
	if err := yaml.Unmarshal(fixtureYAML, &f); err != nil {
		t.Fatalf("stdtest: testdata/standards.yaml: %v", err)
	}
	return f
}

// Config is the kpi.standards the fixture's expected results assume: the
// defaults with a WIP limit of 2.
func Config() standards.Config {
	c := standards.DefaultConfig()
	c.WIP.Limit = 2
	return c
}
