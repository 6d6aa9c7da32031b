package dashboards

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
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

// raidRegister is the register a RAID table of the dashboards shows, by
// its title ("RAID: risks" → risks).
func raidRegister(title string) (string, bool) {
	rest, ok := strings.CutPrefix(title, "RAID: ")
	if !ok {
		return "", false
	}
	reg, _, _ := strings.Cut(rest, " ")
	return reg, true
}

// raidRows checks a RAID table against `pmo raid`: on both engines, at the
// end of two ranges (raidTo, where the organisation has open risks, and
// sqlTo, where it has none), the table lists exactly the issue keys of the
// register raid.Build reads at that instant.
func (e *live) raidRows(ctx context.Context, where, register, raw string, all grafana, add func(string, ...any)) {
	for _, engine := range whtest.Engines {
		w := e.warehouses[engine]
		for _, to := range []time.Time{raidTo, sqlTo} {
			at := fmt.Sprintf("%s on %s at %s", where, engine, to.Format(time.DateOnly))
			g := all
			g.from, g.to = to.AddDate(0, 0, -28), to
			q, err := g.sql(raw)
			if err != nil {
				add("%s: %v", at, err)
				return
			}
			got, err := e.sqlRows(ctx, w, q)
			if err != nil {
				add("%s: %v", at, err)
				continue
			}
			l, err := raid.Build(ctx, w, raid.Options{KPI: kpi.DefaultConfig(), RAID: raid.DefaultConfig(), AsOf: to})
			if err != nil {
				add("%s: pmo raid: %v", at, err)
				continue
			}
			want, ok := registerKeys(l, register)
			if !ok {
				add("%s: no RAID register %q", at, register)
				return
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				add("%s: the table lists %v, pmo raid's %s register %v", at, got, register, want)
			}
		}
	}
}

// registerKeys are the sorted issue keys of a register (risks or issues)
// of l.
func registerKeys(l raid.Log, register string) ([]string, bool) {
	var out []string
	switch register {
	case "risks":
		for _, r := range l.Risks {
			out = append(out, r.Key)
		}
	case "issues":
		for _, i := range l.Issues {
			out = append(out, i.Key)
		}
	default:
		return nil, false
	}
	slices.Sort(out)
	return out, true
}
