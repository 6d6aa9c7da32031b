// Package stdtest loads the standards scorecard's hand-made fixture
// (testdata/standards.yaml) into a real warehouse, for the tests of package
// standards and of what shows the scorecard (pmo standards, the report).
package stdtest

import (
	"cmp"
	_ "embed"
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/standards"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

//go:embed testdata/standards.yaml
var fixtureYAML []byte

// Fixture is the KPI fixture of testdata/standards.yaml with the field
// changes the KPI fixtures do not describe (assignee, estimates, due
// dates, sprints and fix versions changed after as_of, for the replay).
type Fixture struct {
	kpitest.Fixture `yaml:",inline"`
	FieldChanges    []kpitest.FieldChange `yaml:"field_changes"`
}

// Read returns the fixture of testdata/standards.yaml.
func Read(t testing.TB) Fixture {
	t.Helper()
	var f Fixture
	if err := yaml.Unmarshal(fixtureYAML, &f); err != nil {
		t.Fatalf("stdtest: testdata/standards.yaml: %v", err)
	}
	for _, c := range f.FieldChanges {
		if !model.ChangeKind(c.Kind).Valid() {
			t.Fatalf("stdtest: testdata/standards.yaml: %s: unknown change kind %q", c.Key, c.Kind)
		}
	}
	return f
}

// Load puts the fixture, its field changes included, into the warehouse.
func (f Fixture) Load(t testing.TB, w *warehouse.Warehouse) {
	t.Helper()
	recs, err := f.Records()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range f.FieldChanges {
		// The values are their own display strings, as Jira sends a field's.
		c.FromString, c.ToString = cmp.Or(c.FromString, c.From), cmp.Or(c.ToString, c.To)
		ch, err := c.Record(f.Source, fmt.Sprintf("f%d", i))
		if err != nil {
			t.Fatalf("stdtest: %v", err)
		}
		ch.FieldID, ch.FieldType = c.Kind, "jira"
		recs = append(recs, ch)
	}
	kpitest.PutRecords(t, w, recs)
}

// Config is the kpi.standards the fixture's expected results assume: the
// defaults with a WIP limit of 2.
func Config() standards.Config {
	c := standards.DefaultConfig()
	c.WIP.Limit = 2
	return c
}

// Teams are the two teams of the fixture's expected team results
// (kpi.teams, first match wins): Web selects the items of component web
// in any project (ALPHA-1, ALPHA-2, ALPHA-5, BETA-1, GAMMA-1) and names no
// board; Apps selects by the board "Beta board" (the rest of BETA).
func Teams() []kpi.Team {
	return []kpi.Team{
		{Name: "Web", Components: []string{"web"}, Program: "Core"},
		{Name: "Apps", Boards: []string{"Beta board"}, Program: "Core"},
	}
}

// KPI is kpi.DefaultConfig with the fixture's teams.
func KPI() kpi.Config {
	c := kpi.DefaultConfig()
	c.Teams = Teams()
	return c
}
