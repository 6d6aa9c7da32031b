// The SDK marks its dashboard (v1) types deprecated in favour of dashboardv2,
// the schema of Grafana 12's new dashboard API behind feature flags; v1 JSON
// is what Grafana 9–12 load from file provisioning, so pmo writes v1.
//
//lint:file-ignore SA1019 v1 dashboards are what file provisioning loads (see above)

package dashboards

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	"github.com/pmo-oss/pmo/internal/kpi"
	"github.com/pmo-oss/pmo/internal/raid"
	"github.com/pmo-oss/pmo/internal/warehouse"
)

// Data source uids: dashboards/provisioning/datasources/pmo.yaml provisions
// the two data sources under these uids.
const (
	PrometheusUID = "pmo-prometheus"
	ClickHouseUID = "pmo-clickhouse"
)

// Prometheus and ClickHouse are the panels' data source references.
var (
	Prometheus = common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(PrometheusUID)}
	ClickHouse = common.DataSourceRef{Type: cog.ToPtr(ClickHouseType), Uid: cog.ToPtr(ClickHouseUID)}
)

// Dashboard is one generated dashboard and the file it is written to.
type Dashboard struct {
	File      string // base name under dashboards/, e.g. portfolio.json
	Dashboard dashboard.Dashboard
}

// DrillDowns are the KPIs whose population a drill-down table lists, with
// the window whose length the dashboard range stands for ("" = the first
// of kpi.flow_windows_weeks). Snapshot KPIs (wip, stale_ratio) list the
// population at the end of the range. SLE-dependent sets (sle_attainment,
// work_item_age's at_risk) are left out: their SLE day counts are data of
// the warehouse the SQL is generated on, not of the one Grafana reads.
var DrillDowns = []string{"throughput", "cycle_time", "wip", "flow_efficiency", "reopen_rate", "escaped_defect_rate", "bug_mttr", "stale_ratio", "created_vs_resolved"}

// Generate builds every dashboard: the drill-down SQL comes from kpi.SQL on
// w (a migrated warehouse; its data does not matter) with the KPI settings
// cfg.
func Generate(ctx context.Context, w *warehouse.Warehouse, cfg kpi.Config, rc raid.Config) ([]Dashboard, error) {
	drill := map[string]string{}
	for _, id := range DrillDowns {
		q, err := DrillDownSQL(ctx, w, cfg, id, "")
		if err != nil {
			return nil, err
		}
		drill[id] = q
	}
	for _, reg := range []string{"risks", "issues"} {
		q, err := RAIDSQL(cfg, rc, reg)
		if err != nil {
			return nil, err
		}
		drill["raid:"+reg] = q
	}
	return Build(drill)
}

// Write writes the dashboards as indented JSON files into dir.
func Write(dir string, ds []Dashboard) error {
	for _, d := range ds {
		b, err := Marshal(d.Dashboard)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, d.File), b, 0o644); err != nil {
			return fmt.Errorf("dashboards: writing %s: %w", d.File, err)
		}
	}
	return nil
}

// Marshal is the committed form of a dashboard: indented JSON, newline at
// the end.
func Marshal(d dashboard.Dashboard) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("dashboards: encoding %s: %w", deref(d.Title), err)
	}
	return append(b, '\n'), nil
}

// Build assembles the dashboards from the drill-down SQL of each KPI in
// DrillDowns.
func Build(drill map[string]string) ([]Dashboard, error) {
	for _, id := range DrillDowns {
		if drill[id] == "" {
			return nil, fmt.Errorf("dashboards: no drill-down SQL for %s", id)
		}
	}
	builders := []struct {
		file string
		b    *dashboard.DashboardBuilder
	}{
		{"portfolio.json", portfolio()},
		{"delivery-flow.json", deliveryFlow(drill)},
		{"sprints.json", sprints()},
		{"schedule-cost.json", scheduleCost()},
		{"quality-risk.json", qualityRisk(drill)},
		{"pipeline-health.json", pipelineHealth()},
	}
	out := make([]Dashboard, 0, len(builders))
	for _, x := range builders {
		d, err := x.b.Build()
		if err != nil {
			return nil, fmt.Errorf("dashboards: building %s: %w", x.file, err)
		}
		out = append(out, Dashboard{File: x.file, Dashboard: d})
	}
	return out, nil
}

