# One command to run, one to test. Everything is installed from this repository's own files.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The suite runs on SQLite and, when this PostgreSQL answers, on PostgreSQL too.
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL

# Exact versions of every dependency (runtime, dev and the PostgreSQL driver), refreshed by `make lock`.
CONSTRAINTS := constraints.txt
# `make lock` resolves in a throw-away venv inside the git-ignored venv folder.
LOCK_VENV := $(VENV)/lock-venv
# The test suite and CI run on PostgreSQL too, so the development install has the driver.
EXTRAS := dev,postgres

.PHONY: setup run demo demo-full serve worker test lint unit bench mutation lock clean

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[$(EXTRAS)]'
	touch $@

setup: $(VENV)/.installed

# Re-resolve every dependency from pyproject.toml alone (the newest versions its bounds allow) in a
# throw-away venv and write the exact versions to constraints.txt. Review the diff, then `make test`.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[$(EXTRAS)]'
	{ echo "# Exact versions of every runtime and dev dependency, transitively: make lock writes this file"; \
	  echo "# (pip freeze of a clean venv with -e '.[$(EXTRAS)]', $$($(LOCK_VENV)/bin/python -V), $$(uname -s) $$(uname -m))."; \
	  echo "# Used as: pip install -c constraints.txt -e '.[$(EXTRAS)]' (make setup)."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

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

# The whole programme year, not the brief story `make run` and `make demo` play.
demo-full: setup
	$(PY) -m bot demo --full

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

# Mutation testing of the critical modules (matching rules, concerns, reflections, the outbox), SQLite
# only, two mutants at a time; README "Mutation testing". MUTATION_ARGS=--all runs every mutant.
mutation: setup
	TEST_DATABASE_URL= $(PY) tests/mutation/run.py $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data/*.db
