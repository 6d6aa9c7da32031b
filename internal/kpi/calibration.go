package kpi

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"encoding/json"

	"github.com/pmo-oss/pmo/internal/csvsafe"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Forecast calibration scores the release forecasts pmo stored in its KPI
// history (monte_carlo_forecast, measure=when_days, release=<version>, at
// confidence 0.5 and 0.85) against what happened:
//
//   - actual finish: the released date of release_schedule_adherence (kpis.md
//     P2, C12) — the first daily observation with released = true after pmo
//     saw the version unreleased, else (first seen already released) the last
//     local done day of its non-discarded issues, capped at the first
//     observation day; a version without one is not scored;
//   - forecast date: E + when_days, E the last complete day of the
//     forecast's as-of (the catalog's "Forecast date = E + when_days");
//   - the forecast made H weeks before (H = 2, 4, 8): the latest stored
//     as-of whose local date is on or before actual − 7·H days and no more
//     than CalibrationSlackDays earlier (older ones are not that horizon's
//     forecast); a NULL forecast (beyond 3650 days) is not scored;
//   - hit: actual ≤ forecast date (finished on or before it); error: |actual
//     − forecast date| in days.
//
// Each release is scored once per horizon and percentile; the rows pool
// them per scope (the project, its program, source and the portfolio), and
// per release of a project scope.
var CalibrationHorizonsWeeks = []int{2, 4, 8}

// CalibrationPercentiles are the confidences scored (labels of the stored
// forecasts).
var CalibrationPercentiles = []float64{0.5, 0.85}

// CalibrationSlackDays bounds how much older than the horizon the nearest
// stored forecast may be (a weekly backfill step fits).
const CalibrationSlackDays = 7

// ScoredForecast is one stored forecast scored against the actual finish.
type ScoredForecast struct {
	Project    string    `json:"project"` // project scope "jira/R"
	Release    string    `json:"release"`
	Horizon    int       `json:"horizon_weeks"`
	Percentile float64   `json:"percentile"`
	MadeAsOf   time.Time `json:"made_as_of"`
	Forecast   time.Time `json:"forecast_date"`
	Actual     time.Time `json:"actual_date"`
	Hit        bool      `json:"hit"`
	ErrorDays  float64   `json:"abs_error_days"`
	Scopes     []string  `json:"scopes"` // scope keys the release counts in
}

// CalibrationRow pools the scored forecasts of one scope (and release),
// horizon and percentile.
type CalibrationRow struct {
	ScopeKind  string   `json:"scope_kind"`
	Scope      string   `json:"scope"`
	Release    string   `json:"release"` // "" = every release of the scope
	Horizon    int      `json:"horizon_weeks"`
	Percentile float64  `json:"percentile"`
	N          int      `json:"n"`
	Hits       int      `json:"hits"`
	HitRate    *float64 `json:"hit_rate"` // nil when n = 0
	MAEDays    *float64 `json:"mae_days"` // mean absolute error, days; nil when n = 0
	Releases   int      `json:"releases"` // releases with an actual finish in the scope
	AsOf       string   `json:"as_of"`    // the calibration's as-of (date)
}

// Calibration is the scoring of the stored release forecasts at AsOf.
type Calibration struct {
	AsOf      time.Time        `json:"as_of"`
	Rows      []CalibrationRow `json:"rows"`
	Forecasts []ScoredForecast `json:"forecasts"`
}

// Find returns the pooled row of a scope, horizon and percentile.
func (c Calibration) Find(kind, scope, release string, horizon int, p float64) (CalibrationRow, bool) {
	for _, r := range c.Rows {
		if r.ScopeKind == kind && r.Scope == scope && r.Release == release && r.Horizon == horizon && r.Percentile == p {
			return r, true
		}
	}
	return CalibrationRow{}, false
}

