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

.PHONY: run test lint fmt migrate bench venv

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
	$(VENV)/bin/pytest -n auto --dist loadgroup $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks against gunicorn + PostgreSQL + Redis (never part of `make test`).
bench: $(STAMP)
	@$(PY) scripts/check_services.py
	SCALE=$(SCALE) $(PY) benchmarks/run.py
