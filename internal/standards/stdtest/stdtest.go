// Package stdtest loads the standards scorecard's hand-made fixture
// (testdata/standards.yaml) into a real warehouse, for the tests of package
// standards and of what shows the scorecard (pmo standards, the report).
package stdtest

import (
	_ "embed"
	"fmt"
	"testing"
	"time"

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
	FieldChanges    []FieldChange `yaml:"field_changes"`
}

// FieldChange is one change of a field of a fixture issue: kind is a
// model.ChangeKind, from and to its values as the collectors store them.
type FieldChange struct {
	Key  string    `yaml:"key"`
	Kind string    `yaml:"kind"`
	At   time.Time `yaml:"at"`
	From string    `yaml:"from"`
	To   string    `yaml:"to"`
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
		recs = append(recs, model.Change{Source: f.Source, IssueID: kpitest.IssueID(c.Key), ChangeID: fmt.Sprintf("f%d", i), At: c.At.UTC(),
			ChangeKind: model.ChangeKind(c.Kind), Field: c.Kind, FieldID: c.Kind, FieldType: "jira", From: c.From, FromString: c.From, To: c.To, ToString: c.To})
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
