package kpi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
)

// RAG is the red/amber/green status of a value. The numbers are the ones
// pmo_kpi_rag exports and kpi_values.rag stores.
type RAG int8

// RAG statuses.
const (
	Green RAG = 0
	Amber RAG = 1
	Red   RAG = 2
)

func (r RAG) String() string {
	switch r {
	case Green:
		return "green"
	case Amber:
		return "amber"
	case Red:
		return "red"
	}
	return "rag(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText renders green, amber or red (json, yaml).
func (r RAG) MarshalText() ([]byte, error) {
	if r < Green || r > Red {
		return nil, fmt.Errorf("kpi: %d is not a RAG status", int(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText reads green, amber or red.
func (r *RAG) UnmarshalText(b []byte) error {
	switch string(b) {
	case "green":
		*r = Green
	case "amber":
		*r = Amber
	case "red":
		*r = Red
	default:
		return fmt.Errorf("kpi: %q is not a RAG status; use green, amber or red", b)
	}
	return nil
}

func ragPtr(r RAG) *RAG { return &r }

// ThresholdBand is a threshold override of kpi.thresholds, in the catalog's
// notation: "≥ 0.9", "0.6–0.9", "< 0.6", "0.7–0.9 or 1.1–1.3",
// "otherwise" (ASCII ">=", "<=" and "-" too; "%" divides by 100).
type ThresholdBand struct {
	// Applies selects the values it rates, e.g. "measure=on_time_ratio" or
	// "field=estimate|assignee"; empty: every value of the KPI.
	Applies string `yaml:"applies,omitempty"`
	Green   string `yaml:"green"`
	Amber   string `yaml:"amber,omitempty"`
	Red     string `yaml:"red,omitempty"`
}

// References a relative threshold may use (see refsOf).
const (
	refSLEDays       = "team SLE"
	refSLEPercentile = "sle.percentile"
	refMean26w       = "the 26-week mean"
)

// operand is a number, or ref × mul + add.
type operand struct {
	num      float64
	ref      string
	mul, add float64
}

func (o operand) eval(refs map[string]float64) (float64, bool) {
	if o.ref == "" {
		return o.num, true
	}
	x, ok := refs[o.ref]
	if !ok {
		return 0, false
	}
	return x*o.mul + o.add, true
}

// interval is a closed or open range; a missing end is unbounded.
type interval struct {
	lo, hi         *operand
	loOpen, hiOpen bool // lo < x rather than lo ≤ x
}

// condition is a union of intervals.
type condition []interval

// matches reports whether x is in the condition; ok is false when a
// reference it needs is not known.
func (c condition) matches(x float64, refs map[string]float64) (in, ok bool) {
	for _, iv := range c {
		inside := true
		if iv.lo != nil {
			lo, ok := iv.lo.eval(refs)
			if !ok {
				return false, false
			}
			if x < lo || iv.loOpen && x == lo {
				inside = false
			}
		}
		if iv.hi != nil {
			hi, ok := iv.hi.eval(refs)
			if !ok {
				return false, false
			}
			if x > hi || iv.hiOpen && x == hi {
				inside = false
			}
		}
		if inside {
			return true, true
		}
	}
	return false, true
}

// otherwiseWords make a band "everything else".
var otherwiseWords = []string{"otherwise", "below", "above", "else"}

// parseCondition reads one band: nil, nil for "otherwise" and the like.
func parseCondition(s string) (condition, error) {
	s = stripComment(s)
	if s == "" || slices.Contains(otherwiseWords, s) {
		return nil, nil
	}
	rel := false
	if rest, ok := strings.CutSuffix(s, " of "+refMean26w); ok {
		s, rel = strings.TrimSpace(rest), true
	}
	var out condition
	for _, part := range strings.Split(s, " or ") {
		iv, err := parseInterval(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		if rel {
			for _, o := range []*operand{iv.lo, iv.hi} {
				if o == nil {
					continue
				}
				if o.ref != "" {
					return nil, fmt.Errorf("%q: a percentage of %s cannot use %s", part, refMean26w, o.ref)
				}
				*o = operand{ref: refMean26w, mul: o.num}
			}
		}
		out = append(out, iv)
	}
	return out, nil
}

// stripComment drops a trailing "(…)" remark: "> 4 (waste)" → "> 4".
func stripComment(s string) string {
	s = strings.TrimSpace(s)
	for strings.HasSuffix(s, ")") {
		i := strings.LastIndex(s, "(")
		if i <= 0 {
			break
		}
		s = strings.TrimSpace(s[:i])
	}
	return s
}

var ops = []struct {
	text       string
	lower      bool // x ≥ / > operand
	open       bool
	normalized string
}{
	{"≤", false, false, "≤"}, {"<=", false, false, "≤"}, {"≥", true, false, "≥"}, {">=", true, false, "≥"},
	{"<", false, true, "<"}, {">", true, true, ">"},
}

func parseInterval(s string) (interval, error) {
	for _, op := range ops {
		rest, ok := strings.CutPrefix(s, op.text)
		if !ok {
			continue
		}
		o, err := parseOperand(rest)
		if err != nil {
			return interval{}, err
		}
		if op.lower {
			return interval{lo: &o, loOpen: op.open}, nil
		}
		return interval{hi: &o, hiOpen: op.open}, nil
	}
	// A range "a–b": split at the dash whose two sides are operands.
	for i, r := range s {
		if i == 0 || r != '–' && r != '-' {
			continue
		}
		left, right := s[:i], s[i+len(string(r)):]
		if strings.HasSuffix(strings.TrimSpace(right), "%") && !strings.HasSuffix(strings.TrimSpace(left), "%") {
			left += "%" // "50–75 %"
		}
		a, errA := parseOperand(left)
		b, errB := parseOperand(right)
		if errA != nil || errB != nil {
			continue
		}
		if a.ref == "" && b.ref == "" && a.num > b.num {
			return interval{}, fmt.Errorf("%q: the range runs backwards; write the lower bound first", s)
		}
		return interval{lo: &a, hi: &b}, nil
	}
	return interval{}, fmt.Errorf("cannot read %q; write e.g. \"≥ 0.9\", \"0.6–0.9\", \"< 0.6\" or \"0.7–0.9 or 1.1–1.3\" (amber and red may also be \"otherwise\")", s)
}

// parseOperand reads "0.9", "90 %", "team SLE", "sle.percentile − 0.10".
func parseOperand(s string) (operand, error) {
	s = strings.TrimSpace(s)
	for _, ref := range []string{refSLEDays, refSLEPercentile} {
		rest, ok := strings.CutPrefix(s, ref)
		if !ok {
			continue
		}
		o := operand{ref: ref, mul: 1}
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return o, nil
		}
		sign := 1.0
		switch {
		case strings.HasPrefix(rest, "−"):
			sign, rest = -1, strings.TrimPrefix(rest, "−")
		case strings.HasPrefix(rest, "-"):
			sign, rest = -1, strings.TrimPrefix(rest, "-")
		case strings.HasPrefix(rest, "+"):
			rest = strings.TrimPrefix(rest, "+")
		default:
			return operand{}, fmt.Errorf("cannot read %q", s)
		}
		x, err := parseNumber(rest)
		if err != nil {
			return operand{}, err
		}
		o.add = sign * x
		return o, nil
	}
	x, err := parseNumber(s)
	if err != nil {
		return operand{}, err
	}
	return operand{num: x}, nil
}

func parseNumber(s string) (float64, error) {
	s = strings.TrimSpace(s)
	scale := 1.0
	if rest, ok := strings.CutSuffix(s, "%"); ok {
		s, scale = strings.TrimSpace(rest), 0.01
	}
	s = strings.Replace(s, "−", "-", 1)
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("cannot read %q as a number", s)
	}
	return x * scale, nil
}

// band is one evaluable threshold of a KPI.
type band struct {
	applies  map[string][]string // label → accepted values; empty = every value
	noLabels bool                // "(no labels)": only the value without labels
	key      string              // normalised applies, to match overrides
	green    condition
	amber    condition // nil: no amber band
	red      condition // nil: red is "otherwise"
	text     ThresholdBand
	origin   string // provenance (SRC, SRC-2, HEUR) or "kpi.thresholds"
}

func (b band) appliesTo(l Labels) bool {
	if b.noLabels {
		return len(l) == 0
	}
	for k, vals := range b.applies {
		if !slices.Contains(vals, l[k]) {
			return false
		}
	}
	return true
}

// rate returns the status of x: green first, then an explicit red, then
// amber, else red ("otherwise", "below", or a gap between the bands). ok is
// false when a reference the band needs is unknown.
func (b band) rate(x float64, refs map[string]float64) (RAG, bool) {
	if in, ok := b.green.matches(x, refs); !ok {
		return 0, false
	} else if in {
		return Green, true
	}
	if b.red != nil {
		if in, ok := b.red.matches(x, refs); !ok {
			return 0, false
		} else if in {
			return Red, true
		}
	}
	if b.amber != nil {
		if in, ok := b.amber.matches(x, refs); !ok {
			return 0, false
		} else if in {
			return Amber, true
		}
	}
	return Red, true
}

// parseBand reads one band; the error names the part (applies, green,
// amber, red) that cannot be read.
func parseBand(t ThresholdBand) (band, error) {
	b := band{text: t}
	var err error
	if b.applies, b.noLabels, err = parseApplies(t.Applies); err != nil {
		return band{}, fmt.Errorf("applies: %w", err)
	}
	b.key = appliesKey(b.applies, b.noLabels)
	if strings.TrimSpace(t.Green) == "" {
		return band{}, fmt.Errorf("green: missing; every band needs a green condition such as \"≥ 0.9\"")
	}
	for _, p := range []struct {
		name string
		text string
		dst  *condition
	}{{"green", t.Green, &b.green}, {"amber", t.Amber, &b.amber}, {"red", t.Red, &b.red}} {
		c, err := parseCondition(p.text)
		if err != nil {
			return band{}, fmt.Errorf("%s: %w", p.name, err)
		}
		*p.dst = c
	}
	if b.green == nil {
		return band{}, fmt.Errorf("green: %q is not a condition; write e.g. \"≥ 0.9\"", t.Green)
	}
	return b, nil
}

// parseApplies reads "measure=ratio", "method=nr,quantile=0.85,unit=dc",
// "field=estimate|assignee|due_date" or "(no labels)".
func parseApplies(s string) (map[string][]string, bool, error) {
	out := map[string][]string{}
	s = strings.TrimSpace(s)
	if s == "" {
		return out, false, nil
	}
	if s == "(no labels)" {
		return out, true, nil
	}
	for _, p := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, false, fmt.Errorf("cannot read %q; write label=value pairs such as \"measure=ratio\" or \"field=estimate|assignee\"", p)
		}
		if _, dup := out[k]; dup {
			return nil, false, fmt.Errorf("label %q appears twice in %q", k, s)
		}
		for _, x := range strings.Split(v, "|") {
			out[k] = append(out[k], strings.TrimSpace(x))
		}
	}
	return out, false, nil
}

func appliesKey(m map[string][]string, noLabels bool) string {
	if noLabels {
		return "(no labels)"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := slices.Clone(m[k])
		slices.Sort(v)
		parts[i] = k + "=" + strings.Join(v, "|")
	}
	return strings.Join(parts, ",")
}

// catalogBands are the evaluable thresholds of the catalog by KPI id.
var catalogBands = func() map[string][]band {
	out := map[string][]band{}
	for _, d := range Catalog {
		for _, t := range d.Thresholds {
			if t.Unrated != "" {
				continue
			}
			b, err := parseBand(ThresholdBand{Applies: t.Applies, Green: t.Green, Amber: t.Amber, Red: t.Red})
			if err != nil {
				continue // TestCatalogThresholdsEvaluable fails on it
			}
			b.origin = string(t.Provenance)
			out[d.ID] = append(out[d.ID], b)
		}
	}
	return out
}()

// Evaluator rates values with the catalog thresholds and the overrides of
// one scope (kpi.thresholds).
type Evaluator struct {
	bands map[string][]band
}

// NewEvaluator returns the evaluator of the catalog thresholds with the
// overrides applied (an override replaces the band with the same applies,
// else it is added; overrides are consulted first). Invalid overrides are
// skipped: Config.Validate reports them.
func NewEvaluator(overrides map[string][]ThresholdBand) Evaluator {
	if len(overrides) == 0 {
		return Evaluator{bands: catalogBands}
	}
	out := make(map[string][]band, len(catalogBands))
	for id, bs := range catalogBands {
		out[id] = bs
	}
	for id, tbs := range overrides {
		var over []band
		for _, t := range tbs {
			if b, err := parseBand(t); err == nil {
				b.origin = "kpi.thresholds"
				over = append(over, b)
			}
		}
		merged := slices.Clone(over)
		for _, b := range out[id] {
			if !slices.ContainsFunc(over, func(o band) bool { return o.key == b.key }) {
				merged = append(merged, b)
			}
		}
		out[id] = merged
	}
	return Evaluator{bands: out}
}

// Rate returns the status of v (nil when the value is NULL, when no
// threshold applies to it, or when a relative threshold's reference is
// unknown). refs holds the references of v's scope.
func (e Evaluator) Rate(v Value, refs map[string]float64) *RAG {
	if v.Value == nil {
		return nil
	}
	return e.rate(v.KPI, v.Labels, *v.Value, refs)
}

func (e Evaluator) rate(id string, l Labels, x float64, refs map[string]float64) *RAG {
	for _, b := range e.bands[id] {
		if b.appliesTo(l) {
			if r, ok := b.rate(x, refs); ok {
				return ragPtr(r)
			}
			return nil
		}
	}
	return nil
}

// Rule describes the band that rates the values of KPI id with labels l:
// "green ≥ 0.90, amber 0.60–0.90, red < 0.60 (HEUR)"; "" when none does.
func (e Evaluator) Rule(id string, l Labels) string {
	for _, b := range e.bands[id] {
		if !b.appliesTo(l) {
			continue
		}
		var parts []string
		for _, p := range [][2]string{{"green", b.text.Green}, {"amber", b.text.Amber}, {"red", b.text.Red}} {
			if strings.TrimSpace(p[1]) != "" {
				parts = append(parts, p[0]+" "+strings.TrimSpace(p[1]))
			}
		}
		if b.red == nil && b.text.Red == "" {
			parts = append(parts, "red otherwise")
		}
		return strings.Join(parts, ", ") + " (" + b.origin + ")"
	}
	return ""
}

// Evaluator returns the thresholds of a scope (the catalog's with the
// kpi.thresholds overrides that apply to it). program and source matter
// for project scopes; source defaults to the part of a project name
// before "/".
func (c Config) Evaluator(kind, name, program, source string) Evaluator {
	if source == "" && kind == ScopeProject {
		source, _, _ = strings.Cut(name, "/")
	}
	return newRater(c, []group{{scopes: []scopeRef{{Kind: kind, Name: name, Program: program, Source: source}}}}).evaluator(kind, name)
}

// emitted returns the label values a KPI emits, from its catalog Values:
// label → values ("…" = any value); noLabels when a value has none.
func emitted(d Definition) (labels map[string][]string, noLabels bool) {
	labels = map[string][]string{}
	for _, v := range d.Values {
		v = strings.TrimSpace(v)
		if strings.HasPrefix(v, "(no labels)") {
			noLabels = true
			continue
		}
		if i := strings.Index(v, " ("); i >= 0 {
			v = v[:i]
		}
		if i := strings.Index(v, ": "); i >= 0 {
			v = v[:i]
		}
		for _, p := range strings.Split(v, ",") {
			k, vals, _ := strings.Cut(strings.TrimSpace(p), "=")
			for _, x := range strings.Split(vals, "|") {
				if !slices.Contains(labels[k], x) {
					labels[k] = append(labels[k], x)
				}
			}
		}
	}
	if len(d.Values) == 0 {
		noLabels = true
	}
	return labels, noLabels
}

// checkApplies reports an applies label or value the KPI never emits.
func checkApplies(d Definition, applies map[string][]string, noLabels bool) error {
	labels, none := emitted(d)
	if noLabels {
		if !none {
			return fmt.Errorf("%s always has labels; name them (e.g. %q)", d.ID, firstValues(d))
		}
		return nil
	}
	keys := make([]string, 0, len(applies))
	for k := range applies {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		known, ok := labels[k]
		if !ok {
			return fmt.Errorf("%s has no label %q; its values are %s", d.ID, k, firstValues(d))
		}
		if slices.Contains(known, "…") {
			continue
		}
		for _, v := range applies[k] {
			if !slices.Contains(known, v) {
				return fmt.Errorf("%s never emits %s=%s; use one of %s", d.ID, k, v, strings.Join(known, ", "))
			}
		}
	}
	return nil
}

func firstValues(d Definition) string {
	if len(d.Values) == 0 {
		return "(no labels)"
	}
	return strings.Join(d.Values, "; ")
}

// validateThresholds checks kpi.thresholds at key path p.
func validateThresholds(p string, th map[string][]ThresholdBand) []error {
	var errs []error
	ids := make([]string, 0, len(th))
	for id := range th {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		kp := p + ".thresholds." + id
		d, ok := Lookup(id)
		if !ok {
			msg := fmt.Sprintf("%s: %q is not a KPI id", kp, id)
			if s := closestID(id); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			errs = append(errs, fmt.Errorf("%s; see docs/kpis.md for the ids", msg))
			continue
		}
		seen := map[string]int{}
		for i, t := range th[id] {
			bp := fmt.Sprintf("%s[%d]", kp, i)
			b, err := parseBand(t)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s.%w", bp, err))
				continue
			}
			if err := checkApplies(d, b.applies, b.noLabels); err != nil {
				errs = append(errs, fmt.Errorf("%s.applies: %w", bp, err))
				continue
			}
			if j, dup := seen[b.key]; dup {
				errs = append(errs, fmt.Errorf("%s.applies: %q repeats %s[%d]; keep one band per applies", bp, t.Applies, kp, j))
			}
			seen[b.key] = i
		}
	}
	return errs
}

// closestID returns the catalog id nearest to s (edit distance ≤ a third
// of its length), or "".
func closestID(s string) string {
	best, bestD := "", len(s)/3+1
	for _, d := range Catalog {
		if dist := levenshtein.ComputeDistance(s, d.ID); dist < bestD {
			best, bestD = d.ID, dist
		}
	}
	return best
}

// mergeThresholds returns base with over's bands applied per KPI (same
// applies replaces, else added first).
func mergeThresholds(base, over map[string][]ThresholdBand) map[string][]ThresholdBand {
	if over == nil {
		return base
	}
	out := make(map[string][]ThresholdBand, len(base)+len(over))
	for id, bs := range base {
		out[id] = bs
	}
	key := func(t ThresholdBand) string {
		m, none, err := parseApplies(t.Applies)
		if err != nil {
			return t.Applies
		}
		return appliesKey(m, none)
	}
	for id, bs := range over {
		merged := slices.Clone(bs)
		for _, b := range out[id] {
			if !slices.ContainsFunc(bs, func(o ThresholdBand) bool { return key(o) == key(b) }) {
				merged = append(merged, b)
			}
		}
		out[id] = merged
	}
	return out
}

// Rate sets the RAG of every value of s with the thresholds of its scope
// under c (for snapshots not made by Compute, e.g. in tests; Compute rates
// its values itself). Project scopes inherit program and source overrides
// only through Compute, which knows the program and source of a project.
func (c Config) Rate(s *Snapshot) {
	newRater(c, nil).rate(s, 0)
}

// rater rates the values of a snapshot with each scope's settings.
type rater struct {
	cfg   Config
	refs  map[string]scopeRef // scope key → reference (program, source)
	cache map[string]scopeRating
}

type scopeRating struct {
	ev            Evaluator
	slePercentile float64
}

func newRater(cfg Config, groups []group) *rater {
	r := &rater{cfg: cfg, refs: map[string]scopeRef{}, cache: map[string]scopeRating{}}
	for _, g := range groups {
		for _, s := range g.scopes {
			r.refs[s.Kind+"\x00"+s.Name] = s
		}
	}
	return r
}

func (r *rater) scope(kind, name string) scopeRating {
	k := kind + "\x00" + name
	if sr, ok := r.cache[k]; ok {
		return sr
	}
	ref, ok := r.refs[k]
	if !ok {
		ref = scopeRef{Kind: kind, Name: name}
		if kind == ScopeProject {
			ref.Source, _, _ = strings.Cut(name, "/")
		}
	}
	var sr scopeRating
	// An unknown time zone (reported by Validate) does not matter here:
	// resolve returns the merged knobs with the error.
	s, _ := r.cfg.resolve(ref.Kind, ref.Name, ref.Program, ref.Source)
	sr.ev = NewEvaluator(s.Thresholds)
	if s.SLE != nil {
		sr.slePercentile = s.SLE.Percentile
	}
	r.cache[k] = sr
	return sr
}

func (r *rater) evaluator(kind, name string) Evaluator { return r.scope(kind, name).ev }

// rate sets the RAG of snap.Values[from:]. Relative thresholds read their
// references from the snapshot: the team SLE is the scope's
// sle_attainment sle_days (configured SLE, else the history value) of the
// same window (else any window); the 26-week mean is the scope's throughput
// per_week over 26w; sle.percentile comes from the scope's settings.
func (r *rater) rate(snap *Snapshot, from int) {
	type scopeWin struct{ kind, scope, win string }
	sle := map[scopeWin]float64{}
	mean26 := map[scopeWin]float64{}
	for _, v := range snap.Values {
		if v.Value == nil {
			continue
		}
		switch {
		case v.KPI == "sle_attainment" && v.Labels["measure"] == "sle_days" && len(v.Labels) == 1:
			sle[scopeWin{v.ScopeKind, v.Scope, v.Window}] = *v.Value
			sle[scopeWin{v.ScopeKind, v.Scope, ""}] = *v.Value
		case v.KPI == "throughput" && v.Window == "26w" && v.Labels.String() == "measure=per_week":
			mean26[scopeWin{v.ScopeKind, v.Scope, ""}] = *v.Value
		}
	}
	refsOf := map[scopeWin]map[string]float64{} // per scope and window
	for i := from; i < len(snap.Values); i++ {
		v := &snap.Values[i]
		if v.Value == nil {
			v.RAG = nil
			continue
		}
		sr := r.scope(v.ScopeKind, v.Scope)
		sw := scopeWin{v.ScopeKind, v.Scope, v.Window}
		refs, ok := refsOf[sw]
		if !ok {
			refs = map[string]float64{}
			if sr.slePercentile > 0 {
				refs[refSLEPercentile] = sr.slePercentile
			}
			if x, ok := sle[sw]; ok {
				refs[refSLEDays] = x
			} else if x, ok := sle[scopeWin{v.ScopeKind, v.Scope, ""}]; ok {
				refs[refSLEDays] = x
			}
			if x, ok := mean26[scopeWin{v.ScopeKind, v.Scope, ""}]; ok && x > 0 {
				refs[refMean26w] = x
			}
			refsOf[sw] = refs
		}
		v.RAG = sr.ev.Rate(*v, refs)
	}
}
