# One command to run, one to test. Everything is installed from this repository's own files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The suite runs on SQLite and, when this PostgreSQL answers, on PostgreSQL too.
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL

.PHONY: setup run demo serve worker test lint unit bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,postgres]'  # the suite and CI run on PostgreSQL too
	touch $@

setup: $(VENV)/.installed

# Runs the app (Socket Mode) on the embedded SQLite database. Without Slack credentials in .env
# there is nothing to connect to, so it plays the offline demo against the local Slack emulator.
run: setup
	@if [ -f .env ] && grep -q '^SLACK_APP_TOKEN=.\+' .env || [ -n "$$SLACK_APP_TOKEN" ]; then \
		$(PY) -m bot run; \
	else \
		echo "No Slack credentials (.env): playing the offline demo instead. See README, 'Connect to Slack'."; \
		$(PY) -m bot demo; \
	fi

demo: setup
	$(PY) -m bot demo

serve: setup
	$(PY) -m bot serve

worker: setup
	$(PY) -m bot worker

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

unit: setup
	$(VENV)/bin/pytest -q

test: lint unit

bench: setup
	$(PY) tests/benchmarks/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data/*.db
