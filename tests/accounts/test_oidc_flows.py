"""A real OpenID Connect client library (Authlib) against the built-in provider served by gunicorn:
client credentials for a utility's sync job, authorization code + PKCE (and refresh) for a browser."""
import re

import pytest
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from tests.conftest import run_manage

pytestmark = pytest.mark.django_db
REDIRECT = "http://127.0.0.1:9/callback"  # never fetched: the code is read from the redirect itself


def test_discovery_and_jwks(platform_url):
    discovery = requests.get(f"{platform_url}/o/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == f"{platform_url}/o"
    assert discovery["token_endpoint"] == f"{platform_url}/o/token/" and discovery["authorization_endpoint"]
    assert "RS256" in discovery["id_token_signing_alg_values_supported"]
    assert "S256" in discovery["code_challenge_methods_supported"]
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
    assert keys and keys[0]["alg"] == "RS256" and keys[0]["kid"]


def test_a_utility_sync_job_uses_client_credentials(platform_url, test_db_env):
    out = run_manage(test_db_env, "create_machine_client", "pc-sync-test", "--role", "utility",
                     "--organisation", "PCBP").stdout
    client_id = re.search(r"client_id=(\S+)", out).group(1)
    secret = re.search(r"client_secret=(\S+)", out).group(1)
    session = OAuth2Session(client_id, secret, token_endpoint_auth_method="client_secret_basic")
    token = session.fetch_token(f"{platform_url}/o/token/", grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer" and token["expires_in"] <= 900
    ids = {c["id"] for c in session.get(f"{platform_url}/ogcapi/collections?f=json", timeout=30).json()["collections"]}
    assert "power_lines" in ids and "cameras" not in ids
    assert session.get(f"{platform_url}/ogcapi/collections/cameras/items?f=json", timeout=30).status_code == 403
    wrong = OAuth2Session(client_id, "not-the-secret", token_endpoint_auth_method="client_secret_basic")
    with pytest.raises(Exception):
        wrong.fetch_token(f"{platform_url}/o/token/", grant_type="client_credentials")


def test_a_browser_signs_in_with_authorization_code_and_pkce(platform_url, test_db_env):
    client_id = re.search(r"client_id=(\S+)", run_manage(
        test_db_env, "create_browser_client", "web-test", "--redirect-uri", REDIRECT).stdout).group(1)
    run_manage({**test_db_env, "GEO_NEW_PASSWORD": "Mat-khau-ioc-2026"}, "create_officer", "ioc-test",
               "--department", "public_security")
    browser = requests.Session()
    browser.get(f"{platform_url}/accounts/login/", timeout=10)
    signed_in = browser.post(f"{platform_url}/accounts/login/", timeout=10, allow_redirects=False, data={
        "username": "ioc-test", "password": "Mat-khau-ioc-2026", "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        "next": "/"})
    assert signed_in.status_code == 302
    oauth = OAuth2Session(client_id, redirect_uri=REDIRECT, scope="openid profile read", code_challenge_method="S256")
    verifier = generate_token(48)
    url, state = oauth.create_authorization_url(f"{platform_url}/o/authorize/", code_verifier=verifier)
    redirected = browser.get(url, allow_redirects=False, timeout=10)
    assert redirected.status_code == 302 and redirected.headers["Location"].startswith(REDIRECT)
    token = oauth.fetch_token(f"{platform_url}/o/token/", authorization_response=redirected.headers["Location"],
                              code_verifier=verifier)
    assert {"access_token", "id_token", "refresh_token"} <= set(token)
    ids = {c["id"] for c in oauth.get(f"{platform_url}/ogcapi/collections?f=json", timeout=30).json()["collections"]}
    assert "cameras" in ids and "water_pipes" not in ids  # officer:public_security reads the cameras only
    id_token_as_bearer = requests.get(f"{platform_url}/ogcapi/collections?f=json", timeout=30,
                                      headers={"Authorization": f"Bearer {token['id_token']}"})
    assert id_token_as_bearer.status_code == 401
    refreshed = oauth.refresh_token(f"{platform_url}/o/token/")
    assert refreshed["access_token"] != token["access_token"]
    # Without the verifier the code exchange fails (PKCE).
    url, _ = oauth.create_authorization_url(f"{platform_url}/o/authorize/", code_verifier=generate_token(48))
    location = browser.get(url, allow_redirects=False, timeout=10).headers["Location"]
    code = re.search(r"code=([^&]+)", location).group(1)
    stolen = requests.post(f"{platform_url}/o/token/", timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id})
    assert stolen.status_code in (400, 401)
