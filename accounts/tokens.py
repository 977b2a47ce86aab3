"""JWT access tokens: issued by the built-in provider (django-oauth-toolkit calls
`access_token_generator`), verified on every request that carries one, whether it comes from the
built-in provider or from the province's external OpenID Connect provider."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

import requests
from django.conf import settings
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException
from oauth2_provider.settings import oauth2_settings


class TokenRejected(Exception):
    """A bearer token that must not be honoured (the reason goes to logs, never to clients)."""


@lru_cache(maxsize=16)
def _key(pem: str) -> tuple[str, jwk.JWK]:
    key = jwk.JWK.from_pem(pem.encode())
    return key.thumbprint(), key


def signing_key() -> jwk.JWK:
    """The built-in provider's active RSA key (OIDC_RSA_PRIVATE_KEY), the only one that signs; its
    thumbprint is the `kid`."""
    return _key(oauth2_settings.OIDC_RSA_PRIVATE_KEY)[1]


def verification_keys() -> dict[str, jwk.JWK]:
    """The built-in provider's keys whose tokens are honoured, by `kid`: the active one and, during a
    rotation, the previous ones (OIDC_RSA_PRIVATE_KEYS_INACTIVE) until they are removed; the same
    set /o/.well-known/jwks.json publishes."""
    pems = [oauth2_settings.OIDC_RSA_PRIVATE_KEY, *oauth2_settings.OIDC_RSA_PRIVATE_KEYS_INACTIVE]
    return dict(_key(pem) for pem in pems)


def user_roles(user) -> list[str]:
    from layers.registry import roles_of

    return sorted(roles_of(user))


def access_token_generator(request) -> str:
    """An RS256 JWT access token (RFC 9068 profile) for an oauthlib token request: issuer,
    audience, expiry, subject, client, scopes and the user's roles."""
    now = int(time.time())
    client = request.client
    user = getattr(request, "user", None)
    if user is None and request.grant_type == "client_credentials":
        user = client.user  # a machine client acts as its service account

    profile = getattr(user, "profile", None) if user is not None else None
    claims = {
        "iss": oauth2_settings.oidc_issuer(request),
        "aud": settings.GEO_OIDC_AUDIENCE,
        "iat": now, "nbf": now, "exp": now + oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS,
        "sub": str(user.pk) if user is not None else f"client:{client.client_id}",
        "client_id": client.client_id,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(request.scopes or []),
        "roles": user_roles(user) if user is not None else [],
    }
    if profile is not None and profile.organisation_id:
        claims["org"] = profile.organisation_id
    kid, key = _key(oauth2_settings.OIDC_RSA_PRIVATE_KEY)
    token = jwt.JWT(header={"alg": "RS256", "typ": "at+jwt", "kid": kid}, claims=claims)
    token.make_signed_token(key)
    return token.serialize()


@dataclass
class Issuer:
    """A provider whose tokens are trusted: its `iss`, how to get its keys, how its claims map to roles."""

    issuer: str
    keys: "KeySource"
    roles_claim: str = "roles"
    role_map: dict[str, str] = field(default_factory=dict)  # provider role -> platform role; empty: as is


class KeySource:
    def get(self, kid: str) -> jwk.JWK | None:
        raise TokenRejected("no keys")


class BuiltInKeys(KeySource):
    def get(self, kid: str) -> jwk.JWK | None:
        return verification_keys().get(kid)


class RemoteKeys(KeySource):
    """An external provider's JWKS (from its discovery document), cached; an unknown `kid` triggers
    one refetch (key rotation), at most every MIN_REFRESH_S seconds."""

    MIN_REFRESH_S = 60

    def __init__(self, issuer: str):
        self.issuer = issuer.rstrip("/")
        self.keyset: jwk.JWKSet | None = None
        self.fetched_at = 0.0

    def _fetch(self) -> None:
        self.fetched_at = time.monotonic()
        discovery = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=5).json()
        self.keyset = jwk.JWKSet.from_json(requests.get(discovery["jwks_uri"], timeout=5).text)

    def get(self, kid: str) -> jwk.JWK | None:
        try:
            if self.keyset is None:
                self._fetch()
            key = self.keyset.get_key(kid)
            if key is None and time.monotonic() - self.fetched_at > self.MIN_REFRESH_S:
                self._fetch()
                key = self.keyset.get_key(kid)
        except (requests.RequestException, ValueError, KeyError, JWException) as error:
            raise TokenRejected(f"keys of {self.issuer} unavailable: {error}")
        return key


