"""Shared fixtures: the test database (real PostGIS, created by pytest-django) holding a small demo
province, and the platform served by gunicorn on a free local port for HTTP and browser tests."""
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
TEST_PARCELS = 3000  # enough for paging and several map sheets per commune; the 1M run is in bench/


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database with the demo province committed once (tests roll back their own writes)."""
    # pytest-django sets up the test database only when a collected test is marked django_db.
    assert connection.settings_dict["NAME"].startswith("test_"), "refusing to seed a non-test database"
    with django_db_blocker.unblock():
        call_command("seed_demo", parcels=TEST_PARCELS, verbosity=0)
    yield
    with django_db_blocker.unblock():
        # Servers and commands started on the test database (platform_url's gunicorn, run_manage) may
        # still hold connections; close them so the database can be dropped.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def test_db_env(django_db_setup) -> dict:
    """Environment for other processes (servers, commands) working on the test database; what they
    write is committed, unlike the writes of a test, which roll back."""
    db = connection.settings_dict
    url = (f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'])}@{db['HOST'] or 'localhost'}:"
           f"{db['PORT'] or 5432}/{quote(db['NAME'])}")
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "geo.settings.test",
            "GEO_ALLOWED_HOSTS": "127.0.0.1"}


def run_manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """`manage.py args` in another process on the test database (see test_db_env)."""
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, **kwargs)


def serve_platform(env: dict, *, workers: int = 2, log=None, preload: bool = True) -> tuple[subprocess.Popen, str]:
    """The platform served as `make run` serves it (scripts/serve.sh): gunicorn with geo.asgi's uvicorn
    worker, with the environment `env`; (the server, its base URL) once /healthz answers 200.
    Stop it with stop_platform. Its output goes to `log`, else to a temporary file: never to a pipe
    nobody reads (once 64 kB of request warnings filled one, every worker hung in logging)."""
    port = _free_port()
    output = log or tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "geo.asgi:application", "--worker-class", "geo.asgi.Worker",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "120", *(["--preload"] if preload else [])],
        cwd=ROOT, env=env, stdout=output, stderr=output)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=10).status_code == 200:
                if log is None:
                    output.close()  # the server writes on through its own descriptor
                return server, base
        except requests.RequestException:  # not listening yet, or still starting its workers
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            if log is None:
                output.seek(0)
                said = ": " + output.read().decode(errors="replace")[-2000:]
            else:
                said = f" (see {log.name})"
            pytest.fail("the platform did not start under gunicorn" + said)
        time.sleep(0.3)


def stop_platform(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=60)


@pytest.fixture(scope="session")
def platform_url(test_db_env):
    """The platform served as `make run` serves it (event streams on the event loop, public tiles and
    panels on the lean path, every other request in the WSGI thread pool), on the test database. Event
    streams send a heartbeat every second, so tests see a quiet stream's resume point move without waiting."""
    env = {**test_db_env, "GEO_LIVE_HEARTBEAT_SECONDS": "1"}
    (ROOT / "var" / "log").mkdir(parents=True, exist_ok=True)
    log = open(ROOT / "var" / "log" / "test-gunicorn.log", "w")
    server, base = serve_platform(env, log=log)
    yield base
    stop_platform(server)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright, shared by the session's browser tests (tests/browser.py)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, LAUNCH_ARGS

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium missing: make test installs Debian's chromium package")
    # Playwright's sync API runs an event loop in this thread; Django's test-database fixtures
    # then refuse to run unless told the thread is safe (it is: nothing here is async).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def sign_in_officer(client):
    """Sign the test client in as a new officer of a department: `sign_in_officer("land", "can-bo-x")`."""
    from django.contrib.auth.models import Group, User

    from layers.registry import officer

    def sign_in(department: str, username: str):
        user = User.objects.create_user(username, password="x-unused-x")
        user.groups.add(Group.objects.get_or_create(name=officer(department))[0])
        client.force_login(user)
        return user

    return sign_in
