-- Frozen baselines (kpis.md H, evm mode "effort"): `pmo kpi baseline`
-- freezes the open flow items of a project with their original estimates
-- and due dates; earned value (0/100 rule) is then measured against it.
--
-- Parameters: {scope} (a project scope "source/KEY"), {baseline} (its name),
-- {baseline_at} (the as-of instant it freezes), {created_at}, {version}
-- (the row version, Unix nanoseconds), {e_day} (E, the last complete local
-- day, days since 1970-01-01), {end} (the local midnight ending E).

-- model baseline_rows: the rows a new baseline stores: the project's open flow items at baseline_at with their estimates and due dates
SELECT {scope} AS scope, {baseline} AS name, {baseline_at} AS baseline_at, source, issue_id, key,
    ifNull(original_estimate_seconds, toInt64(0)) AS estimate_seconds, due_date, {created_at} AS created_at, toUInt64({version}) AS _version
FROM {{lifecycle}}
WHERE concat(source, '/', project_key) = {scope} AND is_flow AND NOT discarded AND NOT is_done

-- model baseline_issues: the issues of baseline {baseline} of {scope}
SELECT source, issue_id FROM kpi_baselines FINAL WHERE scope = {scope} AND name = {baseline}

-- model effort_evm: BAC = sum of the estimates; PV = of the baseline issues due on or before E; EV = of those done (not discarded) at as_of; AC = worklog hours on the baseline issues and their sub-tasks started before the end of E (hours)
SELECT n, bac, pv, ev, ac FROM (
    SELECT 1 AS k, count() AS n, sum(toFloat64(estimate_seconds)) / 3600 AS bac,
        sumIf(toFloat64(estimate_seconds), due_date IS NOT NULL AND toInt32(assumeNotNull(due_date)) <= {e_day}) / 3600 AS pv,
        sumIf(toFloat64(estimate_seconds), earned = 1) / 3600 AS ev
    FROM (
        SELECT source, issue_id, estimate_seconds, due_date FROM kpi_baselines FINAL WHERE scope = {scope} AND name = {baseline}
    ) AS b ANY LEFT JOIN (
        SELECT source, issue_id, toUInt8(is_done AND NOT discarded) AS earned FROM {{lifecycle}}
    ) AS l USING (source, issue_id)
) AS x ANY LEFT JOIN (
    SELECT 1 AS k, toFloat64(sum(seconds)) / 3600 AS ac FROM v_worklogs
    WHERE started < {end} AND ((source, issue_id) IN {{baseline_issues}}
        OR (source, issue_id) IN (SELECT source, id FROM v_issues WHERE type_class = 'subtask' AND (source, parent_id) IN {{baseline_issues}}))
) AS y USING (k)

-- model effort_evm_items: what effort_evm sums, one row per baseline issue: its estimate (BAC), whether it is due on or before E (PV), whether it is done and not discarded at as_of (EV), and the seconds logged on it and on its sub-tasks before the end of E (AC; a sub-task's time counts for its parent unless the sub-task is itself in the baseline)
SELECT key, estimate_seconds, planned, earned, ifNull(logged, toInt64(0)) AS logged_seconds FROM (
    SELECT source, issue_id, key, estimate_seconds, planned, earned FROM (
        SELECT source, issue_id, key, estimate_seconds,
            toUInt8(due_date IS NOT NULL AND toInt32(assumeNotNull(due_date)) <= {e_day}) AS planned
        FROM kpi_baselines FINAL WHERE scope = {scope} AND name = {baseline}
    ) AS b ANY LEFT JOIN (
        SELECT source, issue_id, toUInt8(is_done AND NOT discarded) AS earned FROM {{lifecycle}}
    ) AS l USING (source, issue_id)
) AS x ANY LEFT JOIN (
    SELECT source, owner AS issue_id, toInt64(sum(seconds)) AS logged FROM (
        SELECT source, multiIf((source, issue_id) IN {{baseline_issues}}, issue_id,
            type_class = 'subtask' AND (source, parent_id) IN {{baseline_issues}}, parent_id, '') AS owner, seconds
        FROM (SELECT source, issue_id, seconds FROM v_worklogs WHERE started < {end}) AS wl
        ANY LEFT JOIN (SELECT source, id AS issue_id, parent_id, type_class FROM v_issues) AS i USING (source, issue_id)
    ) WHERE owner != '' GROUP BY source, owner
) AS y USING (source, issue_id)
ORDER BY key
