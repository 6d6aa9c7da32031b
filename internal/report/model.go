// Package report builds PMO chart reports from the warehouse: a report model
// (the latest KPI snapshot, its history from kpi_values and the detail
// series the charts need), rendered as static HTML pages with go-echarts
// (interactive, offline: the ECharts script ships inside the report folder)
// and as PNG charts plus an inline-CSS HTML body for email.
//
// Everything that comes from a tracker (project names, issue keys and
// summaries, statuses) is user input: pages escape it through html/template,
// chart options through JSON with '<' written as \u003c.
package report

import (
	"math"
	"strconv"
	"time"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/standards"
)

// Model is everything a report set shows, read from the warehouse once.
type Model struct {
	Title       string
	AsOf        time.Time // the KPI snapshot's as_of
	GeneratedAt time.Time
	TZ          *time.Location // day logic and dates shown (kpi.tz)
	// Portfolio is the whole organisation; Programs and Projects are sorted
	// by name.
	Portfolio *Scope
	Programs  []*Scope
	Projects  []*Scope
	// Teams are the team scopes (kpi.teams) in config order (teams.go).
	Teams []*Scope
	// Checks are the snapshot's failed consistency checks.
	Checks []string
	// Scopes are every program and project scope of the snapshot
	// (kpi.ScopeName), also those Options.Scope left without a page.
	Scopes []string
	// History is what changed since the previous complete refresh and the
	// forecast calibration (digest.go); nil: not read.
	History *History
}

// Scope is one page of the report: portfolio, program or project.
type Scope struct {
	Kind    string // kpi.ScopePortfolio, kpi.ScopeProgram, kpi.ScopeProject
	Name    string // scope name as in kpi_values ("all", program name, "source/KEY")
	Label   string // what people read: project "KEY — Name", program name
	Program string // a project's program
	Slug    string // file name without .html
	// Children are the programs of the portfolio, the projects of a program.
	Children []*Scope
	// Teams are the teams of a program (every team on the portfolio).
	Teams []*Scope
	// Page is set when the report set has a page for the scope (the
	// portfolio and the scopes --scope selected): pages link only to
	// scopes with a page.
	Page bool

	KPIs []KPIRow
	// Overall is the scope's portfolio_rag (kpis.md X1: worst of the
	// components); Health its components, score and confidence.
	Overall RAG
	Health  Health
	Series  Series
	Sprints []kpi.SprintReport
	// Deps is the dependency view of the portfolio and program pages
	// (internal/deps, deps.go); nil: none or not read.
	Deps *depsReport
	// Risks are the in-flight items older than the SLE, oldest first, and
	// stale items; Hygiene the data-quality values.
	Risks   []Item
	Hygiene []KPIRow
	// Explain lists, per KPI id, the issues behind the value (drill-down).
	Explain map[string][]Item
	// Forecast is the burn-up with the Monte Carlo forecast; EVM the SPI
	// and CPI trend (KPI part 2), empty when the scope has no EVM values.
	Forecast *Forecast
	EVM      []EVMPoint
	// Changes is the scope's change log of the report period
	// (internal/changelog, changes.go); nil: not read.
	Changes *changeLog
	// RAID is the scope's RAID log (internal/raid); nil: not read.
	RAID *raid.Log
	// Standards is the scope's standards scorecard (internal/standards);
	// nil: not read.
	Standards *standards.Scorecard
}

// Health is the portfolio_rag of a scope (kpis.md X1): the status of each
// component (schedule, cost, delivery, quality, risk, hygiene; Unrated =
// n/a, dropped from the weights), the weighted score 0–100 and "low
// confidence" when data hygiene is red. FromEngine is false when the
// snapshot holds no portfolio_rag for the scope (values stored before it
// existed); Overall then falls back to the headline cards.
type Health struct {
	FromEngine    bool
	Components    []HealthComponent
	Score         *float64
	LowConfidence bool
}

// ScoreText renders the weighted score ("" when there is none).
func (h Health) ScoreText() string {
	if h.Score == nil {
		return ""
	}
	return strconv.FormatFloat(math.Round(*h.Score), 'f', 0, 64)
}

// HealthComponent is one portfolio_rag component.
type HealthComponent struct {
	Name string
	RAG  RAG
}

// RAG is a red/amber/green status; "" when not rated.
type RAG string

// RAG statuses.
const (
	Green   RAG = "green"
	Amber   RAG = "amber"
	Red     RAG = "red"
	Unrated RAG = ""
)

