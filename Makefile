# funnelChat: the front door. `make run` and `make test` work offline with no keys.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: install install-dev run test test-pg e2e bench lint vendor migrate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed (a stamp per file).
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## Migrations, demo data on the first run, localstripe, server on 127.0.0.1:$(PORT) with worker and clock.
run: install
	PORT=$(PORT) $(BIN)/python -m app.devserver

## The whole non-browser suite in parallel (SQLite + fakeredis; PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set).
test: install-dev
	$(BIN)/python -m pytest -n auto -q -p no:cacheprovider tests --ignore=tests/e2e

## Browser tests in Debian's Chromium (/usr/bin/chromium): two workers, each with its own server and database
## (most of a browser test is waiting on the page, so two share even a 2-core machine well).
e2e: install-dev
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider tests/e2e

bench: install-dev
	$(BIN)/python -m bench

migrate: install
	$(BIN)/flask --app wsgi db upgrade

vendor:
	bash scripts/vendor.sh

clean:
	rm -rf $(VENV) instance/*.db instance/*.db-* tests/e2e/artifacts
