package kpi

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestExplain checks the explanations of example A and B against golden
// files (testdata/explain_*.golden; -update rewrites them). Both engines
// must give the same text.
func TestExplain(t *testing.T) {
	mc28 := exampleAConfig()
	mc28.MCHistoryDays = ptr(28)
	a := loadFixture(t, "example_a.yaml")
	b := loadFixture(t, "example_b.yaml")
	c := loadFixture(t, "example_c.yaml")
	cases := []struct {
		golden, kpi, scope string
		fx                 fixture
		cfg                Config
	}{
		{"explain_a_cycle_time", "cycle_time", "project:A", a, exampleAConfig()},
		{"explain_a_work_item_age", "work_item_age", "project:jira/A", a, exampleAConfig()}, // dc 4, not 5 (tz trap)
		{"explain_a_reopen_rate", "reopen_rate", "portfolio", a, exampleAConfig()},
		{"explain_b_sprint_carryover", "sprint_carryover", "project:B", b, exampleBConfig()},
		// F9 §4.1: the 28-day history holds four done items, the backlog.
		{"explain_a_monte_carlo", "monte_carlo_forecast", "project:A", a, mc28},
		// K1 §4.3: C-7, Highest (5), open 59 days (day count), not updated since 02-20 → both red flags.
		{"explain_c_risk_exposure", "risk_exposure", "project:C", c, exampleCConfig()},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		a.Load(t, w)
		b.Load(t, w)
		c.Load(t, w)
		for _, c := range cases {
			t.Run(c.golden, func(t *testing.T) {
				e, err := Explain(context.Background(), w, c.cfg, c.kpi, c.scope, c.fx.AsOf)
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := WriteExplanation(&got, e, "table"); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", c.golden+".golden")
				if *update {
					if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("explanation differs from %s:\n%s\nwant:\n%s", path, got.String(), want)
				}
			})
		}
	})
}

func TestExplainErrors(t *testing.T) {
	for _, c := range []struct {
		kpi, scope, want string
		is               error // the sentinel errors.Is must find, or nil
	}{
		{"cycle_tim", "project:A", `unknown KPI "cycle_tim"`, ErrUnknownKPI},
		{"cycle_time", "board:A", `kind "board" is not one of`, nil},
		{"cycle_time", "project", `name one scope`, nil},
	} {
		_, err := Explain(context.Background(), nil, DefaultConfig(), c.kpi, c.scope, a0)
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("Explain(%s, %s) = %v, want an error containing %q", c.kpi, c.scope, err, c.want)
		}
		if c.is != nil && !errors.Is(err, c.is) {
			t.Errorf("Explain(%s, %s) = %v, want errors.Is(err, %v)", c.kpi, c.scope, err, c.is)
		}
	}
}

var a0 = time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)

// TestExplainEveryKPI: every catalog KPI either has an issue-level
// explanation (Explained) or says it has none with ErrNoExplanation — never
// a list that does not explain the value.
func TestExplainEveryKPI(t *testing.T) {
	f := loadFixture(t, "example_c.yaml")
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		ctx := context.Background()
		f.Load(t, w)
		x := NewExplainer(w, exampleCConfig(), f.AsOf)
		defer x.Close(ctx)
		explained := map[string]bool{}
		for _, id := range Explained() {
			explained[id] = true
		}
		for _, d := range Catalog {
			_, err := x.Explain(ctx, d.ID, "portfolio", "")
			switch {
			case explained[d.ID] && err != nil:
				t.Errorf("%s is listed as explained but: %v", d.ID, err)
			case !explained[d.ID] && !errors.Is(err, ErrNoExplanation):
				t.Errorf("%s has no explanation, want ErrNoExplanation, got %v", d.ID, err)
			}
		}
	})
}
