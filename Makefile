# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run dev test lint lock format messages bench bench-imports bench-delivery bench-editor loadtest mutation mutation-interchange

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# `make run` serves as readers will see it: DEBUG off (Digest's own error pages), static files
# collected and served by WhiteNoise, a secret key made once into .secret-key (git-ignored), plain
# HTTP on loopback, and a task worker beside gunicorn (sends, confirmation and moderators' mail);
# mail is written to ./mail/ (one file per connection), nothing leaves the machine; Ctrl-C stops
# both. `make dev` serves with DEBUG on and reloads on change.
run: export DJANGO_DEBUG = false
run: export DJANGO_SECRET_KEY_FILE = $(CURDIR)/.secret-key
run: export DJANGO_ALLOWED_HOSTS = 127.0.0.1,localhost,[::1],$(HOST)
run: export DJANGO_SECURE_SSL_REDIRECT = false
run: export DJANGO_SECURE_COOKIES = false
run: export DJANGO_HSTS_SECONDS = 0
run: export DIGEST_REQUEST_LOG = false
run: export DJANGO_EMAIL_BACKEND = django.core.mail.backends.filebased.EmailBackend
run dev: export DIGEST_SITE_URL = http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	@mkdir -p mail
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/); mail goes to ./mail/"
	@export DIGEST_SITE_URL=$${DIGEST_SITE_URL:-http://$(HOST):$(PORT)}; \
	trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py db_worker --queue-name '*' & \
	  $(VENV)/bin/gunicorn digest.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

dev: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Style, the layers of issues/ (import-linter contracts in pyproject.toml), and types.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy issues delivery digest

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# requirements.lock: the runtime dependencies resolved in a fresh virtualenv, for the Docker image.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip && .lock-venv/bin/pip install --quiet .
	{ sed -n 1,2p requirements.lock; .lock-venv/bin/pip freeze --exclude-editable | grep -v '^digest'; } \
	  > requirements.lock.new && mv requirements.lock.new requirements.lock && rm -rf .lock-venv build

messages: install
	$(PY) manage.py makemessages -l zh_Hans --ignore '.venv/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'

# Throughput of the production stack on loopback (needs nginx-light, wrk, openssl; PostgreSQL
# when DATABASE_URL points to one). Writes bench/RESULTS.md.
bench: install
	$(PY) bench/run.py
	$(PY) bench/imports.py
	$(PY) bench/editor.py

# import_archive of 100 issues alone (also part of `make bench`); appends to bench/RESULTS.md.
bench-imports: install
	$(PY) bench/imports.py

# Mutation testing of the Markdown interchange parser against its fast tests (mutmut, in a
# scratch copy of the project); prints the kill rate and every surviving mutant.
mutation-interchange: install
	$(PY) -m pip install --quiet -e '.[mutation]'
	$(PY) bench/mutation_interchange.py

# The editor's part alone: the 300-item change page in Chromium (load, requests, save).
bench-editor: install
	$(PY) bench/editor.py

# Readers, reports and an editor at once against gunicorn on PostgreSQL (DATABASE_URL, or a
# throwaway cluster when run as root); fails on any 5xx or any lost report or save. Then the
# same with mail to a server that accepts and never answers, and a task worker running.
# LOADTEST_DURATION=seconds (default 60); LOADTEST_FAULT=1 restarts PostgreSQL mid-run (root).
loadtest: install
	$(PY) tests/support/loadtest.py
	$(PY) tests/support/loadtest.py --slow-mail

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

# Sending at 100,000 subscribers on PostgreSQL (DATABASE_URL, or a throwaway cluster as root):
# queueing time, 2 db_workers into Postfix's smtp-sink against a raw smtplib loop, worker memory,
# the subscribers admin and the send page. Appends to bench/RESULTS.md.
bench-delivery: install
	$(PY) bench/delivery.py
