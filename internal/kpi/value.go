package kpi

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pmo-oss/pmo/internal/csvsafe"
)

// Value is one KPI value: a row of the kpi_values table.
type Value struct {
	ScopeKind  string    `json:"scope_kind"`
	Scope      string    `json:"scope"`
	KPI        string    `json:"kpi"`
	Window     string    `json:"window"` // "4w", "12w", "snapshot", "sprint", "last5" ...
	Labels     Labels    `json:"labels"`
	AsOf       time.Time `json:"as_of"`
	Value      *float64  `json:"value"` // nil = not computable (NULL)
	N          uint64    `json:"n"`     // population size behind the value
	ComputedAt time.Time `json:"computed_at"`
	// RAG is the status of the value under the scope's thresholds (the
	// catalog's, with kpi.thresholds overrides); nil when the value is NULL
	// or no threshold applies (json: null).
	RAG *RAG `json:"rag"`
}

// Labels are the value's dimensions (quantile, method, unit, measure,
// variant, sprint, board, priority...). Rendered sorted as k=v,k=v.
type Labels map[string]string

// String renders the labels sorted by key: "method=nr,quantile=0.85".
func (l Labels) String() string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + l[k]
	}
	return strings.Join(parts, ",")
}

// ParseLabels parses the String form.
func ParseLabels(s string) Labels {
	l := Labels{}
	if s == "" {
		return l
	}
	for _, p := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(p, "=")
		l[k] = v
	}
	return l
}

// Snapshot is the set of values computed for one as_of.
type Snapshot struct {
	AsOf       time.Time `json:"as_of"`
	ComputedAt time.Time `json:"computed_at"`
	Values     []Value   `json:"values"`
	// Checks are consistency checks that failed (e.g. a sprint whose C8
	// invariant does not hold); empty when all passed.
	Checks []string `json:"checks,omitempty"`
}

// Find returns the value with the given identity, if any.
func (s Snapshot) Find(scopeKind, scope, kpi, window, labels string) (Value, bool) {
	for _, v := range s.Values {
		if v.ScopeKind == scopeKind && v.Scope == scope && v.KPI == kpi && v.Window == window && v.Labels.String() == labels {
			return v, true
		}
	}
	return Value{}, false
}

// sort orders the values by scope, kpi, window and labels (keys computed
// once: at 1M issues a snapshot has ~10^6 values).
func (s *Snapshot) sort() {
	// Sorted through a permutation: a Value is large to move around.
	keys := make([]string, len(s.Values))
	perm := make([]int, len(s.Values))
	for i, v := range s.Values {
		keys[i] = strings.Join([]string{v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String(), v.AsOf.Format(time.RFC3339)}, "\x00")
		perm[i] = i
	}
	slices.SortFunc(perm, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	sorted := make([]Value, len(s.Values))
	for i, j := range perm {
		sorted[i] = s.Values[j]
	}
	s.Values = sorted
}

// FormatValue renders a value for people: NULL, or up to 6 decimals.
func FormatValue(v *float64) string {
	if v == nil {
		return "NULL"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// Formats accepted by Write.
var Formats = []string{"table", "json", "csv"}

// Write renders the snapshot as table, json or csv.
func Write(w io.Writer, s Snapshot, format string) error {
	switch format {
	case "", "table":
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SCOPE\tKPI\tWINDOW\tLABELS\tVALUE\tN\tRAG")
		for _, v := range s.Values {
			fmt.Fprintf(tw, "%s:%s\t%s\t%s\t%s\t%s\t%d\t%s\n", v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String(), fmtRounded(v.Value), v.N, ragText(v.RAG, "-"))
		}
		return tw.Flush()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(s)
	case "csv":
		// scope and labels hold tracker text (project keys, sprint and
		// release names); the other columns are pmo's own.
		cw := csvsafe.NewWriter(w, 1, 4)
		_ = cw.Write([]string{"scope_kind", "scope", "kpi", "window", "labels", "as_of", "value", "n", "computed_at", "rag"})
		for _, v := range s.Values {
			val := ""
			if v.Value != nil {
				val = strconv.FormatFloat(*v.Value, 'g', -1, 64)
			}
			_ = cw.Write([]string{v.ScopeKind, v.Scope, v.KPI, v.Window, v.Labels.String(), v.AsOf.UTC().Format(time.RFC3339),
				val, strconv.FormatUint(v.N, 10), v.ComputedAt.UTC().Format(time.RFC3339), ragText(v.RAG, "")})
		}
		return cw.Flush()
	}
	return fmt.Errorf("kpi: unknown output format %q; use one of %s", format, strings.Join(Formats, ", "))
}

func fmtRounded(v *float64) string {
	if v == nil {
		return "NULL"
	}
	return strconv.FormatFloat(*v, 'f', 6, 64)
}

// ragText renders a status, or none when it is nil.
func ragText(r *RAG, none string) string {
	if r == nil {
		return none
	}
	return r.String()
}
