"""Identity: the built-in OpenID Connect provider (django-oauth-toolkit) issuing RS256 JWT access
tokens, and the external providers whose tokens are also trusted."""
import json
import os
import re
from pathlib import Path

from .base import VAR_DIR
from .security import TLS, read_secret_file, write_secret_file


def new_rsa_private_key_pem() -> str:
    """A fresh 2048-bit RSA signing key, PKCS#8 PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def _pem_blocks(text: str) -> list[str]:
    return re.findall(r"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----\n?", text, flags=re.DOTALL)


def oidc_private_keys(var_dir: Path) -> tuple[str, list[str]]:
    """The active signing key and the inactive ones (previous keys during a rotation: published in
    the JWKS and still accepted, never used to sign). Active: GEO_OIDC_RSA_PRIVATE_KEY, or
    `var/oidc-key.pem`, generated on first use. Inactive: GEO_OIDC_RSA_PRIVATE_KEYS_INACTIVE (PEM
    blocks one after the other) and, with the key under var/, `var/oidc-key.previous*.pem`, written
    by `manage.py rotate_keys --oidc`."""
    inactive = _pem_blocks(os.environ.get("GEO_OIDC_RSA_PRIVATE_KEYS_INACTIVE", ""))
    key = os.environ.get("GEO_OIDC_RSA_PRIVATE_KEY", "")
    if not key:
        path = var_dir / "oidc-key.pem"
        if not path.exists():
            write_secret_file(path, new_rsa_private_key_pem(), replace=False)
        key = read_secret_file(path)
        inactive += [read_secret_file(p) for p in sorted(var_dir.glob("oidc-key.previous*.pem"), reverse=True)]
    return key, [pem for pem in inactive if pem.strip() != key.strip()]


_active_key, _inactive_keys = oidc_private_keys(VAR_DIR)

# The audience our access tokens carry and the API accepts.
GEO_OIDC_AUDIENCE = os.environ.get("GEO_OIDC_AUDIENCE", "binhphuoc-gis")
# External providers, JSON: [{"issuer": "https://sso.example/realms/x", "roles_claim": "realm_access.roles",
#                              "role_map": {"gis-land": "officer:land"}}]
GEO_OIDC_EXTERNAL = json.loads(os.environ.get("GEO_OIDC_EXTERNAL", "[]"))

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _active_key,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": _inactive_keys,  # published and accepted, never signing
    "OIDC_ISS_ENDPOINT": os.environ.get("GEO_OIDC_ISSUER", ""),  # empty: derived from the request
    "PKCE_REQUIRED": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 900,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 7 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,  # a replayed refresh token revokes its whole family
    # Behind TLS only https redirect URIs (RFC 9700); plain http stays for local development.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"] if TLS else ["http", "https"],
    "ACCESS_TOKEN_GENERATOR": "accounts.tokens.access_token_generator",
    "REFRESH_TOKEN_GENERATOR": "oauthlib.oauth2.rfc6749.tokens.random_token_generator",
    "SCOPES": {"openid": "OpenID Connect", "profile": "Hồ sơ", "read": "Đọc dữ liệu", "write": "Ghi dữ liệu"},
    "DEFAULT_SCOPES": ["read"],
    "OAUTH2_VALIDATOR_CLASS": "accounts.validators.PlatformValidator",
    # The OAuth 2.0 Security BCP (RFC 9700) in full: no implicit or password grants, S256 PKCE only,
    # tokens never in URLs, exact redirect URIs, rotating refresh tokens, hashed token storage.
    **{f"COMPLIANT_BCP_RFC9700_{rule}": True for rule in (
        "ACCESS_TOKEN_TRANSPORT", "AUTHZ_RESPONSE_ISS", "IMPLICIT_GRANT", "PASSWORD_GRANT", "PKCE_METHOD",
        "PKCE_REQUIRED", "REDIRECT_URI_MATCHING", "REDIRECT_URI_SCHEME", "REFRESH_TOKEN", "TOKEN_STORAGE")},
}
