// Package kpi is pmo's KPI engine: a catalog of KPI definitions (Catalog,
// docs/kpis.md is generated from it) and their computation inside the
// warehouse, following the contract in kpis.md (conventions C1–C13).
//
// # API
//
//	snap, err := kpi.Compute(ctx, w, cfg, asOf, kpi.ScopeFilter{})  // every KPI, every scope
//	err = kpi.StoreRefresh(ctx, w, snap, kpi.RefreshOf(snap, f, run, version)) // kpi_values + kpi_refreshes
//	snap, err = kpi.LatestComplete(ctx, w)                           // or History(from, to)
//	n, err := kpi.Backfill(ctx, w, cfg, from, to, 24*time.Hour, f)   // trend history
//	e, err := kpi.Explain(ctx, w, cfg, "cycle_time", "project:ALPHA", asOf)
//	kpi.Write(os.Stdout, snap, "table"|"json"|"csv"); kpi.WriteExplanation(...)
//
// A Value is one row (scope_kind, scope, kpi, window, labels, as_of, value,
// n, computed_at). value is nil (NULL) when not computable: a zero
// denominator, an empty population, or a percentile over fewer than
// min_sample items. Durations are days: unit=dc is the Vacanti day-count in
// the scope's time zone, unit=days exact elapsed days (seconds/86400; the
// exporter multiplies by 86400 for _seconds).
//
// # Scopes and configuration
//
// Every issue rolls up to four scopes: portfolio "all", its source, its
// program (the project category) and its project ("<source>/<KEY>"). Config
// (yaml `kpi:`) holds the C13 knobs with per-scope overrides; scopes whose
// effective settings are equal are computed by one set of queries. An
// aggregate scope (program, source, portfolio) uses its own settings, so a
// project overriding tz is re-bucketed in the portfolio's tz there (kpis.md
// C1 prefers summing per-team daily values; not done in part 1).
//
// Instants are whole seconds in the warehouse (DateTime, UTC) while trackers
// send milliseconds: both engines truncate (chDB's TabSeparated text has no
// fraction, clickhouse-go sends t.Unix()), and Compute and Explain cut as_of
// to a second. Exact-day values are therefore within 1 s of the
// millisecond answer; day-counts, local days and window membership are
// exact, because local midnights and window bounds are whole seconds and
// truncation never crosses one (TestMillisecondInstants; docs/kpis.md
// "Instants" states the bound and how changes of one second are ordered:
// the history order of models.go, TestSameSecondChanges).
//
// min_sample defaults to 5 (kpis.md C7: percentiles with n < 5 are NULL);
// the worked examples of kpis.md §4 have n = 3 and publish percentiles, so
// their tests set min_sample to 1.
//
// # How it computes
//
// The migrations 100–103 add v_kpi_status_history (each issue's status
// transitions as sorted arrays, derived once, independent of as_of), the
// kpi_values history with its deduplicating view v_kpi_values, and
// kpi_baselines (frozen earned-value baselines, CreateBaseline).
//
// The engine's SQL lives in model files, models/*.sql (models.go): the
// shared building blocks (the lifecycle at as_of, the replayed field and
// link history, the sprint issues, the WIP intervals, the scope expansion),
// the populations (populations.sql: sets and values), the aggregates per
// scope (flow.sql, planning.sql) and what explain lists
// (explain_populations.sql, explain.sql), each a "-- model NAME" SELECT with
// {param} values bound as literals and {{model}} references to the others;
// an aggregate reads the populations as {{set_NAME}} and {{value_NAME}}.
// No KPI SQL is assembled in Go (TestNoSQLAssembledInGo). `pmo kpi sql`
// prints what runs. For one computation the lifecycle of every issue at
// as_of (kpis.md C4: started, done, skipped, discarded, reopen and
// done-entry instants, active time, local day numbers) is derived once in
// SQL into a temporary Memory table (inlined when the table cannot be
// created); the aggregate models read it per scope (ARRAY JOIN of the
// issue's scope keys): one query per window for the flow, quality, backlog
// and hygiene KPIs and for bug_mttr by priority, one for WIP samples
// (interval difference arrays, rolled up in Go because counts are
// additive), one for the snapshot KPIs. Percentiles (nearest rank:
// x[⌈p·n⌉]; R7 by interpolation) are formed in Go from the sorted samples
// the aggregates return, by the functions Recompute uses on an
// explanation (ClickHouse 18.16 lacks quantileExactInclusive).
//
// Sprint KPIs (kpis.md C8) replay each sprint issue's Sprint-field, estimate
// and status changes in Go: ClickHouse selects the sprint issues and folds
// their changelog into one row of arrays per issue; the order-dependent
// replay rules are clearer and linear in Go (see sprint.go).
//
// The same SQL runs on chDB (ClickHouse 26) and ClickHouse 18.16 (design.md
// dialect rule): no CTEs, no window functions, one JOIN per SELECT level,
// aliased joined subqueries, no trim(), and a plain reference next to every
// column a lambda captures (18.16 prunes columns seen only inside lambdas).
package kpi
