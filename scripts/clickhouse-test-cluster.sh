#!/usr/bin/env bash
# Throwaway ClickHouse cluster for tests, all on loopback: one ZooKeeper
# (Debian's zookeeper, standalone) and one clickhouse-server per shard, each
# with its own config, data dir, free ports and <macros>, a remote_servers
# entry "pmo_test" with one replica per shard, and a user "pmo" with a random
# password on every node.
#
#   scripts/clickhouse-test-cluster.sh start       start it all; prints node 1's DSN
#   scripts/clickhouse-test-cluster.sh env         prints the exports tests read
#   scripts/clickhouse-test-cluster.sh kill N      SIGKILL node N (1-based)
#   scripts/clickhouse-test-cluster.sh restart N   start node N again, wait until its replicas write
#   scripts/clickhouse-test-cluster.sh stop        kill everything and remove the state dir
#
# Env: PMO_CH_CLUSTER_STATE (default .pmo/clickhouse-test-cluster under the
# repo), PMO_CH_CLUSTER_SHARDS (default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${PMO_CH_CLUSTER_STATE:-$root/.pmo/clickhouse-test-cluster}
shards=${PMO_CH_CLUSTER_SHARDS:-2}
cluster=pmo_test
zk_jar=/usr/share/java/zookeeper.jar

die() { echo "clickhouse-test-cluster: $*" >&2; exit 1; }

find_server() {
	local c
	for c in clickhouse-server /usr/sbin/clickhouse-server /usr/bin/clickhouse-server; do
		if command -v "$c" >/dev/null 2>&1; then command -v "$c"; return; fi
	done
	die "clickhouse-server not found: run scripts/setup.sh (or: apt-get install clickhouse-server clickhouse-client)"
}

