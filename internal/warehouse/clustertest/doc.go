// Package clustertest holds pmo's test on a real ClickHouse cluster:
// ZooKeeper and one clickhouse-server per shard on loopback, started by
// scripts/clickhouse-test-cluster.sh. It has no code of its own; its test
// drives the pmo command line (migrate, collect, status, kpi) against the
// cluster and against a single server with the same data.
package clustertest
