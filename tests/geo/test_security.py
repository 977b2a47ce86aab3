"""Browser-facing security: headers, CSP, production settings, sign-in rate limiting, CSRF."""
import re
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth.models import User

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def test_security_headers_and_a_strict_csp(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    html = response.content.decode()
    inline = [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag and "application/json" not in tag]
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)  # every inline script carries the nonce
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


def test_production_settings_pass_check_deploy(tmp_path):
    env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "GEO_TLS": "1", "GEO_ALLOWED_HOSTS": "gis.binhphuoc.gov.vn",
           "DATABASE_URL": "postgres://u:p@127.0.0.1:1/none", "GEO_VAR_DIR": str(tmp_path),
           "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "geo.settings"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_sign_in_attempts_are_rate_limited(client):
    User.objects.create_user("bi-khoa", password="Mat-khau-dung-1")
    for _ in range(4):
        assert client.post("/accounts/login/", {"username": "bi-khoa", "password": "sai"}).status_code == 200
    assert client.post("/accounts/login/", {"username": "bi-khoa", "password": "sai"}).status_code == 429
    locked = client.post("/accounts/login/", {"username": "bi-khoa", "password": "Mat-khau-dung-1"})
    assert locked.status_code == 429  # even the right password, until the cool-off ends
    other = client.post("/accounts/login/", {"username": "nguoi-khac", "password": "sai"})
    assert other.status_code == 200  # other accounts are not locked out


def test_forms_need_their_csrf_token():
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/accounts/login/", {"username": "x", "password": "y"}).status_code == 403
