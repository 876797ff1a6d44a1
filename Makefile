# SQMS — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
# uv from PATH, else bootstrapped once into .tools/ with pip (a fresh machine has only Python).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres lint bench env clean messages

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv>=0.5"

$(BIN)/sqms: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode
	@touch $@

env: $(BIN)/sqms

## make run: install, migrate, load the demo on first start, serve web + worker on :$(PORT)
run: env
	$(BIN)/sqms run

## make test: lint, then the whole suite on SQLite, then again on PostgreSQL when one answers
test: env lint test-sqlite test-postgres

test-sqlite: env
	$(BIN)/sqms compile_translations
	$(BIN)/pytest -n 2 --dist loadfile -q

test-postgres: env
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== PostgreSQL reachable at $(PG_TEST_URL): running the suite again on it"; \
		DATABASE_URL='$(PG_TEST_URL)' $(BIN)/pytest -n 2 --dist loadfile -q -m "not e2e and not cli"; \
	else \
		echo "== PostgreSQL not reachable at $(PG_TEST_URL): the PostgreSQL run was NOT done"; \
	fi

lint: env
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/sqms makemigrations --check --dry-run

## make messages: refresh the zh_Hans catalogues after changing text (needs GNU gettext).
## An app with its own locale/ keeps its strings (code and templates under the app) there;
## everything else goes to src/sqms/locale.
APP_CATALOGUES := $(patsubst src/sqms/%/locale,%,$(wildcard src/sqms/*/locale))
messages: env
	cd src/sqms && ../../$(BIN)/sqms makemessages -l zh_Hans --no-obsolete $(foreach a,$(APP_CATALOGUES),-i '$(a)/*')
	for app in $(APP_CATALOGUES); do (cd src/sqms/$$app && ../../../$(BIN)/sqms makemessages -l zh_Hans --no-obsolete) || exit 1; done

bench: env
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache
