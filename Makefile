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

# Serves in the foreground: migrations, the demo province when empty, static files, gunicorn.
# Started as root, the platform runs as the unprivileged `geo` user (see scripts/serve.sh).
run: setup db
	@HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) exec scripts/serve.sh

test:
	@scripts/bootstrap.sh --browser
	@$(MAKE) -s db
	@$(PY) -m pytest $(PYTEST_ARGS)

stop:
	@scripts/pg.sh stop

# Regenerate pygeoapi-config.yml after changing a layer's spec.
config: setup db
	@$(PY) manage.py generate_pygeoapi_config

# Benchmarks (not part of the tests). bench/speed.py: 1,000,000 parcels seeded once (timed against a raw
# COPY) in <db>_speed, kept for `SPEED_ARGS=--reuse`; the platform (gunicorn, 2 workers) against the raw
# SQL (pgbench, bench/pgbench/) and TiPg 1.6.1 (its own virtualenv in var/bench/) at 1 and 8 clients;
# the imports and the tile cache's miss cost from their benchmarks; the issue-12 table, also written to
# var/bench/speed.md. Then the change log's cost and feed speed (bench/change_log.py) and live push to
# 1,000 clients (bench/live_push.py).
bench: setup db
	@$(PY) bench/speed.py $(BENCH_ARGS) $(SPEED_ARGS)
	@$(PY) bench/change_log.py $(BENCH_ARGS) $(CHANGE_LOG_ARGS)
	@$(PY) bench/live_push.py $(LIVE_ARGS)
