# sema-pkg: `make run` serves http://localhost:3000; `make test` runs the whole suite.
SHELL := /bin/bash
CARGO ?= cargo
# Without DATABASE_URL / TEST_DATABASE_URL: the machine's Postgres on 127.0.0.1:5432 if
# one answers, else a project-local cluster under data/postgres (see deploy/local-postgres.sh).
PG_LOCAL := deploy/local-postgres.sh
# The real `sema` 2.0.0 CLI for the contract tests, installed once into a fixed folder.
SEMA_ROOT ?= /opt/sema
export SEMA_BIN ?= $(SEMA_ROOT)/bin/sema
# Garage, a real S3-compatible server, for the S3 blob-store tests.
GARAGE_ROOT ?= /opt/garage
export GARAGE_BIN ?= $(GARAGE_ROOT)/bin/garage

.PHONY: build run stop clean seed test test-suites e2e api-check lighthouse unit lint fmt sema garage clean-test-dbs fuzz first-run-check

build:
	$(CARGO) build --release --locked

# Builds, finds or makes a Postgres, migrates, seeds demo data on the first run, serves.
run: build
	SEMA_PKG_BIN=./target/release/sema-pkg deploy/run.sh

# Stops the project-local Postgres; `make clean` deletes it and data/ (asks first).
stop:
	$(PG_LOCAL) stop
clean:
	$(PG_LOCAL) clean

test: sema garage
	@url="$${TEST_DATABASE_URL:-$$($(PG_LOCAL) url postgres)}" && \
		TEST_DATABASE_URL="$$url" $(MAKE) --no-print-directory test-suites

test-suites: clean-test-dbs
	$(CARGO) test --locked --all-targets -- --test-threads=4
	@# The binary `cargo test` just built (a plain `cargo build` would rebuild
	@# dependencies with a different feature set).
	SEMA_PKG_BIN=$(CURDIR)/target/debug/sema-pkg $(MAKE) e2e

# Browser tests in Debian's headless Chromium on a fresh database and port;
# screenshots land in e2e/artifacts/.
e2e:
	e2e/run.sh

# Schemathesis (pinned, in .venv-api-check/) against /api/openapi.json on a fresh
# database and port: every check, the stateful phase included, with a fixed seed; fails
# on any failure. Reports land in api-check/artifacts/. Not part of `make test`; CI runs it after.
api-check:
	api-check/run.sh

# Lighthouse scores of /, /search, a package page and /account (mobile and desktop) in
# Debian's Chromium, on the demo data; not part of `make test`. Fails under 98 for
# Accessibility or Best Practices. Reports land in e2e/artifacts/lighthouse/.
lighthouse:
	e2e/lighthouse/run.sh

# Every shell script: CI's own scripts, the API check, the benchmarks, the browser suite, the drills.
SHELL_SCRIPTS = .ci/run $(shell find api-check bench deploy e2e -name '*.sh' -not -path '*/node_modules/*')

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings
	$(CARGO) test --locked --test architecture
	shellcheck $(SHELL_SCRIPTS)

fmt:
	$(CARGO) fmt

sema: $(SEMA_BIN)

$(SEMA_BIN):
	@command -v pkg-config >/dev/null && [ -e /usr/include/libudev.h ] || \
		{ apt-get update -qq && apt-get install -y -qq libudev-dev pkg-config; }
	$(CARGO) install sema-lang --locked --version 2.0.0 --root $(SEMA_ROOT)

garage: $(GARAGE_BIN)

$(GARAGE_BIN):
	$(CARGO) install garage --version 2.5.0 --no-default-features --features sqlite,bundled-libs --locked --debug --root $(GARAGE_ROOT)

# Test databases are dropped by each test; this sweeps any a killed run left behind.
clean-test-dbs:
	@url="$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"; \
	psql "$$url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'sema_pkg_test_%'" 2>/dev/null | \
		while read -r db; do psql "$$url" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)"; done || true

# CI's proof of the first run on a machine with no Postgres (see the script).
first-run-check:
	deploy/first-run-check.sh

# Fuzzing (not part of `make test`): each cargo-fuzz target for FUZZ_SECS seconds, starting
# from the committed seeds. Stable toolchain with RUSTC_BOOTSTRAP for the sanitizer flags.
FUZZ_SECS ?= 60
FUZZ_TARGETS ?= tarball manifest names search analysis
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install --locked cargo-fuzz
	cd fuzz && mkdir -p logs && for t in $(FUZZ_TARGETS); do \
		mkdir -p corpus/$$t seeds/$$t; \
		RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$t corpus/$$t seeds/$$t -- \
			-max_total_time=$(FUZZ_SECS) -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
			> logs/$$t.log 2>&1; rc=$$?; \
		grep -E '^#[0-9]+[[:space:]]+DONE' logs/$$t.log | sed "s/^/$$t: /"; \
		if [ $$rc -ne 0 ]; then tail -60 logs/$$t.log; echo "$$t: crashed, see fuzz/artifacts/$$t"; exit $$rc; fi; \
	done

# Benchmarks never run in `make test`.
.PHONY: bench bench-smoke bench-tools bench-search
bench-tools:
	@command -v wrk >/dev/null && command -v nginx >/dev/null && command -v bc >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light bc; }

# The install-path benchmark (P1–P6, each against nginx serving the same bytes)
# and the search benchmark (P3); writes bench/REPORT.md and bench/report.json.
bench: build bench-tools
	bash bench/run.sh

# CI's seconds-long run of every scenario on the debug build `cargo test` made.
bench-smoke: bench-tools
	BENCH_SMOKE=1 bash bench/run.sh

# Search benchmark, not part of `make test`: seeds 100k packages (LARGE=1: 1M) into the
# $(BENCH_DB) database (dropped and recreated; BENCH_DROP=1 drops it afterwards), serves the
# release build and loads fixed queries with wrk; writes bench/search-<size>.md and the
# Search section of bench/REPORT.md.
BENCH_DB ?= sema_pkg_bench
bench-search: build bench-tools
	LARGE=$(LARGE) BENCH_DB=$(BENCH_DB) bash bench/search.sh
