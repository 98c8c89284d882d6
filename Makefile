# The two commands of the README: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run demo-codes bench load-test test test-embedded lint audit-check check-deploy supply-chain messages setup system-packages system-packages-test clean

run: setup
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	@echo "Portal: http://127.0.0.1:8000  (accounts: infirmiere, medecin, archiviste, gestionnaire, admin; password telesante-demo; sign-in code: make demo-codes)"
	$(VENV)/bin/honcho -f Procfile.dev start

test: setup system-packages-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n auto --dist loadgroup

# The demo accounts' current sign-in code (their authenticator app shares one published demo secret).
demo-codes: $(VENV)/.installed
	@DJANGO_DEBUG=true $(PY) manage.py seed_demo --codes

# The suite without the browser, on the embedded defaults (SQLite, folder broker), whatever the environment.
test-embedded: setup
	env -u DATABASE_URL -u CELERY_BROKER_URL $(VENV)/bin/pytest -n auto --dist loadgroup -m "not browser"

setup: system-packages $(VENV)/.installed static/vendor/.installed locale/.compiled .env

system-packages:
	@scripts/system-packages.sh run

system-packages-test:
	@scripts/system-packages.sh test

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.installed: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map static/vendor/
	touch $@

locale/.compiled: $(wildcard locale/*/LC_MESSAGES/django.po) $(VENV)/.installed
	DJANGO_DEBUG=true $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0
	touch $@

# A development .env so that manage.py works by hand; never committed, never used in production.
.env:
	echo "DJANGO_DEBUG=true" > $@

# Extract the strings of the code and templates into both catalogues (then translate fr).
messages: $(VENV)/.installed
	DJANGO_DEBUG=true $(PY) manage.py makemessages -l fr -l en --no-obsolete --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=bench
	$(PY) scripts/english_catalogue.py locale/en/LC_MESSAGES/django.po

# The audit trail's hash chain, verified on a scratch database after the demo's journeys wrote to it
# (DATABASE_URL if set, else an embedded database under var/audit-check/).
audit-check: $(VENV)/.installed
	rm -rf var/audit-check && mkdir -p var/audit-check
	DJANGO_DEBUG=true PORTAL_VAR_DIR=$(CURDIR)/var/audit-check $(PY) manage.py migrate --no-input -v0
	DJANGO_DEBUG=true PORTAL_VAR_DIR=$(CURDIR)/var/audit-check $(PY) manage.py seed_demo
	DJANGO_DEBUG=true PORTAL_VAR_DIR=$(CURDIR)/var/audit-check $(PY) manage.py verify_audit_chain

check-deploy: $(VENV)/.installed
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  DJANGO_ALLOWED_HOSTS=telesante.example.org $(PY) manage.py check --deploy --fail-level WARNING

# bandit over our code (accepted findings are marked where they are) and pip-audit over the pinned dependencies.
supply-chain: $(VENV)/.installed
	$(PY) scripts/supply_chain.py

# The benchmarks (bench/README.md): a region's data set in PostgreSQL (telesante_bench, built once, about
# 5 minutes), then gunicorn with production settings driven by wrk, and the load, Celery, worker, PDF and
# memory figures; prints the table and writes bench/results/latest.json.
# BENCH_ARGS passes options, e.g. BENCH_ARGS="--scale 0.01 --database telesante_bench_small".
bench: $(VENV)/.bench-installed
	@scripts/system-packages.sh bench
	$(PY) bench/run.py $(BENCH_ARGS)

# 50 professionals for LOAD_SECONDS against gunicorn, PostgreSQL, Redis and a real worker (bench/load/);
# fails on any unexpected error or broken invariant, and reports the latencies. Then the audit chain that
# the web workers and the Celery worker wrote side by side during the load is verified.
LOAD_SECONDS ?= 300
BENCH_PG_SERVER ?= postgres://postgres@127.0.0.1:5432
BENCH_LOAD_DATABASE ?= loadtest
load-test: $(VENV)/.bench-installed
	$(PY) -m bench.load.runner --duration $(LOAD_SECONDS) --users 50 --check
	DJANGO_DEBUG=true DATABASE_URL=$(BENCH_PG_SERVER)/$(BENCH_LOAD_DATABASE) $(PY) manage.py verify_audit_chain

$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $@

clean:
	rm -rf $(VENV) node_modules static/vendor locale/.compiled
