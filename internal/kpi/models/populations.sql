-- KPI populations: which issues each KPI counts, samples or divides by.
--
-- Each "-- set NAME" below is a predicate over the rows of the lifecycle
-- model (one row per issue and scope it rolls up to, at as_of: lifecycleSQL
-- in sql.go, kpis.md C4), and each "-- value NAME" what a row contributes.
-- The KPI engine aggregates these sets (counts, sorted samples, sums), `pmo
-- kpi explain` lists the rows they select with the same predicates, and
-- `pmo kpi sql` prints them bound. Windowed sets read the trailing window
-- [w_from, w_to); snapshot sets read as_of.
--
-- Parameters, bound as literals:
--   {w_from} {w_to}         the window, Unix seconds: the start per zone (read {w_from}[zi], models/lifecycle.sql)
--   {as_of}                 the as-of instant, Unix seconds
--   {e_day}                 E, the last complete local day (days since 1970-01-01), per zone ({e_day}[zi])
--   {include_skipped}       1 when items that skipped In Progress count in cycle time
--   {estimated_by}          kpi.estimated_by: either, story_points or original_estimate
--   {sle_keys}              scope keys ("project:jira/PAY") with an SLE (never empty: a key "" matches no scope), and per key
--   {sle_att} {sle_hist}    the SLE day count for attainment (F6) and for work item age (F5)
--   {stale_todo_s} {stale_progress_s}  kpi.stale_days_todo / stale_days_in_progress in seconds
--   {ready_status_ids}      kpi.ready_status_ids
--
-- Lifecycle columns used: is_flow, discarded, is_done, started, skipped,
-- restarted, has_unknown, is_bug, is_escaped_type, escaped, cat_now,
-- created, updated, start_s, done_s, created_day, start_day, done_day,
-- active_s, cc_s, linked_bugs, reopen_ats, done_entry_ats, story_points,
-- original_estimate_seconds, assignee_id, due_date, parent_id, epic_key,
-- components, fix_version_ids, resolution, last_worklog_s, scope_kind, scope.

-- Windowed sets --------------------------------------------------------------

-- set done: flow items done in the window (throughput, lead time, departures)
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to}

-- set cycle: done flow items with a start (cycle time, SLE, flow efficiency)
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND started
    AND ({include_skipped} = 1 OR NOT skipped)

-- set sle_met: cycle items whose day count is within the scope's SLE
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND started
    AND ({include_skipped} = 1 OR NOT skipped)
    AND (done_day - start_day + 1) <= transform(concat(scope_kind, ':', scope), {sle_keys}, {sle_att}, toFloat64(-1))

-- set arrived: flow items started in the window
is_flow AND NOT discarded AND started AND start_s >= {w_from}[zi] AND start_s < {w_to}

-- set entered_done: flow items that entered done in the window (reopen rate's denominator; "zi > 0" is always true: ClickHouse 18.16 prunes subquery columns referenced only inside a lambda, see models/wip.sql)
is_flow AND NOT discarded AND zi > 0 AND arrayExists(x_r -> toInt64(x_r) >= {w_from}[zi] AND toInt64(x_r) < {w_to}, done_entry_ats)

-- set reopened: flow items reopened in the window
is_flow AND NOT discarded AND zi > 0 AND arrayExists(x_r -> toInt64(x_r) >= {w_from}[zi] AND toInt64(x_r) < {w_to}, reopen_ats)

-- set created: flow items created in the window
is_flow AND toInt64(created) >= {w_from}[zi] AND toInt64(created) < {w_to}

-- set resolved: flow items done in the window, discarded ones included
is_flow AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to}

-- set bug_created: bugs and escaped-defect types created in the window
(is_bug OR is_escaped_type) AND NOT discarded AND toInt64(created) >= {w_from}[zi] AND toInt64(created) < {w_to}

-- set escaped: … that are escaped defects (type, label, component or environment)
(is_bug OR is_escaped_type) AND NOT discarded AND toInt64(created) >= {w_from}[zi] AND toInt64(created) < {w_to} AND escaped

-- set bug_done: bugs done in the window (time to resolve)
is_bug AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to}

-- set story_done: non-bug flow items done in the window (defect ratio)
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND NOT is_bug

-- set estimate_pop: open flow items and those done in the window
is_flow AND NOT discarded AND (NOT is_done OR (done_s >= {w_from}[zi] AND done_s < {w_to}))

-- set estimate_set: … estimated, as kpi.estimated_by says
is_flow AND NOT discarded AND (NOT is_done OR (done_s >= {w_from}[zi] AND done_s < {w_to}))
    AND multiIf({estimated_by} = 'story_points', story_points IS NOT NULL,
        {estimated_by} = 'original_estimate', original_estimate_seconds IS NOT NULL,
        story_points IS NOT NULL OR original_estimate_seconds IS NOT NULL)

