# sema-pkg: `make run` serves http://localhost:3000; `make test` runs the whole suite.
SHELL := /bin/bash
CARGO ?= cargo
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/sema_pkg
# The real `sema` 2.0.0 CLI for the contract tests, installed once into a fixed folder.
SEMA_ROOT ?= /opt/sema
export SEMA_BIN ?= $(SEMA_ROOT)/bin/sema
export TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: build run seed test unit lint fmt sema clean-test-dbs

build:
	$(CARGO) build --release --locked

# Builds, creates the database if needed, migrates, seeds demo data on the first run, serves.
run: build
	./target/release/sema-pkg migrate
	./target/release/sema-pkg seed
	./target/release/sema-pkg serve

test: sema clean-test-dbs
	$(CARGO) test --locked --all-targets -- --test-threads=4

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

# Test databases are dropped by each test; this sweeps any a killed run left behind.
clean-test-dbs:
	@psql "$(TEST_DATABASE_URL)" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'sema_pkg_test_%'" 2>/dev/null | \
		while read -r db; do psql "$(TEST_DATABASE_URL)" -qc "DROP DATABASE IF EXISTS \"$$db\" WITH (FORCE)"; done || true