free_port() {
	python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# ports N: N distinct free loopback ports, one a line.
ports() {
	local -A seen=()
	local p n=0
	while ((n < $1)); do
		p=$(free_port)
		[[ -n ${seen[$p]:-} ]] && continue
		seen[$p]=1
		echo "$p"
		n=$((n + 1))
	done
}

# running PID: the process exists and is not a zombie (a killed server
# whose parent, this script's earlier run, is gone may wait a while for
# init to reap it).
running_pid() {
	local line
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[[ ${line%% *} != Z ]]
}

alive() { [[ -f $1 ]] && running_pid "$(cat "$1")"; }

client() { # client N query
	clickhouse-client --host 127.0.0.1 --port "$(cat "$state/node$1/tcp_port")" --user pmo \
		--password "$(cat "$state/password")" --query "$2"
}

zk_ok() { # a ZooKeeper that answers "ruok" with "imok"
	local reply
	reply=$({ exec 3<>"/dev/tcp/127.0.0.1/$(cat "$state/zk/port")" && printf ruok >&3 && timeout 2 cat <&3; } 2>/dev/null) || return 1
	[[ $reply == imok ]]
}

start_zk() {
	[[ -f $zk_jar ]] || die "ZooKeeper not found ($zk_jar): run scripts/setup.sh (or: apt-get install zookeeper)"
	command -v java >/dev/null || die "java not found (Debian's zookeeper package depends on it): run scripts/setup.sh"
	local dir=$state/zk
	mkdir -p "$dir/data" "$dir/conf"
	# tickTime 200 ms lets ClickHouse ask for short sessions, so that a killed
	# server's session (and its replicas' is_active nodes) expire in seconds.
	cat >"$dir/conf/zoo.cfg" <<CFG
tickTime=200
minSessionTimeout=400
maxSessionTimeout=10000
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPortAddress=127.0.0.1
clientPort=$(cat "$dir/port")
admin.enableServer=false
4lw.commands.whitelist=ruok
CFG
	cat >"$dir/conf/log4j.properties" <<CFG
log4j.rootLogger=WARN, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=$dir/zookeeper.log
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d %p %c{1}: %m%n
CFG
	nohup java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dzookeeper.jmx.log4j.disable=true \
		-cp "$dir/conf:$zk_jar" org.apache.zookeeper.server.ZooKeeperServerMain "$dir/conf/zoo.cfg" \
		>"$dir/stdout.log" 2>&1 &
	echo $! >"$dir/pid"
}

wait_zk() {
	local i
	for i in $(seq 1 300); do
		alive "$state/zk/pid" || { tail -n 20 "$state/zk/stdout.log" "$state/zk/zookeeper.log" >&2 2>/dev/null || true; die "ZooKeeper exited during startup (logs above, dir $state/zk)"; }
		zk_ok && return 0
		sleep 0.1
	done
	die "ZooKeeper did not answer on 127.0.0.1:$(cat "$state/zk/port") within 30s"
}

write_node_config() { # N
	local n=$1 dir=$state/node$1 password s replicas=""
	password=$(cat "$state/password")
	for s in $(seq 1 "$shards"); do
		replicas+="<shard><internal_replication>true</internal_replication><replica><host>127.0.0.1</host><port>$(cat "$state/node$s/tcp_port")</port><user>pmo</user><password>$password</password></replica></shard>"
	done
	mkdir -p "$dir/data/tmp" "$dir/data/user_files" "$dir/log"
	cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/server.log</log>
        <errorlog>$dir/log/server.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$(cat "$dir/tcp_port")</tcp_port>
    <http_port>$(cat "$dir/http_port")</http_port>
    <interserver_http_port>$(cat "$dir/inter_port")</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>256</max_connections>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/data/tmp/</tmp_path>
    <user_files_path>$dir/data/user_files/</user_files_path>
    <format_schema_path>$dir/data/format_schemas/</format_schema_path>
    <users_config>$state/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <remote_servers><$cluster>$replicas</$cluster></remote_servers>
    <zookeeper>
        <node><host>127.0.0.1</host><port>$(cat "$state/zk/port")</port></node>
        <session_timeout_ms>2000</session_timeout_ms>
    </zookeeper>
    <macros><shard>$(printf %02d "$n")</shard><replica>node$n</replica></macros>
    <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
</yandex>
XML
}

start_node() { # N
	local dir=$state/node$1
	# shellcheck disable=SC2086
	nohup $(find_server) --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
	echo $! >"$dir/pid"
}

wait_node() { # N
	local n=$1 dir=$state/node$1 i
	for i in $(seq 1 300); do
		if ! alive "$dir/pid"; then
			tail -n 20 "$dir/log/stdout.log" "$dir/log/server.err.log" >&2 2>/dev/null || true
			die "clickhouse-server node $n exited during startup (logs above, dir $dir)"
		fi
		if client "$n" 'SELECT 1' >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	die "clickhouse-server node $n did not answer on 127.0.0.1:$(cat "$dir/tcp_port") within 30s"
}

# wait_writable N: every replicated table of node N has left read-only mode
# (after a restart it waits for its old ZooKeeper session to expire).
wait_writable() {
	local n=$1 i ro
	for i in $(seq 1 300); do
		ro=$(client "$n" 'SELECT count() FROM system.replicas WHERE is_readonly OR is_session_expired' 2>/dev/null || echo x)
		[[ $ro == 0 ]] && return 0
		sleep 0.1
	done
	die "node $n: replicated tables still read-only after 30s (see $state/node$n/log/server.err.log)"
}

running() { alive "$state/zk/pid"; }

start() {
	if running; then dsn 1; return; fi
	rm -rf "$state"
	mkdir -p "$state/zk"
	local -a p
	mapfile -t p < <(ports $((1 + 3 * shards)))
	echo "${p[0]}" >"$state/zk/port"
	local n
	for n in $(seq 1 "$shards"); do
		mkdir -p "$state/node$n"
		echo "${p[$((3 * n - 2))]}" >"$state/node$n/tcp_port"
		echo "${p[$((3 * n - 1))]}" >"$state/node$n/http_port"
		echo "${p[$((3 * n))]}" >"$state/node$n/inter_port"
	done
	head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20 >"$state/password"
	cat >"$state/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
    <users>
        <pmo>
            <password>$(cat "$state/password")</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </pmo>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
        <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
	chmod 600 "$state/password" "$state/users.xml"
	start_zk
	for n in $(seq 1 "$shards"); do
		write_node_config "$n"
		chmod 600 "$state/node$n/config.xml"
	done
	wait_zk
	# The servers start in parallel; each connects to ZooKeeper lazily.
	for n in $(seq 1 "$shards"); do start_node "$n"; done
	for n in $(seq 1 "$shards"); do wait_node "$n"; done
	dsn 1
}

dsn() { echo "clickhouse://pmo:$(cat "$state/password")@127.0.0.1:$(cat "$state/node$1/tcp_port")/default"; }

node_arg() {
	[[ ${1:-} =~ ^[0-9]+$ && $1 -ge 1 && $1 -le $shards && -d $state/node$1 ]] || die "no node ${1:-}: nodes are 1..$shards"
}

# stop: SIGKILL to every process and remove the state dir. The cluster's
# data is thrown away, so a clean shutdown (seconds for ClickHouse) buys
# nothing, and the next start takes new ports: no need to wait for them.
stop() {
	local f
	for f in "$state"/node*/pid "$state/zk/pid"; do
		[[ -f $f ]] && { kill -9 "$(cat "$f")" 2>/dev/null || true; }
	done
	rm -rf "$state"
}

case ${1:-} in
start) start ;;
stop) stop ;;
env)
	running || die "not running: run $0 start"
	echo "export PMO_TEST_CLUSTER_DSN='$(dsn 1)'"
	echo "export PMO_TEST_CLUSTER_NAME=$cluster"
	echo "export PMO_TEST_CLUSTER_SHARDS=$shards"
	nodes=()
	for n in $(seq 1 "$shards"); do nodes+=("$(dsn "$n")"); done
	echo "export PMO_TEST_CLUSTER_NODES='${nodes[*]}'"
	;;
kill)
	running || die "not running: run $0 start"
	node_arg "${2:-}"
	alive "$state/node$2/pid" || die "node $2 is not running"
	kill -9 "$(cat "$state/node$2/pid")"
	# Reap it so that the port is free for restart.
	for _ in $(seq 1 100); do alive "$state/node$2/pid" || break; sleep 0.05; done
	;;
restart)
	running || die "not running: run $0 start"
	node_arg "${2:-}"
	alive "$state/node$2/pid" && die "node $2 is running"
	start_node "$2"
	wait_node "$2"
	wait_writable "$2"
	;;
*) die "usage: $0 start|stop|env|kill N|restart N" ;;
esac
