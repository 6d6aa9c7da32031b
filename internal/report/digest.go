package report

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// History is what a report says about the KPI history besides the
// snapshot: what changed since the previous complete refresh (kpi.Digest)
// and how far the release forecasts can be trusted (kpi.Calibration).
// Model.History is nil when it was not read (a model built by hand).
type History struct {
	Digest      *kpi.Digest
	Calibration *kpi.Calibration
}

// readHistory reads the digest against the previous complete refresh and
// the forecast calibration at the snapshot's as-of. Both are extra
// sections: a failure is logged and leaves the section out, the report is
// still written.
func readHistory(ctx context.Context, w *warehouse.Warehouse, o Options, snap kpi.Snapshot) *History {
	h := &History{}
	if d, err := kpi.DigestSince(ctx, w, o.KPI, snap); err == nil {
		h.Digest = &d
	} else if o.Logger != nil && ctx.Err() == nil {
		o.Logger.Warn("report: no \"what changed\" section", "error", err.Error())
	}
	if c, err := kpi.Calibrate(ctx, w, o.KPI, snap.AsOf); err == nil {
		h.Calibration = &c
	} else if o.Logger != nil && ctx.Err() == nil {
		o.Logger.Warn("report: no forecast calibration section", "error", err.Error())
	}
	return h
}

// DigestView is the "what changed" section of one page.
type DigestView struct {
	Since time.Time // the previous complete refresh
	Lines []DigestLine
}

// DigestLine is one change: its words, whether it is good or bad news,
// and the explain page (with the KPI's anchor) behind it.
type DigestLine struct {
	Tone string // "worse", "better" or "neutral"
	Text string
	Href string // "" when the scope has no page in this report
}

// DigestFor returns the digest section of scope s: the portfolio page
// shows every change, a program or project page its own; nil when there
// is no previous complete refresh to compare with.
func (m *Model) DigestFor(s *Scope) *DigestView {
	if m.History == nil || m.History.Digest == nil || m.History.Digest.Previous.IsZero() {
		return nil
	}
	d := m.History.Digest.For(s.Kind, s.Name)
	v := &DigestView{Since: d.Previous}
	pages := map[string]*Scope{}
	for _, x := range m.All() {
		pages[x.Kind+":"+x.Name] = x
	}
	label := func(kind, name string) string {
		if p := pages[kind+":"+name]; p != nil {
			return p.Label
		}
		return kind + " " + name
	}
	href := func(kind, name, anchor string) string {
		p := pages[kind+":"+name]
		if p == nil {
			return ""
		}
		return p.Slug + "-explain.html#" + anchor
	}
	for _, t := range d.RAG {
		var parts []string
		for _, c := range t.Components {
			parts = append(parts, fmt.Sprintf("%s %s → %s", c.Component, ragWord(c.From), ragWord(c.To)))
		}
		text := fmt.Sprintf("%s: %s → %s", label(t.ScopeKind, t.Scope), ragWord(t.From), ragWord(t.To))
		if len(parts) > 0 {
			text += " (" + strings.Join(parts, ", ") + ")"
		}
		v.Lines = append(v.Lines, DigestLine{Tone: tone(ragRankOf(t.To) - ragRankOf(t.From)), Text: text, Href: href(t.ScopeKind, t.Scope, "portfolio_rag")})
	}
	// The same move of an aggregate scope as of one of its parts (a
	// portfolio of one program, a program of one project) is said once, by
	// the most specific scope.
	rank := map[string]int{kpi.ScopePortfolio: 0, kpi.ScopeSource: 1, kpi.ScopeProgram: 2, kpi.ScopeProject: 3}
	moveKey := func(mv kpi.Mover) string {
		return fmt.Sprintf("%s|%s|%s|%g|%g", mv.KPI, mv.Window, mv.Labels.String(), mv.From, mv.To)
	}
	specific := map[string]int{}
	for _, mv := range d.Movers {
		specific[moveKey(mv)] = max(specific[moveKey(mv)], rank[mv.ScopeKind])
	}
	for _, mv := range d.Movers {
		if rank[mv.ScopeKind] < specific[moveKey(mv)] {
			continue
		}
		name, unit := moverName(mv)
		t := "neutral"
		if mv.Verdict == "better" || mv.Verdict == "worse" {
			t = mv.Verdict
		}
		v.Lines = append(v.Lines, DigestLine{Tone: t, Href: href(mv.ScopeKind, mv.Scope, mv.KPI),
			Text: fmt.Sprintf("%s · %s: %s → %s, %s", label(mv.ScopeKind, mv.Scope), name, formatUnit(mv.From, unit), formatUnit(mv.To, unit), mv.Verdict)})
	}
	for _, k := range []struct {
		what, kpiID string
		items       []kpi.DigestItem
	}{{"Newly overdue", "overdue_ratio", d.NewOverdue}, {"Newly blocked", "blocked_ratio", d.NewBlocked}} {
		if len(k.items) == 0 {
			continue
		}
		keys := make([]string, 0, len(k.items))
		for i, it := range k.items {
			if i == 10 {
				keys = append(keys, fmt.Sprintf("and %d more", len(k.items)-10))
				break
			}
			keys = append(keys, it.Key)
		}
		v.Lines = append(v.Lines, DigestLine{Tone: "worse", Href: href(s.Kind, s.Name, k.kpiID),
			Text: fmt.Sprintf("%s: %d item(s) — %s", k.what, len(k.items), strings.Join(keys, ", "))})
	}
	for _, r := range d.Releases {
		v.Lines = append(v.Lines, DigestLine{Tone: "worse", Href: href(kpi.ScopeProject, r.Project, "release_schedule_adherence"),
			Text: fmt.Sprintf("%s · release %s: chance to ship on its date %.0f %% → %.0f %%", label(kpi.ScopeProject, r.Project), r.Release, r.From*100, r.To*100)})
	}
	return v
}

