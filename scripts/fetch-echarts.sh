#!/usr/bin/env bash
# Fetch the ECharts script that pmo's HTML reports ship with (so a report
# opened from disk or an air-gapped share renders without a CDN):
# `npm pack echarts@<version>` into the git-ignored .deps/echarts/, keeping
# dist/echarts.min.js and the licence. Idempotent.
#
#   scripts/fetch-echarts.sh            # the pinned version below
#   ECHARTS_VERSION=5.6.0 scripts/fetch-echarts.sh
#
# pmo finds the script in .deps/echarts/echarts.min.js under the working
# directory or the repository; elsewhere set PMO_ECHARTS_JS=/path/echarts.min.js.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
version=${ECHARTS_VERSION:-5.6.0}
deps=$root/.deps/echarts

say() { echo "fetch-echarts: $*"; }

if ! command -v npm >/dev/null 2>&1; then
	say "npm is missing: install it (Debian: apt-get install npm) or run scripts/setup.sh" >&2
	exit 1
fi
if [[ -f $deps/echarts.min.js && $(cat "$deps/VERSION" 2>/dev/null || true) == "$version" ]]; then
	say "ECharts $version present in .deps/echarts/"
	exit 0
fi
mkdir -p "$deps"
tmp=$(mktemp -d "$deps/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
say "fetching ECharts $version (npm package echarts) into .deps/echarts/"
(cd "$tmp" && npm pack --silent "echarts@$version" >/dev/null 2>&1)
tar -xzf "$tmp"/echarts-*.tgz -C "$tmp" package/dist/echarts.min.js package/LICENSE
mv "$tmp/package/dist/echarts.min.js" "$deps/echarts.min.js"
mv "$tmp/package/LICENSE" "$deps/LICENSE"
echo "$version" >"$deps/VERSION"
say "ECharts $version ready: .deps/echarts/echarts.min.js ($(wc -c <"$deps/echarts.min.js") bytes)"
