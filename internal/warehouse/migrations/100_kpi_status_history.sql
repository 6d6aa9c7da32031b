-- internal/kpi: each issue's status history, derived once (kpis.md C3/C4).
-- One row per issue with its status transitions as parallel arrays sorted by
-- instant (ties by changelog item). Categories come from the changelog rows
-- (stored at ingest, C3); an unknown or missing category is treated as
-- indeterminate and flagged in has_unknown. The KPI engine cuts the arrays at
-- as_of, so the view does not depend on the evaluation instant.
CREATE VIEW IF NOT EXISTS {{.DB}}.v_kpi_status_history{{.OnCluster}} AS
SELECT
    source,
    issue_id,
    arraySort((x, k) -> k, groupArray(at), groupArray(sort_key)) AS h_at,
    arraySort((x, k) -> k, groupArray(from_id), groupArray(sort_key)) AS h_from_id,
    arraySort((x, k) -> k, groupArray(to_id), groupArray(sort_key)) AS h_to_id,
    arraySort((x, k) -> k, groupArray(from_cat), groupArray(sort_key)) AS h_from_cat,
    arraySort((x, k) -> k, groupArray(to_cat), groupArray(sort_key)) AS h_to_cat,
    max(unknown_cat) AS has_unknown
FROM
(
    SELECT
        source,
        issue_id,
        at,
        toInt64(at) * 100000 + toInt64(item) AS sort_key,
        `from` AS from_id,
        `to` AS to_id,
        if(from_category IN ('new', 'indeterminate', 'done'), from_category, 'indeterminate') AS from_cat,
        if(to_category IN ('new', 'indeterminate', 'done'), to_category, 'indeterminate') AS to_cat,
        toUInt8(NOT (from_category IN ('new', 'indeterminate', 'done') AND to_category IN ('new', 'indeterminate', 'done'))) AS unknown_cat
    FROM {{.DB}}.v_changes
    WHERE field_id = 'status' OR (field_id = '' AND lower(field) = 'status')
)
GROUP BY source, issue_id;