@lru_cache(maxsize=8)
def external_issuers() -> tuple[Issuer, ...]:
    """The external providers configured in settings.GEO_OIDC_EXTERNAL (issuer URL, roles claim,
    role map); their key sets live as long as the process."""
    return tuple(Issuer(cfg["issuer"].rstrip("/"), RemoteKeys(cfg["issuer"]), cfg.get("roles_claim", "roles"),
                        cfg.get("role_map", {})) for cfg in settings.GEO_OIDC_EXTERNAL)


def trusted_issuers(request) -> list[Issuer]:
    return [Issuer(oauth2_settings.oidc_issuer(request).rstrip("/"), BuiltInKeys()), *external_issuers()]


def _claim(claims: dict, path: str):
    value = claims
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@dataclass
class TokenUser:
    """Who a valid access token speaks for (request.user on bearer requests)."""

    subject: str
    client_id: str
    token_roles: frozenset[str]
    organisation: str | None
    issuer: str
    scopes: frozenset[str] = frozenset()
    is_authenticated: bool = True
    is_anonymous: bool = False
    is_active: bool = True
    is_staff: bool = False
    is_superuser: bool = False
    pk = None

    def get_username(self) -> str:
        return self.subject


def verify_access_token(token: str, request) -> TokenUser:
    """Check a bearer token completely or raise TokenRejected: RS256 only (no `none`, no HMAC),
    a known `kid` of a trusted issuer, valid signature, `iss` of that issuer, our audience, within
    its validity period, an access token (not an ID token)."""
    try:
        header = _header(token)
    except (ValueError, JWException) as error:
        raise TokenRejected(f"malformed token: {error}")
    if header.get("alg") != "RS256":
        raise TokenRejected(f"algorithm {header.get('alg')!r} refused")
    if header.get("typ", "").lower() not in ("at+jwt", "application/at+jwt", "jwt", ""):
        raise TokenRejected("not an access token type")
    kid = header.get("kid")
    if not kid:
        raise TokenRejected("no kid")
    for issuer in trusted_issuers(request):
        key = issuer.keys.get(kid)
        if key is None:
            continue
        try:
            checked = jwt.JWT(jwt=token, key=key, algs=["RS256"], expected_type="JWS",
                              check_claims={"iss": issuer.issuer, "exp": None, "nbf": None})
        except (ValueError, JWException) as error:
            raise TokenRejected(f"invalid token: {error}")
        claims = json.loads(checked.claims)
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.GEO_OIDC_AUDIENCE not in audiences:
            raise TokenRejected("wrong audience")
        if "nonce" in claims or "at_hash" in claims or header.get("typ", "").lower() == "jwt" and "scope" not in claims:
            raise TokenRejected("an ID token is not an access token")
        if not claims.get("sub") or "exp" not in claims:
            raise TokenRejected("missing sub or exp")
        raw_roles = _claim(claims, issuer.roles_claim) or []
        roles = {issuer.role_map.get(r, r) if issuer.role_map else r for r in raw_roles
                 if not issuer.role_map or r in issuer.role_map}
        return TokenUser(subject=str(claims["sub"]), client_id=str(claims.get("client_id", claims.get("azp", ""))),
                         token_roles=frozenset(roles), organisation=claims.get("org"), issuer=issuer.issuer,
                         scopes=frozenset(str(claims.get("scope", "")).split()))
    raise TokenRejected(f"unknown kid {kid!r}")


def _header(token: str) -> dict:
    """The JOSE header of a compact JWS, unverified (only to pick algorithm and key)."""
    from jwcrypto.common import base64url_decode

    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    return json.loads(base64url_decode(parts[0]))
