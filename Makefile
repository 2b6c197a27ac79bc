# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format messages bench bench-imports loadtest mutation mutation-interchange

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	$(VENV)/bin/gunicorn digest.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Style, the layers of issues/ (import-linter contracts in pyproject.toml), and types.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy issues digest

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

# Throughput of the production stack on loopback (needs nginx-light, wrk, openssl; PostgreSQL
# when DATABASE_URL points to one). Writes bench/RESULTS.md.
bench: install
	$(PY) bench/run.py
	$(PY) bench/imports.py

# import_archive of 100 issues alone (also part of `make bench`); appends to bench/RESULTS.md.
bench-imports: install
	$(PY) bench/imports.py

# Mutation testing of the Markdown interchange parser against its fast tests (mutmut, in a
# scratch copy of the project); prints the kill rate and every surviving mutant.
mutation-interchange: install
	$(PY) -m pip install --quiet -e '.[mutation]'
	$(PY) bench/mutation_interchange.py

# Readers, reports and an editor at once against gunicorn on PostgreSQL (DATABASE_URL, or a
# throwaway cluster when run as root); fails on any 5xx or any lost report or save.
# LOADTEST_DURATION=seconds (default 60); LOADTEST_FAULT=1 restarts PostgreSQL mid-run (root).
loadtest: install
	$(PY) tests/support/loadtest.py

# Mutation testing of issues/text/ against its fast tests (mutmut; configured in pyproject.toml).
# Prints the kill rate; `$(VENV)/bin/mutmut results` lists the survivors, `mutmut show NAME` one.
mutation: install
	$(PY) -m pip install --quiet -e '.[mutation]'
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2 || true
	$(VENV)/bin/mutmut export-cicd-stats
	$(PY) -c "import json; s = json.load(open('mutants/mutmut-cicd-stats.json')); \
	done = s['killed'] + s['survived']; \
	print(f\"killed {s['killed']} of {done} ({100 * s['killed'] / max(done, 1):.0f} %), {s}\")"
