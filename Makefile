# The two commands of the README: `make run` (demo on http://127.0.0.1:8000) and
# `make test` (lint, checks and the whole suite). Both set up .venv on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
BOOT_PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra arguments for pytest, e.g. `make test PYTEST_ARGS="-k stage -x"`.
PYTEST_ARGS ?=
# Paths that makemessages and compilemessages must not walk into.
I18N_IGNORE := --ignore=.venv --ignore=staticfiles --ignore=var --ignore=node_modules

# The project installs only its dependencies (pyproject has `packages = []`), so they are
# read from pyproject.toml and installed with `pip install -r`; building the project itself
# would only leave build/ and *.egg-info behind.
define REQUIREMENTS_PY
import tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
print("\n".join(project["dependencies"] + project["optional-dependencies"]["dev"]))
endef
export REQUIREMENTS_PY

.PHONY: help install messages-compile run test lint format messages

help:
	@echo "make run       set up .venv, migrate, seed the demo and serve http://$(HOST):$(PORT)"
	@echo "make test      set up .venv, lint, check, makemigrations --check, run pytest"
	@echo "make lint      ruff check + ruff format --check"
	@echo "make format    ruff format + ruff check --fix"
	@echo "make messages  refresh the English catalogue locale/en/LC_MESSAGES/django.po"

$(PY):
	@test -n "$(BOOT_PYTHON)" || { echo "python3.11 or python3 is required" >&2; exit 1; }
	$(BOOT_PYTHON) -m venv $(VENV)

# Idempotent: the stamp holds the requirement list last installed, so nothing is
# reinstalled until the dependencies in pyproject.toml change.
install: $(PY)
	@$(PY) -c "$$REQUIREMENTS_PY" > $(VENV)/requirements.txt
	@if cmp -s $(VENV)/requirements.txt $(VENV)/.installed; then \
		echo "dependencies up to date ($(VENV))"; \
	else \
		echo "installing dependencies into $(VENV)"; \
		$(PY) -m pip install --quiet -r $(VENV)/requirements.txt; \
		cp $(VENV)/requirements.txt $(VENV)/.installed; \
	fi

# Works before any .po exists: an empty locale/ is enough for compilemessages.
messages-compile: install
	@mkdir -p locale
	$(MANAGE) compilemessages $(I18N_IGNORE) -v 0

# Demo: SQLite (no DATABASE_URL) and eager Celery (no REDIS_URL), runserver with DEBUG.
run: export DATABASE_URL :=
run: export REDIS_URL :=
run: export DEBUG := true
# Links in e-mails and the integration pack point at the port the demo serves on.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: messages-compile
	@mkdir -p var  # the SQLite file's directory; git does not keep it
	$(MANAGE) migrate --noinput -v 0
	$(MANAGE) seed_demo
	$(MANAGE) collectstatic --noinput -v 0
	@echo "Portal on $$SITE_URL/  (Ctrl-C to stop)"
	@# Celery beat runs the periodic jobs (ingestion sweep, trial evaluation, alarms, CRL)
	@# beside the server; without Redis each task runs inside beat's own process.
	@$(VENV)/bin/celery -A portal beat --loglevel WARNING -s var/celerybeat-schedule & \
		beat=$$!; trap 'kill $$beat 2>/dev/null' EXIT INT TERM; \
		$(MANAGE) runserver $(HOST):$(PORT)

# collectstatic with the production storage (hashed manifest, compression), as the web
# container runs it on start: it fails on a file that references a missing one. It takes
# about half a minute, so it reruns only when a static file or the dependencies changed.
STATIC_MANIFEST := staticfiles/staticfiles.json
$(STATIC_MANIFEST): $(shell find static -type f 2>/dev/null) pyproject.toml | install
	$(MANAGE) collectstatic --noinput -v 0
	@touch $@

# Uses DATABASE_URL / REDIS_URL from the environment when set (CI sets both).
# pytest runs serially: on two cores `-n auto` measured slower (each xdist worker migrates
# its own database); pass PYTEST_ARGS="-n auto" to try. pytest's exit code 5 (no test
# collected) fails the target like any other failure.
test: messages-compile
	@mkdir -p var  # the SQLite file's directory (makemigrations --check opens it); git does not keep it
	$(VENV)/bin/ruff check .
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	@$(MAKE) --no-print-directory $(STATIC_MANIFEST)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	@mkdir -p locale
	$(MANAGE) makemessages -l en $(I18N_IGNORE) --ignore=tests
