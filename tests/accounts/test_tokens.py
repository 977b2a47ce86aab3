"""Bearer tokens: a valid one grants its roles on every exit; every forged variant gets 401."""
import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from jwcrypto import jwk, jwt

from accounts import tokens

pytestmark = pytest.mark.django_db
ISSUER = "http://testserver/o"  # the built-in provider as the Django test client reaches it
AUDIENCE = "binhphuoc-gis"


def make_token(claims: dict | None = None, *, key=None, header: dict | None = None, drop: tuple = ()) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300, "sub": "42",
            "client_id": "test", "scope": "read", "roles": ["utility"], **(claims or {})}
    for name in drop:
        body.pop(name, None)
    key = key or tokens.signing_key()
    token = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": key.thumbprint(), **(header or {})}, claims=body)
    token.make_signed_token(key)
    return token.serialize()


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def collections(client, token):
    return client.get("/ogcapi/collections", {"f": "json"}, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_valid_token_carries_its_roles(client):
    response = collections(client, make_token())
    assert response.status_code == 200
    ids = {c["id"] for c in response.json()["collections"]}
    assert "water_pipes" in ids and "cameras" not in ids
    assert collections(client, make_token({"roles": []})).status_code == 200
    assert client.get("/ogcapi/collections/water_pipes/items", {"f": "json"},
                      HTTP_AUTHORIZATION=f"Bearer {make_token({'roles': []})}").status_code == 403


def forged_tokens():
    other_key = jwk.JWK.generate(kty="RSA", size=2048)
    now = int(time.time())
    valid = make_token()
    header, payload, signature = valid.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    public_pem = tokens.signing_key().export_to_pem()
    hs_key = jwk.JWK(kty="oct", k=base64.urlsafe_b64encode(public_pem).rstrip(b"=").decode())
    hs256 = jwt.JWT(header={"alg": "HS256", "kid": tokens.signing_key().thumbprint()}, claims=claims)
    hs256.make_signed_token(hs_key)
    return {
        "expired": make_token({"exp": now - 3600, "iat": now - 7200, "nbf": now - 7200}),
        "not yet valid": make_token({"nbf": now + 3600}),
        "wrong issuer": make_token({"iss": "https://evil.example/o"}),
        "wrong audience": make_token({"aud": "another-api"}),
        "alg none": f"{b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}.",
        "HS256 signed with the public key": hs256.serialize(),
        "unknown kid": make_token(key=other_key),
        "ID token": make_token({"aud": AUDIENCE, "nonce": "n-0S6_WzA2Mj", "at_hash": "x"}, header={"typ": "JWT"},
                               drop=("scope",)),
        "tampered payload": f"{header}.{b64({**claims, 'roles': ['admin']})}.{signature}",
        "no expiry": make_token(drop=("exp",)),
        "garbage": "not-a-jwt",
    }


@pytest.mark.parametrize("variant", list(forged_tokens()))
def test_forged_tokens_are_refused_with_401(client, variant):
    response = collections(client, forged_tokens()[variant])
    assert response.status_code == 401, variant
    assert response.json()["code"] == "InvalidToken"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/tiles/parcels/15/0/0.pbf", HTTP_AUTHORIZATION=f"Bearer {forged_tokens()[variant]}").status_code == 401


class _Provider(BaseHTTPRequestHandler):
    """A stand-in for the province's SSO: discovery and JWKS on 127.0.0.1."""

    keys: list[jwk.JWK] = []

    def do_GET(self):
        base = f"http://127.0.0.1:{self.server.server_port}"
        if self.path.endswith("/.well-known/openid-configuration"):
            body = {"issuer": base, "jwks_uri": f"{base}/jwks"}
        elif self.path == "/jwks":
            body = {"keys": [json.loads(k.export_public()) | {"kid": k.thumbprint(), "alg": "RS256", "use": "sig"}
                             for k in self.keys]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def external_provider(monkeypatch):
    _Provider.keys = [jwk.JWK.generate(kty="RSA", size=2048)]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    issuer = f"http://127.0.0.1:{server.server_port}"
    monkeypatch.setattr(tokens.RemoteKeys, "MIN_REFRESH_S", 0)
    tokens.external_issuers.cache_clear()
    config = [{"issuer": issuer, "roles_claim": "realm_access.roles",
               "role_map": {"gis-utility": "utility", "gis-ioc": "ioc_operator"}}]
    with override_settings(GEO_OIDC_EXTERNAL=config):
        yield issuer
    tokens.external_issuers.cache_clear()
    server.shutdown()


def test_an_external_provider_is_trusted_by_configuration(client, external_provider):
    from layers.registry import ROLE_IOC, readable_layers

    key = _Provider.keys[0]
    # gis-ioc maps to ioc_operator; "admin" is not in the role map, so it grants nothing.
    token = make_token({"iss": external_provider, "realm_access": {"roles": ["gis-ioc", "admin"]}}, key=key,
                       drop=("roles",))
    ids = {c["id"] for c in collections(client, token).json()["collections"]}
    assert ids == {spec.id for spec in readable_layers({ROLE_IOC})} and "cameras" in ids
    # Key rotation: the provider publishes a new key; a token signed with it is accepted after a refetch.
    _Provider.keys.append(jwk.JWK.generate(kty="RSA", size=2048))
    rotated = make_token({"iss": external_provider, "realm_access": {"roles": ["gis-utility"]}},
                         key=_Provider.keys[1], drop=("roles",))
    assert "water_pipes" in {c["id"] for c in collections(client, rotated).json()["collections"]}
    # A token naming the external issuer but signed by the built-in key is still refused.
    assert collections(client, make_token({"iss": external_provider})).status_code == 401
