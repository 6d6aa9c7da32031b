-- Planning, risk and dependency aggregates (kpis.md P1, P3, K1–K3, B4) over
-- the planning source: the lifecycle rows with the values replayed from the
-- changelog (history.sql: due date at completion due_done, first due date
-- due_base, due-date changes, estimate at start est_start with the sub-task
-- roll-up sub_est / sub_spent_s, due date in force at as_of due_asof) and,
-- for the snapshot, the blocked state at as_of (bk_*). Ratios and
-- percentiles are formed in Go from these outputs.
--
-- Relations: {{rows}} those rows cut to the scopes computed; {{set_ready}}
-- the set ready of models/populations.sql.
-- Parameters: {w_from} {w_to} (the window; the start per zone), {e_day} (per zone: E, the last complete
-- local day), {as_of_s}, {risk_types}, {severity_names} {severity_weights}
-- (kpi.risk_severity_weights by priority name), {high_w} {top_w} (the
-- weight of High, else the top one; the top weight), {stale_s} (a risk not
-- updated for this long is unreviewed), {ready_status_ids}.

-- model planning_window: due_date_adherence (P1) and estimation_accuracy (P3) of the flow items done in the window: against the due date in force at completion and the first due date (with its number of changes), and spent / estimate at start
SELECT scope_kind, scope,
    countIf(due) AS dd_pop,
    countIf(due AND done_day <= due_done) AS dd_ok,
    arraySort(groupArrayIf(toFloat64(done_day - due_done), due AND done_day > due_done)) AS late_xs,
    length(late_xs) AS late_n,
    countIf(bdue) AS bd_pop,
    countIf(bdue AND done_day <= due_base) AS bd_ok,
    sumIf(due_changes, bdue) AS bd_chg,
    arraySort(groupArrayIf(toFloat64(done_day - due_base), bdue AND done_day > due_base)) AS blate_xs,
    length(blate_xs) AS blate_n,
    arraySort(groupArrayIf(toFloat64(spent) / est, ea)) AS ea_xs,
    length(ea_xs) AS ea_n,
    sumIf(toFloat64(spent), ea) AS ea_spent,
    sumIf(est, ea) AS ea_est,
    countIf(ea AND toFloat64(spent) / est >= 0.8 AND toFloat64(spent) / est <= 1.25) AS ea_band
FROM (
    SELECT scope_kind, scope, done_day, due_done, due_base, due_changes, spent, est,
        (dw AND due_done != 0) AS due, (dw AND due_base != 0) AS bdue, (dw AND spent > 0 AND est > 0) AS ea
    FROM (
        SELECT scope_kind, scope, done_day, due_done, due_base, due_changes,
            toInt64(ifNull(spent_s, 0)) + sub_spent_s AS spent,
            toFloat64(if(est_start > 0, est_start, sub_est)) AS est,
            (is_flow AND NOT discarded AND is_done AND done_s >= {w_from}[zi] AND done_s < {w_to}) AS dw
        FROM {{rows}}
    )
)
GROUP BY scope_kind, scope
ORDER BY scope_kind, scope

-- model risks_now: at as_of: overdue_ratio (K2, open flow items past the due date in force), blocked_ratio (K3, open flow items with an open blocker; days blocked; cross-project share), the ready points of backlog_readiness (B4) and risk_exposure (K1, open issues of the risk types weighted by the severity of their priority, aged and unreviewed ones)
SELECT scope_kind, scope,
    countIf(k_open AND due_asof != 0) AS od_pop,
    countIf(k_overdue) AS od_n,
    arraySort(groupArrayIf(toFloat64({e_day}[zi] - due_asof), k_overdue)) AS od_xs,
    countIf(k_open) AS open_n,
    countIf(k_blocked) AS blocked_n,
    countIf(k_blocked AND countEqual(bk_projs, project_key) < length(bk_projs)) AS blocked_x,
    countIf(k_open AND cat_now = 'indeterminate') AS blocked_wip,
    countIf(k_blocked AND cat_now = 'indeterminate') AS blocked_wip_n,
    arraySort(groupArrayIf(toFloat64({as_of_s} - bk_since) / 86400, k_blocked AND bk_unknown = 0 AND bk_since > 0)) AS bd_xs,
    length(bd_xs) AS bd_n,
    sumIf(ifNull(story_points, 0), {{set_ready}}) AS ready_pts,
    countIf({{set_ready}}) AS ready_n,
    countIf(k_risk) AS rk_n,
    sumIf(k_severity, k_risk) AS rk_exp,
    countIf(k_risk AND k_severity >= {high_w} AND k_age > 30) AS rk_high_aged,
    countIf(k_risk AND k_severity >= {top_w} AND k_age > 30) AS rk_top_aged,
    countIf(k_risk AND k_severity >= {high_w} AND k_age > 60) AS rk_high_60,
    countIf(k_risk AND ({as_of_s} - toInt64(updated)) >= {stale_s}) AS rk_stale
FROM (
    SELECT *,
        (is_flow AND NOT discarded AND NOT is_done) AS k_open,
        (is_flow AND NOT discarded AND NOT is_done AND due_asof != 0 AND due_asof <= {e_day}[zi]) AS k_overdue,
        (is_flow AND NOT discarded AND NOT is_done AND bk_blocked = 1) AS k_blocked,
        (has({risk_types}, type) AND NOT is_done) AS k_risk,
        transform(priority, {severity_names}, {severity_weights}, toFloat64(0)) AS k_severity,
        ({e_day}[zi] - created_day + 1) AS k_age
    FROM {{rows}}
)
GROUP BY scope_kind, scope
ORDER BY scope_kind, scope
