package kpi

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

// TestProfile times pieces of the flow SQL on synthetic data (developer
// tool; set KPI_PROFILE=1).
func TestProfile(t *testing.T) {
	if os.Getenv("KPI_PROFILE") == "" {
		t.Skip("set KPI_PROFILE=1")
	}
	w := whtest.Open(t, "chdb")
	putRecords(t, w, synth(100_000))
	ctx := context.Background()
	asOf := benchBase.AddDate(0, 0, 365)
	s, _ := DefaultConfig().resolve(ScopePortfolio, "all", "", "")
	lc := lifecycleSQL(s, asOf)
	run := func(name, q string) {
		t0 := time.Now()
		rows, err := w.Query(ctx, q)
		if err != nil {
			t.Log(name, err)
			return
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		t.Logf("%-40s %8s rows=%d", name, time.Since(t0).Round(time.Millisecond), n)
	}
	t0 := time.Now()
	if err := w.Exec(ctx, "CREATE TABLE lc ENGINE = Memory AS "+lc); err != nil {
		t.Fatal(err)
	}
	t.Logf("materialize %s", time.Since(t0))
	run("count lc", "SELECT count() FROM lc")
	from := scopedSQL("SELECT * FROM lc", nil)
	run("scoped count", "SELECT scope_kind, scope, count() FROM ("+from+") GROUP BY scope_kind, scope")
	win := trailingWeeks(asOf, 12, s.loc)
	dw := pFlow + " AND is_done AND " + inW("done_s", win)
	run("scoped 5 countIf", "SELECT scope_kind, scope, countIf("+dw+"), countIf(is_flow), countIf(started), countIf(skipped), countIf(discarded) FROM ("+from+") GROUP BY scope_kind, scope")
	run("scoped groupArrayIf sorted", "SELECT scope_kind, scope, arraySort(groupArrayIf(toFloat64"+ctDC+", "+dw+")) FROM ("+from+") GROUP BY scope_kind, scope")
	run("scoped arrayExists", "SELECT scope_kind, scope, countIf(arrayExists(x_r -> "+inW("toInt64(x_r)", win)+", reopen_ats)) FROM ("+from+") GROUP BY scope_kind, scope")
	from2 := `SELECT scope_kind, scope, is_flow, discarded, is_done, done_s, start_s, done_day, start_day FROM lc ARRAY JOIN scope_kinds AS scope_kind, scope_names AS scope`
	run("narrow scoped 5 countIf", "SELECT scope_kind, scope, countIf("+dw+"), countIf(is_flow), countIf(is_done), countIf(start_s > 0), countIf(discarded) FROM ("+from2+") GROUP BY scope_kind, scope")
	sl := sleDays{hist: map[string]float64{}, att: map[string]float64{}}
	c := &computation{w: w, s: s, asOf: asOf, snap: &Snapshot{}}
	t0 = time.Now()
	if err := c.flow(ctx, from, []window{win}, sl); err != nil {
		t.Fatal(err)
	}
	t.Logf("flow %s", time.Since(t0))
	inner, outer := c.flowCols(win, sl)
	run("flow inner only", "SELECT scope_kind, scope, "+colList(inner)+" FROM ("+from+") GROUP BY scope_kind, scope")
	for i := 0; i < len(inner); i += 6 {
		part := inner[i:min(i+6, len(inner))]
		run("inner part "+part[0].name, "SELECT scope_kind, scope, "+colList(part)+" FROM ("+from+") GROUP BY scope_kind, scope")
	}
	run("full", aggQuery(from, inner, outer))
	run("full, 32 plain outer", aggQuery(from, inner, outer[:32]))
	run("full, 12 percentile outer", aggQuery(from, inner, append(outer[:1], outer[32:44]...)))
}

func colList(cs []col) string {
	out := ""
	for i, c := range cs {
		if i > 0 {
			out += ", "
		}
		out += c.expr + " AS " + c.name
	}
	return out
}
