# Two commands: `make run` brings the platform up, `make test` runs the suite. Each installs what it
# needs on first use (Debian packages, .venv) and skips what is already done.
SHELL := /bin/bash
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 3
export GEO_ALLOWED_HOSTS ?= 127.0.0.1,localhost,[::1],$(HOST)

.PHONY: run test stop setup db config bench

setup:
	@scripts/bootstrap.sh

# The embedded PostGIS under var/, unless DATABASE_URL points at another server.
db:
	@if [ -z "$$DATABASE_URL" ]; then scripts/pg.sh start; fi

run: setup db
	@$(PY) manage.py migrate --noinput -v0
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py collectstatic --noinput -v0
	@printf '\nBình Phước spatial platform on http://%s:%s/\n  Map (bản đồ):  http://%s:%s/\n  OGC API:       http://%s:%s/ogcapi/\n  Admin:         http://%s:%s/admin/  (create an account: .venv/bin/python manage.py createsuperuser)\n  Health:        http://%s:%s/healthz\nStop with Ctrl-C; `make stop` stops the embedded database.\n\n' \
	  $(HOST) $(PORT) $(HOST) $(PORT) $(HOST) $(PORT) $(HOST) $(PORT) $(HOST) $(PORT)
	@exec .venv/bin/gunicorn geo.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) --preload --timeout 120 \
	  --access-logfile - --error-logfile -

test:
	@scripts/bootstrap.sh --browser
	@$(MAKE) -s db
	@$(PY) -m pytest $(PYTEST_ARGS)

stop:
	@scripts/pg.sh stop

# Regenerate pygeoapi-config.yml after changing a layer's spec.
config: setup db
	@$(PY) manage.py generate_pygeoapi_config

# Benchmarks (not part of the tests): seed_demo at 1,000,000 parcels, timed against raw COPY.
bench: setup db
	@$(PY) bench/seed_demo.py $(BENCH_ARGS)
