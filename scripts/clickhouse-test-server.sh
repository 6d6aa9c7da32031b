#!/usr/bin/env bash
# Throwaway ClickHouse server for tests: its own config, users and data dir
# under a temp dir, free loopback ports, a user "pmo" with a random password.
#
#   scripts/clickhouse-test-server.sh start   start it; prints the DSN
#   scripts/clickhouse-test-server.sh env     prints `export PMO_TEST_CLICKHOUSE_DSN=...`
#   scripts/clickhouse-test-server.sh stop    kill it and remove its dir
#
# State lives in $PMO_CH_STATE (default .pmo/clickhouse-test under the repo).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${PMO_CH_STATE:-$root/.pmo/clickhouse-test}

die() { echo "clickhouse-test-server: $*" >&2; exit 1; }

find_server() {
	local c
	for c in clickhouse-server /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return; fi
	done
	if command -v clickhouse >/dev/null 2>&1; then echo "$(command -v clickhouse) server"; return; fi
	die "clickhouse-server not found: run scripts/setup.sh (or: apt-get install clickhouse-server clickhouse-client)"
}

free_port() {
	# Ask the kernel for a free loopback port.
	python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

running() { [[ -f $state/pid ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }

dsn() { cat "$state/dsn"; }

start() {
	if running; then dsn; return; fi
	rm -rf "$state"
	mkdir -p "$state/data/tmp" "$state/data/user_files" "$state/log"
	local server tcp http inter password
	server=$(find_server)
	tcp=$(free_port); http=$(free_port); inter=$(free_port)
	while [[ $http == "$tcp" ]]; do http=$(free_port); done
	while [[ $inter == "$tcp" || $inter == "$http" ]]; do inter=$(free_port); done
	password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
	cat >"$state/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$state/log/server.log</log>
        <errorlog>$state/log/server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$tcp</tcp_port>
    <http_port>$http</http_port>
    <interserver_http_port>$inter</interserver_http_port>
    <max_connections>256</max_connections>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <mark_cache_size>1073741824</mark_cache_size>
    <path>$state/data/</path>
    <tmp_path>$state/data/tmp/</tmp_path>
    <user_files_path>$state/data/user_files/</user_files_path>
    <format_schema_path>$state/data/format_schemas/</format_schema_path>
    <users_config>$state/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
XML
	cat >"$state/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
        </default>
    </profiles>
    <users>
        <pmo>
            <password>$password</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </pmo>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	echo "clickhouse://pmo:$password@127.0.0.1:$tcp/default" >"$state/dsn"
	printf '%s\n' "$tcp" >"$state/tcp_port"
	printf '%s\n' "$password" >"$state/password"
	chmod 600 "$state/dsn" "$state/password" "$state/users.xml"
	# Run as whoever we are; as root the data dir belongs to root, which is
	# what clickhouse-server checks (it refuses a data dir owned by another user).
	# shellcheck disable=SC2086
	nohup $server --config-file="$state/config.xml" >"$state/log/stdout.log" 2>&1 &
	echo $! >"$state/pid"
	local i
	for i in $(seq 1 150); do
		if ! running; then
			tail -n 20 "$state/log/stdout.log" "$state/log/server.err.log" >&2 2>/dev/null || true
			die "clickhouse-server exited during startup (logs above, dir $state)"
		fi
		if clickhouse-client --host 127.0.0.1 --port "$tcp" --user pmo --password "$password" \
			--query 'SELECT 1' >/dev/null 2>&1; then
			dsn
			return
		fi
		sleep 0.2
	done
	stop
	die "clickhouse-server did not answer on 127.0.0.1:$tcp within 30s"
}

stop() {
	if [[ -f $state/pid ]]; then
		local pid
		pid=$(cat "$state/pid")
		if kill -0 "$pid" 2>/dev/null; then
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	rm -rf "$state"
}

case ${1:-} in
start) start ;;
stop) stop ;;
env)
	running || die "not running: run $0 start"
	echo "export PMO_TEST_CLICKHOUSE_DSN='$(dsn)'"
	;;
*) die "usage: $0 start|stop|env" ;;
esac
