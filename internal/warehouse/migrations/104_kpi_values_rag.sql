-- internal/kpi: the RAG status of each KPI value under its scope's
-- thresholds (0 green, 1 amber, 2 red; NULL = not rated), evaluated once by
-- the engine. Int64 because the warehouse batch insert takes *int64 on both
-- engines. ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS; the migration
-- runs once (schema_migrations), and the column comes first so that a
-- failure leaves nothing half done before it. The view lists its columns,
-- so it is recreated with rag.
ALTER TABLE {{table "kpi_values"}}{{.OnCluster}} ADD COLUMN `rag` Nullable(Int64);
{{redistribute "kpi_values"}}
DROP TABLE IF EXISTS {{.DB}}.v_kpi_values{{.OnCluster}};
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
    argMax(c_at, v) AS computed_at,
    argMax(rag, v) AS rag
FROM (SELECT scope_kind, scope, kpi, window, labels, as_of, value, n, computed_at AS c_at, rag, _version AS v FROM {{.DB}}.kpi_values)
GROUP BY scope_kind, scope, kpi, window, labels, as_of;
