package kpi

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// result is one output row of an aggregate model: the scope and its named
// outputs, numbers (NULL → nil) and sorted samples.
type result struct {
	kind, scope string
	v           map[string]*float64
	xs          map[string][]float64
}

func (r result) f(name string) *float64 { return r.v[name] }

func (r result) n(name string) uint64 {
	if p := r.v[name]; p != nil && *p > 0 {
		return uint64(*p)
	}
	return 0
}

// pct is the percentile of the sorted sample name by method ("nr": nearest
// rank, "r7": linear interpolation; kpis.md C7) — the functions Recompute
// uses on an explanation's items — or nil for an empty sample.
func (r result) pct(name, method string, q float64) *float64 {
	xs := r.xs[name]
	if len(xs) == 0 {
		return nil
	}
	if method == "nr" {
		return fptr(nearestRankOf(xs, q))
	}
	return fptr(r7Of(xs, q))
}

// popRelations are the sets and values of models/populations.sql as the
// relations {{set_NAME}} and {{value_NAME}} an aggregate model reads.
func popRelations() (map[string]string, error) {
	m, err := parsedPopulations()
	if err != nil {
		return nil, err
	}
	rels := make(map[string]string, len(m.sets)+len(m.values))
	for n, e := range m.sets {
		rels["set_"+n] = "(" + e + ")"
	}
	for n, e := range m.values {
		rels["value_"+n] = "(" + e + ")"
	}
	return rels, nil
}

// aggregate renders the aggregate model name over rows (SELECT scope_kind,
// scope, outputs … GROUP BY the scope) with the population's sets, values
// and parameters and the extra parameters, runs it and reads every output
// column by name: numbers, or arrays of numbers (sorted samples).
func (c *computation) aggregate(ctx context.Context, what, name, rows string, p population, extra map[string]any) ([]result, error) {
	rels, err := popRelations()
	if err != nil {
		return nil, err
	}
	rels["rows"] = "(" + rows + ")"
	q, err := c.modelWith(name, rels, withParams(p.params, extra))
	if err != nil {
		return nil, err
	}
	defer func(t time.Time) { slog.Debug("kpi: query", "what", what, "took", time.Since(t)) }(time.Now())
	rs, err := c.w.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("kpi: computing %s: %w", what, err)
	}
	defer rs.Close()
	cols := rs.Columns()
	if len(cols) < 2 {
		return nil, fmt.Errorf("kpi: computing %s: model %s gives %d columns, want the scope kind, the scope and outputs", what, name, len(cols))
	}
	var out []result
	vals := make([]any, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("kpi: computing %s: reading row: %w", what, err)
		}
		kind, _ := vals[0].(string)
		scope, _ := vals[1].(string)
		r := result{kind: kind, scope: scope, v: make(map[string]*float64, len(cols)), xs: map[string][]float64{}}
		for i := 2; i < len(cols); i++ {
			switch x := vals[i].(type) {
			case nil:
				r.v[cols[i]] = nil
			case []float64:
				r.xs[cols[i]] = x
			case []int64:
				r.xs[cols[i]] = floats(x)
			case []uint64:
				r.xs[cols[i]] = floats(x)
			case []any:
				s := make([]float64, len(x))
				for j, e := range x {
					f, ok := number(e)
					if !ok {
						return nil, fmt.Errorf("kpi: computing %s: column %s holds %T, want numbers", what, cols[i], e)
					}
					s[j] = f
				}
				r.xs[cols[i]] = s
			default:
				f, ok := number(x)
				if !ok {
					return nil, fmt.Errorf("kpi: computing %s: column %s holds %T, want a number", what, cols[i], x)
				}
				r.v[cols[i]] = &f
			}
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("kpi: computing %s: %w", what, err)
	}
	return out, nil
}

// number is a row value as float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// floats converts integers to float64.
func floats[T int64 | uint64](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}
