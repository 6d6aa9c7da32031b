#!/usr/bin/env bash
# Set up what pmo's tests and demo need on a Debian machine. Idempotent.
#
#   - Debian packages: clickhouse-server clickhouse-client (the legacy 18.16
#     server the tests run against), prometheus (the real Prometheus and
#     promtool the exporter and alert-rule tests use), chromium (the headless
#     browser the report tests render in), npm (to fetch chDB and ECharts),
#     zookeeper (the coordination service of the cluster test,
#     scripts/clickhouse-test-cluster.sh), redmine, redmine-sqlite and puma
#     (the real Redmine 5.0 the Redmine collector's tests run against,
#     scripts/redmine-test-server.sh) — installed with apt-get when missing
#     (sudo when not root).
#   - ECharts, the chart script shipped inside every HTML report:
#     scripts/fetch-echarts.sh into .deps/echarts/.
#   - chDB, the embedded ClickHouse engine: `npm pack @chdb/lib-linux-x64-gnu`
#     into .deps/chdb/, libchdb.so extracted there (skipped when the same
#     version is present). pmo finds it there; elsewhere set CHDB_LIB_PATH.
#
# Env: CHDB_VERSION (default below; "latest" for the newest), PMO_SETUP_SKIP_APT=1.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
chdb_version=${CHDB_VERSION:-26.5.3}
chdb_pkg=@chdb/lib-linux-x64-gnu
deps=$root/.deps/chdb

say() { echo "setup: $*"; }

as_root() {
	if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

have_cmd() {
	command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /usr/bin/$1 ]]
}

# --- Debian packages -------------------------------------------------------
need=()
have_cmd clickhouse-server || need+=(clickhouse-server)
have_cmd clickhouse-client || need+=(clickhouse-client)
have_cmd prometheus || need+=(prometheus)
have_cmd chromium || need+=(chromium)
have_cmd npm || need+=(npm)
[[ -f /usr/share/java/zookeeper.jar ]] || need+=(zookeeper)
[[ -f /usr/share/redmine/config.ru ]] || need+=(redmine)
dpkg-query -W -f '${Status}' redmine-sqlite 2>/dev/null | grep -q 'ok installed' || need+=(redmine-sqlite)
have_cmd puma || need+=(puma)
if ((${#need[@]})); then
	if [[ ${PMO_SETUP_SKIP_APT:-} == 1 ]]; then
		say "missing Debian packages ${need[*]} (PMO_SETUP_SKIP_APT=1: not installing)"
	else
		say "installing Debian packages: ${need[*]}"
		as_root apt-get update
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need[@]}"
	fi
else
	say "Debian packages present: clickhouse-server clickhouse-client prometheus chromium npm zookeeper redmine redmine-sqlite puma"
fi

# --- ECharts (for the HTML reports) ----------------------------------------
"$root/scripts/fetch-echarts.sh"

# --- chDB ------------------------------------------------------------------
mkdir -p "$deps"
if [[ $chdb_version == latest ]]; then
	chdb_version=$(npm view "$chdb_pkg" version)
fi
have_version=$(cat "$deps/VERSION" 2>/dev/null || true)
if [[ -f $deps/libchdb.so && $have_version == "$chdb_version" ]]; then
	say "chDB $chdb_version present in .deps/chdb/ (libchdb.so)"
	exit 0
fi
say "fetching chDB $chdb_version ($chdb_pkg, about 170 MB) into .deps/chdb/"
tmp=$(mktemp -d "$deps/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$chdb_pkg@$chdb_version" >/dev/null)
tgz=$(ls "$tmp"/*.tgz)
tar -xzf "$tgz" -C "$tmp" package/libchdb.so
mv -f "$tmp/package/libchdb.so" "$deps/libchdb.so"
echo "$chdb_version" >"$deps/VERSION"
say "chDB $chdb_version installed: .deps/chdb/libchdb.so ($(du -h "$deps/libchdb.so" | cut -f1))"
