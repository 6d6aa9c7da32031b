#!/usr/bin/env bash
# Throwaway Redmine 5.0 for the Redmine collector's tests: Debian's redmine
# package on SQLite, served by puma on a free loopback port, with its own
# state (database, secret, files, logs) under a temp dir, the REST API on and
# a random API key for the admin user.
#
#   scripts/redmine-test-server.sh start   start it; prints the base URL
#   scripts/redmine-test-server.sh env     prints the export lines for the tests
#   scripts/redmine-test-server.sh stop    stop it and remove its dir
#
# State lives in $PMO_REDMINE_STATE (default .pmo/redmine-test under the
# repo). With PMO_REDMINE_OWNER_PID set, the server also stops by itself once
# that process is gone (a test binary that panicked or timed out). The migrated database with Redmine's default data (statuses,
# trackers, priorities, roles), the REST API enabled, e-mail off and a
# "Story points" custom field is built once per Redmine package version into
# a template ($PMO_REDMINE_TEMPLATE_DIR, default ~/.cache/pmo/redmine-template,
# outside the repository so fresh clones on one machine share it) and copied
# on every start, so only the first start pays the migration (about 20 s;
# a start from the template takes about 7 s, most of it puma loading Rails).
#
# Needs the Debian packages redmine, redmine-sqlite and puma
# (scripts/setup.sh installs them).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state=${PMO_REDMINE_STATE:-$root/.pmo/redmine-test}
tmpl_dir=${PMO_REDMINE_TEMPLATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pmo/redmine-template}
redmine=/usr/share/redmine

die() { echo "redmine-test-server: $*" >&2; exit 1; }

free_port() {
	python3 - <<'PY' 2>/dev/null || shuf -i 20000-60000 -n 1
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

running() { [[ -f $state/pid ]] && kill -0 "$(cat "$state/pid")" 2>/dev/null; }

check_installed() {
	[[ -f $redmine/config.ru ]] || die "Redmine not installed at $redmine: run scripts/setup.sh (apt-get install redmine redmine-sqlite puma)"
	command -v puma >/dev/null 2>&1 || die "puma not installed: run scripts/setup.sh (apt-get install puma)"
	ruby -rsqlite3 -e '' 2>/dev/null || die "the Ruby sqlite3 gem is missing: apt-get install redmine-sqlite"
}

# instance_dir lays out a Redmine instance directory (Debian's multi-tenancy:
# REDMINE_INSTANCE picks $redmine/instances/<name>; a relative name that
# climbs to / lets the instance live anywhere without touching system dirs).
instance_dir() {
	local dir=$1 db=$2
	mkdir -p "$dir/config" "$dir/files" "$dir/log" "$dir/tmp/cache" "$dir/public"
	printf "eval_gemfile '%s'\ngem 'puma'\n" "$redmine/Gemfile" >"$dir/Gemfile"
	cat >"$dir/config/database.yml" <<YAML
production:
  adapter: sqlite3
  database: $db
  timeout: 10000
YAML
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/config/secret_key.txt"
	chmod 600 "$dir/config/secret_key.txt"
}

# in_instance runs a command from the Redmine root for the instance in $1.
in_instance() {
	local dir=$1
	shift
	(cd "$redmine" && exec env BUNDLE_GEMFILE="$dir/Gemfile" REDMINE_INSTANCE="../../../..$dir" RAILS_ENV=production \
		REDMINE_LANG=en "$@")
}

# template builds the prepared database once per Redmine version.
template() {
	local version tmpl build
	version=$(dpkg-query -W -f '${Version}' redmine 2>/dev/null || echo unknown)
	tmpl=$tmpl_dir/redmine-$version.sqlite3
	if [[ -f $tmpl ]]; then echo "$tmpl"; return; fi
	mkdir -p "$tmpl_dir"
	build=$(mktemp -d "$tmpl_dir/.build.XXXXXX")
	instance_dir "$build" "$build/db.sqlite3"
	cat >"$build/prepare.rb" <<'RUBY'
Redmine::DefaultData::Loader.load('en') if Redmine::DefaultData::Loader.no_data?
Setting.rest_api_enabled = '1'
Setting.notified_events = []
Setting.default_projects_public = '1'
unless IssueCustomField.find_by(name: 'Story points')
  IssueCustomField.create!(name: 'Story points', field_format: 'float', is_for_all: true, is_filter: true,
                           visible: true, editable: true, tracker_ids: Tracker.pluck(:id))
end
RUBY
	if ! in_instance "$build" bundle exec rake -q db:migrate >"$build/log/prepare.log" 2>&1 ||
		! in_instance "$build" bundle exec rails runner "$build/prepare.rb" >>"$build/log/prepare.log" 2>&1; then
		tail -n 30 "$build/log/prepare.log" >&2
		rm -rf "$build"
		die "preparing the Redmine database template failed (log above)"
	fi
	mv -f "$build/db.sqlite3" "$tmpl"
	rm -rf "$build"
	echo "$tmpl"
}

start() {
	if running; then cat "$state/url"; return; fi
	check_installed
	local tmpl port key
	tmpl=$(template)
	rm -rf "$state"
	instance_dir "$state" "$state/db.sqlite3"
	cp "$tmpl" "$state/db.sqlite3"
	key=$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')
	# The admin's API key, written straight into the copy (no Rails boot).
	ruby -rsqlite3 -e '
		db = SQLite3::Database.new(ARGV[0])
		uid = db.get_first_value("SELECT id FROM users WHERE login = ?", "admin")
		db.execute("DELETE FROM tokens WHERE user_id = ? AND action = ?", [uid, "api"])
		db.execute("INSERT INTO tokens (user_id, action, value, created_on, updated_on) VALUES (?, ?, ?, datetime(), datetime())", [uid, "api", ARGV[1]])
	' "$state/db.sqlite3" "$key"
	port=$(free_port)
	echo "http://127.0.0.1:$port" >"$state/url"
	printf '%s\n' "$key" >"$state/api_key"
	chmod 600 "$state/api_key"
	(cd "$redmine" && exec env BUNDLE_GEMFILE="$state/Gemfile" REDMINE_INSTANCE="../../../..$state" RAILS_ENV=production \
		nohup bundle exec puma -e production -b "tcp://127.0.0.1:$port" -t 1:4 config.ru) >"$state/log/puma.log" 2>&1 &
	echo $! >"$state/pid"
	local i
	for i in $(seq 1 300); do
		if ! running; then
			tail -n 30 "$state/log/puma.log" >&2 || true
			die "Redmine exited during startup (log above, dir $state)"
		fi
		if curl -fsS -o /dev/null -H "X-Redmine-API-Key: $key" "http://127.0.0.1:$port/users/current.json" 2>/dev/null; then
			watch_owner
			cat "$state/url"
			return
		fi
		sleep 0.2
	done
	stop
	die "Redmine did not answer on 127.0.0.1:$port within 60s"
}

# watch_owner stops the server once the process $PMO_REDMINE_OWNER_PID (the
# test binary that started it) is gone, even if it died without stopping it.
watch_owner() {
	local owner=${PMO_REDMINE_OWNER_PID:-}
	[[ -n $owner ]] || return 0
	(
		while kill -0 "$owner" 2>/dev/null && running; do sleep 2; done
		running && stop
	) </dev/null >/dev/null 2>&1 &
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
	echo "export PMO_TEST_REDMINE_URL='$(cat "$state/url")'"
	echo "export PMO_TEST_REDMINE_API_KEY='$(cat "$state/api_key")'"
	;;
*) die "usage: $0 start|stop|env" ;;
esac
