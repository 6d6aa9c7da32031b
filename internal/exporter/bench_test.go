package exporter

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// benchSnapshot builds what kpi.Compute emits for n projects (the label
// sets of internal/kpi's flow, snapshot and sprint KPIs, both windows),
// plus the portfolio scope, with 8 closed sprints per project whose
// per-sprint values are not exported.
func benchSnapshot(n int) kpi.Snapshot {
	var vals []kpi.Value
	x := 0.0
	add := func(scope, id, win string, l kpi.Labels) {
		x += 0.37
		v := x - float64(int(x)) // 0..1
		vals = append(vals, kpi.Value{ScopeKind: kpi.ScopeProject, Scope: scope, KPI: id, Window: win, Labels: l, Value: &v, N: 9})
	}
	pct := func(scope, id, win string, units []string) {
		for _, m := range []string{"nr", "r7"} {
			for _, q := range []string{"0.5", "0.85", "0.95"} {
				for _, u := range units {
					add(scope, id, win, kpi.Labels{"method": m, "quantile": q, "unit": u})
				}
			}
		}
		add(scope, id, win, kpi.Labels{"method": "mean", "unit": "days"})
	}
	for i := range n {
		scope := fmt.Sprintf("jira/P%04d", i)
		for _, w := range []string{"4w", "12w"} {
			for _, m := range []string{"count", "per_week", "per_day"} {
				add(scope, "throughput", w, kpi.Labels{"measure": m})
			}
			for _, id := range []string{"cycle_time", "lead_time", "bug_mttr"} {
				pct(scope, id, w, []string{"dc", "days"})
			}
			for _, m := range []string{"sle_days", "ratio"} {
				add(scope, "sle_attainment", w, kpi.Labels{"measure": m})
			}
			for _, m := range []string{"ratio_of_sums", "mean_per_item"} {
				add(scope, "flow_efficiency", w, kpi.Labels{"measure": m})
			}
			for _, m := range []string{"arrivals", "departures", "ratio", "littles_law_ct_days", "littles_law_quotient", "conservation_gap"} {
				add(scope, "arrival_departure_ratio", w, kpi.Labels{"measure": m})
			}
			for _, m := range []string{"created", "resolved", "net", "ratio"} {
				add(scope, "created_vs_resolved", w, kpi.Labels{"measure": m})
			}
			for _, f := range []string{"estimate", "assignee", "due_date", "composite"} {
				add(scope, "field_completeness", w, kpi.Labels{"field": f})
			}
			for _, c := range []string{"skipped_in_progress", "done_without_resolution", "restarted", "unknown_status", "resolution_not_done"} {
				add(scope, "workflow_consistency", w, kpi.Labels{"class": c})
			}
			for _, id := range []string{"reopen_rate", "escaped_defect_rate", "defect_ratio"} {
				add(scope, id, w, nil)
			}
			add(scope, "wip", w, kpi.Labels{"measure": "daily_average"})
		}
		add(scope, "wip", "snapshot", kpi.Labels{"measure": "count"})
		add(scope, "wip", "snapshot", kpi.Labels{"measure": "per_assignee"})
		add(scope, "work_item_age", "snapshot", kpi.Labels{"measure": "mean_age", "unit": "dc"})
		add(scope, "work_item_age", "snapshot", kpi.Labels{"measure": "mean_age", "unit": "days"})
		add(scope, "work_item_age", "snapshot", kpi.Labels{"measure": "sle_days"})
		add(scope, "work_item_age", "snapshot", kpi.Labels{"measure": "at_risk_ratio"})
		for _, m := range []string{"nr", "r7"} {
			for _, q := range []string{"0.5", "0.85"} {
				add(scope, "backlog_age", "snapshot", kpi.Labels{"method": m, "quantile": q, "unit": "dc"})
			}
		}
		add(scope, "backlog_age", "snapshot", kpi.Labels{"measure": "share_over_180d"})
		add(scope, "backlog_age", "snapshot", kpi.Labels{"measure": "jira_average_age", "unit": "days"})
		add(scope, "stale_ratio", "snapshot", nil)
		board := kpi.Labels{"board": "P" + strconv.Itoa(i) + " board"}
		add(scope, "sprint_velocity", "last5", with(board, "variant", "points"))
		add(scope, "velocity_variability", "last6", with(board, "measure", "cv"))
		add(scope, "say_do_ratio", "last5", with(board, "variant", "points"))
		for s := range 8 {
			sp := kpi.Labels{"sprint": fmt.Sprintf("P%d Sprint %d", i, s)}
			for _, id := range []string{"sprint_velocity", "say_do_ratio", "commitment_completion_rate", "sprint_scope_change", "sprint_carryover"} {
				add(scope, id, "sprint", with(sp, "variant", "points"))
				add(scope, id, "sprint", with(sp, "variant", "count"))
			}
		}
	}
	at := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	s := kpi.Snapshot{AsOf: at, ComputedAt: at, Values: vals}
	kpi.DefaultConfig().Rate(&s) // RAG series as the engine would rate them
	return s
}