// ---- variables ----

// project is the label selector of project-scope KPI series narrowed by the
// chained variables.
const project = `scope="project", source=~"$source", program=~"$program", project=~"$project"`

// team is the label selector of team-scope KPI series (kpi.teams) narrowed
// by the program and team variables: a team's program is
// kpi.teams[].program; team series have no source or project label.
const team = `scope="team", program=~"$program", team=~"$team"`

// scoped is the label selector of KPI series of the dashboard's view: the
// project scopes or the team scopes ($view), narrowed by the variables
// that apply to the view. Team series have no source or project label and
// project series no team label (Prometheus drops empty labels), so the
// empty alternative of "$source|", "$project|" and "$team|" lets each view
// ignore the variables that are not its own: the team view shows the teams
// of the selected program whatever the source and project, the project
// view the selected projects whatever the team.
const scoped = `scope="$view", source=~"$source|", program=~"$program", project=~"$project|", team=~"$team|"`

// scopeLegend names a series of either view: one of the two labels is empty.
const scopeLegend = "{{project}}{{team}}"

func promVariable(name, label, query string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(Prometheus).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).
		IncludeAll(true).
		AllValue(".*").
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("All")},
			Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("$__all")}})
}

// scopeVariables are the chained source → program → project variables,
// read from the labels of pmo_kpi_rag (every rated KPI value of every
// project scope).
func scopeVariables() []cog.Builder[dashboard.VariableModel] {
	return []cog.Builder[dashboard.VariableModel]{
		promVariable("source", "Source", `label_values(pmo_kpi_rag{scope="project"}, source)`),
		promVariable("program", "Program", `label_values(pmo_kpi_rag{scope="project", source=~"$source"}, program)`),
		promVariable("project", "Project", `label_values(pmo_kpi_rag{scope="project", source=~"$source", program=~"$program"}, project)`),
	}
}

// viewVariable chooses between the project and the team view of the KPI
// panels (the scoped selector). Its options are the scope kinds that have
// rated KPI values: without kpi.teams it offers the project view only.
func viewVariable() *dashboard.QueryVariableBuilder {
	query := `label_values(pmo_kpi_rag{scope=~"project|team"}, scope)`
	return dashboard.NewQueryVariableBuilder("view").
		Label("View").
		Description("project: one series per project (source, program, project apply); team: one per team of kpi.teams (program and team apply). Offers team only when kpi.teams is configured.").
		Datasource(Prometheus).
		Query(dashboard.StringOrMap{String: cog.ToPtr(query)}).
		Definition(query).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc).
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("project")},
			Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("project")}})
}

// teamVariable lists the teams of kpi.teams (of the selected programs) that
// have rated KPI values; without kpi.teams it has only All.
func teamVariable() *dashboard.QueryVariableBuilder {
	return promVariable("team", "Team", `label_values(pmo_kpi_rag{scope="team", program=~"$program"}, team)`).
		Description("The teams of kpi.teams (a team's program is kpi.teams[].program). Applies to the team view and the team panels; empty without kpi.teams.")
}

// teamVariables are the view and team variables of the KPI dashboards,
// after the chained scope variables.
func teamVariables() []cog.Builder[dashboard.VariableModel] {
	return []cog.Builder[dashboard.VariableModel]{viewVariable(), teamVariable()}
}

// viewNote is what a KPI dashboard's description says of its view.
const viewNote = "View project: a series per project (source, program, project apply). View team: a series per team of kpi.teams (program and team apply; offered only when kpi.teams is configured)."

// windowVariable chooses the KPI window of windowed flow KPIs.
func windowVariable() *dashboard.CustomVariableBuilder {
	return dashboard.NewCustomVariableBuilder("window").
		Label("KPI window").
		Values(dashboard.StringOrMap{String: cog.ToPtr("4w,12w")}).
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("12w")},
			Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("12w")}})
}

func newDashboard(uid, title, desc string, vars ...cog.Builder[dashboard.VariableModel]) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Description(desc).
		Tags([]string{"pmo"}).
		Timezone("utc").
		Time("now-28d", "now").
		Refresh("5m").
		Editable().
		Variables(append(scopeVariables(), vars...)).
		Link(dashboard.NewDashboardLinkBuilder("pmo dashboards").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"pmo"}).AsDropdown(true).IncludeVars(true).KeepTime(true))
}

