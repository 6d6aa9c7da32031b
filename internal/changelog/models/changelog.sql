-- The change log's rows, over the warehouse views the KPI engine reads, in
-- its tracker-neutral vocabulary: history by change_kind (model.ChangeKind),
-- a change's value in from/to or from_string/to_string. The models read raw
-- rows; Go (changelog.go) replays each issue's sprint membership and
-- estimate in history order (the instant, the change id as a number, the
-- item) and keeps the changes a PMO must see.
--
-- Each "-- model NAME" below is one SELECT; {{name}} stands for another
-- model's SELECT in parentheses; {name} is a parameter bound as a literal.
--
-- Parameters:
--   {from} {to}   the period [from, to) (DateTime 'UTC')

-- model issues: the issues with a change of a logged kind in the period or created in it, with project, program, reporter, current sprints and fix versions, story points and whether those are set
SELECT source, issue_id, key, summary, url, project_key, program, reporter_id, created_s, sprint_ids, fix_version_ids,
    toUInt8(isNotNull(story_points)) AS sp_set, ifNull(story_points, toFloat64(0)) AS sp
FROM (
    SELECT source, id AS issue_id, key, summary, url, project_id, project_key, reporter_id, toInt64(created) AS created_s,
        sprint_ids, fix_version_ids, story_points
    FROM v_issues
    WHERE type_class != 'subtask' AND created < {to} AND (created >= {from} OR (source, id) IN (
        SELECT source, issue_id FROM v_changes
        WHERE at >= {from} AND at < {to} AND change_kind IN ('sprint', 'fix_version', 'due_date', 'priority', 'story_points')))
) AS i ANY LEFT JOIN (SELECT source, id AS project_id, category AS program FROM v_projects) AS p USING (source, project_id)

-- model history: the sprint, fix-version, due-date, priority and story-point changes before the period's end of the issues of {{issues}}, with their author
SELECT source, issue_id, toInt64(at) AS at_s, toInt64(toUInt64OrZero(change_id)) AS cid, change_id, toInt64(item) AS item,
    author_id, change_kind, `from`, from_string, `to`, to_string
FROM v_changes
WHERE at < {to} AND change_kind IN ('sprint', 'fix_version', 'due_date', 'priority', 'story_points')
    AND (source, issue_id) IN (SELECT source, issue_id FROM {{issues}})

-- model people: display names by account id, from the issues' assignees and reporters and the assignee changes
SELECT source, id, any(name) AS name FROM (
    SELECT source, assignee_id AS id, assignee AS name FROM v_issues WHERE assignee_id != '' AND assignee != ''
    UNION ALL
    SELECT source, reporter_id AS id, reporter AS name FROM v_issues WHERE reporter_id != '' AND reporter != ''
    UNION ALL
    SELECT source, `to` AS id, to_string AS name FROM v_changes WHERE change_kind = 'assignee' AND `to` != '' AND to_string != ''
) GROUP BY source, id

-- model sprints: every sprint with its start (the activated instant, else the planned start; 0 = not started) and completion (0 = none)
SELECT source, id, name,
    if(isNotNull(activated), toInt64(assumeNotNull(activated)), if(isNotNull(start), toInt64(assumeNotNull(start)), toInt64(0))) AS start_s,
    if(isNotNull(complete), toInt64(assumeNotNull(complete)), toInt64(0)) AS complete_s
FROM v_sprints

-- model versions: every version with its project, program and start date (civil day number, 0 = none)
SELECT source, id, name, project_key, program, if(isNull(start_date), toInt64(0), toInt64(toInt32(assumeNotNull(start_date)))) AS start_day
FROM (SELECT source, id, name, project_id, start_date FROM v_versions) AS v
ANY LEFT JOIN (SELECT source, id AS project_id, key AS project_key, category AS program FROM v_projects) AS p USING (source, project_id)

-- model version_dates: each observation of a version's release date before the period's end (the collections' snapshots of the versions table; civil day number, 0 = none), in observation order
SELECT source, id, toInt64(observed_at) AS observed_s, if(isNull(release_date), toInt64(0), toInt64(toInt32(assumeNotNull(release_date)))) AS release_day
FROM versions
WHERE observed_at < {to}
ORDER BY source, id, observed_s

-- model version_members: the issues each version observed in the period holds (current fix versions), by key: a release-date move concerns their teams
SELECT source, version_id, key
FROM (SELECT source, key, fix_version_ids FROM v_issues WHERE notEmpty(fix_version_ids)) ARRAY JOIN fix_version_ids AS version_id
WHERE (source, version_id) IN (SELECT source, id FROM versions WHERE observed_at >= {from} AND observed_at < {to})
