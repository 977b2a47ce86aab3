#!/usr/bin/env bash
# The embedded PostGIS cluster under var/: `pg.sh start` creates it on first use and starts it
# (bound to 127.0.0.1 only, data kept across restarts), `pg.sh stop` stops it, `pg.sh status`.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` OS user.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

bin=/usr/lib/postgresql/15/bin
data=$top/var/pgdata
run=$top/var/run
log=$top/var/log/postgres.log
port=${GEO_PG_PORT:-54329}
url_file=$top/var/database.url

fail() { printf 'Database: %s\n' "$1" >&2; exit 1; }
[ -x "$bin/pg_ctl" ] || fail "PostgreSQL 15 is not installed (run make run, which installs it)."

as_server() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -f "$data/postmaster.pid" ] && as_server "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

init() {
  mkdir -p "$top/var/log" "$run"
  if [ "$(id -u)" -eq 0 ]; then
    as_server test -x "$top/var" 2>/dev/null \
      || fail "the postgres user cannot reach $top/var; clone the project where other users may enter (e.g. /srv, /work) or set DATABASE_URL."
    install -d -o postgres -g postgres -m 700 "$data"
    chown postgres:postgres "$run"
    touch "$log" && chown postgres:postgres "$log"
  else
    install -d -m 700 "$data"
  fi
  password=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  pwfile=$(mktemp) && printf '%s\n' "$password" > "$pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
  echo "Creating the embedded PostGIS cluster in var/pgdata"
  as_server "$bin/initdb" -D "$data" -U geo --pwfile="$pwfile" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null || { rm -f "$pwfile"; fail "initdb failed"; }
  rm -f "$pwfile"
  cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$run'
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
# A streaming standby may follow this cluster (pg_basebackup -R; GEO_REPLICA_URLS, tests/geo/test_replica.py):
# PostgreSQL 15's defaults, written down; initdb's pg_hba.conf admits replication from 127.0.0.1 (scram).
wal_level = replica
max_wal_senders = 10
hot_standby = on
CONF
  umask 077
  printf 'postgres://geo:%s@127.0.0.1:%s/geo\n' "$password" "$port" > "$url_file"
}

# The port chosen when the cluster was created (GEO_PG_PORT then), as recorded in var/database.url.
recorded_port() { [ -f "$url_file" ] && port=$(sed -E 's#^.*:([0-9]+)/[^/]*$#\1#' "$url_file"); true; }

start() {
  [ -f "$data/PG_VERSION" ] || init
  recorded_port
  if ! running; then
    as_server "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null \
      || fail "the server did not start; see var/log/postgres.log"
  fi
  export PGPASSWORD
  PGPASSWORD=$(sed -E 's#^postgres://geo:([^@]*)@.*#\1#' "$url_file")
  if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U geo -d postgres -Atqc \
       "SELECT 1 FROM pg_database WHERE datname = 'geo'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U geo -E UTF8 geo
  fi
}

case "${1:-}" in
  start) start ;;
  stop) if running; then as_server "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; echo "Embedded PostGIS stopped."; else echo "Embedded PostGIS is not running."; fi ;;
  status) recorded_port; if running; then echo "running on 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
