package kpi

import (
	"context"
	"strings"
	"testing"

	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestEstimatedBy checks field_completeness field=estimate under each
// kpi.estimated_by (issue 11, point 4) on testdata/estimated_by.yaml. The
// estimate population (flow items open at as_of or done in W) is EB-1…EB-6:
//
//	EB-1 3 points              EB-2 8 h          EB-3 5 points and 16 h
//	EB-4 nothing               EB-5 0 points, 0 h (set: counts)   EB-6 4 h
//
// either: EB-1, 2, 3, 5, 6 → 5/6; story_points: EB-1, 3, 5 → 3/6;
// original_estimate: EB-2, 3, 5, 6 → 4/6. A project override applies to the
// project only (the portfolio keeps the default), so the knob is part of
// the settings that group scopes into one query. Explain names the field
// that made each item count, and the items it marks estimated recompute
// the value.
func TestEstimatedBy(t *testing.T) {
	f := loadFixture(t, "estimated_by.yaml")
	cases := []struct {
		mode    string
		want    float64
		explain map[string]string // key → role suffix
	}{
		{"default either", 5.0 / 6, map[string]string{
			"EB-1": "open (new); estimated by story points 3",
			"EB-2": "open (indeterminate); estimated by original estimate 8 h",
			"EB-3": "done in window; estimated by story points 5 and original estimate 16 h",
			"EB-4": "open (new); not estimated: neither story points nor an original estimate",
			"EB-5": "done in window; estimated by story points 0 and original estimate 0 h",
			"EB-6": "open (new); estimated by original estimate 4 h",
		}},
		{EstimatedByStoryPoints, 3.0 / 6, map[string]string{
			"EB-2": "open (indeterminate); not estimated: no story points (original estimate 8 h does not count with estimated_by: story_points)",
			"EB-3": "done in window; estimated by story points 5",
			"EB-4": "open (new); not estimated: no story points",
		}},
		{EstimatedByOriginalEstimate, 4.0 / 6, map[string]string{
			"EB-1": "open (new); not estimated: no original estimate (story points 3 does not count with estimated_by: original_estimate)",
			"EB-3": "done in window; estimated by original estimate 16 h",
			"EB-6": "open (new); estimated by original estimate 4 h",
		}},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		ctx := context.Background()
		for _, c := range cases {
			t.Run(c.mode, func(t *testing.T) {
				cfg := DefaultConfig()
				if c.mode != "default either" {
					cfg.EstimatedBy = c.mode
				}
				snap, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range [][2]string{{ScopeProject, "jira/EB"}, {ScopePortfolio, "all"}} {
					checkValues(t, snap, s[0], s[1], []want{{"field_completeness", "4w", "field=estimate", c.want, 6}})
				}
				e, err := Explain(ctx, w, cfg, "field_completeness", "project:jira/EB", f.AsOf)
				if err != nil {
					t.Fatal(err)
				}
				roles := map[string]string{}
				estimated := 0
				for _, it := range e.Items {
					roles[it.Key] = it.Role
					if strings.Contains(it.Role, "; estimated by ") {
						estimated++
					}
				}
				if len(e.Items) != 6 || float64(estimated)/6 != c.want {
					t.Errorf("explain lists %d items, %d estimated; want 6 items recomputing %v:\n%v", len(e.Items), estimated, c.want, roles)
				}
				// The populations an item is in come first, then why it
				// counts as estimated or not.
				why := func(role string) string { _, w, _ := strings.Cut(role, "; "); return w }
				for k, r := range c.explain {
					if why(roles[k]) != why(r) || !strings.HasPrefix(roles[k], "estimate_pop") {
						t.Errorf("explain %s role = %q, want %q after the populations", k, roles[k], why(r))
					}
				}
			})
		}
		t.Run("project override", func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Scopes = []ScopeConfig{{Kind: ScopeProject, Name: "EB", Knobs: Knobs{EstimatedBy: EstimatedByStoryPoints}}}
			snap, err := Compute(ctx, w, cfg, f.AsOf, ScopeFilter{})
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, snap, ScopeProject, "jira/EB", []want{{"field_completeness", "4w", "field=estimate", 3.0 / 6, 6}})
			checkValues(t, snap, ScopePortfolio, "all", []want{{"field_completeness", "4w", "field=estimate", 5.0 / 6, 6}})
		})
	})
}