// ---- panels ----

// q is one PromQL target: expression and legend.
type q struct{ expr, legend string }

func promTargets(qs []q, instant, tableFormat bool) []cog.Builder[variants.Dataquery] {
	out := make([]cog.Builder[variants.Dataquery], len(qs))
	for i, x := range qs {
		b := prometheus.NewDataqueryBuilder().Expr(x.expr).RefId(string(rune('A' + i))).Datasource(Prometheus)
		if x.legend != "" {
			b.LegendFormat(x.legend)
		}
		if instant {
			b.Instant()
		} else {
			b.Range()
		}
		if tableFormat {
			b.Format(prometheus.PromQueryFormatTable)
		}
		out[i] = b
	}
	return out
}

func series(title, desc, unit string, w uint32, qs ...q) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Title(title).Description(desc).Unit(unit).Datasource(Prometheus).
		Height(8).Span(w).Targets(promTargets(qs, false, false))
}

func single(title, desc, unit string, w uint32, qs ...q) *stat.PanelBuilder {
	return stat.NewPanelBuilder().Title(title).Description(desc).Unit(unit).Datasource(Prometheus).
		Height(5).Span(w).Targets(promTargets(qs, true, false))
}

func promTable(title, desc string, w uint32, qs ...q) *table.PanelBuilder {
	return newTable().Title(title).Description(desc).Datasource(Prometheus).
		Height(8).Span(w).Targets(promTargets(qs, true, true))
}

// drillTable is a ClickHouse table of a KPI's population: the rows `pmo kpi
// explain` lists for the KPI, over the dashboard's range and variables.
func drillTable(title, kpiID string, drill map[string]string) *table.PanelBuilder {
	desc := fmt.Sprintf("The issues behind %s: its population as `pmo kpi explain %s` lists it (SQL of `pmo kpi sql %s --scope portfolio`, "+
		"sets and values from internal/kpi/models/populations.sql), over the dashboard's time range (as of its end) and the "+
		"source/program/project variables. in_* columns are set flags, v_* the values each issue contributes. "+
		"Team view: the issues of the selected teams only when the dashboards are generated with your kpi.teams "+
		"(team membership is configuration, not warehouse data); the published dashboards are generated without teams, "+
		"so in the team view this table is empty — use `pmo kpi explain %s --scope team:NAME`.", kpiID, kpiID, kpiID, kpiID)
	return newTable().Title(title).Description(desc).Datasource(ClickHouse).Height(10).Span(24).
		WithTarget(ClickHouseQuery{RefID: "A", Datasource: &ClickHouse, EditorType: "sql", QueryType: "table",
			Format: clickHouseFormatTable, RawSQL: drill[kpiID]})
}

// ragMappings shows RAG codes (pmo_kpi_rag, pmo_portfolio_rag) as words.
func ragMappings() []dashboard.ValueMapping {
	opt := func(text, color string, i int32) dashboard.ValueMappingResult {
		return dashboard.ValueMappingResult{Text: cog.ToPtr(text), Color: cog.ToPtr(color), Index: cog.ToPtr(i)}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText,
		Options: map[string]dashboard.ValueMappingResult{"0": opt("green", "green", 0), "1": opt("amber", "orange", 1), "2": opt("red", "red", 2)}}}}
}

// newTable is a table panel whose footer is complete: the SDK's default
// footer has a null reducer, which its own strict decoding rejects.
func newTable() *table.PanelBuilder {
	return table.NewPanelBuilder().Footer(common.NewTableFooterOptionsBuilder().Show(false).Reducer([]string{}).CountRows(false))
}

func row(title string) *dashboard.RowBuilder { return dashboard.NewRowBuilder(title) }

// ---- dashboards ----

