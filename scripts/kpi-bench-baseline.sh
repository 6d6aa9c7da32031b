#!/usr/bin/env bash
# The KPI snapshot benchmark against a baseline measured in the same run: the
# KPI engine as it was before its redesign into SQL models (commit 202dca1,
# whose full catalog took 30 s at 1M issues when that work began), with only
# its benchmark harness patched to time a settled warehouse as today's does
# (scripts/testdata/kpi-bench-baseline.patch: parts merged, load flushed and
# its garbage collected before the clock starts). Both BenchmarkSnapshot runs
# use the embedded engine on this machine, one after the other; the script
# prints both and, per size, the ratio of today's snapshot time to the
# baseline's (below 1: faster than the baseline).
#
#   scripts/kpi-bench-baseline.sh (make bench-baseline)   100k issues (a few minutes)
#   KPI_BENCH_1M=1 scripts/kpi-bench-baseline.sh   100k and 1M (about 15 minutes)
#   KPI_BENCH_BASE=<commit> scripts/kpi-bench-baseline.sh   against another commit whose
#       benchmark already settles the warehouse (c35b255 or later: no patch), e.g. the
#       head before a change, for its A/B
#
# Needs make setup (the chDB library in .deps/) and the repository's history
# (a shallow clone: git fetch --unshallow).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
base=${KPI_BENCH_BASE:-202dca1}
lib="$root/.deps/chdb/libchdb.so"
if [[ ! -f $lib ]]; then
	echo "kpi-bench-baseline: $lib not found; run make setup first" >&2
	exit 1
fi
if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
	echo "kpi-bench-baseline: commit $base is not in this clone; run git fetch --unshallow" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/pmo-kpi-baseline.XXXXXX")
cleanup() {
	git worktree remove --force "$work/src" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
git worktree add --detach "$work/src" "$base" >/dev/null
if [[ $base == 202dca1 ]]; then
	git -C "$work/src" apply "$root/scripts/testdata/kpi-bench-baseline.patch"
fi
echo "== building the baseline ($base) and today's ($(git rev-parse --short HEAD)) benchmarks"
(cd "$work/src" && go test -c -o "$work/baseline.test" ./internal/kpi)
go test -c -o "$work/today.test" ./internal/kpi
export CHDB_LIB_PATH="$lib"
bench() { # name binary package-dir
	echo "== $1"
	(cd "$3" && "$2" -test.run '^$' -test.bench BenchmarkSnapshot -test.benchtime=1x) | tee "$work/$1.log" | grep -E '^Benchmark'
}
bench baseline "$work/baseline.test" "$work/src/internal/kpi"
bench today "$work/today.test" "$root/internal/kpi"
echo "== today / baseline (snapshot time)"
awk '
	/^Benchmark/ {
		for (i = 1; i <= NF; i++) if ($(i) == "snapshot_ms/op") ms = $(i - 1)
		if (FILENAME ~ /\/baseline\.log$/) b[$1] = ms; else t[$1] = ms
	}
	END {
		for (k in b) if (k in t) printf "%s: %.0f ms against %.0f ms, ratio %.2f\n", k, t[k], b[k], t[k] / b[k]
	}' "$work/baseline.log" "$work/today.log"
