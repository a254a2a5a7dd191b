# `make test` installs everything it needs (virtual environments, npm packages) and runs every check.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov
STAMPS := .stamps

.PHONY: help prerequisites deps test lint typecheck pytest build demo bench clean

help:
	@echo "make demo   run the phantom token flow end to end on this machine (no AWS account)"
	@echo "make test   install dependencies, lint, type-check and run the whole test suite"
	@echo "make build  rebuild lambda/dist/phantom-token-authorizer.zip"
	@echo "make bench  run the benchmarks under bench/"
	@echo "make prerequisites  check what test and demo need from the machine (README: Requirements)"

# What test and demo need and do not install (Python 3.11+, Terraform 1.7+, the provider from
# the registry or a mirror, Node 20+ and npm): one line for each that is missing, before any
# installation starts.
prerequisites:
	@$(PYTHON) -m tests.support.prerequisites

$(STAMPS)/venv: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@

# checkov pins its own boto3 and friends: it gets an environment of its own.
$(STAMPS)/checkov: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@mkdir -p $(STAMPS) && touch $@

# The end-to-end tests and the demo run oidc-provider (tests/package.json) under Node 20+.
$(STAMPS)/npm: tests/package.json tests/package-lock.json
	cd tests && npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

deps: $(STAMPS)/venv $(STAMPS)/checkov $(STAMPS)/npm

lint: $(STAMPS)/venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMPS)/venv
	$(VENV)/bin/mypy

pytest: prerequisites deps
	CHECKOV_BIN=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest

test: prerequisites lint typecheck pytest

build:
	$(PYTHON) lambda/build.py

demo: prerequisites $(STAMPS)/venv $(STAMPS)/npm
	$(PY) -m tests.support.demo

bench: $(STAMPS)/venv
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(STAMPS) tests/node_modules .pytest_cache .mypy_cache .ruff_cache
