package changelog

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

// Write renders the log as table, json or csv; instants and dates in loc
// (kpi.tz; nil: UTC).
func Write(w io.Writer, l Log, format string, loc *time.Location) error {
	if loc == nil {
		loc = time.UTC
	}
	switch format {
	case "", "table":
		return writeTable(w, l, loc)
	case "json":
		return writeJSON(w, l)
	case "csv":
		return writeCSV(w, l, loc)
	}
	return fmt.Errorf("changelog: unknown output format %q; use one of %s", format, strings.Join(Formats, ", "))
}

// What says in words what changed.
func (e Entry) What() string {
	switch e.Kind {
	case KindSprint:
		if e.Change == "added" {
			return "added to " + e.Target + " after it started"
		}
		return "removed from " + e.Target + " after it started"
	case KindRelease:
		if e.Change == "added" {
			return "added to release " + e.Target + " after its start"
		}
		return "removed from release " + e.Target + " after its start"
	case KindDueDate:
		if e.Change == "cleared" {
			return "due date " + e.From + " cleared"
		}
		return "due " + e.From + " → " + e.To
	case KindReleaseDate:
		if e.Change == "cleared" {
			return "release date " + e.From + " cleared"
		}
		return "release " + e.From + " → " + e.To
	case KindPriority:
		return "priority " + e.From + " → " + e.To
	case KindEstimate:
		return "estimate " + orDash(e.From) + " → " + orDash(e.To) + " points in " + e.Target
	}
	return e.Change
}

// By says by how much: days a date moved, the points added, removed or
// re-estimated; "" when there is no amount.
func (e Entry) By() string {
	switch {
	case e.Days != nil:
		return fmt.Sprintf("%+d d", *e.Days)
	case e.Points == nil:
		return ""
	case e.Kind == KindEstimate:
		return signed(*e.Points) + pts(*e.Points)
	}
	return num(*e.Points) + pts(*e.Points)
}

func pts(f float64) string {
	if f == 1 || f == -1 {
		return " pt"
	}
	return " pts"
}

func signed(f float64) string {
	if f > 0 {
		return "+" + num(f)
	}
	return num(f)
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeTable(out io.Writer, l Log, loc *time.Location) error {
	fmt.Fprintf(out, "Change log of %s from %s to %s (%d changes)\n", l.Scope, l.From.In(loc).Format("2006-01-02 15:04"),
		l.To.In(loc).Format("2006-01-02 15:04"), len(l.Entries))
	if len(l.Entries) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nWHEN\tKIND\tCHANGE\tKEY\tPROJECT\tWHO\tWHAT\tBY\tSUMMARY")
	for _, e := range l.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.In(loc).Format("2006-01-02 15:04"), e.Kind, e.Change, e.Key,
			orDash(e.Project), orDash(e.Author), e.What(), orDash(e.By()), e.Summary)
	}
	return tw.Flush()
}

func writeJSON(out io.Writer, l Log) error {
	if l.Entries == nil {
		l.Entries = []Entry{}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(l)
}

var csvColumns = []string{"at", "kind", "change", "key", "project", "program", "teams", "author", "target", "from", "to", "days",
	"points", "summary", "url"}

func writeCSV(out io.Writer, l Log, loc *time.Location) error {
	// Text from the trackers or the configuration: key, project, program,
	// teams, author, target, from, to, summary, url.
	cw := csvsafe.NewWriter(out, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14)
	_ = cw.Write(csvColumns)
	for _, e := range l.Entries {
		days, pts := "", ""
		if e.Days != nil {
			days = strconv.FormatInt(*e.Days, 10)
		}
		if e.Points != nil {
			pts = num(*e.Points)
		}
		_ = cw.Write([]string{e.At.In(loc).Format(time.RFC3339), e.Kind, e.Change, e.Key, e.Project, e.Program,
			strings.Join(e.Teams, "; "), e.Author,
			e.Target, e.From, e.To, days, pts, e.Summary, e.URL})
	}
	return cw.Flush()
}

// Tone says how a change reads for the plan: "worse" (scope added or
// removed after the start, a date later or cleared, a priority raised, an
// estimate up or set), "better" (a date earlier, a priority lowered, an
// estimate down) or "" (a priority without weights).
func (e Entry) Tone() string {
	switch e.Change {
	case "earlier", "down":
		return "better"
	case "changed":
		return ""
	}
	return "worse"
}

// Label names the kind and change for a person: "due date later".
func (e Entry) Label() string { return strings.ReplaceAll(e.Kind, "_", " ") + " " + e.Change }
