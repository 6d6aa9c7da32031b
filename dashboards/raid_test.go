package dashboards

import (
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
)

// TestRAIDSQL: the RAID tables' SQL keeps no trace of the sentinel as-of
// (every as-of and previous-report literal became the dashboard's time,
// with kpi.raid.period_days), lists the issue key first and keeps rows by
// the project view's variables; the live test (queries_test.go) runs it on
// both engines.
func TestRAIDSQL(t *testing.T) {
	rc := raid.DefaultConfig()
	rc.PeriodDays = 14
	for _, reg := range []string{"risks", "issues"} {
		q, err := RAIDSQL(kpi.DefaultConfig(), rc, reg)
		if err != nil {
			t.Fatalf("%s: %v", reg, err)
		}
		for _, want := range []string{"SELECT key, ", "$__toTime", "$__conditionalAll(project_key IN (${project:singlequote}), $project)"} {
			if !strings.Contains(q, want) {
				t.Errorf("%s: no %q in\n%s", reg, want, q)
			}
		}
		if reg == "risks" && !strings.Contains(q, "(toInt64($__toTime) - 1209600)") {
			t.Errorf("risks: the previous report is not the dashboard's end minus kpi.raid.period_days (14 d):\n%s", q)
		}
	}
	if _, err := RAIDSQL(kpi.DefaultConfig(), rc, "dependencies"); err == nil {
		t.Error("a RAID table for the dependencies register (kept in Go) was made")
	}
}
