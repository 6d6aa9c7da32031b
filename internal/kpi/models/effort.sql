-- Effort (kpis.md R1 logged_hours, R2 utilization, R3 work_distribution):
-- worklogs attributed to the local day of their start (C10) in the window,
-- per scope, author and issue type. internal/kpi/planning.go (effort) turns
-- the hours into the KPIs.
--
-- Parameters: {w_from} {w_to} (the window, DateTime 'UTC'; the start per zone,
-- read {w_from}[zi]: models/lifecycle.sql), {keep_all} (1:
-- every scope) and {keep} (else the scope keys "kind:name" to compute).

-- model effort_hours: hours logged per scope, author and issue type in the window
SELECT scope_kind, scope, author_id, type, toFloat64(sum(seconds)) / 3600 AS h FROM (
    SELECT * FROM (
        SELECT source, issue_id, author_id, seconds, started FROM v_worklogs
        WHERE started >= arrayReduce('min', {w_from}) AND started < {w_to}
    ) AS wl ALL INNER JOIN (SELECT source, issue_id, type, zi, scope_kinds, scope_names FROM {{lifecycle}}) AS l USING (source, issue_id)
) ARRAY JOIN scope_kinds AS scope_kind, scope_names AS scope
WHERE started >= {w_from}[zi] AND scope != '' AND ({keep_all} = 1 OR has({keep}, concat(scope_kind, ':', scope)))
GROUP BY scope_kind, scope, author_id, type ORDER BY scope_kind, scope, author_id, type

-- model effort_worklogs: the worklogs effort_hours sums, one row each per scope kept: the issue, its type, the author, the seconds logged and when the work started
SELECT key, type, author_id, toInt64(seconds) AS seconds_n, toInt64(started) AS started_s FROM (
    SELECT * FROM (
        SELECT source, issue_id, id AS worklog_id, author_id, seconds, started FROM v_worklogs
        WHERE started >= arrayReduce('min', {w_from}) AND started < {w_to}
    ) AS wl ALL INNER JOIN (SELECT source, issue_id, key, type, zi, scope_kinds, scope_names FROM {{lifecycle}}) AS l USING (source, issue_id)
) ARRAY JOIN scope_kinds AS scope_kind, scope_names AS scope
WHERE started >= {w_from}[zi] AND scope != '' AND ({keep_all} = 1 OR has({keep}, concat(scope_kind, ':', scope)))
ORDER BY key, started_s, worklog_id
