// Package changelogtest loads the change log's hand-made fixture
// (testdata/changes.yaml) into a real warehouse, for the tests of package
// changelog and of what shows the log (pmo changes, the report).
package changelogtest

import (
	_ "embed"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

//go:embed testdata/changes.yaml
var fixtureYAML []byte

// Fixture is a worked-example fixture (package kpitest) with what that
// format has no field for: changes with their author, reporters, and the
// versions' release dates as successive collections observed them.
type Fixture struct {
	kpitest.Fixture `yaml:",inline"`
	// Reporters give an issue's reporter (account id and display name).
	Reporters map[string]struct{ ID, Name string } `yaml:"reporters"`
	Changes   []kpitest.FieldChange                `yaml:"changes"`
	// VersionDates are observations of a version (an id of versions):
	// when, and the release date then ("" none).
	VersionDates []struct {
		ID       string    `yaml:"id"`
		Observed time.Time `yaml:"observed"`
		Release  string    `yaml:"release"`
	} `yaml:"version_dates"`
}

// Read returns the fixture of testdata/changes.yaml.
func Read(t testing.TB) Fixture {
	t.Helper()
	var f Fixture
	if err := yaml.Unmarshal(fixtureYAML, &f); err != nil {
		t.Fatalf("changelogtest: testdata/changes.yaml: %v", err)
	}
	return f
}

// Load puts the fixture into w.
func (f Fixture) Load(t testing.TB, w *warehouse.Warehouse) {
	t.Helper()
	recs, err := f.Records()
	if err != nil {
		t.Fatal(err)
	}
	observed := map[string]bool{}
	for _, o := range f.VersionDates {
		observed[o.ID] = true
	}
	versions := map[string]model.Version{}
	recs = slices.DeleteFunc(recs, func(r model.Record) bool {
		v, ok := r.(model.Version)
		if ok {
			versions[v.ID] = v
		}
		return ok && observed[v.ID] // replaced by its observations
	})
	for i, r := range recs {
		if is, ok := r.(model.Issue); ok {
			if p, ok := f.Reporters[is.Key]; ok {
				is.ReporterID, is.Reporter = p.ID, p.Name
				recs[i] = is
			}
		}
	}
	for _, o := range f.VersionDates {
		v, ok := versions[o.ID]
		if !ok {
			t.Fatalf("changelogtest: version_dates: no version %q", o.ID)
		}
		v.ObservedAt, v.ReleaseDate = o.Observed.UTC(), nil
		if o.Release != "" {
			d, err := model.ParseDate(o.Release)
			if err != nil {
				t.Fatalf("changelogtest: version %s: release %q: %v", o.ID, o.Release, err)
			}
			v.ReleaseDate = &d
		}
		recs = append(recs, v)
	}
	for i, c := range f.Changes {
		ch, err := c.Record(f.Source, fmt.Sprintf("%d", 1000+i))
		if err != nil {
			t.Fatalf("changelogtest: %v", err)
		}
		recs = append(recs, ch)
	}
	kpitest.PutRecords(t, w, recs)
}
