// Package depstest loads the dependency view's hand-made fixture
// (testdata/deps.yaml) into a real warehouse, for the tests of package
// deps and of what shows it (pmo deps, the report).
package depstest

import (
	_ "embed"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/raid/raidtest"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

//go:embed testdata/deps.yaml
var fixtureYAML []byte

// Fixture is a RAID fixture (package raidtest) with the versions' release
// dates.
type Fixture struct {
	raidtest.Fixture `yaml:",inline"`
	Releases         []struct{ ID, Date string } `yaml:"releases"`
}

// Read returns the fixture of testdata/deps.yaml.
func Read(t testing.TB) Fixture {
	t.Helper()
	var f Fixture
	if err := yaml.Unmarshal(fixtureYAML, &f); err != nil {
		t.Fatalf("depstest: testdata/deps.yaml: %v", err)
	}
	return f
}

// Load puts the fixture into w: the versions with a release date are
// observed again a day after as_of, with the date (the view keeps the
// latest observation).
func (f Fixture) Load(t testing.TB, w *warehouse.Warehouse) {
	t.Helper()
	f.Fixture.Load(t, w)
	var recs []model.Record
	for _, r := range f.Releases {
		d, err := time.Parse(time.DateOnly, r.Date)
		if err != nil {
			t.Fatalf("depstest: release of %s: %v", r.ID, err)
		}
		for _, v := range f.Versions {
			if v.ID == r.ID {
				recs = append(recs, model.Version{Source: f.Source, ID: v.ID, ProjectID: v.ProjectID, Name: v.Name,
					ReleaseDate: &model.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}, ObservedAt: f.AsOf.AddDate(0, 0, 1)})
			}
		}
	}
	kpitest.PutRecords(t, w, recs)
}
