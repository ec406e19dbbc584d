# One command to run the service, one to run the tests; both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install install-dev run test lint bench clean

DEV_STAMP := $(VENV)/.installed-dev

# running needs the service's own dependencies only; the test tools come with `make test`
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

## run: migrate, load the catalog and serve on http://127.0.0.1:8000 (SQLite in var/, scheduler in-process)
run: install
	$(BIN)/yrdmon init
	$(BIN)/yrdmon serve

## lint: ruff (lint + format check) and mypy
lint: install-dev
	$(BIN)/ruff check service tests benchmarks migrations tools
	$(BIN)/ruff format --check service tests benchmarks migrations tools
	$(BIN)/mypy

## test: lint, then the whole suite on SQLite and on a throwaway PostgreSQL server
test: lint
	$(BIN)/pytest

## bench: the performance runs in benchmarks/ (figures printed beside their references)
bench: install-dev
	$(BIN)/python -m benchmarks $(BENCH)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