-- set assignee_pop: in-progress flow items and those done in the window
is_flow AND NOT discarded AND (cat_now = 'indeterminate' OR (is_done AND done_s >= {w_from}[zi] AND done_s < {w_to}))

-- set assignee_set: … with an assignee
is_flow AND NOT discarded AND (cat_now = 'indeterminate' OR (is_done AND done_s >= {w_from}[zi] AND done_s < {w_to}))
    AND assignee_id != ''

-- set open: open flow items (field completeness, workflow consistency, backlog, stale items)
is_flow AND NOT discarded AND NOT is_done

-- set due_date_set: open flow items with a due date
is_flow AND NOT discarded AND NOT is_done AND due_date IS NOT NULL

-- set parent_epic_set: open flow items with a parent or an epic
is_flow AND NOT discarded AND NOT is_done AND (parent_id != '' OR epic_key != '')

-- set component_set: open flow items with a component
is_flow AND NOT discarded AND NOT is_done AND notEmpty(components)

-- set fix_version_set: open flow items with a fix version
is_flow AND NOT discarded AND NOT is_done AND notEmpty(fix_version_ids)

-- set skipped: done items that skipped In Progress
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND skipped

-- set no_resolution: done items without a resolution
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND resolution = ''

-- set restarted: done items that left To Do more than once
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND restarted

-- set unknown_status: done items that passed a status of unknown category
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND has_unknown

-- set worklog_after_done: done items with work logged after done
is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to} AND last_worklog_s > done_s

-- set open_resolved: open items that have a resolution
is_flow AND NOT discarded AND NOT is_done AND resolution != ''

-- Snapshot sets (at as_of) ----------------------------------------------------

-- set in_progress: flow items in an In Progress status (WIP)
is_flow AND NOT discarded AND cat_now = 'indeterminate'

-- set at_risk: … older (in day counts) than the scope's SLE
is_flow AND NOT discarded AND cat_now = 'indeterminate'
    AND ({e_day}[zi] - start_day + 1) > transform(concat(scope_kind, ':', scope), {sle_keys}, {sle_hist}, toFloat64(1e18))

-- set ready: ready backlog (backlog_readiness): open flow items in one of kpi.ready_status_ids, estimated (story points > 0), with no open blocker (bk_blocked: read over the planning source with the blocked state at as_of)
is_flow AND NOT discarded AND NOT is_done AND has({ready_status_ids}, status_now) AND ifNull(story_points, 0) > 0 AND bk_blocked = 0

-- set backlog: flow items in a To Do status
is_flow AND NOT discarded AND cat_now = 'new'

-- set backlog_over_180d: … created more than 180 days before E
is_flow AND NOT discarded AND cat_now = 'new' AND ({e_day}[zi] - created_day + 1) > 180

-- set stale: open items idle (not updated) longer than the stale limit of their status category
is_flow AND NOT discarded AND NOT is_done
    AND ((cat_now = 'new' AND ({as_of} - toInt64(updated)) >= {stale_todo_s})
        OR (cat_now != 'new' AND ({as_of} - toInt64(updated)) >= {stale_progress_s}))

-- Values ----------------------------------------------------------------------

-- value cycle_day_count: cycle time in day counts (done day − start day + 1, local days)
toFloat64(done_day - start_day + 1)

-- value cycle_days: cycle time in exact days
toFloat64(done_s - start_s) / 86400

-- value control_chart_days: time in the cycle_time_status_ids statuses, days
toFloat64(cc_s) / 86400

-- value lead_day_count: lead time in day counts (done day − created day + 1)
toFloat64(done_day - created_day + 1)

-- value lead_days: lead time in exact days
toFloat64(done_s - toInt64(created)) / 86400

-- value active_days: time in active statuses between start and done, days
toFloat64(active_s) / 86400

-- value total_days: start to done, days
toFloat64(done_s - start_s) / 86400

-- value linked_bugs: distinct bugs linked to the item or parented by it
toFloat64(linked_bugs)

-- value age_day_count: work item age in day counts at E
toFloat64({e_day}[zi] - start_day + 1)

-- value age_days: work item age in exact days at as_of
toFloat64({as_of} - start_s) / 86400

-- value backlog_day_count: age since creation in day counts at E
toFloat64({e_day}[zi] - created_day + 1)

-- value unresolved_days: age since creation in exact days at as_of
toFloat64({as_of} - toInt64(created)) / 86400
