-- Sprint reports (kpis.md S1-S5): the sprints and, for the replay of sprint
-- membership, estimates and done-ness at any instant, every issue that was
-- ever in a sprint with its history. The replay itself (membership at
-- sprint start and end, committed / added / removed / completed points)
-- runs over these rows in internal/kpi/sprint.go (replaySprint), because
-- it walks each issue's events in order once per sprint.
--
-- Parameters: {as_of} (the as-of instant).

-- model sprints: the active and closed sprints with their board, project and program
SELECT source, id, board_id, board, name, state, start, activated, `end`, complete, project_key, program FROM (
    SELECT * FROM (
        SELECT * FROM (SELECT source, id, board_id, name, state, start, activated, `end`, complete FROM v_sprints WHERE state IN ('active', 'closed')) AS s
        ANY LEFT JOIN (SELECT source, id AS board_id, name AS board, project_id FROM v_boards) AS b USING (source, board_id)
    ) AS sb ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key, category AS program FROM v_projects) AS p USING (source, project_id)
) ORDER BY source, board_id, id

-- model sprint_issues: each issue ever in a sprint before as_of (not sub-tasks) — it has a sprint change, or its current sprint field is set (an issue created straight into a sprint has no sprint change) — with its status, sprint and story-point changes before as_of folded into parallel arrays (unsorted: the replay sorts them in history order)
SELECT source, issue_id, key, toInt64(created) AS created_s, story_points, sprint_ids, status_id, status_category,
    e_at, e_cid, e_item, e_kind, e_from, e_to, e_fc, e_tc
FROM (
    SELECT * FROM (
        SELECT source, id AS issue_id, key, created, story_points, sprint_ids, status_id, status_category
        FROM v_issues WHERE type_class != 'subtask' AND created < {as_of}
    ) AS i ANY LEFT JOIN (
        SELECT source, issue_id,
            groupArray(at_s) AS e_at,
            groupArray(cid) AS e_cid,
            groupArray(item_n) AS e_item,
            groupArray(change_kind) AS e_kind,
            groupArray(v_from) AS e_from,
            groupArray(v_to) AS e_to,
            groupArray(from_category) AS e_fc,
            groupArray(to_category) AS e_tc
        FROM (
            SELECT source, issue_id, toInt64(at) AS at_s, toInt64(toUInt64OrZero(change_id)) AS cid, toInt64(item) AS item_n, change_kind,
                if(`from` != '', `from`, from_string) AS v_from, if(`to` != '', `to`, to_string) AS v_to, from_category, to_category
            FROM v_changes
            WHERE at < {as_of} AND change_kind IN ('status', 'sprint', 'story_points')
        )
        GROUP BY source, issue_id
    ) AS c USING (source, issue_id)
) WHERE notEmpty(sprint_ids) OR has(e_kind, 'sprint')
