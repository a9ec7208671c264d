# Niaga — the two commands a person needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# Test processes per database run (pytest-xdist; each has its own database and live server).
TEST_WORKERS ?= 2

.PHONY: run test lint format test-sqlite test-postgres bench clean

RUNTIME := $(VENV)/.installed

# What running Niaga needs: the package and its runtime libraries (and pango for PDF reports).
$(RUNTIME): pyproject.toml
	@/sbin/ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || \
		{ echo "installing Debian's pango for the PDF reports"; \
		  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0) \
		  >/dev/null || echo "WARNING: could not install pango; PDF reports will fail"; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

# What testing needs on top: the test tools and Debian's chromium for the browser tests.
$(STAMP): $(RUNTIME)
	@command -v chromium >/dev/null || command -v /usr/bin/chromium >/dev/null || \
		{ echo "installing Debian's chromium for the browser tests"; \
		  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium) \
		  >/dev/null || echo "WARNING: could not install chromium; browser tests will be skipped"; }
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## make run: set up (runtime only), migrate, seed the demo shop, serve on http://127.0.0.1:8000
run: $(RUNTIME)
	$(BIN)/niaga db upgrade
	$(BIN)/niaga demo
	$(BIN)/niaga serve --demo

## make test: set up, lint, run every test on SQLite and on PostgreSQL
test: $(STAMP) lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres
	@echo "make test: all suites passed"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

test-sqlite: $(STAMP)
	NIAGA_TEST_DB=sqlite $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		NIAGA_TEST_DB=postgres NIAGA_TEST_POSTGRES_URL=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS); \
	elif [ "$$NIAGA_REQUIRE_SERVICES" = "1" ]; then \
		echo "ERROR: PostgreSQL is not reachable at $(PG_URL) and NIAGA_REQUIRE_SERVICES=1"; exit 1; \
	else \
		echo "SKIPPED: the whole PostgreSQL run: PostgreSQL is not reachable at $(PG_URL)"; \
	fi

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(RUNTIME)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/dispatch.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
