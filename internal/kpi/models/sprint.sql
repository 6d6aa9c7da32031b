-- Sprint reports (kpis.md S1-S5): the sprints and, for the replay of sprint
-- membership, estimates and done-ness at any instant, every issue that was
-- ever in a sprint and its history (read as two flat queries, the issues
-- materialized once: folding the changes into arrays per issue in SQL cost
-- twice the CPU at 1M issues). The replay itself (membership at
-- sprint start and end, committed / added / removed / completed points)
-- runs over these rows in internal/kpi/sprint.go (replaySprint), because
-- it walks each issue's events in order once per sprint.
--
-- Parameters: {as_of} (the as-of instant); {status_ids}: 1 when a board's
-- Done column is configured by status ids (kpi.done_status_ids), else 0 —
-- then done-ness is the status category, and only the status changes that
-- change it are read.

-- model sprints: the active and closed sprints with their board, project and program
SELECT source, id, board_id, board, name, state, start, activated, `end`, complete, project_key, program FROM (
    SELECT * FROM (
        SELECT * FROM (SELECT source, id, board_id, name, state, start, activated, `end`, complete FROM v_sprints WHERE state IN ('active', 'closed')) AS s
        ANY LEFT JOIN (SELECT source, id AS board_id, name AS board, project_id FROM v_boards) AS b USING (source, board_id)
    ) AS sb ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key, category AS program FROM v_projects) AS p USING (source, project_id)
) ORDER BY source, board_id, id

-- model sprint_issues: each issue ever in a sprint before as_of (not sub-tasks): it has a sprint change, or its current sprint field is set (an issue created straight into a sprint has no sprint change)
SELECT source, id AS issue_id, key, toInt64(created) AS created_s, story_points, sprint_ids, status_id, status_category
FROM v_issues
WHERE type_class != 'subtask' AND created < {as_of}
    AND (notEmpty(sprint_ids) OR (source, id) IN (SELECT source, issue_id FROM v_changes WHERE change_kind = 'sprint' AND at < {as_of}))

-- model sprint_issues_ordered: the rows of {{sprint_issues}} ordered by (source, issue_id), like sprint_issue_events
SELECT * FROM {{sprint_issues}} ORDER BY source, issue_id

-- model sprint_issue_events: the status, sprint and story-point changes before as_of of the issues of {{sprint_issues}}, one row each, ordered by (source, issue_id) only (the replay sorts each issue's changes in history order: instant, change id, item); the kind as 1 status, 2 sprint, 3 story_points and the categories as done flags (all the replay reads of them), so that a million rows decode without a string each. Without {status_ids} a status change that keeps the issue done or not done is left out and a status change carries no ids: done-ness between two such changes is constant, so the replay's answer is the same.
SELECT source, issue_id, toInt64(at) AS at_s, toInt64(toUInt64OrZero(change_id)) AS cid, toInt64(item) AS item_n,
    toInt64(indexOf(['status', 'sprint', 'story_points'], change_kind)) AS kind_n,
    if(kind_n = 1 AND {status_ids} = 0, '', if(`from` != '', `from`, from_string)) AS v_from,
    if(kind_n = 1 AND {status_ids} = 0, '', if(`to` != '', `to`, to_string)) AS v_to,
    toInt64(from_category = 'done') AS from_done, toInt64(to_category = 'done') AS to_done
FROM v_changes
WHERE at < {as_of} AND change_kind IN ('status', 'sprint', 'story_points')
    AND ({status_ids} = 1 OR change_kind != 'status' OR (from_category = 'done') != (to_category = 'done'))
    AND (source, issue_id) IN (SELECT source, issue_id FROM {{sprint_issues}})
ORDER BY source, issue_id
