// Package dashboards defines pmo's Grafana dashboards in Go with the Grafana
// foundation SDK and writes them as dashboards/*.json (go generate, make
// dashboards). KPI series come from Prometheus (the metric names and labels
// of internal/exporter); drill-down tables come from the ClickHouse data
// source and list the same populations as `pmo kpi explain` (DrillDownSQL).
// The KPI dashboards have a project and a team view ($view, $team: the
// team scope of kpi.teams); see the scoped selector.
// dashboards_test.go loads every committed file strictly, checks it is
// current, and runs every query against a real Prometheus scraping pmo serve
// and against both ClickHouse engines.
package dashboards

//go:generate go run ./gen -out .
