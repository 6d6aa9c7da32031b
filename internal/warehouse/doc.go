// Package warehouse is pmo's ClickHouse warehouse: the schema (numbered,
// embedded migrations), a streaming batch sink for collector records,
// per-source cursors, and the read API the KPI engine uses.
//
// Two engines sit behind one interface, chosen by DSN:
//
//	clickhouse://user:pass@host:9000/db?secure=true   a ClickHouse server (native protocol, clickhouse-go v2)
//	chdb:///path/to/dir                              the embedded engine (chDB, libchdb.so)
//
// The same SQL runs on both (see the dialect rule in the design notes):
// views instead of CTEs, arrays instead of window functions, DateTime('UTC').
//
// Tables are named after model.Kind (projects, statuses, boards, sprints,
// versions, issues, changes, worklogs, issue_links, issue_deletions); their
// columns are the snake_case names of the model fields (story_points,
// original_estimate_seconds, from_category, ...) plus _version (UInt64, the
// ingest time in nanoseconds) that ReplacingMergeTree deduplicates on.
// Readers never read the tables directly: the v_<table> views present the
// deduplicated current state without deleted issues.
package warehouse
