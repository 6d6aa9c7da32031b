-- scope_growth (kpis.md P4) per fix version with a start date on or before
-- as_of: (scope(as_of) - scope(t_b)) / scope(t_b), t_b = local midnight
-- starting the version's start date, scope(t) = the story points at t
-- (variant=points) or the number of issues (variant=count) of the
-- non-discarded, non-sub-task issues created before t that are in the
-- version at t. Membership and points at t are replayed from the
-- fix_version and story_points changes (kpis.md C9) in internal/kpi/
-- scopegrowth.go for the issues that have such changes; the others are
-- summed here, their current values holding at both instants.
--
-- Parameters:
--   {version_keys}  the versions started by as_of, keyed "<len(source)>:<source><version id>", and
--   {version_tbs}   their t_b in Unix seconds
--
-- When explaining, every issue goes through the replay (which gives the
-- same sums issue by issue): sg_all_issues then stands for sg_with_history.

-- model sg_versions: the versions with a start date
SELECT source, id, name, toString(assumeNotNull(start_date)) AS start FROM v_versions WHERE start_date IS NOT NULL

-- model sg_changes: the story-point and fix-version changes, in history order per issue (all issues': the replay looks up only the candidates', and filtering here cost more than it saved)
SELECT source, issue_id, change_kind, toInt64(at) AS at_s, if(`from` != '', `from`, from_string) AS v_from, if(`to` != '', `to`, to_string) AS v_to
FROM v_changes WHERE change_kind IN ('story_points', 'fix_version')
ORDER BY source, issue_id, toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item)

-- model sg_with_history: the issues whose fix versions or story points changed
SELECT source, issue_id FROM v_changes WHERE change_kind IN ('fix_version', 'story_points')

-- model sg_all_issues: every issue (explaining: all go through the replay)
SELECT source, issue_id FROM {{lifecycle}}

-- model sg_static: per scope and version, the count and points now and at t_b of the candidates without history
SELECT scope_kind, scope, source, fv, toInt64(count()) AS now_n, toFloat64(sum(pts)) AS now_pts,
    toInt64(countIf(created_s < tb)) AS base_n, toFloat64(sumIf(pts, created_s < tb)) AS base_pts
FROM (
    SELECT scope_kind, scope, source, fv, pts, created_s,
        transform(concat(toString(length(source)), ':', source, fv), {version_keys}, {version_tbs}, toInt64(-1)) AS tb
    FROM (
        SELECT scope_kinds, scope_names, source, toInt64(created) AS created_s, toFloat64(ifNull(story_points, 0)) AS pts,
            arrayJoin(fix_version_ids) AS fv
        FROM {{lifecycle}}
        WHERE type_class != 'subtask' AND NOT discarded AND notEmpty(fix_version_ids)
            AND (source, issue_id) NOT IN {{sg_with_history}}
    ) ARRAY JOIN scope_kinds AS scope_kind, scope_names AS scope
) WHERE tb >= 0 GROUP BY scope_kind, scope, source, fv

-- model sg_replayed: the candidates with history, replayed in Go
SELECT scope_kinds, scope_names, source, issue_id, key, toInt64(created) AS created_s, story_points, fix_version_ids
FROM {{lifecycle}}
WHERE type_class != 'subtask' AND NOT discarded AND (source, issue_id) IN {{sg_with_history}}