func portfolio() *dashboard.DashboardBuilder {
	noTeams := " Empty without kpi.teams."
	return newDashboard("pmo-portfolio", "pmo / Portfolio",
		"Portfolio RAG by program, project and team with the KPIs that drive it, trends, the projects and teams needing attention and release forecasts against their dates. "+
			"Project panels follow the source, program and project variables; team panels (kpi.teams) the program and team variables.",
		teamVariable()).
		WithPanel(single("Portfolio RAG", "Worst of the portfolio's RAG components (0 green, 1 amber, 2 red).", "none", 6,
			q{`pmo_portfolio_rag{scope="portfolio"}`, ""}).Mappings(ragMappings())).
		WithPanel(single("Portfolio health score", "Weighted RAG score 0–100 of the portfolio.", "none", 6,
			q{`pmo_portfolio_health_score{scope="portfolio"}`, ""})).
		WithPanel(single("Low-confidence scopes", "Projects whose data hygiene is red: their RAG is low confidence.", "none", 6,
			q{`sum(pmo_portfolio_rag_low_confidence{` + project + `})`, ""})).
		WithPanel(single("KPI values exported", "KPI values of the latest snapshot by state (exported, or why not).", "none", 6,
			q{`sum(pmo_kpi_values)`, ""})).
		WithRow(row("RAG by program, project and team")).
		WithPanel(promTable("RAG by program", "Portfolio RAG and health score of each program.", 8,
			q{`pmo_portfolio_rag{scope="program", program=~"$program"}`, "{{program}}"},
			q{`pmo_portfolio_health_score{scope="program", program=~"$program"}`, "{{program}}"})).
		WithPanel(promTable("RAG by project", "Portfolio RAG and health score of each project.", 8,
			q{`pmo_portfolio_rag{` + project + `}`, "{{project}}"},
			q{`pmo_portfolio_health_score{` + project + `}`, "{{project}}"})).
		WithPanel(promTable("RAG by team", "Portfolio RAG and health score of each team of kpi.teams (its program is kpi.teams[].program)."+noTeams, 8,
			q{`pmo_portfolio_rag{` + team + `}`, "{{team}}"},
			q{`pmo_portfolio_health_score{` + team + `}`, "{{team}}"})).
		WithPanel(promTable("What drives each project's RAG", "The worst-rated KPIs of each project (pmo_kpi_rag: 0 green, 1 amber, 2 red).", 24,
			q{`topk(20, max by (program, project, kpi) (pmo_kpi_rag{` + project + `}))`, ""})).
		WithRow(row("Trends and attention")).
		WithPanel(series("Health score trend", "Portfolio RAG score 0–100 of each project over time.", "none", 12,
			q{`pmo_portfolio_health_score{` + project + `}`, "{{project}}"})).
		WithPanel(promTable("Projects needing attention", "The five projects with the lowest health score.", 12,
			q{`bottomk(5, pmo_portfolio_health_score{` + project + `})`, ""})).
		WithRow(row("Teams")).
		WithPanel(promTable("What drives each team's RAG", "The worst-rated KPIs of each team (pmo_kpi_rag: 0 green, 1 amber, 2 red)."+noTeams, 24,
			q{`topk(20, max by (program, team, kpi) (pmo_kpi_rag{` + team + `}))`, ""})).
		WithPanel(series("Team health score trend", "Portfolio RAG score 0–100 of each team over time."+noTeams, "none", 12,
			q{`pmo_portfolio_health_score{` + team + `}`, "{{team}}"})).
		WithPanel(promTable("Teams needing attention", "The five teams with the lowest health score."+noTeams, 12,
			q{`bottomk(5, pmo_portfolio_health_score{` + team + `})`, ""})).
		WithRow(row("Forecast vs commitment")).
		WithPanel(promTable("Release on-time probability", "Share of Monte Carlo trials finishing each unreleased version by its release date.", 12,
			q{`pmo_release_on_time_probability_ratio{` + project + `}`, "{{project}} {{release}}"})).
		WithPanel(series("Backlog finish forecast", "Monte Carlo time until the open backlog is done, at the configured confidence.", "s", 12,
			q{`pmo_monte_carlo_when_seconds{` + project + `, release="", confidence=""}`, "{{project}}"}))
}

