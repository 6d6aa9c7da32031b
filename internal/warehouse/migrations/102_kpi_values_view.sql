-- internal/kpi: the deduplicated KPI history (latest computation of each
-- scope, kpi, window, labels and as_of).
CREATE VIEW IF NOT EXISTS v_kpi_values AS
SELECT
    scope_kind,
    scope,
    kpi,
    window,
    labels,
    as_of,
    argMax(value, c_at) AS value,
    argMax(n, c_at) AS n,
    max(c_at) AS computed_at
FROM (SELECT scope_kind, scope, kpi, window, labels, as_of, value, n, computed_at AS c_at FROM kpi_values)
GROUP BY scope_kind, scope, kpi, window, labels, as_of
