#!/usr/bin/env bash
# Serves the platform in the foreground, once the packages and the database are up (`make run`):
# migrations, the demo province when the database is empty, static files, then gunicorn (ASGI).
# Started as root, no process of the running platform stays root: every step and gunicorn run as an
# unprivileged system user (GEO_USER, default `geo`, created when missing) that owns var/ (except
# the embedded database's files, which are the `postgres` user's, see pg.sh); secrets are mode 600.
# Usage: serve.sh [--serve-only]   (--serve-only: the privilege set-up and gunicorn, no manage.py steps)
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

var=${GEO_VAR_DIR:-$top/var}
user=${GEO_USER:-geo}
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
workers=${WORKERS:-3}

fail() { printf 'Serve: %s\n' "$1" >&2; exit 1; }

# The command prefix that runs a program as the service user. setpriv execs in place (runuser would
# keep a root parent waiting), and no-new-privs stops a setuid program from regaining root.
service=()
as_service() { "${service[@]}" "$@"; }

# Everything below var/ except what PostgreSQL owns; prints nothing, runs `find` actions.
find_var() {
  find "$var" \( -path "$var/pgdata" -o -path "$var/run" -o -path "$var/log/postgres.log" \) -prune -o "$@"
}

# Idempotent: the user, then the ownership and modes it needs. Only as root.
drop_privileges() {
  if ! id -u "$user" >/dev/null 2>&1; then
    command -v useradd >/dev/null || fail "the system user $user is missing and useradd is not available; create it."
    echo "Creating the system user $user, which serves the platform"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user" \
      || fail "useradd could not create the system user $user."
  fi
  [ "$(id -u "$user")" -ne 0 ] || fail "GEO_USER=$user is root; name an unprivileged user."
  [ "$port" -ge 1024 ] || fail "an unprivileged server cannot listen on port $port; use PORT=8000 behind a proxy."
  service=(env HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" LOGNAME="$user"
           setpriv --reuid="$user" --regid="$user" --init-groups --no-new-privs --)
  umask 077  # what the platform writes later (uploads, rasters, logs) is the service user's alone

  as_service test -r "$top/manage.py" -a -x "$top/.venv/bin/gunicorn" \
    || fail "the $user user cannot read $top; clone the project where other users may enter and read (e.g. /srv, /work), or run make run as a normal user."
  # through env, as below: setpriv's own exec has reached a Python under /root that no later exec could
  as_service env "$top/.venv/bin/python" -c 'import django, gunicorn' 2>/dev/null \
    || fail "the $user user cannot run .venv's Python ($(readlink -f .venv/bin/python)); recreate .venv from a Python other users may run: rm -rf .venv && PYTHON=/usr/bin/python3.11 make run"
  mkdir -p "$var/log" "$var/imports" "$var/rasters"
  find_var ! -user "$user" -exec chown -h "$user:$user" {} +
  chmod 711 "$var" "$var/log"  # others (postgres) may pass through to the database's files, not list
  find_var \( -type f -o -type d \) ! -path "$var" ! -path "$var/log" -perm /077 -exec chmod go-rwx {} +
  # Regular files only: root must not follow a link the service user could have planted in var/.
  find "$var" -maxdepth 1 -type f \( -name 'secret_key*' -o -name 'oidc-key*.pem' -o -name database.url \) \
    -exec chmod 600 {} +
  as_service test -w "$var" -a -w "$var/log" -a -w "$var/imports" -a -w "$var/rasters" \
    || fail "the $user user cannot reach $var; put it where other users may enter (e.g. /srv, /work)."
  # STATIC_ROOT sits in the project directory, which stays root's: only staticfiles/ is the user's.
  install -d -o "$user" -g "$user" "$top/staticfiles"
  find "$top/staticfiles" ! -user "$user" -exec chown -h "$user:$user" {} +
}

if [ "$(id -u)" -eq 0 ]; then drop_privileges; fi

if [ "${1:-}" != "--serve-only" ]; then
  # Set-up commands read and write the primary only (a replica may not have replayed their writes yet).
  as_service env GEO_REPLICA_URLS= .venv/bin/python manage.py migrate --noinput -v0
  # Every registered layer has its change-log triggers (system check layers.E010).
  as_service env GEO_REPLICA_URLS= .venv/bin/python manage.py check --database default --fail-level ERROR >/dev/null
  # Change-log entries older than GEO_CHANGE_LOG_RETENTION_DAYS (each feature keeps its latest).
  as_service env GEO_REPLICA_URLS= .venv/bin/python manage.py compact_change_log -v0
  as_service env GEO_REPLICA_URLS= .venv/bin/python manage.py seed_demo --if-empty
  as_service .venv/bin/python manage.py collectstatic --noinput -v0
  url="http://$host:$port"
  cat <<BANNER

Bình Phước spatial platform on $url/${service:+  (as the $user user)}
  Map (bản đồ):  $url/
  IOC:           $url/ioc/   (operations centre; citizens report at $url/phan-anh/)
  Open311:       $url/open311/v2/services.json
  OGC API:       $url/ogcapi/
  Admin:         $url/admin/  (create an account: .venv/bin/python manage.py createsuperuser)
  Health:        $url/healthz
Stop with Ctrl-C; \`make stop\` stops the embedded database.

BANNER
fi

# gunicorn's control socket (gunicornc) in var/, the service user's, rather than in its home. Each worker
# is an event loop (uvicorn, geo/asgi.py): live event streams on the loop, every other request in a
# pool of GEO_WSGI_THREADS threads.
exec "${service[@]}" .venv/bin/gunicorn geo.asgi:application --worker-class geo.asgi.Worker \
  --bind "$host:$port" --workers "$workers" --preload --timeout 120 \
  --control-socket "$var/gunicorn.ctl" --access-logfile - --error-logfile -