func deliveryFlow(drill map[string]string) *dashboard.DashboardBuilder {
	win := `, window="$window"`
	return newDashboard("pmo-delivery-flow", "pmo / Delivery flow",
		"Throughput, cycle-time percentiles against the SLE, WIP and its age, arrivals and departures, flow efficiency; the issues behind them from the warehouse. "+viewNote,
		append(teamVariables(), windowVariable())...).
		WithPanel(series("Throughput per week", "Flow items finished per week over the KPI window.", "short", 12,
			q{`pmo_throughput_items{` + scoped + win + `, measure="per_week"}`, scopeLegend})).
		WithPanel(series("Cycle time P85 vs SLE", "85th percentile of cycle time (elapsed) and the SLE it is measured against.", "s", 12,
			q{`pmo_cycle_time_seconds{` + scoped + win + `, method="nr", percentile="85", basis="elapsed"}`, scopeLegend + " P85"},
			q{`pmo_sle_attainment_sle_seconds{` + scoped + win + `}`, scopeLegend + " SLE"})).
		WithPanel(series("Cycle time percentiles", "50th, 85th and 95th percentiles of cycle time (elapsed).", "s", 12,
			q{`pmo_cycle_time_seconds{` + scoped + win + `, method="nr", basis="elapsed"}`, scopeLegend + " P{{percentile}}"})).
		WithPanel(series("SLE attainment", "Share of items finished within the SLE.", "percentunit", 12,
			q{`pmo_sle_attainment_ratio{` + scoped + win + `}`, scopeLegend})).
		WithPanel(series("WIP", "Work in progress at the end of each day.", "short", 8,
			q{`pmo_wip_items{` + scoped + `, measure="count"}`, scopeLegend})).
		WithPanel(series("Aging WIP", "Mean age of the work in progress and the share at risk of missing the SLE.", "s", 8,
			q{`pmo_work_item_age_mean_seconds{` + scoped + `, basis="elapsed"}`, scopeLegend + " mean age"})).
		WithPanel(series("WIP at risk", "Share of the work in progress older than the SLE.", "percentunit", 8,
			q{`pmo_work_item_age_at_risk_ratio{` + scoped + `}`, scopeLegend})).
		WithPanel(series("Arrivals and departures", "Items started (arrivals) and finished (departures) in the window: the inputs of a cumulative flow.", "short", 12,
			q{`pmo_arrivals_departures_items{` + scoped + win + `}`, scopeLegend + " {{measure}}"})).
		WithPanel(series("Flow efficiency", "Active time over total cycle time.", "percentunit", 12,
			q{`pmo_flow_efficiency_ratio{` + scoped + win + `, measure="ratio_of_sums"}`, scopeLegend})).
		WithRow(row("The issues behind the numbers (ClickHouse)")).
		WithPanel(drillTable("Finished items (throughput)", "throughput", drill)).
		WithPanel(drillTable("Cycle times", "cycle_time", drill)).
		WithPanel(drillTable("Work in progress and its age (at the end of the range)", "wip", drill)).
		WithPanel(drillTable("Flow efficiency per item", "flow_efficiency", drill)).
		WithPanel(drillTable("Created and resolved", "created_vs_resolved", drill))
}

func sprints() *dashboard.DashboardBuilder {
	board := dashboard.NewQueryVariableBuilder("board").Label("Board").Datasource(Prometheus).
		Query(dashboard.StringOrMap{String: cog.ToPtr(`label_values(pmo_sprint_velocity_points{` + scoped + `}, board)`)}).
		Definition(`label_values(pmo_sprint_velocity_points{` + scoped + `}, board)`).
		Refresh(dashboard.VariableRefreshOnTimeRangeChanged).Sort(dashboard.VariableSortAlphabeticalAsc).
		Multi(true).IncludeAll(true).AllValue(".*").
		Current(dashboard.VariableOption{Text: dashboard.StringOrArrayOfString{String: cog.ToPtr("All")},
			Value: dashboard.StringOrArrayOfString{String: cog.ToPtr("$__all")}})
	b := `, board=~"$board"`
	return newDashboard("pmo-sprints", "pmo / Sprints",
		"Velocity, say/do, commitment, velocity variability per board; per-sprint amounts (committed, completed, added, removed, carried over) from the KPI history. "+viewNote+" A team's sprints are those of its boards (kpi.teams[].boards); a team of projects, components or assignees only has none.",
		append(teamVariables(), board)...).
		WithPanel(series("Velocity", "Story points completed per sprint, mean over the velocity window.", "short", 12,
			q{`pmo_sprint_velocity_points{` + scoped + b + `, variant="points"}`, "{{board}} {{team}}"})).
		WithPanel(series("Say/do", "Completed over committed (points), mean over the velocity window.", "percentunit", 12,
			q{`pmo_say_do_ratio{` + scoped + b + `, variant="points"}`, "{{board}} {{team}}"})).
		WithPanel(series("Velocity variability", "Coefficient of variation of velocity over the variability window.", "percentunit", 12,
			q{`pmo_velocity_variability_ratio{` + scoped + b + `, measure="cv"}`, "{{board}} {{team}}"})).
		WithPanel(promTable("Committed vs completed (latest)", "Velocity and say/do of each board at the latest snapshot.", 12,
			q{`pmo_sprint_velocity_points{` + scoped + b + `}`, ""},
			q{`pmo_say_do_ratio{` + scoped + b + `}`, ""})).
		WithRow(row("Per sprint: scope change and carry-over (ClickHouse)")).
		WithPanel(newTable().Title("Sprint amounts").
			Description("Per-sprint values of sprint_velocity and say_do_ratio (completed vs committed), sprint_carryover (committed, added, removed, completed, not completed: points and counts) and sprint_scope_change, as the KPI engine stored them in kpi_values (the latest as-of in the range). Per-sprint values are not exported to Prometheus (unbounded sprint label). Follows the view: per project (source and project variables) or per team (team variable; a team's sprints are those of its kpi.teams boards).").
			Datasource(ClickHouse).Height(10).Span(24).
			WithTarget(ClickHouseQuery{RefID: "A", Datasource: &ClickHouse, EditorType: "sql", QueryType: "table", Format: clickHouseFormatTable,
				RawSQL: sprintAmountsSQL}))
}

