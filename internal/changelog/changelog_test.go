package changelog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/changelog/changelogtest"
	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// rows renders the entries one line each, so expected rows read by hand.
func rows(l Log) []string {
	var out []string
	for _, e := range l.Entries {
		out = append(out, fmt.Sprintf("%s %s %s %s %s by=%s | %s | %s", e.At.Format("01-02 15:04"), e.Kind, e.Change, e.Key,
			e.Project, orDash(e.Author), e.What(), orDash(e.By())))
	}
	return out
}

// The entries of testdata/changes.yaml, by hand (see the comments there).
var want = map[string]string{
	"GAMMA-2 priority": "03-09 10:00 priority down GAMMA-2 jira/GAMMA by=u-bob | priority High → Low | -",
	"ALPHA-2 sprint":   "03-10 10:00 sprint added ALPHA-2 jira/ALPHA by=u-alice | added to Alpha Sprint 10 after it started | 3 pts",
	"GAMMA-4 sprint":   "03-10 10:00 sprint added GAMMA-4 jira/GAMMA by=u-alice | added to Gamma Sprint 20 after it started | -",
	"BETA-2 due":       "03-10 11:00 due_date later BETA-2 jira/BETA by=u-bob | due 2026-03-20 → 2026-03-27 | +7 d",
	"GAMMA-1 due":      "03-11 10:00 due_date cleared GAMMA-1 jira/GAMMA by=u-alice | due date 2026-03-12 cleared | -",
	"ALPHA-2 estimate": "03-11 10:00 estimate up ALPHA-2 jira/ALPHA by=u-bob | estimate 3 → 5 points in Alpha Sprint 10 | +2 pts",
	"GAMMA-4 estimate": "03-11 10:00 estimate set GAMMA-4 jira/GAMMA by=u-alice | estimate - → 3 points in Gamma Sprint 20 | +3 pts",
	"ALPHA-10 release": "03-11 16:00 release added ALPHA-10 jira/ALPHA by=Carol | added to release ALPHA 1.0 after its start | 2 pts",
	"GAMMA-3 priority": "03-12 00:00 priority changed GAMMA-3 jira/GAMMA by=u-bob | priority Urgent → High | -",
	"ALPHA 1.0 date":   "03-12 06:00 release_date later ALPHA 1.0 jira/ALPHA by=- | release 2026-03-20 → 2026-03-27 | +7 d",
	"ALPHA-2 release":  "03-12 09:00 release added ALPHA-2 jira/ALPHA by=u-alice | added to release ALPHA 1.0 after its start | 5 pts",
	"ALPHA-3 sprint":   "03-12 12:00 sprint removed ALPHA-3 jira/ALPHA by=u-bob | removed from Alpha Sprint 10 after it started | 2 pts",
	"BETA-5 priority":  "03-13 10:00 priority up BETA-5 jira/BETA by=u-alice | priority Medium → Highest | -",
	"ALPHA-4 sprint":   "03-13 15:00 sprint added ALPHA-4 jira/ALPHA by=Carol | added to Alpha Sprint 10 after it started | 1 pt",
	"GAMMA 5 date":     "03-14 06:00 release_date earlier GAMMA 5 jira/GAMMA by=- | release 2026-04-01 → 2026-03-25 | -7 d",
	"ALPHA-7 release":  "03-14 09:00 release removed ALPHA-7 jira/ALPHA by=u-zed | removed from release ALPHA 1.0 after its start | 8 pts",
	"BETA-3 due":       "03-15 10:00 due_date earlier BETA-3 jira/BETA by=Carol | due 2026-04-10 → 2026-04-01 | -9 d",
}

var order = []string{"GAMMA-2 priority", "ALPHA-2 sprint", "GAMMA-4 sprint", "BETA-2 due", "GAMMA-1 due", "ALPHA-2 estimate",
	"GAMMA-4 estimate", "ALPHA-10 release", "GAMMA-3 priority", "ALPHA 1.0 date", "ALPHA-2 release", "ALPHA-3 sprint", "BETA-5 priority",
	"ALPHA-4 sprint", "GAMMA 5 date", "ALPHA-7 release", "BETA-3 due"}

func pick(keep func(name string) bool) []string {
	var out []string
	for _, n := range order {
		if keep(n) {
			out = append(out, want[n])
		}
	}
	return out
}

func sameRows(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\ngot\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestBuild holds the change log of the hand-made fixture to the rows
// written by hand, per scope, kind filter and period, on both engines (the
// SQL is the subject).
func TestBuild(t *testing.T) {
	f := changelogtest.Read(t)
	prefix := func(ps ...string) func(string) bool {
		return func(n string) bool {
			for _, p := range ps {
				if strings.HasPrefix(n, p) {
					return true
				}
			}
			return false
		}
	}
	cases := []struct {
		name, scope string
		from        time.Time
		kinds       []string
		want        []string
	}{
		{name: "portfolio", scope: "portfolio", want: pick(func(string) bool { return true })},
		{name: "program Core", scope: "program:Core", want: pick(prefix("ALPHA", "BETA"))},
		{name: "project GAMMA", scope: "project:GAMMA", want: pick(prefix("GAMMA"))},
		{name: "source jira", scope: "source:jira", want: pick(func(string) bool { return true })},
		{name: "dates only", scope: "portfolio", kinds: []string{KindDueDate, KindReleaseDate},
			want: pick(func(n string) bool { return strings.HasSuffix(n, " due") || strings.HasSuffix(n, " date") })},
		{name: "from 13 March", scope: "portfolio", from: time.Date(2026, 3, 13, 0, 0, 0, 0, time.UTC),
			want: pick(prefix("BETA-5", "ALPHA-4", "GAMMA 5", "ALPHA-7", "BETA-3"))},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				sf, err := kpi.ParseScopeFilter(c.scope)
				if err != nil {
					t.Fatal(err)
				}
				l, err := Build(t.Context(), w, Options{KPI: kpi.DefaultConfig(), From: c.from, To: f.AsOf, Scope: sf})
				if err != nil {
					t.Fatal(err)
				}
				l = l.Only(c.kinds...)
				wantFrom := c.from
				if wantFrom.IsZero() {
					wantFrom = f.AsOf.AddDate(0, 0, -7)
				}
				if l.Scope != c.scope || !l.To.Equal(f.AsOf) || !l.From.Equal(wantFrom) {
					t.Errorf("header: scope %q from %v to %v", l.Scope, l.From, l.To)
				}
				sameRows(t, rows(l), c.want)
			})
		}
	})
}

// TestBuildErrors: a period that ends before it starts, or an unknown time
// zone, is an error that says what to fix; no warehouse is read.
func TestBuildErrors(t *testing.T) {
	to := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	bad := kpi.DefaultConfig()
	bad.TZ = "Mars/Olympus"
	for _, c := range []struct {
		name string
		opts Options
		want string
	}{
		{"no end", Options{KPI: kpi.DefaultConfig()}, "no end of the period"},
		{"from after to", Options{KPI: kpi.DefaultConfig(), From: to.AddDate(0, 0, 1), To: to}, "give --from before --to"},
		{"bad tz", Options{KPI: bad, To: to}, `kpi.tz: unknown time zone "Mars/Olympus"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Build(t.Context(), nil, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	if err := CheckKinds([]string{"sprint", "scope"}); err == nil || !strings.Contains(err.Error(), `unknown kind "scope"`) {
		t.Errorf("CheckKinds: %v", err)
	}
}
