# sema-pkg: `make run` serves http://localhost:3000; `make test` runs the whole suite.
SHELL := /bin/bash
CARGO ?= cargo
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sema_pkg
# The real `sema` 2.0.0 CLI for the contract tests, installed once into a fixed folder.
SEMA_ROOT ?= /opt/sema
export SEMA_BIN ?= $(SEMA_ROOT)/bin/sema
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# Garage, a real S3-compatible server, for the S3 blob-store tests.
GARAGE_ROOT ?= /opt/garage
export GARAGE_BIN ?= $(GARAGE_ROOT)/bin/garage

.PHONY: build run seed test e2e unit lint fmt sema garage clean-test-dbs fuzz

build:
	$(CARGO) build --release --locked

# Builds, creates the database if needed, migrates, seeds demo data on the first run, serves.
run: build
	./target/release/sema-pkg migrate
	./target/release/sema-pkg seed
	./target/release/sema-pkg serve

test: sema garage clean-test-dbs
	$(CARGO) test --locked --all-targets -- --test-threads=4
	@# The binary `cargo test` just built (a plain `cargo build` would rebuild
	@# dependencies with a different feature set).
	SEMA_PKG_BIN=$(CURDIR)/target/debug/sema-pkg $(MAKE) e2e

# Browser tests in Debian's headless Chromium on a fresh database and port;
# screenshots land in e2e/artifacts/.
e2e:
	e2e/run.sh

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

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
	@psql "$(TEST_DATABASE_URL)" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'sema_pkg_test_%'" 2>/dev/null | \
		while read -r db; do psql "$(TEST_DATABASE_URL)" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)"; done || true

# Fuzzing (not part of `make test`): each cargo-fuzz target for FUZZ_SECS seconds, starting
# from the committed seeds. Stable toolchain with RUSTC_BOOTSTRAP for the sanitizer flags.
FUZZ_SECS ?= 60
FUZZ_TARGETS ?= tarball manifest names search
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