// sprintAmountsSQL reads the per-sprint KPI values of the latest snapshot in
// the range from pmo's KPI history (v_kpi_values) of the dashboard's view:
// the values `pmo kpi` printed, not a recomputation. Project scopes are
// "source/KEY".
// Team scopes are the team's name (a team's sprints are its boards').
const sprintAmountsSQL = `SELECT scope, kpi, labels, value, n, as_of
FROM v_kpi_values
WHERE kpi IN ('sprint_velocity', 'say_do_ratio', 'sprint_carryover', 'sprint_scope_change')
    AND scope_kind = ${view:singlequote}
    AND window = 'sprint'
    AND as_of = (SELECT max(as_of) FROM v_kpi_values WHERE window = 'sprint' AND as_of >= $__fromTime AND as_of <= $__toTime)
    AND (scope_kind = 'project'
            AND $__conditionalAll(splitByChar('/', scope)[1] IN (${source:singlequote}), $source)
            AND $__conditionalAll(splitByChar('/', scope)[2] IN (${project:singlequote}), $project)
        OR scope_kind = 'team' AND $__conditionalAll(scope IN (${team:singlequote}), $team))
ORDER BY scope, labels, kpi`

func scheduleCost() *dashboard.DashboardBuilder {
	return newDashboard("pmo-schedule-cost", "pmo / Schedule & cost",
		"Due-date and release adherence, release on-time probability, earned value (SPI, CPI, EAC) and release burn-up. "+viewNote+" Releases belong to projects: their panels are empty in the team view; earned value has team series only for teams with kpi.scopes evm settings.",
		teamVariables()...).
		WithPanel(series("Due-date adherence", "Share of items done in the window by their due date.", "percentunit", 12,
			q{`pmo_due_date_on_time_ratio{` + scoped + `, variant="", window="12w"}`, scopeLegend})).
		WithPanel(series("Release adherence", "Share of versions released by their baseline date. Releases belong to projects: empty in the team view.", "percentunit", 12,
			q{`pmo_release_on_time_ratio{` + scoped + `}`, scopeLegend})).
		WithPanel(promTable("Release on-time probability", "Monte Carlo probability that each unreleased version is done by its date, with the time left. Releases belong to projects: empty in the team view.", 24,
			q{`pmo_release_on_time_probability_ratio{` + scoped + `}`, ""},
			q{`pmo_release_time_left_seconds{` + scoped + `}`, ""})).
		WithRow(row("Earned value")).
		WithPanel(series("SPI and CPI", "Schedule and cost performance indices (1 = on plan) of the scopes with earned-value settings (kpi.scopes evm).", "none", 12,
			q{`pmo_evm_spi_ratio{` + scoped + `}`, scopeLegend + " SPI"},
			q{`pmo_evm_cpi_ratio{` + scoped + `}`, scopeLegend + " CPI"})).
		WithPanel(series("EAC and BAC", "Estimate at completion against the budget at completion, of the scopes with earned-value settings (kpi.scopes evm).", "none", 12,
			q{`pmo_evm_amount{` + scoped + `, measure=~"eac|bac"}`, scopeLegend + " {{measure}}"})).
		WithRow(row("Burn-up")).
		WithPanel(series("Release remaining items", "Open items of each unreleased version over time (burn-down of the burn-up's scope line). Releases belong to projects: empty in the team view.", "short", 12,
			q{`pmo_release_remaining_items{` + scoped + `}`, scopeLegend + " {{release}}"})).
		WithPanel(series("Forecast items done (how many)", "Items the Monte Carlo forecast expects done within the horizon.", "short", 12,
			q{`pmo_monte_carlo_how_many_items{` + scoped + `, release="", confidence=""}`, scopeLegend}))
}

