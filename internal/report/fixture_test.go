package report

import (
	"slices"
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
)

// The worked examples of kpis.md §4 live with the KPI engine; the report
// tests load the same files into a real warehouse.
const kpiTestdata = "../kpi/testdata/"

func loadFixture(t testing.TB, path string) kpitest.Fixture {
	t.Helper()
	return kpitest.Read(t, path)
}

// withSummaries returns f with the summaries of the named issues replaced
// (the report tests put hostile markup there).
func withSummaries(f kpitest.Fixture, summaries map[string]string) kpitest.Fixture {
	f.Issues = slices.Clone(f.Issues)
	for i, is := range f.Issues {
		if s, ok := summaries[is.Key]; ok {
			f.Issues[i].Summary = s
		}
	}
	return f
}