// Calibrate scores the release forecasts stored before asOf against the
// actual finish of the versions released by asOf.
func Calibrate(ctx context.Context, w *warehouse.Warehouse, cfg Config, asOf time.Time) (Calibration, error) {
	const what = "kpi: scoring the stored release forecasts (calibration)"
	out := Calibration{AsOf: asOf.UTC()}
	s, err := cfg.resolve(ScopePortfolio, "all", "", "")
	if err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	// Actual finish: the released dates release_schedule_adherence uses.
	lc, err := lifecycleSQL(s, asOf)
	if err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	c := &computation{w: w, s: s, asOf: asOf, lc: lc}
	versions, _, err := c.releaseVersions(ctx)
	if err != nil {
		return out, fmt.Errorf("%s: %w", what, err)
	}
	last := lastCompleteDay(asOf, s.loc)
	type rel struct {
		actual time.Time
		scopes []string
	}
	released := map[string]rel{} // project scope + "\x00" + version name
	ambiguous := map[string]bool{}
	for _, v := range versions {
		if v.released.IsZero() || v.released.After(last) {
			continue
		}
		var project string
		for _, k := range v.scopes {
			if p, ok := strings.CutPrefix(k, ScopeProject+":"); ok {
				project = p
			}
		}
		if project == "" {
			continue
		}
		key := project + "\x00" + v.name
		if _, dup := released[key]; dup {
			ambiguous[key] = true // two versions of one name: the forecasts cannot tell them apart
		}
		released[key] = rel{actual: v.released, scopes: v.scopes}
	}
	// The stored forecasts: one per (project, release, confidence, as-of).
	type fc struct {
		asOf time.Time
		days float64
	}
	stored := map[string][]fc{} // key + "\x00" + confidence
	rows, err := w.Query(ctx, `SELECT scope, labels, as_of, value FROM v_kpi_values
WHERE kpi = 'monte_carlo_forecast' AND scope_kind = 'project' AND as_of < ? AND value IS NOT NULL
ORDER BY scope, labels, as_of`, asOf.UTC())
	if err != nil {
		return out, fmt.Errorf("%s: reading the forecasts: %w", what, err)
	}
	for rows.Next() {
		var scope, labels string
		var at time.Time
		var v *float64
		if err := rows.Scan(&scope, &labels, &at, &v); err != nil {
			rows.Close()
			return out, fmt.Errorf("%s: reading the forecasts: %w", what, err)
		}
		l := ParseLabels(labels)
		if l["measure"] != "when_days" || l["release"] == "" || l["confidence"] == "" || v == nil {
			continue
		}
		key := scope + "\x00" + l["release"]
		if _, ok := released[key]; !ok || ambiguous[key] {
			continue
		}
		stored[key+"\x00"+l["confidence"]] = append(stored[key+"\x00"+l["confidence"]], fc{at, *v})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("%s: reading the forecasts: %w", what, err)
	}

	type agg struct {
		n, hits  int
		errSum   float64
		releases map[string]bool
	}
	pools := map[string]*agg{} // kind:scope \x00 release \x00 horizon \x00 p
	var order []string
	add := func(scopeKey, release string, h int, p float64, f *ScoredForecast) {
		k := scopeKey + "\x00" + release + "\x00" + strconv.Itoa(h) + "\x00" + qLabel(p)
		a := pools[k]
		if a == nil {
			a = &agg{releases: map[string]bool{}}
			pools[k] = a
			order = append(order, k)
		}
		if f == nil {
			return
		}
		a.n++
		if f.Hit {
			a.hits++
		}
		a.errSum += f.ErrorDays
		a.releases[f.Project+"\x00"+f.Release] = true
	}
	keys := make([]string, 0, len(released))
	for k := range released {
		if !ambiguous[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, key := range keys {
		r := released[key]
		project, name, _ := strings.Cut(key, "\x00")
		for _, h := range CalibrationHorizonsWeeks {
			cut := r.actual.AddDate(0, 0, -7*h) // local date of the latest as-of that counts
			for _, p := range CalibrationPercentiles {
				var best *fc
				for i, f := range stored[key+"\x00"+qLabel(p)] {
					d := localDate(f.asOf, s.loc)
					if d.After(cut) || d.Before(cut.AddDate(0, 0, -CalibrationSlackDays)) {
						continue
					}
					if best == nil || f.asOf.After(best.asOf) {
						best = &stored[key+"\x00"+qLabel(p)][i]
					}
				}
				var sf *ScoredForecast
				if best != nil {
					e := lastCompleteDay(best.asOf, s.loc)
					fd := e.AddDate(0, 0, int(math.Round(best.days)))
					sf = &ScoredForecast{Project: project, Release: name, Horizon: h, Percentile: p, MadeAsOf: best.asOf, Forecast: fd, Actual: r.actual,
						Hit: !r.actual.After(fd), ErrorDays: math.Abs(math.Round(r.actual.Sub(fd).Hours() / 24)), Scopes: r.scopes}
					out.Forecasts = append(out.Forecasts, *sf)
				}
				for _, sk := range r.scopes {
					add(sk, "", h, p, sf)
				}
				add(ScopeProject+":"+project, name, h, p, sf)
			}
		}
	}
	releasesOf := map[string]map[string]bool{}
	for _, key := range keys {
		for _, sk := range released[key].scopes {
			if releasesOf[sk] == nil {
				releasesOf[sk] = map[string]bool{}
			}
			releasesOf[sk][key] = true
		}
	}
	for _, k := range order {
		parts := strings.Split(k, "\x00")
		kind, scope, _ := strings.Cut(parts[0], ":")
		h, _ := strconv.Atoi(parts[2])
		p, _ := strconv.ParseFloat(parts[3], 64)
		a := pools[k]
		row := CalibrationRow{ScopeKind: kind, Scope: scope, Release: parts[1], Horizon: h, Percentile: p, N: a.n, Hits: a.hits,
			Releases: len(releasesOf[parts[0]]), AsOf: out.AsOf.Format(time.DateOnly)}
		if parts[1] != "" {
			row.Releases = 1
		}
		if a.n > 0 {
			row.HitRate = fptr(float64(a.hits) / float64(a.n))
			row.MAEDays = fptr(a.errSum / float64(a.n))
		}
		out.Rows = append(out.Rows, row)
	}
	rank := map[string]int{ScopePortfolio: 0, ScopeSource: 1, ScopeProgram: 2, ScopeProject: 3}
	slices.SortStableFunc(out.Rows, func(a, b CalibrationRow) int {
		if a.ScopeKind != b.ScopeKind {
			return rank[a.ScopeKind] - rank[b.ScopeKind]
		}
		if c := strings.Compare(a.Scope, b.Scope); c != 0 {
			return c
		}
		if c := strings.Compare(a.Release, b.Release); c != 0 {
			return c
		}
		if a.Horizon != b.Horizon {
			return a.Horizon - b.Horizon
		}
		return int(math.Copysign(1, a.Percentile-b.Percentile))
	})
	return out, nil
}

// localDate is the civil date of t in loc, as a UTC midnight.
func localDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Sentence says how far a scope's forecasts can be trusted, e.g. "Our P85
// forecasts made 4 weeks ahead were right 75 % of the time (n=4, mean
// error 3.8 days)"; "" without scored forecasts.
func (r CalibrationRow) Sentence() string {
	if r.HitRate == nil {
		return ""
	}
	return fmt.Sprintf("Our P%s forecasts made %d weeks ahead were right %.0f %% of the time (n=%d, mean error %.1f days)",
		qName(r.Percentile), r.Horizon, *r.HitRate*100, r.N, *r.MAEDays)
}

// WriteCalibration prints the pooled rows as a table, csv or json.
func WriteCalibration(w io.Writer, c Calibration, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	case "csv":
		cw := csvsafe.NewWriter(w, 1, 2) // scope and release names come from the tracker
		_ = cw.Write([]string{"scope_kind", "scope", "release", "horizon_weeks", "percentile", "n", "hits", "hit_rate", "mae_days", "as_of"})
		for _, r := range c.Rows {
			_ = cw.Write([]string{r.ScopeKind, r.Scope, r.Release, strconv.Itoa(r.Horizon), qLabel(r.Percentile),
				strconv.Itoa(r.N), strconv.Itoa(r.Hits), optNum(r.HitRate, 4), optNum(r.MAEDays, 2), r.AsOf})
		}
		return cw.Flush()
	case "table", "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SCOPE\tRELEASE\tHORIZON\tPERCENTILE\tN\tHITS\tHIT RATE\tMAE (DAYS)")
		for _, r := range c.Rows {
			rate := "-"
			if r.HitRate != nil {
				rate = fmt.Sprintf("%.0f %%", *r.HitRate*100)
			}
			fmt.Fprintf(tw, "%s:%s\t%s\t%dw\tP%s\t%d\t%d\t%s\t%s\n", r.ScopeKind, r.Scope, dashIfEmpty(r.Release), r.Horizon, qName(r.Percentile), r.N, r.Hits, rate, dashIfEmpty(optNum(r.MAEDays, 1)))
		}
		return tw.Flush()
	}
	return fmt.Errorf("kpi: unknown format %q: expected one of %s", format, strings.Join(Formats, ", "))
}

func optNum(v *float64, prec int) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Selects reports whether the filter selects the scope (kind, name), as
// Compute applies it (a project KEY alone matches "source/KEY").
func (f ScopeFilter) Selects(kind, name string) bool {
	return f.match(scopeRef{Kind: kind, Name: name})
}

// Filter keeps the rows of the scopes f selects.
func (c Calibration) Filter(f ScopeFilter) Calibration {
	out := Calibration{AsOf: c.AsOf}
	for _, r := range c.Rows {
		if f.Selects(r.ScopeKind, r.Scope) {
			out.Rows = append(out.Rows, r)
		}
	}
	for _, sf := range c.Forecasts {
		if slices.ContainsFunc(sf.Scopes, func(k string) bool { kind, name, _ := strings.Cut(k, ":"); return f.Selects(kind, name) }) {
			out.Forecasts = append(out.Forecasts, sf)
		}
	}
	return out
}
