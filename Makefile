# Charter's build: plain go commands, no tags and no cgo (the embedded
# SQLite is modernc.org/sqlite, with full-text search built in).
GO ?= go

.PHONY: run demo test build bench bench-archive bench-driver bench-matrix vet

# The README's first command: serve on the embedded SQLite default.
run:
	$(GO) run ./cmd/charter serve

# Load the demonstration organization into the default data directory
# (once; it refuses a database that has it). Then `make run`.
demo:
	$(GO) run ./cmd/charter demo

# The README's second command: every test. PostgreSQL tests run when
# CHARTER_TEST_POSTGRES_URL is set (.ci/run sets it) and skip with a reason otherwise.
test:
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

build:
	$(GO) build -o bin/charter ./cmd/charter

# Benchmarks; figures go to the README. The archive search benchmark builds a
# 1,000,000-message SQLite archive once (about a minute) and keeps it in
# CHARTER_BENCH_DIR (default: charter-bench in the temporary directory).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...

# Only the archive's ingest and search figures.
bench-archive:
	$(GO) test -run '^$$' -bench IngestHTTP -benchtime 20x ./internal/archive/
	$(GO) test -run '^$$' -bench Search1M -benchtime 2000x -timeout 60m ./internal/archive/

# The SQLite driver comparison: the default (modernc.org/sqlite) against the
# cgo driver Charter used before, ingest and search in one run. Needs a C
# compiler; the tags build mattn/go-sqlite3 with FTS5 beside the default.
bench-driver:
	$(GO) test -tags sqlite_mattn,sqlite_fts5 -run '^$$' -bench Driver -benchtime 10x ./internal/archive/

# Matrix capture under load: 10 clients at 50 messages a second each through
# a real Dendrite homeserver (.cache/dendrite/bin or CHARTER_DENDRITE_BIN, as
# .ci/run builds it; skipped without it), send answered to alert stored; then
# Charter alone taking the same 500 a second as the homeserver's transactions.
bench-matrix:
	$(GO) test -run '^$$' -bench 'Matrix(SendTo|TransactionsTo)Alert' -benchtime 1x -timeout 30m ./internal/cli/
