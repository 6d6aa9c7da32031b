package kpi

import (
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
)

// fixture is a worked example of testdata/ (see package kpitest).
type fixture = kpitest.Fixture

func loadFixture(t testing.TB, name string) fixture {
	t.Helper()
	return kpitest.Read(t, "testdata/"+name)
}
