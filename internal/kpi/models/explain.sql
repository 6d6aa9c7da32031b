-- What `pmo kpi explain` lists for the KPIs whose items are not population
-- sets of models/populations.sql: the rows of one scope ({{scoped}}, the
-- lifecycle or planning source cut to the scope explained), with the
-- columns the explanation shows per item, and the zone its days are
-- counted in (zi_n: models/lifecycle.sql).
--
-- Parameters: {risk_types} (kpi.risk_types).

-- model explain_forecast: monte_carlo_forecast (F9): the flow items whose done days make the throughput history, and the open ones it forecasts
SELECT key, is_done, start_s, done_s, toInt64(done_day) AS done_day_n, cat_now, toInt64(zi) AS zi_n FROM {{scoped}}
WHERE is_flow AND NOT discarded ORDER BY key

-- model explain_risks: risk_exposure (K1): the open risks with their priority (severity), created day and last update
SELECT key, priority, toInt64(created_day) AS created_day_n, toInt64(updated) AS updated_s, toInt64(zi) AS zi_n FROM {{scoped}}
WHERE has({risk_types}, type) AND NOT is_done ORDER BY key

-- model explain_history: due_date_adherence, estimation_accuracy, blocked_ratio, overdue_ratio: each issue with the values replayed from the changelog (the due date at completion and the baseline, the estimate at start with the sub-task roll-up, the blocked state and the due date at as_of)
SELECT key, is_flow, discarded, is_done, started, cat_now, start_s, done_s, toInt64(done_day) AS done_day_n,
    toInt64(due_done) AS due_done_n, toInt64(due_base) AS due_base_n, toInt64(due_changes) AS due_changes_n,
    toInt64(est_start) AS est_start_n, toInt64(sub_est) AS sub_est_n, toInt64(ifNull(spent_s, 0)) AS spent_n, toInt64(sub_spent_s) AS sub_spent_n,
    toInt64(bk_blocked) AS blocked_n, toInt64(countEqual(bk_projs, project_key) < length(bk_projs)) AS cross_project_n,
    toInt64(bk_since) AS blocked_since_s, toInt64(bk_unknown) AS blocked_unknown_n, toInt64(due_asof) AS due_asof_n, toInt64(zi) AS zi_n
FROM {{scoped}} ORDER BY key

-- model explain_evm_agile: evm_spi, evm_cpi, evm_eac in mode agile (AgileEVM): the done flow items whose story points are the done points (EV), and the issues whose logged time makes the actual cost when evm.hourly_rate prices it (AC)
SELECT key, toUInt8(is_flow AND NOT discarded AND is_done) AS done_flow, toFloat64(ifNull(story_points, 0)) AS points,
    toInt64(ifNull(spent_s, 0)) AS spent_n
FROM {{scoped}}
WHERE (is_flow AND NOT discarded AND is_done) OR ifNull(spent_s, 0) > 0 ORDER BY key

-- model explain_backlog_ready: backlog_readiness (B4): the ready items of {{scoped}} (the planning source with the blocked state, cut to the scope explained) — the rows of the set {{ready}} of models/populations.sql — with their story points
SELECT key, toFloat64(ifNull(story_points, 0)) AS points FROM {{scoped}}
WHERE {{ready}} ORDER BY key
