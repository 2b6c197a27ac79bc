# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint format messages bench bench-delivery loadtest

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# gunicorn and a task worker (sends, confirmation mail) side by side; Ctrl-C stops both.
# Mail is written to ./mail/ (one file per connection), nothing leaves the machine.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@mkdir -p mail
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/); mail goes to ./mail/"
	@export DIGEST_SITE_URL=$${DIGEST_SITE_URL:-http://$(HOST):$(PORT)}; \
	trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py db_worker --queue-name '*' & \
	  $(VENV)/bin/gunicorn digest.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

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

# Readers, reports and an editor at once against gunicorn on PostgreSQL (DATABASE_URL, or a
# throwaway cluster when run as root); fails on any 5xx or any lost report or save.
# LOADTEST_DURATION=seconds (default 60); LOADTEST_FAULT=1 restarts PostgreSQL mid-run (root).
loadtest: install
	$(PY) bench/loadtest.py

# Sending at 100,000 subscribers on PostgreSQL (DATABASE_URL, or a throwaway cluster as root):
# queueing time, 2 db_workers into Postfix's smtp-sink against a raw smtplib loop, worker memory,
# the subscribers admin and the send page. Appends to bench/RESULTS.md.
bench-delivery: install
	$(PY) bench/delivery.py
