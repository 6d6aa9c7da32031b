-- Daily WIP samples (kpis.md F4): each In Progress interval (a, b] of a flow
-- item (entered at a, left at b, or still there at as_of) makes the item WIP
-- at every sample instant t with a < t <= b. The model turns each interval
-- into +1 at its first covered sample and -1 after its last, per project;
-- internal/kpi/flow.go takes the running sum and rolls projects up to
-- programs, sources, teams and the portfolio (WIP counts are additive). Linear in
-- the number of intervals instead of items x samples.
--
-- Parameters: {samples} (the sample instants of every zone, Unix seconds, each as
-- zi * {zone_key} + instant, sorted: {n_samples} per zone, zone 1's first; an
-- interval counts its own zone's samples, and the k-th sample of every zone ends the
-- same day of its window, so the indices add up across zones, kpis.md C1),
-- {earliest} (items done before it cannot be WIP at any sample), {as_of_s}.

-- model wip_deltas: per project (and teams: kpi.teams) and sample index (1-based), the change of WIP at that sample
SELECT source, project_key, program, teams, idx, sum(delta) AS d FROM (
    SELECT source, project_key, program, teams, [i0, i1 + 1] AS idxs, [toInt64(1), toInt64(-1)] AS deltas FROM (
        -- "+ 0 * col": ClickHouse 18.16 prunes subquery columns that are
        -- referenced only inside a lambda; the plain reference keeps them.
        SELECT source, project_key, program, teams,
            arrayCount(x_t -> x_t <= k_from, {samples}) - (zi - 1) * {n_samples} + 1 + 0 * k_from AS i0,
            arrayCount(x_t -> x_t <= k_to, {samples}) - (zi - 1) * {n_samples} + 0 * k_to AS i1
        FROM (
            SELECT source, project_key, program, teams, zi, zi * {zone_key} + iv_from AS k_from, zi * {zone_key} + iv_to AS k_to, iv_cat
            FROM (SELECT * FROM {{lifecycle}} WHERE is_flow AND NOT discarded AND NOT (is_done AND done_s < {earliest}))
            ARRAY JOIN
                arrayConcat([toInt64(created)], arrayMap(x_a -> toInt64(x_a), ats)) AS iv_from,
                arrayPushBack(arrayMap(x_a -> toInt64(x_a), ats), toInt64({as_of_s})) AS iv_to,
                arrayConcat([init_cat], tcs) AS iv_cat
            WHERE iv_cat = 'indeterminate'
        )
    ) WHERE i0 <= i1
) ARRAY JOIN idxs AS idx, deltas AS delta
GROUP BY source, project_key, program, teams, idx
