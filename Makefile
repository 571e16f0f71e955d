# Ko'prik — the commands a person and CI use. `make help` lists them.

SHELL := /bin/bash
CARGO ?= cargo
TANSU_VERSION := 0.6.0
# PostgreSQL for the second pass of the database-backed tests: DATABASE_URL when set, else the local server.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/test)

.PHONY: help tansu build run test test-sqlite test-postgres interop bench ops-check lint fmt verify clean

help: ## List the targets.
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

tansu: ## Install the Tansu broker (cargo install, once per machine; ~12 min cold).
	@if command -v tansu >/dev/null 2>&1 || [ -x "$$HOME/.cargo/bin/tansu" ] || [ -n "$$TANSU_BIN" ]; then \
		echo "tansu: installed"; \
	else \
		echo "tansu: installing $(TANSU_VERSION) with cargo (about 12 minutes, once per machine)"; \
		$(CARGO) install tansu --version $(TANSU_VERSION) --locked --features libsql,dynostore; \
	fi

build: ## Build every binary.
	$(CARGO) build --workspace --bins

run: tansu build ## Start broker, registry, gateway and demo adapter; do a demo exchange; run until Ctrl-C.
	./target/debug/koprik up

test: tansu test-sqlite test-postgres ## Unit and integration tests, on SQLite and on PostgreSQL.

test-sqlite: ## All tests, databases on SQLite.
	env -u DATABASE_URL $(CARGO) test --workspace

# The whole workspace again rather than only the database-backed crates: selecting packages would change feature
# unification and rebuild half the dependency graph, which costs more than re-running the fast unit tests.
test-postgres: ## All tests again, databases on PostgreSQL (TEST_DATABASE_URL).
	DATABASE_URL=$(TEST_DATABASE_URL) $(CARGO) test --workspace

# Built with --all-targets so that, after `make test`, the binaries are the ones the tests already built.
interop: tansu ## Python client and Kafka reader against a running stack; the CLI onboarding walkthrough; the Grafana dashboards against Prometheus.
	$(CARGO) build --workspace --all-targets
	tests/interop/run

bench: tansu ## Exchange latency and throughput, billing's rating rate on PostgreSQL, a 1 GB open data version's memory (optimised builds).
	@status=0; \
	DATABASE_URL=$(TEST_DATABASE_URL) $(CARGO) bench -p koprik-e2e --bench exchange || status=1; \
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(CARGO) bench -p koprik-billing --bench metering || status=1; \
	$(CARGO) bench -p koprik-opendata --bench large_version || status=1; \
	exit $$status

ops-check: ## Alert rules (promtool check and unit tests); the Helm chart rendered, linted, schema-validated and scanned (checkov).
	promtool check rules deploy/prometheus/rules/koprik.rules.yml
	cd deploy/prometheus/rules && promtool test rules koprik.test.yml
	@if [ ! -x target/ops/venv/bin/python ]; then python3 -m venv target/ops/venv; fi
	target/ops/venv/bin/pip install --quiet --disable-pip-version-check helm-python-sdk kubernetes-validate pyyaml jsonschema
	@if [ ! -x target/ops/checkov/bin/checkov ]; then python3 -m venv target/ops/checkov \
		&& target/ops/checkov/bin/pip install --quiet --disable-pip-version-check checkov==3.3.30; fi
	target/ops/venv/bin/python deploy/checks/chart_check.py

lint: ## Formatting and clippy with warnings as errors.
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code.
	$(CARGO) fmt --all

verify: lint ops-check test interop ## What CI runs: lint, alert rules, every test, the interoperability check.

clean: ## Remove build output and the embedded stack's data.
	$(CARGO) clean
	rm -rf var
