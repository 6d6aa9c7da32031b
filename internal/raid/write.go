package raid

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

// Formats accepted by Write.
var Formats = []string{"table", "json", "csv"}

// SectionAll selects every register.
const SectionAll = "all"

// CheckSection returns an error naming the valid sections when s is not one.
func CheckSection(s string) error {
	if s == SectionAll || slices.Contains(Sections, s) {
		return nil
	}
	return fmt.Errorf("unknown section %q; expected one of %s, %s", s, strings.Join(Sections, ", "), SectionAll)
}

func selected(section, s string) bool { return section == "" || section == SectionAll || section == s }

// Write renders the log (one section, or all) as table, json or csv.
// Dates are civil dates in loc (kpi.tz; nil: UTC).
func Write(w io.Writer, l Log, format, section string, loc *time.Location) error {
	if err := CheckSection(cmpOr(section, SectionAll)); err != nil {
		return fmt.Errorf("raid: %w", err)
	}
	if loc == nil {
		loc = time.UTC
	}
	switch format {
	case "", "table":
		return writeTable(w, l, section, loc)
	case "json":
		return writeJSON(w, l, section)
	case "csv":
		return writeCSV(w, l, section, loc)
	}
	return fmt.Errorf("raid: unknown output format %q; use one of %s", format, strings.Join(Formats, ", "))
}

func day(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

func optDays(p *int64, none string) string {
	if p == nil {
		return none
	}
	return strconv.FormatInt(*p, 10)
}

func yes(b bool, y string) string {
	if b {
		return y
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func writeTable(out io.Writer, l Log, section string, loc *time.Location) error {
	fmt.Fprintf(out, "RAID log of %s as of %s (trend since %s; stale: not updated for %d days or more)\n",
		l.Scope, day(l.AsOf, loc), day(l.Previous, loc), l.StaleDays)
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	head := func(name string, n int, cols string) {
		fmt.Fprintf(tw, "\n%s (%d)\n", name, n)
		if n > 0 {
			fmt.Fprintln(tw, cols)
		}
	}
	if selected(section, "risks") {
		head("RISKS", len(l.Risks), "KEY\tPROJECT\tPRIORITY\tSEVERITY\tTREND\tOWNER\tSTATUS\tAGE\tLAST UPDATE\tIDLE\tSTALE\tSUMMARY")
		for _, r := range l.Risks {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%dd\t%s\t%dd\t%s\t%s\n", r.Key, r.Project, orDash(r.Priority), num(r.Severity),
				r.Trend, orDash(r.Owner), r.Status, r.AgeDays, day(r.LastUpdate, loc), r.DaysSinceUpdate, yes(r.Stale, "STALE"), r.Summary)
		}
	}
	if selected(section, "assumptions") {
		head("ASSUMPTIONS AND DECISIONS", len(l.Assumptions), "KIND\tKEY\tPROJECT\tOWNER\tSTATUS\tAGE\tLAST UPDATE\tIDLE\tSTALE\tSUMMARY")
		for _, e := range l.Assumptions {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%dd\t%s\t%dd\t%s\t%s\n", e.Kind, e.Key, e.Project, orDash(e.Owner), e.Status,
				e.AgeDays, day(e.LastUpdate, loc), e.DaysSinceUpdate, yes(e.Stale, "STALE"), e.Summary)
		}
	}
	if selected(section, "issues") {
		head("ISSUES: BLOCKED AND OVERDUE", len(l.Issues), "KEY\tPROJECT\tPRIORITY\tOWNER\tSTATUS\tBLOCKED BY\tDAYS BLOCKED\tDUE\tDAYS OVERDUE\tIDLE\tSTALE\tSUMMARY")
		for _, i := range l.Issues {
			blocked := "-"
			if len(i.BlockedBy) > 0 {
				blocked = optDays(i.DaysBlocked, "unknown")
			}
			overdue := "-"
			if i.Due != "" {
				overdue = strconv.FormatInt(i.DaysOverdue, 10)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%dd\t%s\t%s\n", i.Key, i.Project, orDash(i.Priority), orDash(i.Owner), i.Status,
				orDash(strings.Join(i.BlockedBy, ", ")), blocked, orDash(i.Due), overdue, i.DaysSinceUpdate, yes(i.Stale, "STALE"), i.Summary)
		}
	}
	if selected(section, "dependencies") {
		if !l.HasTeams() {
			head("DEPENDENCIES ACROSS PROJECTS", len(l.Dependencies), "BLOCKER\tPROJECT\tBLOCKS\tPROJECT\tDAYS OPEN\tBLOCKER SUMMARY")
			for _, d := range l.Dependencies {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.FromKey, d.FromProject, d.ToKey, d.ToProject, optDays(d.DaysOpen, "unknown"), d.FromSummary)
			}
		} else {
			// kpi.teams: a dependency between two teams of one project too.
			head("DEPENDENCIES ACROSS PROJECTS AND TEAMS", len(l.Dependencies), "BLOCKER\tPROJECT\tTEAM\tBLOCKS\tPROJECT\tTEAM\tDAYS OPEN\tBLOCKER SUMMARY")
			for _, d := range l.Dependencies {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.FromKey, d.FromProject, orDash(strings.Join(d.FromTeams, ", ")), d.ToKey,
					d.ToProject, orDash(strings.Join(d.ToTeams, ", ")), optDays(d.DaysOpen, "unknown"), d.FromSummary)
			}
		}
	}
	return tw.Flush()
}

