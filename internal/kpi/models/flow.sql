-- Flow, quality, backlog and hygiene aggregates (kpis.md F1–F9, Q1–Q5,
-- B1–B3, G1–G2): per scope, the counts, sorted samples and sums of the sets
-- and values of models/populations.sql — the sets `pmo kpi explain` lists.
-- Percentiles (NR, R7), means and ratios are formed from these outputs in
-- Go by the same functions that recompute a value from its explanation.
--
-- Relations: {{rows}} the lifecycle rows of the scopes computed (one per
-- issue and scope it rolls up to); {{set_NAME}} and {{value_NAME}} the sets
-- and values of models/populations.sql.
-- Parameters: those of the populations (window, as-of, SLE per scope key),
-- and {sle_hist_days} (the F5 SLE per key, -1 without), {h_lo} (per zone: the day
-- before the forecast history), {prio_sep} (a separator).

-- model flow_window: the windowed flow KPIs of one window [w_from, w_to): throughput, cycle and lead time samples, SLE attainment, flow efficiency, arrivals, reopen rate, created vs resolved, escaped defects, bug time to resolve, data completeness, workflow consistency, defect ratio
SELECT scope_kind, scope,
    countIf({{set_done}}) AS tp,
    arraySort(groupArrayIf({{value_cycle_day_count}}, {{set_cycle}})) AS ct_dc_xs,
    arraySort(groupArrayIf({{value_cycle_days}}, {{set_cycle}})) AS ct_ex_xs,
    length(ct_dc_xs) AS ct_n,
    sumIf({{value_cycle_days}}, {{set_cycle}}) AS ct_ex_sum,
    sumIf({{value_control_chart_days}}, {{set_cycle}}) AS cc_sum,
    arraySort(groupArrayIf({{value_lead_day_count}}, {{set_done}})) AS lt_dc_xs,
    arraySort(groupArrayIf({{value_lead_days}}, {{set_done}})) AS lt_ex_xs,
    length(lt_dc_xs) AS lt_n,
    sumIf({{value_lead_days}}, {{set_done}}) AS lt_ex_sum,
    countIf({{set_sle_met}}) AS sle_ok,
    any(transform(concat(scope_kind, ':', scope), {sle_keys}, {sle_att}, toFloat64(-1))) AS sle_days,
    sumIf({{value_active_days}}, {{set_cycle}}) AS fe_active,
    sumIf({{value_total_days}}, {{set_cycle}}) AS fe_total,
    avgIf(active_s / (done_s - start_s), {{set_cycle}} AND done_s > start_s) AS fe_item,
    countIf({{set_cycle}} AND done_s > start_s) AS fe_item_n,
    countIf({{set_arrived}}) AS arrivals,
    countIf({{set_reopened}}) AS reopen_num,
    countIf({{set_entered_done}}) AS reopen_den,
    countIf({{set_created}}) AS created_n,
    countIf({{set_resolved}}) AS resolved_n,
    countIf({{set_bug_created}}) AS esc_den,
    countIf({{set_escaped}}) AS esc_num,
    arraySort(groupArrayIf({{value_lead_day_count}}, {{set_bug_done}})) AS ttr_dc_xs,
    arraySort(groupArrayIf({{value_lead_days}}, {{set_bug_done}})) AS ttr_ex_xs,
    length(ttr_dc_xs) AS ttr_n,
    sumIf({{value_lead_days}}, {{set_bug_done}}) AS ttr_ex_sum,
    countIf({{set_estimate_pop}}) AS est_pop,
    countIf({{set_estimate_set}}) AS est_ok,
    countIf({{set_assignee_pop}}) AS asg_pop,
    countIf({{set_assignee_set}}) AS asg_ok,
    countIf({{set_open}}) AS open_n,
    countIf({{set_due_date_set}}) AS due_ok,
    countIf({{set_parent_epic_set}}) AS par_ok,
    countIf({{set_component_set}}) AS cmp_ok,
    countIf({{set_fix_version_set}}) AS fv_ok,
    countIf({{set_skipped}}) AS wc_skipped,
    countIf({{set_no_resolution}}) AS wc_nores,
    countIf({{set_restarted}}) AS wc_restart,
    countIf({{set_unknown_status}}) AS wc_unknown,
    countIf({{set_worklog_after_done}}) AS wc_worklog,
    countIf({{set_open_resolved}}) AS wc_resopen,
    countIf({{set_story_done}}) AS stories,
    sumIf({{value_linked_bugs}}, {{set_story_done}}) AS linked
