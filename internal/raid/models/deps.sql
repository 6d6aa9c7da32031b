-- What internal/deps (the cross-team dependency matrix, graph and critical
-- chain) reads, over the relations of models/raid.sql and with its
-- parameters, plus:
--   {window_s}             the cycle-time window before as_of, in seconds

-- model open_links: every blocking link active at as_of whose two issues are open (not done) at as_of — From b blocks To x — with both issues' project, program, status category and due date in force (day number, 0 = none), and the days since the link was added (known 0: not recorded)
SELECT source, b_key, b_summary, b_url, b_project, b_program, b_cat, b_due, x_key, x_summary, x_url, x_project, x_program, x_cat, x_due,
    toUInt8(since_s > 0) AS known, if(since_s > 0, intDiv({as_of_s} - since_s, 86400), toInt64(0)) AS days_open
FROM (
    SELECT * FROM (
        SELECT * FROM {{active_links}} AS a
        ALL INNER JOIN (SELECT source, issue_id AS b_id, project_key AS b_project, program AS b_program, key AS b_key,
            summary AS b_summary, url AS b_url, cat_now AS b_cat, due_day AS b_due FROM {{issue_state}} WHERE cat_now != 'done') AS b USING (source, b_id)
    ) AS ab ALL INNER JOIN (SELECT source, issue_id AS x_id, project_key AS x_project, program AS x_program, key AS x_key,
        summary AS x_summary, url AS x_url, cat_now AS x_cat, due_day AS x_due FROM {{issue_state}} WHERE cat_now != 'done') AS x USING (source, x_id)
)
ORDER BY source, b_key, x_key

-- model issue_releases: every open issue at as_of with each of its fix versions that has a release date (YYYY-MM-DD; the versions the tracker lists now), with the issue's project, program, summary, url and status category
SELECT source, key, summary, url, project_key, program, cat_now, version, release_date, released
FROM (
    SELECT * FROM (
        SELECT source, issue_id, key, summary, url, project_key, program, cat_now FROM {{issue_state}} WHERE cat_now != 'done'
    ) AS s ALL INNER JOIN (SELECT source, id AS issue_id, arrayJoin(fix_version_ids) AS version_id FROM v_issues) AS i USING (source, issue_id)
) AS si ALL INNER JOIN (
    SELECT * FROM (SELECT source, id AS version_id, name AS version, ifNull(toString(release_date), '') AS release_date, released FROM v_versions)
    WHERE release_date != ''
) AS v USING (source, version_id)
ORDER BY source, version, key

-- model issue_sprints: every open issue at as_of in a sprint active at as_of (started, not completed), with that sprint's end (the latest when several; the sprints the tracker lists now)
SELECT source, key, max(end_s) AS sprint_end_s FROM (
    SELECT * FROM (
        SELECT source, issue_id, key FROM {{issue_state}} WHERE cat_now != 'done'
    ) AS s ALL INNER JOIN (SELECT source, id AS issue_id, arrayJoin(sprint_ids) AS sprint_id FROM v_issues) AS i USING (source, issue_id)
) AS si ALL INNER JOIN (
    SELECT source, id AS sprint_id, toInt64(assumeNotNull(`end`)) AS end_s FROM v_sprints
    WHERE start IS NOT NULL AND `end` IS NOT NULL AND assumeNotNull(start) <= {as_of} AND (complete IS NULL OR assumeNotNull(complete) > {as_of})
) AS sp USING (source, sprint_id)
GROUP BY source, key
ORDER BY source, key

-- model cycle_samples: per project, the cycle times in days of the flow items (kpi.flow_item_types, no sub-tasks) done in the window before as_of: from the first change into an in-progress status to the last change before as_of, which is into done; an item that never was in progress has none
SELECT source, project_key, arraySort(groupArray(ct)) AS cycle_days FROM (
    SELECT source, project_key, toFloat64(toInt64(at_n) - toInt64(st[1])) / 86400 AS ct FROM (
        SELECT source, project_key, arrayCount(x_a -> x_a < {as_of}, h_at) AS n, h_at[n] AS at_n, h_to_cat[n] AS cat_n,
            arrayFilter((x_a, x_c) -> x_c = 'indeterminate', arraySlice(h_at, 1, n), arraySlice(h_to_cat, 1, n)) AS st
        FROM (
            SELECT source, id AS issue_id, project_key FROM v_issues
            WHERE has({flow_types}, type) AND type_class != 'subtask' AND created < {as_of}
        ) AS i ALL INNER JOIN v_kpi_status_history AS h USING (source, issue_id)
    ) WHERE n > 0 AND cat_n = 'done' AND toInt64(at_n) >= {as_of_s} - {window_s} AND length(st) > 0
) GROUP BY source, project_key
ORDER BY source, project_key
