package exporter

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse/whtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func f(x float64) *float64 { return &x }

// fixedSnapshot is a small snapshot touching every mapping rule: days to
// seconds with both bases, NULL, per-sprint values, a lastN board
// aggregate, RAG bands, scopes of every kind.
func fixedSnapshot() kpi.Snapshot {
	asOf := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	v := func(kind, scope, id, win, labels string, x *float64) kpi.Value {
		return kpi.Value{ScopeKind: kind, Scope: scope, KPI: id, Window: win, Labels: kpi.ParseLabels(labels), AsOf: asOf, Value: x, N: 7}
	}
	s := kpi.Snapshot{
		AsOf:       asOf,
		ComputedAt: asOf.Add(2 * time.Hour),
		Values: []kpi.Value{
			v("portfolio", "all", "throughput", "4w", "measure=count", f(42)),
			v("portfolio", "all", "throughput", "4w", "measure=per_week", f(10.5)),
			v("source", "jira", "wip", "snapshot", "measure=per_assignee", f(2.5)),
			v("program", "Payments", "stale_ratio", "snapshot", "", f(0.3)),
			v("project", "jira/ALPHA", "cycle_time", "4w", "method=nr,quantile=0.85,unit=dc", f(8)),
			v("project", "jira/ALPHA", "cycle_time", "4w", "method=nr,quantile=0.85,unit=days", f(7.25)),
			v("project", "jira/ALPHA", "cycle_time", "4w", "method=mean,unit=days", f(5.5)),
			v("project", "jira/ALPHA", "cycle_time", "12w", "method=nr,quantile=0.95,unit=dc", nil),
			v("project", "jira/ALPHA", "work_item_age", "snapshot", "measure=at_risk_ratio", f(0.2)),
			v("project", "jira/ALPHA", "work_item_age", "snapshot", "measure=sle_days", f(9)),
			v("project", "jira/ALPHA", "reopen_rate", "4w", "", f(0.1)),
			v("project", "jira/ALPHA", "field_completeness", "4w", "field=composite", f(0.95)),
			v("project", "jira/ALPHA", "arrival_departure_ratio", "4w", "measure=ratio", f(1.2)),
			v("project", "jira/ALPHA", "arrival_departure_ratio", "4w", "measure=arrivals", f(12)),
			v("project", "jira/ALPHA", "say_do_ratio", "last5", "board=ALPHA board,variant=points", f(0.55)),
			v("project", "jira/ALPHA", "say_do_ratio", "sprint", "sprint=ALPHA Sprint 7,variant=points", f(0.8)),
			v("project", "jira/ALPHA", "sprint_velocity", "last5", "board=ALPHA board,variant=points", f(21)),
			v("project", "jira/BETA", "created_vs_resolved", "12w", "measure=ratio", f(0.95)),
			v("project", "jira/BETA", "created_vs_resolved", "12w", "measure=net", f(-3)),
			v("team", "Checkout", "throughput", "4w", "measure=count", f(3)),
			v("team", "Checkout", "cycle_time", "4w", "method=mean,unit=days", f(4.5)),
		},
		Checks: []string{"sprint ALPHA Sprint 3 (12): C8 invariant off by 1 points"},
	}
	kpi.DefaultConfig().Rate(&s) // the engine rates the values it computes
	return s
}

func fixedCollector() *KPICollector {
	c := NewKPICollector(nil)
	c.Update(fixedSnapshot(), SnapshotMeta{Programs: map[string]string{"jira/ALPHA": "Payments"}, Teams: map[string]string{"Checkout": "Payments"}})
	return c
}

func TestGoldenExposition(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(fixedCollector())
	golden := filepath.Join("testdata", "snapshot.prom")
	if *update {
		var buf bytes.Buffer
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.Open(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGoldenExposition -update to create it)", err)
	}
	defer want.Close()
	if err := testutil.GatherAndCompare(reg, want); err != nil {
		t.Fatalf("exposition differs from %s (go test -update rewrites it after review):\n%v", golden, err)
	}
}

