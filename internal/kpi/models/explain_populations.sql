-- What `pmo kpi explain` lists for the KPIs defined by the sets of
-- models/populations.sql: one model per KPI, the rows of {{rows}} (the
-- lifecycle rows, cut to the scopes explained) that are in any of the KPI's
-- sets, each with its key first (a drill-down table lists issues), its
-- instants, its scope key, a flag per set (in_NAME) and the values it
-- contributes (v_NAME). `pmo kpi sql KPI` prints the model
-- bound for one scope; the report reads it once for every scope.
--
-- Relations: {{rows}}; {{set_NAME}} and {{value_NAME}} of
-- models/populations.sql. Parameters: the populations'.

-- model population_throughput: throughput (F1): flow items done in the window
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_done}}) AS in_done
FROM {{rows}}
WHERE {{set_done}}
ORDER BY scope_key, key

-- model population_cycle_time: cycle_time (F2): the cycle items with their day count, exact days and time in the control-chart statuses
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_cycle}}) AS in_cycle,
    {{value_cycle_day_count}} AS v_cycle_day_count,
    {{value_cycle_days}} AS v_cycle_days,
    {{value_control_chart_days}} AS v_control_chart_days
FROM {{rows}}
WHERE {{set_cycle}}
ORDER BY scope_key, key

-- model population_lead_time: lead_time (F3): the done flow items with their lead time
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_done}}) AS in_done,
    {{value_lead_day_count}} AS v_lead_day_count,
    {{value_lead_days}} AS v_lead_days
FROM {{rows}}
WHERE {{set_done}}
ORDER BY scope_key, key

-- model population_bug_mttr: bug_mttr (Q4): the bugs done in the window with their time to resolve (and the priority they had when done)
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_bug_done}}) AS in_bug_done,
    {{value_lead_day_count}} AS v_lead_day_count,
    {{value_lead_days}} AS v_lead_days
FROM {{rows}}
WHERE {{set_bug_done}}
ORDER BY scope_key, key

-- model population_sle_attainment: sle_attainment (F6): the cycle items, and those within the scope's SLE
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_cycle}}) AS in_cycle,
    toUInt8({{set_sle_met}}) AS in_sle_met,
    {{value_cycle_day_count}} AS v_cycle_day_count
FROM {{rows}}
WHERE {{set_cycle}}
    OR {{set_sle_met}}
ORDER BY scope_key, key

-- model population_flow_efficiency: flow_efficiency (F7): the cycle items with their active and total days
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_cycle}}) AS in_cycle,
    {{value_active_days}} AS v_active_days,
    {{value_total_days}} AS v_total_days
FROM {{rows}}
WHERE {{set_cycle}}
ORDER BY scope_key, key

-- model population_arrival_departure_ratio: arrival_departure_ratio (F8): the flow items started (arrivals) and done (departures) in the window
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_arrived}}) AS in_arrived,
    toUInt8({{set_done}}) AS in_done
FROM {{rows}}
WHERE {{set_arrived}}
    OR {{set_done}}
ORDER BY scope_key, key

-- model population_reopen_rate: reopen_rate (Q3): the flow items that entered done in the window, and those reopened
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_entered_done}}) AS in_entered_done,
    toUInt8({{set_reopened}}) AS in_reopened
FROM {{rows}}
WHERE {{set_entered_done}}
    OR {{set_reopened}}
ORDER BY scope_key, key

-- model population_created_vs_resolved: created_vs_resolved (B2): the flow items created, and those resolved, in the window
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_created}}) AS in_created,
    toUInt8({{set_resolved}}) AS in_resolved
FROM {{rows}}
WHERE {{set_created}}
    OR {{set_resolved}}
ORDER BY scope_key, key

-- model population_escaped_defect_rate: escaped_defect_rate (Q2): the bugs created in the window, and those that escaped
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_bug_created}}) AS in_bug_created,
    toUInt8({{set_escaped}}) AS in_escaped
FROM {{rows}}
WHERE {{set_bug_created}}
    OR {{set_escaped}}
ORDER BY scope_key, key

-- model population_defect_ratio: defect_ratio (Q1): the non-bug flow items done in the window with their linked bugs
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_story_done}}) AS in_story_done,
    {{value_linked_bugs}} AS v_linked_bugs
FROM {{rows}}
WHERE {{set_story_done}}
ORDER BY scope_key, key

