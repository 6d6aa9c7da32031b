// Package reporttest makes synthetic report models for tests and
// benchmarks: a portfolio of n projects in programs, with KPI values, RAG
// statuses, trends, series, sprints and risks, deterministic per seed.
package reporttest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/report"
)

// Hostile is an issue summary that must arrive escaped.
const Hostile = `<script>alert("pwned")</script> & <b>bold</b>`

// Model returns a synthetic model of n projects spread over programs of
// up to 10 projects each. The first project's first risk has the Hostile
// summary.
func Model(n int, seed uint64) *report.Model {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	asOf := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	m := &report.Model{Title: "PMO performance report", AsOf: asOf, GeneratedAt: asOf.Add(6 * time.Hour), TZ: time.UTC}
	slugs := 0
	slug := func(p string) string { slugs++; return fmt.Sprintf("%s-%d", p, slugs) }
	m.Portfolio = scope(r, asOf, kpi.ScopePortfolio, "all", "Portfolio", "", "index")
	var programs []*report.Scope
	for i := 0; i*10 < n; i++ {
		name := fmt.Sprintf("Program %c", 'A'+i%26)
		if i >= 26 {
			name += fmt.Sprint(i / 26)
		}
		programs = append(programs, scope(r, asOf, kpi.ScopeProgram, name, name, "", slug("program")))
	}
	for i := range n {
		pg := programs[i/10]
		key := fmt.Sprintf("P%03d", i+1)
		p := scope(r, asOf, kpi.ScopeProject, "jira/"+key, key+" — Project "+key, pg.Name, slug("project"))
		pg.Children = append(pg.Children, p)
		m.Projects = append(m.Projects, p)
	}
	if len(m.Projects) > 0 && len(m.Projects[0].Risks) > 0 {
		m.Projects[0].Risks[0].Summary = Hostile
	}
	m.Programs = programs
	m.Portfolio.Children = programs
	return m
}

var ids = []struct {
	id, name, window, labels, unit string
	lo, hi                         float64
}{
	{"throughput", "Throughput", "4w", "measure=per_week", "/wk", 2, 20},
	{"cycle_time", "Cycle time P85", "4w", "method=nr,quantile=0.85,unit=dc", "d", 3, 30},
	{"sle_attainment", "SLE met", "4w", "measure=ratio", "%", 0.5, 1},
	{"wip", "WIP", "snapshot", "measure=count", "", 3, 40},
	{"work_item_age", "At-risk WIP", "snapshot", "measure=at_risk_ratio", "%", 0, 0.5},
	{"flow_efficiency", "Flow efficiency", "4w", "measure=ratio_of_sums", "%", 0.1, 0.7},
	{"arrival_departure_ratio", "Arrivals / departures", "4w", "measure=ratio", "×", 0.6, 1.5},
	{"created_vs_resolved", "Resolved / created", "4w", "measure=ratio", "×", 0.7, 1.3},
	{"reopen_rate", "Reopen rate", "4w", "", "%", 0, 0.15},
	{"escaped_defect_rate", "Escaped defects", "12w", "", "%", 0, 0.2},
	{"stale_ratio", "Stale items", "snapshot", "", "%", 0, 0.3},
	{"field_completeness", "Data hygiene", "4w", "field=composite", "%", 0.6, 1},
}

func scope(r *rand.Rand, asOf time.Time, kind, name, label, program, slug string) *report.Scope {
	s := &report.Scope{Kind: kind, Name: name, Label: label, Program: program, Slug: slug, Page: true, Explain: map[string][]report.Item{}}
	rags := []report.RAG{report.Green, report.Green, report.Green, report.Amber, report.Red, report.Unrated}
	for _, d := range ids {
		v := d.lo + r.Float64()*(d.hi-d.lo)
		row := report.KPIRow{ID: d.id, Name: d.name, Window: d.window, Labels: d.labels, Unit: d.unit, Value: &v, N: uint64(10 + r.IntN(90)),
			RAG: rags[r.IntN(len(rags))]}
		if def, ok := kpi.Lookup(d.id); ok {
			row.Question, row.Help = def.Question, def.Help
		}
		for w := 12; w >= 0; w-- {
			row.Trend = append(row.Trend, report.Point{At: asOf.AddDate(0, 0, -7*w), Value: v * (0.8 + 0.4*r.Float64())})
		}
		s.KPIs = append(s.KPIs, row)
		s.Hygiene = append(s.Hygiene, row)
	}
	s.Overall = rags[r.IntN(3)+2]
	se := &s.Series
	se.SLEDays = 10
	monday := asOf.AddDate(0, 0, -((int(asOf.Weekday()) + 6) % 7))
	cn, cp, cd := 20+r.IntN(20), 5, 0
	for w := 25; w >= 0; w-- {
		se.Weeks = append(se.Weeks, monday.AddDate(0, 0, -7*w))
		t, c := r.IntN(10), r.IntN(10)
		se.Throughput = append(se.Throughput, t)
		se.Created = append(se.Created, c)
		se.Resolved = append(se.Resolved, t+r.IntN(2))
		cn += c - min(cn, t)
		cd += t
		se.CFDNew, se.CFDProgress, se.CFDDone = append(se.CFDNew, cn), append(se.CFDProgress, cp), append(se.CFDDone, cd)
	}
	for i := range 40 {
		se.CycleTimes = append(se.CycleTimes, report.CyclePoint{Key: fmt.Sprintf("K-%d", i), Done: asOf.AddDate(0, 0, -r.IntN(84)), Days: float64(1 + r.IntN(25))})
	}
	se.P50, se.P85, se.P95 = 6, 14, 21
	for i := range 12 {
		age := float64(1 + r.IntN(25))
		it := report.Item{Key: fmt.Sprintf("K-%d", 100+i), Summary: "Work item " + fmt.Sprint(i), Status: "In Progress", AgeDays: age}
		se.Aging = append(se.Aging, it)
		if age > se.SLEDays {
			it.Note = fmt.Sprintf("%.0f d over the SLE", age-se.SLEDays)
			s.Risks = append(s.Risks, it)
		}
	}
	for i := range 6 {
		start := asOf.AddDate(0, 0, -14*(6-i))
		s.Sprints = append(s.Sprints, kpi.SprintReport{Sprint: fmt.Sprintf("S-%d", i+1), Board: "Board", State: "closed", Start: start, Close: start.AddDate(0, 0, 14),
			Commitment: float64(20 + r.IntN(15)), Completed: float64(12 + r.IntN(20)), Project: "P"})
	}
	s.Explain["throughput"] = se.Aging
	return s
}

// teamNames name AddTeams' teams in turn.
var teamNames = []string{"Checkout", "Catalog", "Payments", "Search", "Mobile", "Platform", "Data", "Ops"}

// AddTeams gives each program of m perProgram team scopes (kpi.teams)
// with values, RAG statuses, trends and series like a project's,
// deterministic per seed; the portfolio lists every team. The team of
// index i is teamNames[i%8] (with a number from the ninth on), slug
// "team-<i>".
func AddTeams(m *report.Model, perProgram int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed^0x51a3))
	for _, pg := range m.Programs {
		for range perProgram {
			i := len(m.Teams)
			name := teamNames[i%len(teamNames)]
			if i >= len(teamNames) {
				name += fmt.Sprint(i/len(teamNames) + 1)
			}
			t := scope(r, m.AsOf, kpi.ScopeTeam, name, name, pg.Name, fmt.Sprintf("team-%d", i))
			pg.Teams = append(pg.Teams, t)
			m.Teams = append(m.Teams, t)
		}
	}
	m.Portfolio.Teams = m.Teams
}
