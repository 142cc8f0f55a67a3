# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export DATABASE_URL ?= sqlite:///$(CURDIR)/data/spia.db

.PHONY: run test check install serve demo migrate screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m compileall -q app  # byte-compiled once: no `spia` command compiles them (PYTHONDONTWRITEBYTECODE)
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q app
	touch $(STAMP) $@

install: $(STAMP)

migrate: $(STAMP)
	mkdir -p data
	$(BIN)/spia db upgrade

demo: migrate
	$(BIN)/spia demo

## make run: venv, install, migrate, demo data, serve on http://127.0.0.1:8000 (SQLite under ./data)
run: demo
	@echo "http://127.0.0.1:8000 を開いてください(停止は Ctrl+C)。"
	$(BIN)/spia serve --host 127.0.0.1 --port 8000

## make test: venv, install with test extras, run the whole suite (TEST_DATABASE_URL=postgresql+psycopg://... for PostgreSQL)
test: $(TEST_STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy app/domain app/services
	@$(BIN)/python -m pytest $(PYTEST_ARGS) || { status=$$?; echo "== failed tests (.pytest_cache/v/cache/lastfailed):"; \
	  cat .pytest_cache/v/cache/lastfailed 2>/dev/null | tail -20; exit $$status; }

## make check: the edit loop (well under a minute): ruff, mypy (strict on app/domain and app/services), the domain tests
check: $(TEST_STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy app/domain app/services
	$(BIN)/python -m pytest tests/domain -q -p no:cacheprovider

screenshots: $(TEST_STAMP)
	$(BIN)/python -m tests.browser.screenshots

bench: $(TEST_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache
