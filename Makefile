# One command to run the service, one to run the tests; both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: migrate, load the catalog and serve on http://127.0.0.1:8000 (SQLite in var/, scheduler in-process)
run: install
	$(BIN)/yrdmon init
	$(BIN)/yrdmon serve

## lint: ruff (lint + format check) and mypy
lint: install
	$(BIN)/ruff check service tests benchmarks migrations
	$(BIN)/ruff format --check service tests benchmarks migrations
	$(BIN)/mypy

## test: lint, then the whole suite on SQLite and on a throwaway PostgreSQL server
test: lint
	$(BIN)/pytest

## bench: the performance runs in benchmarks/ (figures printed beside their references)
bench: install
	$(BIN)/python -m benchmarks $(BENCH)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