FROM {{rows}}
GROUP BY scope_kind, scope
ORDER BY scope_kind, scope

-- model bug_mttr_priority: bug_mttr by the priority in force when each bug was done (kpis.md Q4): per scope and priority (scope_priority = the scope, {prio_sep}, the priority), the sorted lead times of the bugs done in the window
SELECT scope_kind, scope_priority,
    arraySort(groupArray(lead_dc)) AS dc_xs,
    arraySort(groupArray(lead_ex)) AS ex_xs,
    length(dc_xs) AS n,
    sum(lead_ex) AS ex_sum
FROM (
    SELECT scope_kind, concat(scope, {prio_sep}, priority_done) AS scope_priority,
        {{value_lead_day_count}} AS lead_dc, {{value_lead_days}} AS lead_ex
    FROM {{rows}}
    WHERE {{set_bug_done}}
)
GROUP BY scope_kind, scope_priority
ORDER BY scope_kind, scope_priority

-- model sle_history: the history behind the SLE (kpis.md F5/F6): per scope, the sorted cycle-time day counts of the window's cycle items (the 12 weeks ending at as_of)
SELECT scope_kind, scope,
    arraySort(groupArrayIf({{value_cycle_day_count}}, {{set_cycle}})) AS xs,
    length(xs) AS n
FROM {{rows}}
GROUP BY scope_kind, scope
ORDER BY scope_kind, scope

-- model snapshot_now: the KPIs at as_of: wip, work_item_age, backlog_age, stale_ratio
SELECT scope_kind, scope,
    countIf({{set_in_progress}}) AS wip,
    uniqExactIf(assignee_id, {{set_in_progress}} AND assignee_id != '') AS wip_people,
    avgIf({{value_age_day_count}}, {{set_in_progress}}) AS age_dc_mean,
    avgIf({{value_age_days}}, {{set_in_progress}}) AS age_ex_mean,
    maxIf({{value_age_day_count}}, {{set_in_progress}}) AS age_dc_max,
    countIf({{set_at_risk}}) AS at_risk,
    any(transform(concat(scope_kind, ':', scope), {sle_keys}, {sle_hist_days}, toFloat64(-1))) AS sle_days,
    arraySort(groupArrayIf({{value_backlog_day_count}}, {{set_backlog}})) AS bl_xs,
    length(bl_xs) AS bl_n,
    countIf({{set_backlog_over_180d}}) AS bl_180,
    avgIf({{value_unresolved_days}}, {{set_open}}) AS unres_age,
    countIf({{set_open}}) AS open_n,
    countIf({{set_stale}}) AS stale_n
FROM {{rows}}
GROUP BY scope_kind, scope
ORDER BY scope_kind, scope

-- model forecast_history: monte_carlo_forecast (F9): per scope, the local done days of the flow items done in the mc_history_days days ending at E (h_lo, e_day], each as days before its zone's E (0 = E; a roll-up's history is the sum of its zones' daily counts), and the open backlog it forecasts
SELECT scope_kind, scope,
    groupArrayIf(toInt64(done_day) - {e_day}[zi], is_flow AND NOT discarded AND is_done AND done_day > {h_lo}[zi] AND done_day <= {e_day}[zi]) AS days,
    countIf(is_flow AND NOT discarded AND NOT is_done) AS backlog
FROM {{rows}}
GROUP BY scope_kind, scope
ORDER BY scope_kind, scope

-- model evm_agile: evm_spi, evm_cpi, evm_eac in mode agile (AgileEVM): per scope, the story points of the done flow items (done points) and the hours logged (actual cost when evm.hourly_rate prices it)
SELECT scope_kind, scope,
    sumIf(toFloat64(ifNull(story_points, 0)), is_flow AND NOT discarded AND is_done) AS pts,
    sum(toFloat64(spent_s)) / 3600 AS hrs
FROM {{rows}}
GROUP BY scope_kind, scope
ORDER BY scope_kind, scope
