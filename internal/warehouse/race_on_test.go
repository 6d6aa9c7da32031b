//go:build race

package warehouse_test

// raceEnabled: under the race detector, ThreadSanitizer intercepts every
// thread of libchdb too; after a million-row load chDB then hangs on DROP
// DATABASE. The big round trip on chDB runs without -race (make test does).
const raceEnabled = true