func TestExpositionContent(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	c := fixedCollector()
	reg.MustRegister(c)
	tests := []struct {
		name, metric string
		want         float64
		labels       map[string]string
	}{
		{"day count to seconds", "pmo_cycle_time_seconds", 8 * 86400, map[string]string{"project": "ALPHA", "basis": "day_count", "percentile": "85", "program": "Payments"}},
		{"elapsed days to seconds", "pmo_cycle_time_seconds", 5.5 * 86400, map[string]string{"method": "mean", "basis": "elapsed", "project": "ALPHA"}},
		{"team scope", "pmo_cycle_time_seconds", 4.5 * 86400, map[string]string{"scope": "team", "team": "Checkout", "program": "Payments", "method": "mean"}},
		{"team count", "pmo_throughput_items", 3, map[string]string{"scope": "team", "team": "Checkout", "program": "Payments", "window": "4w"}},
		{"sle days to seconds", "pmo_work_item_age_sle_seconds", 9 * 86400, map[string]string{"project": "ALPHA"}},
		{"board aggregate", "pmo_say_do_ratio", 0.55, map[string]string{"window": "last5", "board": "ALPHA board"}},
		{"rag red", "pmo_kpi_rag", Red, map[string]string{"kpi": "say_do_ratio"}},
		{"rag amber wip per assignee", "pmo_kpi_rag", Amber, map[string]string{"kpi": "wip", "source": "jira"}},
		{"rag red at the red boundary", "pmo_kpi_rag", Red, map[string]string{"kpi": "reopen_rate"}},
		{"rag green", "pmo_kpi_rag", Green, map[string]string{"kpi": "field_completeness"}},
		{"rag in band amber", "pmo_kpi_rag", Amber, map[string]string{"kpi": "arrival_departure_ratio"}},
		{"values null", "pmo_kpi_values", 1, map[string]string{"state": "null"}},
		{"values per sprint", "pmo_kpi_values", 1, map[string]string{"state": "per_sprint"}},
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, mf := range mfs {
				if mf.GetName() != tt.metric {
					continue
				}
			metrics:
				for _, m := range mf.GetMetric() {
					got := map[string]string{}
					for _, lp := range m.GetLabel() {
						got[lp.GetName()] = lp.GetValue()
					}
					for k, v := range tt.labels {
						if got[k] != v {
							continue metrics
						}
					}
					if m.GetGauge().GetValue() != tt.want {
						t.Fatalf("%s%v = %v, want %v", tt.metric, got, m.GetGauge().GetValue(), tt.want)
					}
					return
				}
			}
			t.Fatalf("no %s series with labels %v", tt.metric, tt.labels)
		})
	}
	// No sprint names, no NULLs as zeros.
	var buf bytes.Buffer
	for _, mf := range mfs {
		_, _ = expfmt.MetricFamilyToText(&buf, mf)
	}
	if strings.Contains(buf.String(), "Sprint 7") {
		t.Errorf("a sprint name reached the exposition:\n%s", buf.String())
	}
	if strings.Contains(buf.String(), `percentile="95"`) {
		t.Errorf("a NULL value was exported:\n%s", buf.String())
	}
}

// TestEveryCatalogKPIMapped keeps the mapping table in step with the
// catalog: a new KPI must get a family (and a unit) here.
func TestEveryCatalogKPIMapped(t *testing.T) {
	for _, d := range kpi.Catalog {
		if _, ok := rules[d.ID]; !ok {
			t.Errorf("KPI %s (%s) has no metric family in exporter.rules", d.ID, d.Ref)
		}
		if d.Help == "" {
			t.Errorf("KPI %s has no Help text for the HELP line", d.ID)
		}
	}
}

// TestRAGNumbers: pmo_kpi_rag exports the engine's numbers.
func TestRAGNumbers(t *testing.T) {
	if Green != int(kpi.Green) || Amber != int(kpi.Amber) || Red != int(kpi.Red) {
		t.Errorf("exporter RAG numbers %d/%d/%d differ from kpi's %d/%d/%d", Green, Amber, Red, kpi.Green, kpi.Amber, kpi.Red)
	}
}

// TestRAGFromValue: the exporter reads Value.RAG (here an override made
// the reopen rate green) and exports no RAG for an unrated value.
func TestRAGFromValue(t *testing.T) {
	s := fixedSnapshot()
	for i := range s.Values {
		switch s.Values[i].KPI {
		case "reopen_rate":
			g := kpi.Green
			s.Values[i].RAG = &g
		case "field_completeness":
			s.Values[i].RAG = nil
		}
	}
	c := NewKPICollector(nil)
	c.Update(s, SnapshotMeta{})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "pmo_kpi_rag" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if lp.GetName() == "kpi" {
					got[lp.GetValue()] = m.GetGauge().GetValue()
				}
			}
		}
	}
	if x, ok := got["reopen_rate"]; !ok || x != Green {
		t.Errorf("pmo_kpi_rag{kpi=reopen_rate} = %v (present %v), want %d", x, ok, Green)
	}
	if _, ok := got["field_completeness"]; ok {
		t.Errorf("an unrated value got a pmo_kpi_rag series")
	}
}

// TestPromtoolCheckMetrics runs the real promtool over the exposition of
// the fixed snapshot with the self-metrics, and over every metric the
// catalog's values make (TestHelpUnits' set).
func TestPromtoolCheckMetrics(t *testing.T) {
	promtool := whtest.Tool(t, "promtool")
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(fixedCollector())
	m := NewMetrics(reg)
	m.SourceLastSuccess.WithLabelValues("jira").Set(1.75e9)
	m.Requests.WithLabelValues("jira", "2xx").Add(3)
	m.WarehouseWrite.WithLabelValues("flush").Observe(0.02)
	all := NewKPICollector(nil)
	cal := sampleCalibration()
	all.Update(kpi.Snapshot{Values: catalogValues(t)}, SnapshotMeta{Calibration: &cal})
	regAll := prometheus.NewPedanticRegistry()
	regAll.MustRegister(all)
	for name, r := range map[string]*prometheus.Registry{"fixed": reg, "catalog": regAll} {
		mfs, err := r.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		for _, mf := range mfs {
			if _, err := expfmt.MetricFamilyToText(&buf, mf); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = &buf
		out, err := cmd.CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics (%s): %v\n%s", name, err, out)
		}
	}
}
