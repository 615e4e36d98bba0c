# Charter's build. The sqlite_fts5 tag compiles SQLite's full-text search into
# the embedded database; every target passes it.
TAGS := sqlite_fts5
GO   ?= go

.PHONY: run demo test build bench bench-archive vet

# The README's first command: serve on the embedded SQLite default.
run:
	$(GO) run -tags $(TAGS) ./cmd/charter serve

# Load the demonstration organization into the default data directory
# (once; it refuses a database that has it). Then `make run`.
demo:
	$(GO) run -tags $(TAGS) ./cmd/charter demo

# The README's second command: every test. PostgreSQL tests run when
# CHARTER_TEST_POSTGRES_URL is set (.ci/run sets it) and skip with a reason otherwise.
test:
	$(GO) vet -tags $(TAGS) ./...
	$(GO) test -tags $(TAGS) -count=1 -timeout 30m ./...

build:
	$(GO) build -tags $(TAGS) -o bin/charter ./cmd/charter

# Benchmarks; figures go to the README. The archive search benchmark builds a
# 1,000,000-message SQLite archive once (about a minute) and keeps it in
# CHARTER_BENCH_DIR (default: charter-bench in the temporary directory).
bench:
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem -timeout 60m ./...

# Only the archive's ingest and search figures.
bench-archive:
	$(GO) test -tags $(TAGS) -run '^$$' -bench IngestHTTP -benchtime 20x ./internal/archive/
	$(GO) test -tags $(TAGS) -run '^$$' -bench Search1M -benchtime 2000x -timeout 60m ./internal/archive/
