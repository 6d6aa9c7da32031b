package deps

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/pmo-oss/pmo/internal/csvsafe"
)

// Formats accepted by Write.
var Formats = []string{"table", "json", "csv", "dot"}

// Write renders the report as table, json, csv or dot (Graphviz).
func Write(w io.Writer, r Report, format string) error {
	switch format {
	case "", "table":
		return writeTable(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return writeCSV(w, r)
	case "dot":
		return writeDot(w, r)
	}
	return fmt.Errorf("deps: unknown output format %q; use one of %s", format, strings.Join(Formats, ", "))
}

func optDays(p *int64, none string) string {
	if p == nil {
		return none
	}
	return strconv.FormatInt(*p, 10)
}

func optFloat(p *float64, none string) string {
	if p == nil {
		return none
	}
	return strconv.FormatFloat(*p, 'f', 1, 64)
}

func writeTable(out io.Writer, r Report) error {
	fmt.Fprintf(out, "Dependencies of %s as of %s (groups: %s)\n", r.Scope, r.AsOf.Format("2006-01-02 15:04 MST"), r.Matrix.GroupBy)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nMatrix: open dependencies between groups (%d)\n", len(r.Matrix.Cells))
	if len(r.Matrix.Cells) == 0 {
		fmt.Fprintln(tw, "  none")
	} else {
		fmt.Fprintln(tw, "BLOCKER GROUP\tBLOCKED GROUP\tOPEN\tDAYS BLOCKED\tMAX DAYS\tDAYS UNKNOWN\tAT RISK")
		for _, c := range r.Matrix.Cells {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\n", c.From, c.To, c.Open, c.DaysBlocked, c.MaxDaysBlocked, c.Unknown, c.AtRisk)
		}
	}
	fmt.Fprintf(tw, "\nOpen blocking links (%d)\n", len(r.Edges))
	if len(r.Edges) > 0 {
		fmt.Fprintln(tw, "BLOCKER\tBLOCKS\tGROUPS\tDAYS BLOCKED\t")
		for _, e := range r.Edges {
			groups := e.FromGroup + " → " + e.ToGroup
			if e.FromGroup == e.ToGroup {
				groups = e.FromGroup
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.From, e.To, groups, optDays(e.DaysBlocked, "unknown"), map[bool]string{true: "in a cycle"}[e.InCycle])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\nCycles (%d)\n", len(r.Cycles))
	for _, c := range r.Cycles {
		fmt.Fprintf(out, "  %s block each other (their links are not followed)\n", strings.Join(c, ", "))
	}
	writeChainTable(out, r)
	return nil
}

func writeChainTable(out io.Writer, r Report) {
	c := r.Chain
	if c == nil {
		fmt.Fprintln(out, "\nCritical chain: none (no unreleased release with an open item blocked by an open item)")
		return
	}
	blockers := fmt.Sprintf("%d open blockers", c.Blockers())
	if c.Blockers() == 1 {
		blockers = "1 open blocker"
	}
	fmt.Fprintf(out, "\nCritical chain of %s (release %s, %d days away): %s — %s\n", c.Version, c.Release, c.DaysToRelease, blockers, c.Verdict)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tITEM\tGROUP\tSTATUS\tBLOCKS NEXT FOR (DAYS)\tMEDIAN CYCLE (DAYS)\tSUMMARY")
	for i, it := range c.Items {
		next := optDays(it.DaysBlocked, "unknown")
		if i == len(c.Items)-1 {
			next = "(release item)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, it.Key, it.Group, it.Status, next, optFloat(it.CycleDays, "none"), it.Summary)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "Needed: %s days of cycle time for %d items vs %d days to the release date.\nRule: the chain %s.\n",
		optFloat(c.NeededDays, "unknown"), len(c.Items), c.DaysToRelease, c.Rule)
}

var csvColumns = []string{"section", "from", "to", "group_from", "group_to", "open", "days_blocked", "max_days_blocked",
	"days_unknown", "at_risk", "in_cycle", "position", "status", "median_cycle_days", "version", "release_date", "verdict", "summary", "url"}

func writeCSV(out io.Writer, r Report) error {
	// Text from the trackers: keys, groups, status, version, summary, url.
	cw := csvsafe.NewWriter(out, 1, 2, 3, 4, 12, 14, 17, 18)
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	row := func(vals map[string]string) {
		rec := make([]string, len(csvColumns))
		for i, c := range csvColumns {
			rec[i] = vals[c]
		}
		_ = cw.Write(rec)
	}
	itoa := strconv.Itoa
	for _, c := range r.Matrix.Cells {
		row(map[string]string{"section": "matrix", "group_from": c.From, "group_to": c.To, "open": itoa(c.Open),
			"days_blocked": strconv.FormatInt(c.DaysBlocked, 10), "max_days_blocked": strconv.FormatInt(c.MaxDaysBlocked, 10),
			"days_unknown": itoa(c.Unknown), "at_risk": itoa(c.AtRisk)})
	}
	for _, e := range r.Edges {
		row(map[string]string{"section": "link", "from": e.From, "to": e.To, "group_from": e.FromGroup, "group_to": e.ToGroup,
			"days_blocked": optDays(e.DaysBlocked, ""), "in_cycle": strconv.FormatBool(e.InCycle)})
	}
	for _, cy := range r.Cycles {
		row(map[string]string{"section": "cycle", "from": strings.Join(cy, " "), "in_cycle": "true"})
	}
	if c := r.Chain; c != nil {
		for i, it := range c.Items {
			vals := map[string]string{"section": "chain", "from": it.Key, "group_from": it.Group, "position": itoa(i + 1),
				"status": it.Status, "days_blocked": optDays(it.DaysBlocked, ""), "median_cycle_days": optFloat(it.CycleDays, ""),
				"version": c.Version, "release_date": c.Release, "verdict": c.Verdict, "summary": it.Summary, "url": it.URL}
			if i+1 < len(c.Items) {
				vals["to"] = c.Items[i+1].Key
			}
			row(vals)
		}
	}
	return cw.Flush()
}

// dotQuote quotes s as a Graphviz string.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func writeDot(out io.Writer, r Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph dependencies {\n  label=%s;\n  rankdir=LR;\n  node [shape=box];\n",
		dotQuote(fmt.Sprintf("Dependencies of %s as of %s", r.Scope, r.AsOf.Format("2006-01-02"))))
	onChain := map[string]bool{}
	chainEdge := map[[2]string]bool{}
	if r.Chain != nil {
		for i, it := range r.Chain.Items {
			onChain[it.Key] = true
			if i+1 < len(r.Chain.Items) {
				chainEdge[[2]string{it.Key, r.Chain.Items[i+1].Key}] = true
			}
		}
	}
	groups := map[string][]Node{}
	var order []string
	for _, n := range r.Nodes {
		if _, ok := groups[n.Group]; !ok {
			order = append(order, n.Group)
		}
		groups[n.Group] = append(groups[n.Group], n)
	}
	if r.Chain != nil {
		// The release item may have no link of the scope's graph.
		for _, it := range r.Chain.Items {
			if !nodeShown(r.Nodes, it.Key) {
				if _, ok := groups[it.Group]; !ok {
					order = append(order, it.Group)
				}
				groups[it.Group] = append(groups[it.Group], Node{Group: it.Group})
				groups[it.Group][len(groups[it.Group])-1].Key = it.Key
			}
		}
	}
	for i, g := range order {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n    label=%s;\n", i, dotQuote(g))
		for _, n := range groups[g] {
			attrs := ""
			switch {
			case onChain[n.Key]:
				attrs = `, color="red", penwidth=2`
			case n.AtRisk:
				attrs = `, color="orange"`
			}
			fmt.Fprintf(&b, "    %s [label=%s%s];\n", dotQuote(n.Key), dotQuote(n.Key), attrs)
		}
		b.WriteString("  }\n")
	}
	for _, e := range r.Edges {
		attrs := []string{"label=" + dotQuote(optDays(e.DaysBlocked, "?")+" d")}
		if chainEdge[[2]string{e.From, e.To}] {
			attrs = append(attrs, `color="red"`, "penwidth=2")
		}
		if e.InCycle {
			attrs = append(attrs, `style="dashed"`)
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", dotQuote(e.From), dotQuote(e.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(out, b.String())
	return err
}

func nodeShown(ns []Node, key string) bool {
	for _, n := range ns {
		if n.Key == key {
			return true
		}
	}
	return false
}
