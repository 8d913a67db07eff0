# Two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
SCALE ?= default

.PHONY: run test lint fmt migrate bench venv fuzz sbom

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	. scripts/local_env.sh && $(PY) manage.py migrate --noinput

run: $(STAMP)
	@scripts/run.sh

test: $(STAMP)
	@$(PY) scripts/check_services.py
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/bandit -q -c pyproject.toml -r .
	$(VENV)/bin/pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The API contract test (tests/api_contract) with many more examples per
# operation; `make test` runs it with 25. Never part of `make test`.
FUZZ_EXAMPLES ?= 500
fuzz: $(STAMP)
	@$(PY) scripts/check_services.py
	FUZZ_MAX_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -n auto -p no:cacheprovider tests/api_contract $(PYTEST_ARGS)

# A CycloneDX SBOM of the pinned runtime dependencies (sbom.cdx.json, not committed).
sbom: $(STAMP)
	$(VENV)/bin/cyclonedx-py requirements requirements.txt --output-format JSON --output-file sbom.cdx.json

# Benchmarks against gunicorn + PostgreSQL + Redis (never part of `make test`).
bench: $(STAMP)
	@$(PY) scripts/check_services.py
	SCALE=$(SCALE) $(PY) benchmarks/run.py
	SCALE=$(SCALE) $(PY) benchmarks/slo_eval.py