func ragWord(r *kpi.RAG) string {
	if r == nil {
		return "n/a"
	}
	return r.String()
}

func ragRankOf(r *kpi.RAG) int {
	if r == nil {
		return -1
	}
	return int(*r)
}

func tone(step int) string {
	switch {
	case step > 0:
		return "worse"
	case step < 0:
		return "better"
	}
	return "neutral"
}

// labelText renders a value's labels for people: "P85, day count".
func labelText(l kpi.Labels) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		switch x := l[k]; k {
		case "quantile":
			if q, err := strconv.ParseFloat(x, 64); err == nil {
				out = append(out, "P"+strconv.FormatFloat(q*100, 'f', -1, 64))
			}
		case "method":
		case "unit":
			if x == "dc" {
				out = append(out, "day count")
			}
		default:
			out = append(out, strings.ReplaceAll(x, "_", " "))
		}
	}
	return strings.Join(out, ", ")
}

// moverName names a mover as the cards do (the headline or hygiene row of
// the same KPI and labels, whatever its window), else by the catalog name
// and its labels; the window is always said. unit is the card's unit
// (formatUnit), else a share's "%" or a duration's "d".
func moverName(mv kpi.Mover) (name, unit string) {
	labels := mv.Labels.String()
	for _, h := range append(append([]headline(nil), headlines...), hygieneRows...) {
		if h.id == mv.KPI && h.labels == labels {
			return h.name + " (" + mv.Window + ")", h.unit
		}
	}
	name = mv.KPI
	if def, ok := kpi.Lookup(mv.KPI); ok {
		name = def.Name
	}
	if l := labelText(mv.Labels); l != "" {
		name += " (" + l + ", " + mv.Window + ")"
	} else {
		name += " (" + mv.Window + ")"
	}
	m := mv.Labels["measure"]
	switch {
	case mv.Labels["quantile"] != "" || strings.HasSuffix(m, "_days"):
		unit = "d"
	case strings.HasSuffix(m, "ratio") || strings.HasSuffix(m, "_share") || m == "ratio_of_sums" || mv.Labels["class"] != "" || mv.Labels["field"] != "":
		unit = "%"
	}
	return name, unit
}

// CalibrationLine is one pooled calibration row of a scope, for people.
type CalibrationLine struct {
	Horizon    int
	Percentile string // "P85"
	N, Hits    int
	Rate       string // "75 %"
	MAE        string // "3.8 d"
	Sentence   string
}

// CalibrationFor returns the scope's forecast calibration (pooled rows
// with scored forecasts), and the sentence to lead with — the P85
// forecasts made 4 weeks ahead, else the first row; nil without any.
func (m *Model) CalibrationFor(s *Scope) (lines []CalibrationLine) {
	if m.History == nil || m.History.Calibration == nil {
		return nil
	}
	var lead []CalibrationLine
	for _, r := range m.History.Calibration.Rows {
		if r.ScopeKind != s.Kind || r.Scope != s.Name || r.Release != "" || r.HitRate == nil {
			continue
		}
		l := CalibrationLine{Horizon: r.Horizon, Percentile: "P" + strconv.FormatFloat(r.Percentile*100, 'f', -1, 64), N: r.N, Hits: r.Hits,
			Rate: fmt.Sprintf("%.0f %%", *r.HitRate*100), MAE: fmt.Sprintf("%.1f d", *r.MAEDays), Sentence: r.Sentence()}
		if r.Horizon == 4 && r.Percentile == 0.85 {
			lead = append(lead, l)
		} else {
			lines = append(lines, l)
		}
	}
	return append(lead, lines...)
}

// writeDigestText writes the digest and the calibration sentence of scope
// s for the plain-text email.
func writeDigestText(b *strings.Builder, m *Model, s *Scope) {
	if v := m.DigestFor(s); v != nil {
		fmt.Fprintf(b, "What changed since %s:\n", v.Since.Format("2 Jan 2006"))
		if len(v.Lines) == 0 {
			b.WriteString("  no status changes, movers, new overdue or blocked items, or release forecasts that dropped\n")
		}
		mark := map[string]string{"worse": "▼", "better": "▲", "neutral": "•"}
		for _, l := range v.Lines {
			fmt.Fprintf(b, "  %s %s\n", mark[l.Tone], l.Text)
		}
		b.WriteString("\n")
	}
	if c := m.CalibrationFor(s); len(c) > 0 {
		fmt.Fprintf(b, "Forecast calibration: %s.\n\n", c[0].Sentence)
	}
}
