package exporter

import (
	"maps"
	"slices"
	"sort"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// Namespace prefixes every pmo metric.
const Namespace = "pmo"

// KPICollector is a prometheus.Collector over the latest KPI snapshot. The
// metrics are built once by Update; Collect only hands them out, so a
// scrape costs no query and no computation. The zero value is not usable;
// use NewKPICollector.
type KPICollector struct {
	cur     atomic.Pointer[built]
	catalog []kpi.Definition
}

// RAG states as exported by pmo_kpi_rag (kpi.RAG: the engine rates each
// value with its scope's thresholds; the exporter only reads Value.RAG).
const (
	Green = 0 // kpi.Green
	Amber = 1 // kpi.Amber
	Red   = 2 // kpi.Red
)

// built is one snapshot turned into metrics.
type built struct {
	metrics []prometheus.Metric
	series  int
	loaded  bool
	text    []byte // the metrics in the text exposition format
	gzipped []byte // text as one gzip member
}

// NewKPICollector returns a collector with no snapshot loaded. catalog
// gives HELP texts; nil means kpi.Catalog.
func NewKPICollector(catalog []kpi.Definition) *KPICollector {
	if catalog == nil {
		catalog = kpi.Catalog
	}
	c := &KPICollector{catalog: catalog}
	c.cur.Store(&built{})
	return c
}

// SnapshotMeta is what the snapshot itself does not say.
type SnapshotMeta struct {
	// Programs maps a project scope ("source/KEY") to its program, for the
	// program label of project series. Optional.
	Programs map[string]string
	// Teams maps a team (kpi.teams) to its program, for the program label
	// of team series. Optional.
	Teams map[string]string
	// Calibration is the scoring of the stored release forecasts
	// (kpi.Calibrate), exported as pmo_forecast_calibration_*; nil: none.
	Calibration *kpi.Calibration
}

// Loaded reports whether a snapshot has been loaded (for /readyz).
func (c *KPICollector) Loaded() bool { return c.cur.Load().loaded }

// Series returns the number of KPI series (and RAG series) being served.
func (c *KPICollector) Series() int { return c.cur.Load().series }

// Describe sends nothing: the families depend on the snapshot, so this is
// an unchecked collector.
func (c *KPICollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends the metrics built by the last Update.
func (c *KPICollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.cur.Load().metrics {
		ch <- m
	}
}

var (
	descSnapshotAsOf = prometheus.NewDesc(Namespace+"_kpi_snapshot_timestamp_seconds",
		"As-of instant of the KPI snapshot being served (the end of the last complete day it covers).", nil, nil)
	descSnapshotComputed = prometheus.NewDesc(Namespace+"_kpi_snapshot_computed_timestamp_seconds",
		"When the KPI snapshot being served was computed.", nil, nil)
	descValues = prometheus.NewDesc(Namespace+"_kpi_values",
		"KPI values in the snapshot by export state: exported, null (not computable, so absent), per_sprint (sprint-level, see the reports), unbounded_label, unmapped.",
		[]string{"state"}, nil)
	descChecks = prometheus.NewDesc(Namespace+"_kpi_snapshot_failed_checks",
		"Consistency checks of the KPI snapshot that failed (e.g. the sprint C8 invariant).", nil, nil)
)

// ragHelp is the HELP of pmo_kpi_rag.
const ragHelp = "RAG state of a KPI value from the catalog thresholds: 0 green, 1 amber, 2 red."

type familyData struct {
	help   string
	labels map[string]bool // extra label names
	values []familyValue
}

type familyValue struct {
	scope [5]string // scope, source, program, project, window
	extra map[string]string
	value float64
}

// Update replaces the served snapshot. It is safe to call while scrapes
// run; a scrape sees the old or the new snapshot, never a mix.
func (c *KPICollector) Update(s kpi.Snapshot, meta SnapshotMeta) {
	help := map[string]string{}
	for _, d := range c.catalog {
		help[d.ID] = d.Help
	}
	states := map[string]float64{"exported": 0, "null": 0, "per_sprint": 0, "unbounded_label": 0, "unmapped": 0}
	fams := map[string]*familyData{}
	rag := &familyData{help: ragHelp, labels: map[string]bool{"kpi": true}}
	for _, v := range s.Values {
		if v.Value == nil {
			states["null"]++
			continue
		}
		f, extra, why := mapValue(v)
		if why != "" {
			states[why]++
			continue
		}
		states["exported"]++
		name := Namespace + "_" + f.name + f.unit.suffix()
		fd := fams[name]
		if fd == nil {
			ch := help[v.KPI]
			if ch == "" {
				ch = "KPI " + v.KPI + "."
			}
			fd = &familyData{help: helpText(f, ch), labels: map[string]bool{}}
			fams[name] = fd
		}
		src, prog, proj := scopeValues(v.ScopeKind, v.Scope, meta.Programs)
		series := extra
		if v.ScopeKind == kpi.ScopeTeam {
			// The team label: bounded by kpi.teams. Only families with
			// team values carry it.
			prog = meta.Teams[v.Scope]
			series = maps.Clone(extra)
			series["team"] = v.Scope
			extra = series
		}
		if f.dropMeasure {
			series = make(map[string]string, len(extra))
			for k, x := range extra {
				if k != "measure" {
					series[k] = x
				}
			}
		}
		fv := familyValue{scope: [5]string{v.ScopeKind, src, prog, proj, v.Window}, extra: series, value: *v.Value * f.unit.scale()}
		for k := range series {
			fd.labels[k] = true
		}
		fd.values = append(fd.values, fv)
		if v.RAG != nil {
			for k := range extra {
				rag.labels[k] = true
			}
			re := make(map[string]string, len(extra)+1)
			for k, x := range extra {
				re[k] = x
			}
			re["kpi"] = v.KPI
			rag.values = append(rag.values, familyValue{scope: fv.scope, extra: re, value: float64(*v.RAG)})
		}
	}
	if len(rag.values) > 0 {
		fams[Namespace+"_kpi_rag"] = rag
	}

	b := &built{loaded: true}
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fd := fams[n]
		extra := make([]string, 0, len(fd.labels))
		for k := range fd.labels {
			extra = append(extra, k)
		}
		slices.Sort(extra)
		desc := prometheus.NewDesc(n, fd.help, append(slices.Clone(scopeLabels), extra...), nil)
		seen := map[string]bool{}
		for _, fv := range fd.values {
			lv := make([]string, 0, len(scopeLabels)+len(extra))
			lv = append(lv, fv.scope[:]...)
			for _, k := range extra {
				lv = append(lv, fv.extra[k])
			}
			// Two values landing on one series would make the scrape
			// fail; keep the first (cannot happen with the catalog's
			// label sets, but a future KPI must not break /metrics).
			key := joinKey(lv)
			if seen[key] {
				continue
			}
			seen[key] = true
			b.metrics = append(b.metrics, prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, fv.value, lv...))
		}
	}
	b.metrics = append(b.metrics, calibrationMetrics(meta.Calibration, meta.Programs)...)
	b.series = len(b.metrics)
	if !s.AsOf.IsZero() {
		b.metrics = append(b.metrics, prometheus.MustNewConstMetric(descSnapshotAsOf, prometheus.GaugeValue, float64(s.AsOf.Unix())))
	}
	if !s.ComputedAt.IsZero() {
		b.metrics = append(b.metrics, prometheus.MustNewConstMetric(descSnapshotComputed, prometheus.GaugeValue, float64(s.ComputedAt.Unix())))
	}
	b.metrics = append(b.metrics, prometheus.MustNewConstMetric(descChecks, prometheus.GaugeValue, float64(len(s.Checks))))
	stateNames := make([]string, 0, len(states))
	for st := range states {
		stateNames = append(stateNames, st)
	}
	slices.Sort(stateNames)
	for _, st := range stateNames {
		b.metrics = append(b.metrics, prometheus.MustNewConstMetric(descValues, prometheus.GaugeValue, states[st], st))
	}
	b.text, b.gzipped = render(b.metrics)
	c.cur.Store(b)
}

func joinKey(lv []string) string {
	n := 0
	for _, s := range lv {
		n += len(s) + 1
	}
	buf := make([]byte, 0, n)
	for _, s := range lv {
		buf = append(buf, s...)
		buf = append(buf, 0)
	}
	return string(buf)
}
