#!/usr/bin/env bash
# Installs what the platform needs, once: Debian packages when missing, then a virtualenv with the
# pinned Python packages. Re-running skips what is already done. Usage: bootstrap.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting gdal-bin libgdal-dev python3.11-venv)
# The real clients the tests drive: Chromium (pages) and QGIS (the officers' desktop tool).
[ "${1:-}" = "--browser" ] && packages+=(chromium python3-qgis qgis-providers)

fail() { printf '\nSet-up failed: %s\n' "$1" >&2; exit 1; }

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "these system packages are missing and this is not a Debian/Ubuntu machine: ${missing[*]}. Install them with your package manager (or set DATABASE_URL to an existing PostGIS 3 server)."
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "installing ${missing[*]} needs root, and sudo is not available."
    sudo="sudo"
  fi
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq >/dev/null || fail "apt-get update failed (is the Debian mirror reachable?)"
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get could not install ${missing[*]}; run 'apt-get install ${missing[*]}' to see why."
fi

# Started as root, `make run` serves as an unprivileged user (scripts/serve.sh), who must be able to run
# .venv's Python: not one under root's home (pyenv's in /root, say). As root, the first Python 3.11 that
# such a user can run is taken, and a .venv made from one they cannot run is made again.
others_can_run() {
  [ "$(id -u)" -ne 0 ] || setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs -- env "$1" -c '' 2>/dev/null
}
python=""
for candidate in ${PYTHON:-python3 python3.11 /usr/bin/python3.11}; do
  # the interpreter itself (not a pyenv shim, which resolves otherwise for another user)
  exe=$("$candidate" -c 'import sys; print(sys.executable if sys.version_info[:2] == (3, 11) else "")' 2>/dev/null) || continue
  [ -n "$exe" ] || continue
  [ -n "$python" ] || python=$exe  # the first 3.11, if no user but root can run any
  if others_can_run "$exe"; then python=$exe; break; fi
done
[ -n "$python" ] || fail "Python 3.11 is required (found: $(${PYTHON:-python3} --version 2>&1)). Set PYTHON=/path/to/python3.11."
# The interpreter .venv was made from (not .venv itself: a project where others may not enter fails
# in serve.sh with its own reason, and must not have its .venv made again at every run).
if [ -x .venv/bin/python ] && ! others_can_run "$(readlink -f .venv/bin/python)" && others_can_run "$python"; then
  echo "Making .venv again from $python: the platform's service user cannot run $(readlink -f .venv/bin/python)"
  rm -rf .venv
fi
if [ ! -x .venv/bin/python ]; then
  echo "Creating virtual environment .venv"
  "$python" -m venv .venv || fail "could not create .venv (on Debian: apt-get install python3-venv)."
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing Python packages from requirements.txt"
  .venv/bin/pip install -qq --disable-pip-version-check -r requirements.txt \
    || fail "pip could not install requirements.txt (see the error above)."
  echo "$want" > "$stamp"
fi
