-- internal/kpi: v_kpi_values reads each value's latest computation as one
-- tuple. argMax over a Nullable column skips NULLs, so a value recomputed
-- as NULL (or a RAG no longer rated) kept showing the earlier number; a
-- tuple is never NULL, so the latest row wins whatever it holds.
DROP TABLE IF EXISTS {{.DB}}.v_kpi_values{{.OnCluster}};
CREATE VIEW IF NOT EXISTS {{.DB}}.v_kpi_values{{.OnCluster}} AS
SELECT
    scope_kind,
    scope,
    kpi,
    window,
    labels,
    as_of,
    tupleElement(last, 1) AS value,
    tupleElement(last, 2) AS n,
    tupleElement(last, 3) AS computed_at,
    tupleElement(last, 4) AS rag
FROM
(
    SELECT scope_kind, scope, kpi, window, labels, as_of, argMax(tuple(value, n, computed_at, rag), _version) AS last
    FROM {{gather "kpi_values"}}
    GROUP BY scope_kind, scope, kpi, window, labels, as_of
);
