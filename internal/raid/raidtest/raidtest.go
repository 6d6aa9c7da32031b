// Package raidtest loads the RAID log's hand-made fixture
// (testdata/raid.yaml) into a real warehouse, for the tests of package raid
// and of what shows the log (pmo raid, the report).
package raidtest

import (
	_ "embed"
	"fmt"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

//go:embed testdata/raid.yaml
var fixtureYAML []byte

//go:embed testdata/teams.yaml
var teamsYAML []byte

// Fixture is a worked-example fixture (package kpitest) with the changes
// that format has no field for: link additions and due-date moves.
type Fixture struct {
	kpitest.Fixture `yaml:",inline"`
	Changes         []kpitest.FieldChange `yaml:"changes"`
}

// Read returns the fixture of testdata/raid.yaml.
func Read(t testing.TB) Fixture {
	t.Helper()
	var f Fixture
	if err := yaml.Unmarshal(fixtureYAML, &f); err != nil {
		t.Fatalf("raidtest: testdata/raid.yaml: %v", err)
	}
	return f
}

// ReadTeams returns the fixture of testdata/teams.yaml: two teams sharing a
// project by component and a team by project (TeamsConfig), with risks,
// blocked items, cross-team dependencies and a sprint add of each.
func ReadTeams(t testing.TB) Fixture {
	t.Helper()
	var f Fixture
	if err := yaml.Unmarshal(teamsYAML, &f); err != nil {
		t.Fatalf("raidtest: testdata/teams.yaml: %v", err)
	}
	return f
}

// TeamsConfig is kpi.teams of testdata/teams.yaml (multi: kpi.multi_team).
func TeamsConfig(multi bool) kpi.Config {
	c := kpi.DefaultConfig()
	c.Teams = []kpi.Team{
		{Name: "Checkout", Components: []string{"checkout"}, Program: "Shop"},
		{Name: "Catalog", Components: []string{"catalog"}, Program: "Shop"},
		{Name: "Ops", Projects: []string{"OPS"}, Program: "Infra"},
	}
	c.MultiTeam = multi
	return c
}

// Load puts the fixture into w.
func (f Fixture) Load(t testing.TB, w *warehouse.Warehouse) {
	t.Helper()
	recs, err := f.Records()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range f.Changes {
		ch, err := c.Record(f.Source, fmt.Sprintf("x%d", i))
		if err != nil {
			t.Fatalf("raidtest: %v", err)
		}
		recs = append(recs, ch)
	}
	kpitest.PutRecords(t, w, recs)
}
