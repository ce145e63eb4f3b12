# journeykit — two commands: `make demo` and `make test`. Both set up everything they need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
JK := $(VENV)/bin/journeykit
DEMO_DIR ?= demo-workspace
HOST ?= 127.0.0.1
PORT ?= 8000
APT_PACKAGES := chromium fonts-dejavu-core fonts-noto-core poppler-utils openjdk-17-jre-headless postgresql

.PHONY: install system-deps demo test lint typecheck pytest bench schema clean

# Debian packages: Chromium renders PNG/PDF and drives the browser tests (never a downloaded
# browser); Java 17 runs local PySpark for the Spark backend tests.
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list | grep -qi dejavu || ! command -v java >/dev/null \
	    || ! command -v pdftoppm >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,spark,datasets]'
	touch $@

install: system-deps $(VENV)/.installed

demo: install
	$(JK) demo $(DEMO_DIR) --force --real
	$(JK) --workspace $(DEMO_DIR) serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: install
	$(VENV)/bin/mypy

pytest: install
	$(VENV)/bin/pytest

test: lint typecheck pytest

bench: install
	$(PY) bench/maps.py
	$(PY) bench/ingest.py
	$(PY) bench/collector.py

schema: install
	$(JK) map schema > docs/schema/map.schema.json
	$(JK) flows schema > docs/schema/flow.schema.json

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