func with(l kpi.Labels, k, v string) kpi.Labels {
	out := kpi.Labels{k: v}
	for a, b := range l {
		out[a] = b
	}
	return out
}

// scrape fetches /metrics as Prometheus does (gzip) and returns the time.
func scrape(b *testing.B, url string) time.Duration {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	req.Header.Set("Accept-Encoding", "gzip")
	start := time.Now()
	resp, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression: bytes as sent
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(start)
}

func pct(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[int(p*float64(len(s)-1))].Microseconds()) / 1000
}

// BenchmarkScrape measures /metrics with 1,000 projects × the KPI catalog
// (p50/p99 in ms, series count) against a baseline measured in the same
// run: the same number of series in a plain GaugeVec served by promhttp.
// One iteration is 50 scrapes of ours and one of the baseline.
func BenchmarkScrape(b *testing.B) {
	const projects = 1000
	snap := benchSnapshot(projects)
	c := NewKPICollector(nil)
	start := time.Now()
	c.Update(snap, SnapshotMeta{})
	update := time.Since(start)
	series := c.Series()

	self := prometheus.NewRegistry()
	m := NewMetrics(self)
	m.SourceLastSuccess.WithLabelValues("jira").SetToCurrentTime()
	ours := httptest.NewServer(Handler(self, c, nil))
	defer ours.Close()

	// Baseline: the same series count from one plain GaugeVec with as
	// many labels, through promhttp.
	base := prometheus.NewRegistry()
	gv := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "baseline_gauge", Help: "Baseline."},
		[]string{"scope", "source", "program", "project", "window", "measure", "method", "percentile", "basis"})
	base.MustRegister(gv)
	for i := range series {
		gv.WithLabelValues("project", "jira", "", fmt.Sprintf("P%04d", i%projects), "4w", strconv.Itoa(i/projects), "nr", "85", "elapsed").Set(float64(i))
	}
	baseline := httptest.NewServer(promhttp.HandlerFor(base, promhttp.HandlerOpts{}))
	defer baseline.Close()

	var d, bd []time.Duration
	b.ResetTimer()
	for b.Loop() {
		// The baseline takes ~1,000× longer: 50 of ours per baseline
		// scrape give p99 enough samples at the default -benchtime.
		for range 50 {
			d = append(d, scrape(b, ours.URL))
		}
		bd = append(bd, scrape(b, baseline.URL))
	}
	b.StopTimer()
	b.ReportMetric(float64(series), "series")
	b.ReportMetric(pct(d, 0.5), "p50_ms")
	b.ReportMetric(pct(d, 0.99), "p99_ms")
	b.ReportMetric(pct(bd, 0.5), "baseline_p50_ms")
	b.ReportMetric(pct(d, 0.5)/pct(bd, 0.5), "ratio_p50_vs_gaugevec")
	b.ReportMetric(float64(update.Milliseconds()), "update_ms")
}
