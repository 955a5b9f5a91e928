# Relais — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
ADT_PORT ?= 2575
# Python keeps its compiled modules (__pycache__, git-ignored) even where the machine's
# environment says PYTHONDONTWRITEBYTECODE=1 (ours does): else every process, each test
# worker and each `relais` a test starts, compiles the project and the tests again (test
# collection: 13 s of CPU → 5 s).
unexport PYTHONDONTWRITEBYTECODE
# The suite runs on every core (pytest-xdist: at least 2 processes, at most 8, each with
# its own test database); `make test PYTEST_ARGS=` runs it in one.
WORKERS := $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -lt 2 ] && n=2; [ $$n -gt 8 ] && n=8; echo $$n)
PYTEST_ARGS ?= -n $(WORKERS)

.PHONY: run test setup test-setup lint messages compilemessages check-migrations clean bench

# uv (from PyPI, into the virtual environment) installs what pip would, the same versions,
# in seconds: about 10 s for the test extras where pip took 45 (CI builds it every run).
$(BIN)/relais: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e .
	touch $@

$(VENV)/.test-extras: $(BIN)/relais
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test]'
	touch $@

$(VENV)/.bench-extras: $(VENV)/.test-extras
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[test,bench]'
	touch $@

setup: $(BIN)/relais

## make run: set up, migrate the SQLite database under var/, load the demo, then run the
## web server, the worker (emails, to var/outbox) and the ADT listener together; Ctrl+C
## stops all three.
run: setup
	$(BIN)/relais migrate
	$(BIN)/relais demo
	$(BIN)/relais run --host $(HOST) --port $(PORT) --adt-port $(ADT_PORT)

## make test: lint, the layers' import contract, migration check, the whole suite
## (browser journeys included).
test: $(VENV)/.test-extras
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/relais manage makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

## make bench: every script in bench/, then one table of each figure beside its goal and the
## floors measured in the same run (pgbench -S, the minimal signed-in page); on PostgreSQL
## (BENCH_DATABASE: a server URL, or "sqlite"). Full sizes take hours (docs/bench.md);
## QUICK=1 runs each script at a small size; ONLY=pages,booklet runs some; PERSONS=1000000
## measures the pages on a generated population of that size beside one of 10,000.
BENCH_DATABASE ?= postgres://postgres@127.0.0.1:5432
bench: $(VENV)/.bench-extras
	BENCH_DATABASE=$(BENCH_DATABASE) $(BIN)/python bench/run_all.py $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY)) $(if $(PERSONS),--persons $(PERSONS))

lint: $(VENV)/.test-extras
	$(BIN)/ruff check src tests bench

## make messages: extract new strings into the nl and fr catalogues (needs GNU gettext).
messages: setup
	cd src/relais && ../../$(BIN)/relais manage makemessages -l nl -l fr --no-obsolete --no-location --no-wrap

## make compilemessages: rebuild the committed .mo files after editing .po files.
compilemessages: setup
	cd src/relais && ../../$(BIN)/relais manage compilemessages

## make lock: pin the production dependencies with their hashes (requirements/production.txt)
## after a change to pyproject.toml's dependencies, or to take a security release.
.PHONY: lock audit
lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --upgrade --generate-hashes --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --no-header -o requirements/production.new
	{ sed -n '/^#/p;/^$$/q' requirements/production.txt; echo; cat requirements/production.new; } \
		> requirements/production.tmp && mv requirements/production.tmp requirements/production.txt
	rm -f requirements/production.new

## make audit: known vulnerabilities in the pinned production dependencies (pip-audit; it
## asks the Python Packaging Advisory Database over the network).
audit: setup
	$(BIN)/python -m pip install --quiet pip-audit
	$(BIN)/pip-audit --disable-pip --require-hashes -r requirements/production.txt

clean:
	rm -rf $(VENV) var/test-artifacts .pytest_cache