func qualityRisk(drill map[string]string) *dashboard.DashboardBuilder {
	win := `, window="$window"`
	return newDashboard("pmo-quality-risk", "pmo / Quality & risk",
		"Defect ratio, escaped defects, reopen rate, bug time to resolve, risk exposure, blocked and overdue work; the issues behind them from the warehouse. "+viewNote,
		append(teamVariables(), windowVariable())...).
		WithPanel(series("Defect ratio", "Bugs linked to the stories done in the window, per story.", "none", 8,
			q{`pmo_defect_ratio{` + scoped + win + `}`, scopeLegend})).
		WithPanel(series("Escaped defects", "Share of bugs created in the window that escaped to production.", "percentunit", 8,
			q{`pmo_escaped_defect_ratio{` + scoped + win + `}`, scopeLegend})).
		WithPanel(series("Reopen rate", "Share of items entering done that were reopened.", "percentunit", 8,
			q{`pmo_reopen_ratio{` + scoped + win + `}`, scopeLegend})).
		WithPanel(series("Bug time to resolve (mean)", "Mean time from creation to done of bugs done in the window.", "s", 12,
			q{`pmo_bug_time_to_resolve_seconds{` + scoped + win + `, method="mean", basis="elapsed"}`, scopeLegend})).
		WithPanel(series("Risk exposure", "Severity-weighted exposure of the open risks.", "none", 12,
			q{`pmo_risk_exposure_score{` + scoped + `}`, scopeLegend})).
		WithPanel(promTable("Risks", "Open risks by measure (open, high and aged, stale, red and amber flags).", 8,
			q{`pmo_risks_items{` + scoped + `}`, ""})).
		WithPanel(series("Blocked", "Share of open items blocked by another issue.", "percentunit", 8,
			q{`pmo_blocked_ratio{` + scoped + `, variant=""}`, scopeLegend})).
		WithPanel(series("Overdue", "Share of open items past their due date.", "percentunit", 8,
			q{`pmo_overdue_ratio{` + scoped + `}`, scopeLegend})).
		WithRow(row("The issues behind the numbers (ClickHouse)")).
		WithPanel(drillTable("Reopened items", "reopen_rate", drill)).
		WithPanel(drillTable("Escaped defects", "escaped_defect_rate", drill)).
		WithPanel(drillTable("Bugs resolved", "bug_mttr", drill)).
		WithPanel(drillTable("Stale open items (at the end of the range)", "stale_ratio", drill)).
		WithRow(row("RAID log (ClickHouse)")).
		WithPanel(raidTable("RAID: risks", "risks", "The open risks (kpi.risk_types), and those closed since the previous report, "+
			"with severity (kpi.risk_severity_weights of the priority), trend since the previous report (kpi.raid.period_days), owner, age, "+
			"days without an update and the stale flag (kpi.raid.stale_days).", drill)).
		WithPanel(raidTable("RAID: issues — blocked and overdue items", "issues", "The open flow items that are blocked (blocking links "+
			"whose blocker is not done: the blockers and days blocked) or past their due date (days overdue).", drill))
}

