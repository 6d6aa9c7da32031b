package exporter

import (
	"strconv"
	"strings"

	"github.com/pmo-oss/pmo/internal/kpi"
)

// RAG states as exported by pmo_kpi_rag.
const (
	Green = 0
	Amber = 1
	Red   = 2
)

// The catalog's thresholds are text for people ("≤ 0.15", "0.15–0.30",
// "> 0.30", "0.7–0.9 or 1.1–1.3", "otherwise"). The evaluator below reads
// the numeric ones; thresholds relative to something the snapshot does not
// carry ("≤ team SLE", "≥ 75 % of the 26-week mean", "≥ sle.percentile")
// are not evaluated, so no RAG series is exported for them.

// interval is a closed or open numeric range.
type interval struct {
	lo, hi       float64
	hasLo, hasHi bool
	loOpen       bool // lo < x rather than lo ≤ x
	hiOpen       bool
}

func (iv interval) contains(x float64) bool {
	if iv.hasLo && (x < iv.lo || iv.loOpen && x == iv.lo) {
		return false
	}
	if iv.hasHi && (x > iv.hi || iv.hiOpen && x == iv.hi) {
		return false
	}
	return true
}

// condition is a union of intervals; nil means "cannot be evaluated".
type condition []interval

func (c condition) matches(x float64) bool {
	for _, iv := range c {
		if iv.contains(x) {
			return true
		}
	}
	return false
}

// parseCondition reads "≤ 2", "< 0.6", "0.15–0.30", "a–b or c–d". It
// returns nil for anything else (words, references to other settings).
func parseCondition(s string) condition {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var out condition
	for _, part := range strings.Split(s, " or ") {
		iv, ok := parseInterval(strings.TrimSpace(part))
		if !ok {
			return nil
		}
		out = append(out, iv)
	}
	return out
}

func parseInterval(s string) (interval, bool) {
	for _, op := range []string{"≤", "<=", "≥", ">=", "<", ">"} {
		if rest, ok := strings.CutPrefix(s, op); ok {
			x, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return interval{}, false
			}
			switch op {
			case "≤", "<=":
				return interval{hi: x, hasHi: true}, true
			case "<":
				return interval{hi: x, hasHi: true, hiOpen: true}, true
			case "≥", ">=":
				return interval{lo: x, hasLo: true}, true
			default:
				return interval{lo: x, hasLo: true, loOpen: true}, true
			}
		}
	}
	for _, dash := range []string{"–", "-"} {
		if a, b, ok := strings.Cut(s, dash); ok {
			lo, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
			hi, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
			if err1 != nil || err2 != nil || lo > hi {
				return interval{}, false
			}
			return interval{lo: lo, hi: hi, hasLo: true, hasHi: true}, true
		}
	}
	return interval{}, false
}

// band is one evaluable threshold of a KPI.
type band struct {
	applies    map[string][]string // label → accepted values; empty = every value
	green      condition
	amber      condition // nil: not amber, only green or red
	red        condition // nil: red is "otherwise"
	provenance kpi.Provenance
}

func (b band) appliesTo(l kpi.Labels) bool {
	for k, vals := range b.applies {
		ok := false
		for _, v := range vals {
			if l[k] == v {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// rag returns the state of x: green first, then an explicit red, then
// amber, else red ("otherwise", "below", or a gap between the bands).
func (b band) rag(x float64) int {
	switch {
	case b.green.matches(x):
		return Green
	case b.red != nil && b.red.matches(x):
		return Red
	case b.amber != nil && b.amber.matches(x):
		return Amber
	}
	return Red
}

// evaluator holds the evaluable thresholds by KPI id.
type evaluator map[string][]band

// newEvaluator reads the numeric thresholds of the catalog.
func newEvaluator(cat []kpi.Definition) evaluator {
	ev := evaluator{}
	for _, d := range cat {
		for _, t := range d.Thresholds {
			g := parseCondition(t.Green)
			if g == nil {
				continue
			}
			b := band{applies: parseApplies(t.Applies), green: g, amber: parseCondition(t.Amber), red: parseCondition(t.Red), provenance: t.Provenance}
			if t.Amber != "" && b.amber == nil {
				continue // an amber band we cannot read: do not guess
			}
			ev[d.ID] = append(ev[d.ID], b)
		}
	}
	return ev
}

// parseApplies reads "measure=ratio", "method=nr,quantile=0.85,unit=dc",
// "field=estimate|assignee|due_date".
func parseApplies(s string) map[string][]string {
	out := map[string][]string{}
	if s == "" {
		return out
	}
	for _, p := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		out[k] = strings.Split(v, "|")
	}
	return out
}

// state returns the RAG state of a value and whether a threshold applies.
func (ev evaluator) state(v kpi.Value) (int, bool) {
	if v.Value == nil {
		return 0, false
	}
	for _, b := range ev[v.KPI] {
		if b.appliesTo(v.Labels) {
			return b.rag(*v.Value), true
		}
	}
	return 0, false
}
