-- internal/kpi: the deduplicated KPI history (latest computation of each
-- scope, kpi, window, labels and as_of).
CREATE VIEW IF NOT EXISTS {{.DB}}.v_kpi_values{{.OnCluster}} AS
SELECT
    scope_kind,
    scope,
    kpi,
    window,
    labels,
    as_of,
    argMax(value, v) AS value,
    argMax(n, v) AS n,
    argMax(c_at, v) AS computed_at
FROM (SELECT scope_kind, scope, kpi, window, labels, as_of, value, n, computed_at AS c_at, _version AS v FROM {{.DB}}.kpi_values)
GROUP BY scope_kind, scope, kpi, window, labels, as_of;