func pipelineHealth() *dashboard.DashboardBuilder {
	src := `{source=~"$source"}`
	return newDashboard("pmo-pipeline-health", "pmo / Pipeline health",
		"Source freshness and outcomes, API requests, retries and rate-limit waits, KPI refresh and warehouse writes.").
		WithPanel(promTable("Source freshness", "Time since each source's last successful collection, and whether the last run succeeded.", 12,
			q{`time() - pmo_source_last_success_timestamp_seconds` + src, ""},
			q{`pmo_source_up` + src, ""})).
		WithPanel(series("Last successful collection", "When each source was last collected successfully.", "dateTimeAsIso", 12,
			q{`pmo_source_last_success_timestamp_seconds` + src + ` * 1000`, "{{source}}"})).
		WithPanel(series("Collection errors", "Failed collections by error kind over the range.", "short", 8,
			q{`sum by (source, kind) (increase(pmo_source_errors_total` + src + `[$__range]))`, "{{source}} {{kind}}"})).
		WithPanel(series("API retries", "Requests repeated after a transient failure, per second.", "reqps", 8,
			q{`sum by (source, class) (rate(pmo_source_api_retries_total` + src + `[$__rate_interval]))`, "{{source}} {{class}}"})).
		WithPanel(series("Rate-limit waits", "Time per second spent waiting on the sources' rate limits.", "s", 8,
			q{`sum by (source) (rate(pmo_source_rate_limit_wait_seconds_total` + src + `[$__rate_interval]))`, "{{source}}"})).
		WithPanel(series("API requests", "Requests to each source by status class, per second.", "reqps", 12,
			q{`sum by (source, class) (rate(pmo_source_api_requests_total` + src + `[$__rate_interval]))`, "{{source}} {{class}}"})).
		WithPanel(series("Records written", "Records written to the warehouse by kind, per interval.", "short", 12,
			q{`sum by (source, kind) (increase(pmo_source_records_written_total` + src + `[$__interval]))`, "{{source}} {{kind}}"})).
		WithRow(row("KPIs and warehouse")).
		WithPanel(series("KPI refresh duration", "Duration of the last KPI refresh.", "s", 8,
			q{`pmo_kpi_refresh_last_duration_seconds`, "refresh"})).
		WithPanel(single("KPI snapshot age", "Time since the last successful KPI refresh.", "s", 8,
			q{`time() - pmo_kpi_refresh_last_success_timestamp_seconds`, ""})).
		WithPanel(series("Warehouse write latency (P95)", "95th percentile of sink calls writing to the warehouse.", "s", 8,
			q{`histogram_quantile(0.95, sum by (le, op) (rate(pmo_warehouse_write_duration_seconds_bucket[$__rate_interval])))`, "{{op}}"})).
		WithPanel(series("Warehouse rows written", "Records written to the warehouse over the range, by kind.", "short", 24,
			q{`sum by (kind) (increase(pmo_source_records_written_total` + src + `[$__range]))`, "{{kind}}"}))
}

// Queries lists a dashboard's queries for checks and documentation: PromQL
// (including variable queries) and ClickHouse SQL, each with where it is.
type Query struct {
	Where string // "dashboard uid / panel title / refId" or "… / variable name"
	Kind  string // "promql", "promql-variable" or "sql"
	Text  string
}

// Queries returns every query of d: variable queries first, then each
// panel's targets (rows' collapsed panels included).
func Queries(d dashboard.Dashboard) []Query {
	var out []Query
	uid := ""
	if d.Uid != nil {
		uid = *d.Uid
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && v.Query != nil && v.Query.String != nil {
			out = append(out, Query{Where: uid + " / variable " + v.Name, Kind: "promql-variable", Text: *v.Query.String})
		}
	}
	add := func(p dashboard.Panel) {
		title := ""
		if p.Title != nil {
			title = *p.Title
		}
		for _, t := range p.Targets {
			switch x := t.(type) {
			case *prometheus.Dataquery:
				out = append(out, Query{Where: uid + " / " + title + " / " + deref(x.RefId), Kind: "promql", Text: x.Expr})
			case ClickHouseQuery:
				out = append(out, Query{Where: uid + " / " + title + " / " + x.RefID, Kind: "sql", Text: x.RawSQL})
			default:
				out = append(out, Query{Where: uid + " / " + title, Kind: "unknown " + strings.TrimSpace(fmt.Sprintf("%T", t))})
			}
		}
	}
	for _, p := range d.Panels {
		if p.Panel != nil {
			add(*p.Panel)
		}
		if p.RowPanel != nil {
			for _, rp := range p.RowPanel.Panels {
				add(rp)
			}
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