func writeJSON(out io.Writer, l Log, section string) error {
	doc := struct {
		Scope        string        `json:"scope"`
		AsOf         time.Time     `json:"as_of"`
		Previous     time.Time     `json:"previous"`
		StaleDays    int           `json:"stale_days"`
		Risks        *[]Risk       `json:"risks,omitempty"`
		Assumptions  *[]Entry      `json:"assumptions,omitempty"`
		Issues       *[]Item       `json:"issues,omitempty"`
		Dependencies *[]Dependency `json:"dependencies,omitempty"`
	}{Scope: l.Scope, AsOf: l.AsOf, Previous: l.Previous, StaleDays: l.StaleDays}
	if selected(section, "risks") {
		doc.Risks = ptrTo(l.Risks)
	}
	if selected(section, "assumptions") {
		doc.Assumptions = ptrTo(l.Assumptions)
	}
	if selected(section, "issues") {
		doc.Issues = ptrTo(l.Issues)
	}
	if selected(section, "dependencies") {
		doc.Dependencies = ptrTo(l.Dependencies)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

// ptrTo points at xs, an empty list rather than nil (JSON [] not null).
func ptrTo[T any](xs []T) *[]T {
	if xs == nil {
		xs = []T{}
	}
	return &xs
}

// csvColumns: one table for every register (the register column says
// which); a dependency's blocker is key/project/program, the issue it
// blocks to_key/to_project/to_program.
var csvColumns = []string{"register", "kind", "key", "project", "program", "teams", "summary", "status", "owner", "priority", "severity",
	"previous_severity", "trend", "age_days", "last_update", "days_since_update", "stale", "blocked_by", "days_blocked", "due",
	"days_overdue", "to_key", "to_project", "to_program", "to_teams", "days_open", "url"}

// teamList is the CSV cell of an entry's teams (kpi.teams): the names
// with "; " between them (a name may hold spaces; --format json keeps the
// list as a list).
func teamList(teams []string) string { return strings.Join(teams, "; ") }

func writeCSV(out io.Writer, l Log, section string, loc *time.Location) error {
	// Text from the trackers or the configuration: key, project, program,
	// teams, summary, owner, priority, blocked_by, to_key, to_project,
	// to_program, to_teams, url.
	cw := csvsafe.NewWriter(out, 2, 3, 4, 5, 6, 8, 9, 17, 21, 22, 23, 24, 26)
	_ = cw.Write(csvColumns)
	row := func(vals map[string]string) {
		rec := make([]string, len(csvColumns))
		for i, c := range csvColumns {
			rec[i] = vals[c]
		}
		_ = cw.Write(rec)
	}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	tf := func(b bool) string { return strconv.FormatBool(b) }
	if selected(section, "risks") {
		for _, r := range l.Risks {
			row(map[string]string{"register": "risks", "kind": "risk", "key": r.Key, "project": r.Project, "program": r.Program,
				"teams": teamList(r.Teams), "summary": r.Summary, "status": r.Status, "owner": r.Owner, "priority": r.Priority, "severity": num(r.Severity),
				"previous_severity": num(r.PrevSeverity), "trend": r.Trend, "age_days": i64(r.AgeDays), "last_update": day(r.LastUpdate, loc),
				"days_since_update": i64(r.DaysSinceUpdate), "stale": tf(r.Stale), "url": r.URL})
		}
	}
	if selected(section, "assumptions") {
		for _, e := range l.Assumptions {
			row(map[string]string{"register": "assumptions", "kind": e.Kind, "key": e.Key, "project": e.Project, "program": e.Program,
				"teams": teamList(e.Teams), "summary": e.Summary, "status": e.Status, "owner": e.Owner, "age_days": i64(e.AgeDays), "last_update": day(e.LastUpdate, loc),
				"days_since_update": i64(e.DaysSinceUpdate), "stale": tf(e.Stale), "url": e.URL})
		}
	}
	if selected(section, "issues") {
		for _, i := range l.Issues {
			kind := "overdue"
			if len(i.BlockedBy) > 0 {
				kind = "blocked"
				if i.Due != "" {
					kind = "blocked and overdue"
				}
			}
			vals := map[string]string{"register": "issues", "kind": kind, "key": i.Key, "project": i.Project, "program": i.Program,
				"teams": teamList(i.Teams), "summary": i.Summary, "status": i.Status, "owner": i.Owner, "priority": i.Priority, "last_update": day(i.LastUpdate, loc),
				"days_since_update": i64(i.DaysSinceUpdate), "stale": tf(i.Stale), "blocked_by": strings.Join(i.BlockedBy, " "),
				"days_blocked": optDays(i.DaysBlocked, ""), "due": i.Due, "url": i.URL}
			if i.Due != "" {
				vals["days_overdue"] = i64(i.DaysOverdue)
			}
			row(vals)
		}
	}
	if selected(section, "dependencies") {
		for _, d := range l.Dependencies {
			row(map[string]string{"register": "dependencies", "kind": "blocks", "key": d.FromKey, "project": d.FromProject,
				"program": d.FromProgram, "teams": teamList(d.FromTeams), "summary": d.FromSummary, "to_key": d.ToKey, "to_project": d.ToProject,
				"to_program": d.ToProgram, "to_teams": teamList(d.ToTeams),
				"days_open": optDays(d.DaysOpen, ""), "url": d.FromURL})
		}
	}
	return cw.Flush()
}
