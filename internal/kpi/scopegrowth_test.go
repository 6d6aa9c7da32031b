package kpi

import (
	"context"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi/kpitest"
	"github.com/pmo-oss/pmo/internal/model"
	"github.com/pmo-oss/pmo/internal/warehouse"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestScopeGrowth checks P4 on testdata/scope_growth.yaml (expected values
// derived in the fixture's header): R1 grew 0.6 in points and 1/4 in
// issues, with G-7 added to and G-8 removed from R1 after its start (Fix
// Version changelog as Jira records it); R2 has no start date and is not
// computed.
func TestScopeGrowth(t *testing.T) {
	f := loadFixture(t, "scope_growth.yaml")
	at := func(s string) time.Time {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	fix := []model.Record{
		model.Change{Source: "jira", IssueID: kpitest.IssueID("G-7"), ChangeID: "fv1", At: at("2025-03-15T09:00:00Z"), ChangeKind: model.ChangeFixVersion, Field: "Fix Version", FieldID: "fixVersions", FieldType: "jira", To: "v1", ToString: "R1"},
		model.Change{Source: "jira", IssueID: kpitest.IssueID("G-8"), ChangeID: "fv1", At: at("2025-03-20T09:00:00Z"), ChangeKind: model.ChangeFixVersion, Field: "Fix Version", FieldID: "fixVersions", FieldType: "jira", From: "v1", FromString: "R1"},
	}
	whtest.ForEachEngine(t, func(t *testing.T, w *warehouse.Warehouse) {
		f.Load(t, w)
		kpitest.PutRecords(t, w, fix)
		snap, err := Compute(context.Background(), w, DefaultConfig(), f.AsOf, ScopeFilter{})
		if err != nil {
			t.Fatal(err)
		}
		wants := []want{
			{"scope_growth", "since_baseline", "variant=points,version=R1", 0.6, 5},
			{"scope_growth", "since_baseline", "variant=count,version=R1", 0.25, 5},
		}
		checkValues(t, snap, ScopeProject, "jira/G", wants)
		checkValues(t, snap, ScopePortfolio, "all", wants)
		if _, ok := snap.Find(ScopeProject, "jira/G", "scope_growth", "since_baseline", "variant=points,version=R2"); ok {
			t.Error("R2 has no start date: want no scope_growth value")
		}
		// The explanation lists the issues of R1 at its start and now, and
		// every value recomputes from them.
		for _, sc := range []string{"project:jira/G", "portfolio"} {
			e, err := Explain(context.Background(), w, DefaultConfig(), "scope_growth", sc, f.AsOf)
			if err != nil {
				t.Fatal(err)
			}
			roles := map[string]string{}
			for _, it := range e.Items {
				roles[it.Key] = it.Role
			}
			if roles["G-7"] != "R1: added since its start" || roles["G-8"] != "R1: removed since its start" {
				t.Errorf("%s: roles %v", sc, roles)
			}
			for _, v := range snap.Values {
				if v.KPI != "scope_growth" || v.ScopeKind+":"+v.Scope != e.Scope {
					continue
				}
				got, n, ok := e.Recompute(v.Labels)
				if !ok || (got == nil) != (v.Value == nil) || (got != nil && *got != *v.Value) || n != v.N {
					t.Errorf("%s scope_growth{%s}: explain recomputes %v (n %d, ok %v), the snapshot has %v (n %d)", sc, v.Labels, fmtPtr(got), n, ok, fmtPtr(v.Value), v.N)
				}
			}
		}
	})
}