func (r RAG) String() string {
	if r == Unrated {
		return "n/a"
	}
	return string(r)
}

// KPIRow is one headline KPI value of a scope.
type KPIRow struct {
	ID       string // catalog id
	Name     string // short column name
	Question string // catalog Question (hover)
	Help     string // catalog Help (hover)
	Window   string
	Labels   string
	Unit     string // display unit: "d", "%", "/wk", ""
	Value    *float64
	N        uint64
	RAG      RAG
	Rule     string // the banding rule, shown with the definition
	// Trend is the value's history (kpi_values), oldest first.
	Trend []Point
}

// Point is one dated value.
type Point struct {
	At    time.Time
	Value float64
}

// Item is one issue in a drill-down, risk or aging table.
type Item struct {
	Key, Summary, Status, Type, Assignee, Project string
	URL                                           string
	AgeDays                                       float64 // cycle or age in days
	Note                                          string
	Done                                          time.Time // when it was done (zero: not done)
}

// Series are the chart series of one scope.
type Series struct {
	Weeks []time.Time // Mondays (local), oldest first
	// Per week: items finished (throughput), created and resolved.
	Throughput, Created, Resolved []int
	// Cumulative flow per week end: items in each category.
	CFDNew, CFDProgress, CFDDone []int
	// CycleTimes are the items cycle_time counts in its 12-week window,
	// P50/P85/P95 its nearest-rank day-count percentiles there (the
	// engine's values: the same as `pmo kpi explain cycle_time --window 12w`).
	CycleTimes    []CyclePoint
	P50, P85, P95 float64
	// Aging are the items wip counts at as_of with their age in day counts
	// (the engine's explanation of wip).
	Aging               []Item
	SLEDays             float64
	CreatedTotal, Total int
	// Burn-up at each week's end (as_of for the current week): cumulative
	// done flow items and total scope, discarded items left out.
	BurnEnds            []time.Time
	BurnScope, BurnDone []int
}

// CyclePoint is one finished item on the cycle-time scatter.
type CyclePoint struct {
	Key  string
	Done time.Time
	Days float64
}

// Forecast is the Monte Carlo burn-up forecast (KPI part 2).
type Forecast struct {
	Scope, Done []Point
	// P50 and P85 are finish dates of the open backlog (zero = unknown).
	P50, P85 time.Time
	// Lines are the projected finish dates drawn on the burn-up; when
	// empty, P50 and P85 are drawn.
	Lines []ForecastLine
	// Confidence is the mc_confidence of the stored forecast; Backlog the
	// open items it forecasts.
	Confidence float64
	Backlog    int
	// Releases are the scope's unreleased versions with their forecasts,
	// by name.
	Releases []ReleaseForecast
	// Note says why there is no forecast ("no forecast (not enough
	// history)").
	Note string
}

// ReleaseForecast is the Monte Carlo forecast of one unreleased version of
// a project (monte_carlo_forecast values with a release label).
type ReleaseForecast struct {
	Name string
	// Planned is the release date (zero: none); Finish the forecast finish
	// date at mc_confidence, Likely at 50 % (zero: not computable).
	Planned, Finish, Likely time.Time
	Remaining               int
	// OnTime is the share of trials done by the release date; LateDays the
	// finish date at mc_confidence minus the release date (nil: no date).
	OnTime, LateDays *float64
}

// ForecastLine is one projected finish date: "P85", E + Days.
type ForecastLine struct {
	Label string
	Date  time.Time
	Days  float64
}

// EVMPoint is one SPI/CPI observation (KPI part 2).
type EVMPoint struct {
	At       time.Time
	SPI, CPI float64
	// Mode is the EVM mode of the values (their variant label): "agile"
	// (AgileEVM, story points) or "effort" (hours against a frozen
	// baseline, mode H). Empty is read as agile.
	Mode string
}

// All returns every scope of the model: portfolio, programs, projects, teams.
func (m *Model) All() []*Scope {
	out := []*Scope{m.Portfolio}
	out = append(out, m.Programs...)
	return append(append(out, m.Projects...), m.Teams...)
}

// AsOfLocal is the as-of instant in the reporting time zone, as shown to
// people (the midnight that ends the last complete day).
func (m *Model) AsOfLocal() time.Time {
	if m.TZ == nil {
		return m.AsOf
	}
	return m.AsOf.In(m.TZ)
}