-- model population_field_completeness: field_completeness (G1): each field's population and the items that have it filled (estimate: which estimate made it count)
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_estimate_pop}}) AS in_estimate_pop,
    toUInt8({{set_estimate_set}}) AS in_estimate_set,
    toUInt8({{set_assignee_pop}}) AS in_assignee_pop,
    toUInt8({{set_assignee_set}}) AS in_assignee_set,
    toUInt8({{set_open}}) AS in_open,
    toUInt8({{set_due_date_set}}) AS in_due_date_set,
    toUInt8({{set_parent_epic_set}}) AS in_parent_epic_set,
    toUInt8({{set_component_set}}) AS in_component_set,
    toUInt8({{set_fix_version_set}}) AS in_fix_version_set,
    toUInt8(story_points IS NOT NULL) AS has_story_points,
    toFloat64(ifNull(story_points, 0)) AS v_story_points,
    toUInt8(original_estimate_seconds IS NOT NULL) AS has_original_estimate,
    toInt64(ifNull(original_estimate_seconds, 0)) AS v_original_estimate_seconds
FROM {{rows}}
WHERE {{set_estimate_pop}}
    OR {{set_estimate_set}}
    OR {{set_assignee_pop}}
    OR {{set_assignee_set}}
    OR {{set_open}}
    OR {{set_due_date_set}}
    OR {{set_parent_epic_set}}
    OR {{set_component_set}}
    OR {{set_fix_version_set}}
ORDER BY scope_key, key

-- model population_wip: wip (F4): the flow items in progress at as_of with their age
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_in_progress}}) AS in_in_progress,
    {{value_age_day_count}} AS v_age_day_count,
    {{value_age_days}} AS v_age_days
FROM {{rows}}
WHERE {{set_in_progress}}
ORDER BY scope_key, key

-- model population_work_item_age: work_item_age (F5): the flow items in progress with their age, and those older than the SLE
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_in_progress}}) AS in_in_progress,
    toUInt8({{set_at_risk}}) AS in_at_risk,
    {{value_age_day_count}} AS v_age_day_count,
    {{value_age_days}} AS v_age_days
FROM {{rows}}
WHERE {{set_in_progress}}
    OR {{set_at_risk}}
ORDER BY scope_key, key

-- model population_backlog_age: backlog_age (B1): the flow items in a To Do status with their age, those over 180 days, and the open items
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_backlog}}) AS in_backlog,
    toUInt8({{set_backlog_over_180d}}) AS in_backlog_over_180d,
    toUInt8({{set_open}}) AS in_open,
    {{value_backlog_day_count}} AS v_backlog_day_count,
    {{value_unresolved_days}} AS v_unresolved_days
FROM {{rows}}
WHERE {{set_backlog}}
    OR {{set_backlog_over_180d}}
    OR {{set_open}}
ORDER BY scope_key, key

-- model population_stale_ratio: stale_ratio (B3): the open flow items and the stale ones
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_open}}) AS in_open,
    toUInt8({{set_stale}}) AS in_stale,
    {{value_unresolved_days}} AS v_unresolved_days
FROM {{rows}}
WHERE {{set_open}}
    OR {{set_stale}}
ORDER BY scope_key, key

-- model population_workflow_consistency: workflow_consistency (G2): the done items and each inconsistency class among them, the open items and those with a resolution
SELECT key, started, is_done, start_s, done_s, priority_done, assignee_id, concat(scope_kind, ':', scope) AS scope_key,
    toUInt8({{set_done}}) AS in_done,
    toUInt8({{set_skipped}}) AS in_skipped,
    toUInt8({{set_no_resolution}}) AS in_no_resolution,
    toUInt8({{set_restarted}}) AS in_restarted,
    toUInt8({{set_unknown_status}}) AS in_unknown_status,
    toUInt8({{set_worklog_after_done}}) AS in_worklog_after_done,
    toUInt8({{set_open}}) AS in_open,
    toUInt8({{set_open_resolved}}) AS in_open_resolved
FROM {{rows}}
WHERE {{set_done}}
    OR {{set_skipped}}
    OR {{set_no_resolution}}
    OR {{set_restarted}}
    OR {{set_unknown_status}}
    OR {{set_worklog_after_done}}
    OR {{set_open}}
    OR {{set_open_resolved}}
ORDER BY scope_key, key
