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

.PHONY: run test test-unit test-faults test-e2e lint fmt worker beat bench deps static migrate demo check clean backup restore

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

test: test-unit test-faults test-e2e

test-unit: deps
	$(VENV)/bin/pytest -n 2 -m "not broker and not faults"
	$(VENV)/bin/pytest -p no:xdist -m "broker and not faults"

# Failure tests stop Redis, kill a Celery worker and cut database connections: one process,
# after the unit tests (they need DATABASE_URL and CELERY_BROKER_URL, as CI sets them).
test-faults: deps
	$(VENV)/bin/pytest -p no:xdist -m faults

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

bench: static
	$(PY) -m benchmarks

# PostgreSQL backup (pg_dump -Fc) and restore into a fresh database (pg_restore); see SECURITY.md.
#   make backup  [DATABASE_URL=postgres://...] [BACKUP_FILE=backups/x.dump]
#   make restore BACKUP_FILE=backups/x.dump RESTORE_DATABASE_URL=postgres://.../xuchang_restored
BACKUP_FILE ?= backups/xuchang-$(shell date -u +%Y%m%dT%H%M%SZ).dump
backup:
	scripts/db_backup.sh backup "$(DATABASE_URL)" "$(BACKUP_FILE)"

restore:
	scripts/db_backup.sh restore "$(BACKUP_FILE)" "$(RESTORE_DATABASE_URL)"

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles
