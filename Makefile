# slaweb: `make run` starts everything, `make test` runs the whole suite.
SHELL := /bin/bash
export PGPORT ?= 55432
export REDIS_PORT ?= 56379
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.lock | cut -c1-16)
MANAGE := $(PY) manage.py
# manage.py defaults to production settings (a real SECRET_KEY: .run/secret_key, made by
# `make services`); the test and dev targets name their settings themselves.
ARGS ?=

.PHONY: run dev test setup services system-deps migrate messages seed stop lint lock clean-run

run: setup migrate seed  ## the product as users get it (gunicorn, DEBUG off); Ctrl-C stops it
	@scripts/run.sh

dev: setup migrate seed  ## the autoreloading development server, DEBUG on
	@scripts/run.sh dev

test: export WITH_BROWSER=1
test: setup  ## the whole suite against real PostgreSQL, Redis and Chromium
	DJANGO_SETTINGS_MODULE=slaweb.settings.test $(VENV)/bin/pytest $(ARGS)

setup: $(STAMP) system-deps services messages

$(STAMP): requirements.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	@rm -f $(VENV)/.installed-* && touch $@

system-deps:
	@scripts/services.sh system-deps

services:
	@scripts/services.sh start

messages:
	@$(MANAGE) compilemessages --ignore=.venv --ignore=.run -v 0

migrate:
	$(MANAGE) migrate --database owner -v 1

seed:
	$(MANAGE) seed_demo

stop:
	@scripts/services.sh stop

lint:
	$(VENV)/bin/ruff check .

lock:  ## re-pin dependencies after editing pyproject.toml
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 -o requirements.lock
