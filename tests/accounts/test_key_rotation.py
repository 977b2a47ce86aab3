"""Key rotation: during a rotation the JWKS publishes the previous and the new OIDC key and both are
accepted (new tokens signed by the new one only), the previous secret key keeps sessions and signed
values valid, and once the previous keys are dropped what they signed is refused. Keys under var/
are written owner-only."""
import base64
import json
import os
import secrets
import subprocess
import sys
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from jwcrypto import jwk

from accounts.services import machine_client_create
from geo.settings.identity import new_rsa_private_key_pem, oidc_private_keys
from geo.settings.security import secret_keys
from tests.accounts.test_tokens import collections, make_token
from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def kid(pem: str) -> str:
    return jwk.JWK.from_pem(pem.encode()).thumbprint()


def restart_oidc(settings, var_dir):
    """What a restart does: the settings read the keys under var/ again."""
    active, inactive = oidc_private_keys(var_dir)
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": active,
                                "OIDC_RSA_PRIVATE_KEYS_INACTIVE": inactive}
    return active


def jwks_kids(client) -> set[str]:
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert all(k["alg"] == "RS256" and "d" not in k for k in keys)  # public halves only
    return {k["kid"] for k in keys}


def issued_kid(client, machine) -> str:
    """The `kid` of an access token the provider issues now (client credentials)."""
    basic = base64.b64encode(f"{machine.client_id}:{machine.client_secret}".encode()).decode()
    response = client.post("/o/token/", {"grant_type": "client_credentials", "scope": "read"},
                           HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content
    header = response.json()["access_token"].split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]


def test_an_oidc_rotation_publishes_and_accepts_both_keys_until_the_previous_is_dropped(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    old = restart_oidc(settings, tmp_path)  # generated on first use, as on a fresh install
    old_key = jwk.JWK.from_pem(old.encode())
    machine = machine_client_create(name="rotation-sync", roles=["utility"])
    before = make_token(key=old_key)
    assert jwks_kids(client) == {kid(old)} and issued_kid(client, machine) == kid(old)

    call_command("rotate_keys", oidc=True, stdout=StringIO())
    new = restart_oidc(settings, tmp_path)
    assert new != old
    assert jwks_kids(client) == {kid(new), kid(old)}
    assert issued_kid(client, machine) == kid(new)  # new tokens: the new key only
    response = collections(client, before)  # a token signed before the rotation, still within its 15 min
    assert response.status_code == 200
    assert "water_pipes" in {c["id"] for c in response.json()["collections"]}  # with its roles
    assert collections(client, make_token(key=jwk.JWK.from_pem(new.encode()))).status_code == 200
    stranger = jwk.JWK.from_pem(new_rsa_private_key_pem().encode())
    assert collections(client, make_token(key=stranger)).status_code == 401  # an unknown key

    call_command("rotate_keys", oidc=True, drop_previous=True, stdout=StringIO())
    restart_oidc(settings, tmp_path)
    assert jwks_kids(client) == {kid(new)}
    assert collections(client, before).status_code == 401


def test_rotate_keys_writes_owner_only_files_whatever_the_umask(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    umask = os.umask(0)  # a careless umask must not make a key readable by others
    try:
        for _ in range(3):  # the first run creates, the others rotate
            call_command("rotate_keys", oidc=True, secret_key=True, stdout=StringIO())
    finally:
        os.umask(umask)
    names = sorted(p.name for p in tmp_path.iterdir())  # no temporary file left behind either
    assert len(names) == 5 and names[0] == "oidc-key.pem" and names[3:] == ["secret_key", "secret_key.previous"]
    assert all(n.startswith("oidc-key.previous-") and n.endswith(".pem") for n in names[1:3]), names
    for path in tmp_path.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert len((tmp_path / "secret_key.previous").read_text().split()) == 2  # both earlier keys


def test_a_secret_readable_by_others_is_tightened(tmp_path):
    (tmp_path / "secret_key").write_text("cu-" + secrets.token_urlsafe(40))
    (tmp_path / "secret_key").chmod(0o644)
    key, fallbacks = secret_keys(tmp_path)
    assert key.startswith("cu-") and fallbacks == []
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_the_previous_secret_key_keeps_sessions_and_signed_values_valid(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secret_keys(tmp_path)
    admin = User.objects.create_superuser("quan-tri-xoay", password="Mat-khau-xoay-1")
    active, idle = Client(), Client()  # two sessions; only the first is used during the rotation
    for session in (active, idle):
        session.force_login(admin)
        assert session.get("/admin/").status_code == 200
    signed = signing.dumps({"thua": 57})

    call_command("rotate_keys", secret_key=True, stdout=StringIO())
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secret_keys(tmp_path)
    assert settings.SECRET_KEY != old_key and settings.SECRET_KEY_FALLBACKS == [old_key]
    assert active.get("/admin/").status_code == 200  # still signed in (and the session re-signed)
    assert signing.loads(signed) == {"thua": 57}

    call_command("rotate_keys", secret_key=True, drop_previous=True, stdout=StringIO())
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secret_keys(tmp_path)
    assert settings.SECRET_KEY_FALLBACKS == []
    assert active.get("/admin/").status_code == 200
    assert idle.get("/admin/").status_code == 302  # untouched since the old key: signed out
    with pytest.raises(signing.BadSignature):
        signing.loads(signed)


def test_previous_keys_given_in_the_environment(tmp_path, monkeypatch):
    old_pem, new_pem, older_pem = (new_rsa_private_key_pem() for _ in range(3))
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "geo.settings", "GEO_VAR_DIR": str(tmp_path),
           "DATABASE_URL": "postgres://u:p@127.0.0.1:1/none",
           "DJANGO_SECRET_KEY": "moi-" + secrets.token_urlsafe(40), "DJANGO_SECRET_KEY_FALLBACKS": "cu-1, cu-2",
           "GEO_OIDC_RSA_PRIVATE_KEY": new_pem, "GEO_OIDC_RSA_PRIVATE_KEYS_INACTIVE": old_pem + older_pem}
    show = ("import json; from django.conf import settings as s; print(json.dumps([s.SECRET_KEY_FALLBACKS, "
            "s.OAUTH2_PROVIDER['OIDC_RSA_PRIVATE_KEYS_INACTIVE']]))")
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", show], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    fallbacks, inactive = json.loads(result.stdout.strip().splitlines()[-1])
    assert fallbacks == ["cu-1", "cu-2"]
    assert [kid(pem) for pem in inactive] == [kid(old_pem), kid(older_pem)]
    assert not list(tmp_path.iterdir())  # nothing generated under var/: the keys come from the environment

    monkeypatch.setenv("GEO_OIDC_RSA_PRIVATE_KEY", new_pem)  # rotating a file would change nothing
    with pytest.raises(CommandError, match="GEO_OIDC_RSA_PRIVATE_KEYS_INACTIVE"):
        call_command("rotate_keys", oidc=True)
