# The one entry point. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1:8000
# The demo stands inside the 2013–2014 campaign, so "this month" has a history behind it.
DEMO_TODAY ?= 2014-07-02T10:00:00

.PHONY: run test test-unit test-e2e lint fmt worker beat bench deps static migrate demo check clean

$(VENV)/.deps: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

static/vendor/.stamp: node_modules/.package-lock.json scripts/copy_vendor.mjs
	node scripts/copy_vendor.mjs
	touch $@

deps: $(VENV)/.deps static/vendor/.stamp

static: deps
	$(MANAGE) collectstatic --noinput -v0

migrate: deps
	$(MANAGE) migrate --noinput
	$(MANAGE) sync_roles
	$(MANAGE) load_plan

demo: migrate
	APP_TODAY=$(DEMO_TODAY) $(MANAGE) seed_demo

run: static demo
	APP_TODAY=$(DEMO_TODAY) $(MANAGE) runserver $(HOST)

test: test-unit test-e2e

test-unit: deps
	$(VENV)/bin/pytest -n 2 -m "not broker"
	$(VENV)/bin/pytest -p no:xdist -m broker

# Browser tests run in their own pytest process: Playwright's event loop needs
# DJANGO_ALLOW_ASYNC_UNSAFE, which the unit suite must never run with.
test-e2e: deps
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(VENV)/bin/pytest e2e -p no:cacheprovider

lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: deps
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: deps
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

worker: deps
	$(VENV)/bin/celery -A xuchang_skills worker -l info --concurrency 2

beat: deps
	$(VENV)/bin/celery -A xuchang_skills beat -l info

bench: deps
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
