package report

import (
	"context"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// noForecast is what the burn-up says when the snapshot holds no Monte
// Carlo "when" value for the scope (kpis.md F9: all-zero history → NULL).
const noForecast = "no forecast (not enough history)"

// burnup fills the cumulative burn-up of the weekly series: at each week's
// end (as_of for the current week), the flow items done so far and the
// total scope, both without the items discarded at as_of (the population
// of the Monte Carlo backlog, kpis.md F9). An issue counts at the ends of
// its own zone's weeks (weeksOf, kpis.md C1); BurnEnds are kpi.tz's.
func burnup(s *Series, is []*issue, asOf time.Time, weeksOf func(*issue) []time.Time) {
	n := len(s.Weeks)
	weekEnds := func(ws []time.Time) []time.Time {
		ends := make([]time.Time, n)
		for w := range n {
			ends[w] = ws[w].AddDate(0, 0, 7)
			if ends[w].After(asOf) {
				ends[w] = asOf
			}
		}
		return ends
	}
	s.BurnEnds, s.BurnScope, s.BurnDone = weekEnds(s.Weeks), make([]int, n), make([]int, n)
	for _, it := range is {
		if it.discarded {
			continue
		}
		ends := s.BurnEnds
		if it.loc != nil {
			ends = weekEnds(weeksOf(it))
		}
		for w, end := range ends {
			if it.created.Before(end) {
				s.BurnScope[w]++
			}
			if !it.done.IsZero() && it.done.Before(end) {
				s.BurnDone[w]++
			}
		}
	}
}

// confLabel names a confidence level as a percentile: 0.85 → "P85".
func confLabel(c float64) string {
	return "P" + strconv.FormatFloat(math.Round(c*1000)/10, 'f', -1, 64)
}

// snapshotForecast is the default Options.Forecast: the scope's burn-up
// from the report's series and the finish dates of its open backlog from
// the snapshot's monte_carlo_forecast when_days values (date = E + days,
// E the last complete local day before as_of): at mc_confidence, and at 50 %
// when the snapshot holds it; plus the scope's release forecasts (values
// with a release label).
func snapshotForecast(snap kpi.Snapshot, cfg kpi.Config, loc *time.Location) func(ctx context.Context, s *Scope) (*Forecast, error) {
	conf := 0.85
	if cfg.MCConfidence != nil {
		conf = *cfg.MCConfidence
	}
	y, m, d := snap.AsOf.Add(-time.Millisecond).In(loc).Date()
	date := func(days float64) time.Time { return time.Date(y, m, d+int(math.Ceil(days)), 0, 0, 0, 0, loc) }
	type mc struct {
		when, likely, backlog *float64
		releases              map[string]*ReleaseForecast
	}
	idx := map[string]*mc{}
	for _, v := range snap.Values {
		if v.KPI != "monte_carlo_forecast" {
			continue
		}
		k := v.ScopeKind + "\x00" + v.Scope
		e := idx[k]
		if e == nil {
			e = &mc{releases: map[string]*ReleaseForecast{}}
			idx[k] = e
		}
		measure, c := v.Labels["measure"], v.Labels["confidence"]
		if name, ok := v.Labels["release"]; ok {
			r := e.releases[name]
			if r == nil {
				r = &ReleaseForecast{Name: name}
				e.releases[name] = r
			}
			if v.Value == nil {
				continue
			}
			x := *v.Value
			switch {
			case measure == "remaining":
				r.Remaining = int(x)
			case measure == "when_days" && c == "":
				r.Finish = date(x)
			case measure == "when_days" && c == "0.5":
				r.Likely = date(x)
			case measure == "days_left":
				r.Planned = date(x)
			case measure == "on_time_probability":
				r.OnTime = v.Value
			case measure == "late_days":
				r.LateDays = v.Value
			}
			continue
		}
		switch {
		case measure == "when_days" && c == "":
			e.when = v.Value
		case measure == "when_days" && c == "0.5":
			e.likely = v.Value
		case measure == "backlog":
			e.backlog = v.Value
		}
	}
	return func(_ context.Context, s *Scope) (*Forecast, error) {
		f := &Forecast{Confidence: conf}
		se := s.Series
		for i, end := range se.BurnEnds {
			f.Scope = append(f.Scope, Point{At: end, Value: float64(se.BurnScope[i])})
			f.Done = append(f.Done, Point{At: end, Value: float64(se.BurnDone[i])})
		}
		e := idx[s.Kind+"\x00"+s.Name]
		if e != nil {
			for _, r := range e.releases {
				f.Releases = append(f.Releases, *r)
			}
			sort.Slice(f.Releases, func(i, j int) bool { return f.Releases[i].Name < f.Releases[j].Name })
		}
		if e == nil || e.when == nil {
			f.Note = noForecast
			return f, nil
		}
		if e.likely != nil && conf != 0.5 {
			f.Lines = append(f.Lines, ForecastLine{Label: "P50", Days: *e.likely, Date: date(*e.likely)})
			f.P50 = date(*e.likely)
		}
		f.Lines = append(f.Lines, ForecastLine{Label: confLabel(conf), Days: *e.when, Date: date(*e.when)})
		if e.backlog != nil {
			f.Backlog = int(*e.backlog)
		}
		switch conf {
		case 0.5:
			f.P50 = date(*e.when)
		case 0.85:
			f.P85 = date(*e.when)
		}
		return f, nil
	}
}

// evmTrend is the default Options.EVM: the scope's evm_spi and evm_cpi
// headline values over the report history, oldest first. The values of EVM
// mode H (variant=effort) are preferred: a scope with any of them shows
// only those, else its AgileEVM values (variant=agile). A date with only
// one of SPI and CPI has NaN for the other.
func evmTrend(vals ...[]kpi.Value) func(ctx context.Context, s *Scope) ([]EVMPoint, error) {
	type key struct{ scope, mode string }
	idx := map[key]map[int64]*EVMPoint{}
	for _, vs := range vals {
		for _, v := range vs {
			if (v.KPI != "evm_spi" && v.KPI != "evm_cpi") || v.Value == nil || len(v.Labels) != 1 {
				continue
			}
			mode := v.Labels["variant"]
			if mode != "agile" && mode != "effort" {
				continue
			}
			k := key{v.ScopeKind + "\x00" + v.Scope, mode}
			if idx[k] == nil {
				idx[k] = map[int64]*EVMPoint{}
			}
			p := idx[k][v.AsOf.Unix()]
			if p == nil {
				p = &EVMPoint{At: v.AsOf, SPI: math.NaN(), CPI: math.NaN(), Mode: mode}
				idx[k][v.AsOf.Unix()] = p
			}
			if v.KPI == "evm_spi" {
				p.SPI = *v.Value
			} else {
				p.CPI = *v.Value
			}
		}
	}
	return func(_ context.Context, s *Scope) ([]EVMPoint, error) {
		scope := s.Kind + "\x00" + s.Name
		pts := idx[key{scope, "effort"}]
		if len(pts) == 0 {
			pts = idx[key{scope, "agile"}]
		}
		var out []EVMPoint
		for _, p := range pts {
			out = append(out, *p)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
		return out, nil
	}
}

// Chance is the share of trials done by the release date, as a percentage
// ("—" without a date or a forecast).
func (r ReleaseForecast) Chance() string {
	if r.OnTime == nil {
		return "—"
	}
	return strconv.FormatFloat(math.Round(*r.OnTime*100), 'f', 0, 64) + " %"
}

// Outlook says how the forecast finish at mc_confidence compares with the
// release date.
func (r ReleaseForecast) Outlook() string {
	switch {
	case r.Remaining == 0 && r.LateDays != nil && *r.LateDays > 0:
		return "all items done, release date passed"
	case r.LateDays == nil && r.Planned.IsZero():
		return "no release date"
	case r.LateDays == nil:
		return "no forecast (not enough history)"
	case *r.LateDays > 0:
		return "late by " + strconv.Itoa(int(*r.LateDays)) + " d"
	}
	return "on track (" + strconv.Itoa(int(-*r.LateDays)) + " d spare)"
}
