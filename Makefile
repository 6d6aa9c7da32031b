# pmo — the two commands a newcomer needs: `make demo` and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO          ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Empty: pmo's defaults (embedded warehouse in ./.pmo/warehouse).
DEMO_CONFIG ?=
DEMO_FLAGS   = $(if $(DEMO_CONFIG),--config $(DEMO_CONFIG))
DEMO_ARGS   ?= --serve
BENCH_PKGS  ?= ./...
BENCH_FLAGS ?= -benchtime=3x
TEST_PKGS   ?= ./...
TEST_FLAGS  ?= -race -count=1 -timeout=20m
# The chDB tests the race detector cannot host (chDB hangs under -race; they
# skip there), run once more without it, in one go test run: each
# collector's warehouse tests (kill + rerun, pmo collect end to end).
NORACE_RUN  ?= TestRoundTrip|TestSimWarehouse|TestSimKilled|TestPmoCollectAndKPI|TestHandComputedKPIs
NORACE_PKGS ?= ./internal/warehouse/ ./collectors/jira/ ./collectors/gitlab/ ./collectors/github/

# Starts a throwaway clickhouse-server for one recipe and always stops it.
# Usage inside a recipe: $(with_server) <commands using PMO_TEST_CLICKHOUSE_DSN>
define with_server
export PMO_CH_STATE=$$(mktemp -d "$${TMPDIR:-/tmp}/pmo-clickhouse.XXXXXX"); \
trap 'scripts/clickhouse-test-server.sh stop' EXIT; \
echo "== starting a throwaway clickhouse-server"; \
scripts/clickhouse-test-server.sh start >/dev/null; \
eval "$$(scripts/clickhouse-test-server.sh env)";
endef

.PHONY: setup build test test-go bench bench-baseline demo clean lint dashboards

setup:
	scripts/setup.sh

build:
	$(GO) build -o bin/pmo ./cmd/pmo

# go mod tidy -diff only reports what tidy would change (go.mod and go.sum
# stay as they are) and fails when it would change anything.
lint:
	@echo "== gofmt"
	@files=$$(gofmt -l $$(find . -name '*.go' -not -path './.deps/*' -not -path './.pmo/*')); \
	if [[ -n $$files ]]; then echo "gofmt needed on:"; echo "$$files"; exit 1; fi
	@echo "== go mod tidy"
	@if ! $(GO) mod tidy -diff; then echo "go.mod/go.sum are not tidy: run go mod tidy and commit the result"; exit 1; fi
	@echo "== go vet"
	$(GO) vet ./...
	@echo "== staticcheck"
	$(GO) run $(STATICCHECK) ./...

# Everything CI checks. The tests run with CI=true: a test whose engine or
# part is missing fails instead of skipping. The full log is in .pmo/test.log;
# the summary shows each engine-specific subtest (…/chdb, …/server).
test: setup lint test-go

# The tests alone (no lint); TEST_PKGS narrows them, e.g.
# make test-go TEST_PKGS=./internal/warehouse/...
test-go:
	@mkdir -p .pmo
	@$(with_server) \
	export CI=true; \
	echo "== go test $(TEST_FLAGS) $(TEST_PKGS) (server $$(scripts/clickhouse-test-server.sh env | sed -E 's#//([^:]*):[^@]*@#//\1:<secret>@#; s/^export //'))"; \
	status=0; \
	$(GO) test $(TEST_FLAGS) -v $(TEST_PKGS) >.pmo/test.log 2>&1 || status=$$?; \
	echo "== chDB tests that the race detector cannot host (chDB hangs under -race), run without it" >>.pmo/test.log; \
	$(GO) test -count=1 -v -run '$(NORACE_RUN)' $(NORACE_PKGS) >>.pmo/test.log 2>&1 || status=$$?; \
	grep -E '^(ok|FAIL|panic:)|^\s*--- (FAIL|SKIP)|/(chdb|server) \(' .pmo/test.log || true; \
	if [[ $$status -ne 0 ]]; then echo "== tests FAILED (full log: .pmo/test.log)"; grep -E -B2 -A20 '^\s*--- FAIL' .pmo/test.log | head -200; exit $$status; fi; \
	echo "== all tests passed (full log: .pmo/test.log)"

# Benchmarks, including the warehouse sink on both engines against the
# clickhouse-client yardstick (ratios reported by the benchmarks).
bench: setup
	@$(with_server) \
	$(GO) test -run '^$$' -bench . $(BENCH_FLAGS) $(BENCH_PKGS)

# The KPI snapshot benchmark against the engine before its SQL models
# (commit 202dca1) in the same run, as a ratio; KPI_BENCH_1M=1 adds 1M issues.
bench-baseline: setup
	scripts/kpi-bench-baseline.sh

# The README's first command: set up, then run the whole pipeline on the
# embedded default — a simulated Jira organisation, collection, a KPI
# snapshot and 12 weeks of history, reports — and leave `pmo serve` running
# with /metrics and /reports/ (it prints where to look; Ctrl-C stops it).
# A batch run without the server: make demo DEMO_ARGS="--no-serve --issues 500"
demo: setup build
	bin/pmo demo $(DEMO_FLAGS) $(DEMO_ARGS)

# Grafana dashboards: regenerate dashboards/*.json from their Go definitions
# (package dashboards; the drill-down SQL comes from the KPI engine, run on a
# throwaway embedded warehouse, so it needs the chDB library of make setup).
# go test ./dashboards fails while the committed files are stale.
dashboards: setup
	$(GO) generate ./dashboards/...

clean:
	rm -rf bin/ dist/ .pmo/
