package standards

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pmo-oss/pmo/internal/csvsafe"
)

// Formats accepted by Write.
var Formats = []string{"table", "json", "csv"}

// Write renders the scorecard as table, json or csv; with explain (a
// standard's id) the items that break that standard instead. Dates are
// civil dates in loc (kpi.tz; nil: UTC).
func Write(w io.Writer, s Scorecard, format, explain string, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	var r *Result
	if explain != "" {
		if err := CheckID(explain); err != nil {
			return fmt.Errorf("standards: %w", err)
		}
		res, ok := s.Result(explain)
		if !ok {
			return fmt.Errorf("standards: standard %s is disabled (kpi.standards.%s.enabled: false); enable it to explain it", explain, explain)
		}
		r = &res
	}
	switch format {
	case "", "table":
		if r != nil {
			return writeExplainTable(w, s, *r, loc)
		}
		return writeTable(w, s, loc)
	case "json":
		return writeJSON(w, s, r)
	case "csv":
		if r != nil {
			return writeExplainCSV(w, s, *r)
		}
		return writeCSV(w, s)
	}
	return fmt.Errorf("standards: unknown output format %q; use one of %s", format, strings.Join(Formats, ", "))
}

func day(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

func verdict(pass bool) string {
	if pass {
		return "pass"
	}
	return "FAIL"
}

func previous(r Result) string {
	if r.PrevPass == nil {
		return "-"
	}
	return fmt.Sprintf("%s %d", verdict(*r.PrevPass), *r.PrevCount)
}

func writeTable(out io.Writer, s Scorecard, loc *time.Location) error {
	fmt.Fprintf(out, "Standards scorecard of %s as of %s: %d of %d standards met (trend since %s)\n\n",
		s.Scope, day(s.AsOf, loc), s.Passing(), len(s.Standards), day(s.Previous, loc))
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	team := s.Unit == "team" // judged as one unit: no projects column
	if team {
		fmt.Fprintln(tw, "STANDARD\tRESULT\tCOUNT\tPREVIOUS\tTREND\tRULE")
	} else {
		fmt.Fprintln(tw, "STANDARD\tRESULT\tCOUNT\tPROJECTS PASSING\tPREVIOUS\tTREND\tRULE")
	}
	for _, r := range s.Standards {
		passing := fmt.Sprintf("\t%d of %d", r.ProjectsPassing, r.Projects)
		if team {
			passing = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%d%s\t%s\t%s\t%s\n", r.ID, verdict(r.Pass), r.Count, passing, previous(r), r.Trend, r.Rule)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Disabled) > 0 {
		fmt.Fprintf(out, "\nDisabled in kpi.standards: %s\n", strings.Join(s.Disabled, ", "))
	}
	if team {
		fmt.Fprintln(out, "\nA team is judged as one unit over its own items (kpi.teams).")
	}
	_, err := fmt.Fprintln(out, "\nCOUNT is the number of offending items (for wip: the items in progress); pmo standards --explain STANDARD lists them.")
	return err
}

func writeExplainTable(out io.Writer, s Scorecard, r Result, loc *time.Location) error {
	passing := fmt.Sprintf(" (%d of %d projects pass)", r.ProjectsPassing, r.Projects)
	if s.Unit == "team" {
		passing = ""
	}
	items := "items"
	if r.Count == 1 {
		items = "item"
	}
	fmt.Fprintf(out, "%s of %s as of %s: %s, %d offending %s%s\nRule: %s\n",
		r.ID, s.Scope, day(s.AsOf, loc), verdict(r.Pass), r.Count, items, passing, r.Rule)
	if len(r.Items) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tPROJECT\tREASON\tSUMMARY")
	for _, o := range r.Items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Key, o.Project, o.Reason, o.Summary)
	}
	return tw.Flush()
}

func writeJSON(out io.Writer, s Scorecard, r *Result) error {
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if r == nil {
		return enc.Encode(s)
	}
	return enc.Encode(struct {
		Scope string    `json:"scope"`
		Unit  string    `json:"unit"`
		AsOf  time.Time `json:"as_of"`
		Result
	}{s.Scope, s.Unit, s.AsOf, *r})
}

func writeCSV(out io.Writer, s Scorecard) error {
	// Text from the trackers: the scope's name.
	cw := csvsafe.NewWriter(out, 0)
	_ = cw.Write([]string{"scope", "standard", "name", "pass", "count", "projects", "projects_passing", "previous_pass", "previous_count", "trend", "rule"})
	for _, r := range s.Standards {
		pp, pc := "", ""
		if r.PrevPass != nil {
			pp, pc = strconv.FormatBool(*r.PrevPass), strconv.Itoa(*r.PrevCount)
		}
		_ = cw.Write([]string{s.Scope, r.ID, r.Name, strconv.FormatBool(r.Pass), strconv.Itoa(r.Count), strconv.Itoa(r.Projects),
			strconv.Itoa(r.ProjectsPassing), pp, pc, r.Trend, r.Rule})
	}
	return cw.Flush()
}

func writeExplainCSV(out io.Writer, s Scorecard, r Result) error {
	// Text from the trackers: scope, key, project, program, summary, reason (a status name), url.
	cw := csvsafe.NewWriter(out, 0, 2, 3, 4, 5, 6, 7)
	_ = cw.Write([]string{"scope", "standard", "key", "project", "program", "summary", "reason", "url"})
	for _, o := range r.Items {
		_ = cw.Write([]string{s.Scope, r.ID, o.Key, o.Project, o.Program, o.Summary, o.Reason, o.URL})
	}
	return cw.Flush()
}
