"""The platform's OGC API as the sync client uses it: OAuth2 client-credentials tokens (fetched
again before they expire), items paged by their next links, single features with their ETag, the
change feed, and Part 4 writes with If-Match."""
from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import requests

GEOJSON = "application/geo+json, application/json;q=0.9"
TOKEN_MARGIN_S = 30  # fetch a new token this long before the current one expires
_ETAG = re.compile(r'^\s*(?:W/)?"(\d+)"\s*$')


class ApiError(Exception):
    """An answer the client cannot use: HTTP status, OGC exception code and the server's words."""

    def __init__(self, status: int | None, code: str, description: str):
        super().__init__(f"HTTP {status} {code}: {description}" if status else f"{code}: {description}")
        self.status, self.code, self.description = status, code, description


class Gone(ApiError):
    """The change feed no longer reaches back to the cursor: copy the whole layer again."""


class PreconditionFailed(ApiError):
    """If-Match failed: the feature changed on the server since the version the client holds."""

    def __init__(self, status, code, description, current: int | None):
        super().__init__(status, code, description)
        self.current = current


def version_of(etag: str | None) -> int | None:
    """The feature version an ETag names: '"3"' and 'W/"3"' (weakened by compression) -> 3."""
    match = _ETAG.match(etag or "")
    return int(match.group(1)) if match else None


def _error(response: requests.Response) -> ApiError:
    try:
        body = response.json()
        code, description = body.get("code") or body.get("error") or "Error", \
            body.get("description") or body.get("error_description") or ""
    except ValueError:
        code, description = "Error", response.text[:500]
    kind = Gone if response.status_code == 410 else ApiError
    return kind(response.status_code, str(code), str(description))


class Platform:
    """One collection API at `url` (the OGC API landing page, e.g. https://gis.example/ogcapi), as
    the machine client `client_id` (anonymous without credentials: public layers only)."""

    def __init__(self, url: str, *, client_id: str | None = None, client_secret: str | None = None,
                 scope: str = "read", token_url: str | None = None, timeout: float = 120):
        self.url = url.rstrip("/")
        self.client_id, self.client_secret, self.scope = client_id, client_secret, scope
        self.token_url, self.timeout = token_url, timeout
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "geosync/1"
        self._token: str | None = None
        self._expires_at = 0.0
        self.tokens_fetched = 0

    # --- tokens -------------------------------------------------------------------------------
    def _token_endpoint(self) -> str:
        """The token endpoint the platform publishes in its OpenID Connect discovery document
        (under the site's /o/, next to /ogcapi), unless given."""
        if self.token_url:
            return self.token_url
        parts = urlsplit(self.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        site = self.url[:-len("/ogcapi")] if self.url.endswith("/ogcapi") else origin
        for discovery in dict.fromkeys((f"{site}/o/.well-known/openid-configuration",
                                        f"{origin}/.well-known/openid-configuration")):
            try:
                response = self.http.get(discovery, timeout=self.timeout)
                if response.ok and response.json().get("token_endpoint"):
                    self.token_url = response.json()["token_endpoint"]
                    return self.token_url
            except (requests.RequestException, ValueError):
                continue
        raise ApiError(None, "NoTokenEndpoint", "Không tìm thấy địa chỉ cấp mã truy cập; hãy chỉ định --token-url. / "
                                                "No token endpoint found; give --token-url.")

    def token(self) -> str | None:
        """A valid access token (None when anonymous); a new one shortly before the old expires."""
        if not self.client_id:
            return None
        if self._token and time.monotonic() < self._expires_at - TOKEN_MARGIN_S:
            return self._token
        response = self.http.post(self._token_endpoint(), timeout=self.timeout,
                                  data={"grant_type": "client_credentials", "scope": self.scope},
                                  auth=(self.client_id, self.client_secret or ""))
        if not response.ok:
            error = _error(response)
            raise ApiError(response.status_code, error.code, "Không lấy được mã truy cập (kiểm tra client id và "
                           "secret). / Could not get an access token (check the client id and secret). "
                           f"{error.description}")
        body = response.json()
        self._token, self._expires_at = body["access_token"], time.monotonic() + float(body.get("expires_in", 300))
        self.tokens_fetched += 1
        return self._token

    def forget_token(self) -> None:
        self._token, self._expires_at = None, 0.0

    # --- requests ------------------------------------------------------------------------------
    def request(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> requests.Response:
        """`method url` with the bearer token; once more with a new token if the server says it
        expired or was revoked (401)."""
        if not url.startswith(("http://", "https://")):
            url = f"{self.url}/{url.lstrip('/')}"
        for attempt in (1, 2):
            token = self.token()
            sent = {"Accept": GEOJSON, **(headers or {})}
            if token:
                sent["Authorization"] = f"Bearer {token}"
            response = self.http.request(method, url, headers=sent, timeout=self.timeout, **kwargs)
            if response.status_code == 401 and token and attempt == 1:
                self.forget_token()
                continue
            return response

    def get_json(self, url: str, **params) -> dict:
        response = self.request("GET", url, params=params or None)
        if response.status_code != 200:
            raise _error(response)
        try:
            return response.json()
        except ValueError:
            raise ApiError(200, "NotJson", f"Câu trả lời không phải JSON. / The answer is not JSON ({url}).")

    def collection(self, collection: str) -> dict:
        return self.get_json(f"collections/{collection}", f="json")

    def schema(self, collection: str) -> dict:
        return self.get_json(f"collections/{collection}/schema", f="json")

    def feature_pages(self, collection: str, *, limit: int, **params):
        """Every feature of the collection, a page (list of GeoJSON features) at a time, in the
        server's order (by id), following the next links."""
        document = self.get_json(f"collections/{collection}/items", f="json", limit=limit, **params)
        while True:
            yield document.get("features") or []
            following = [link["href"] for link in document.get("links", []) if link.get("rel") == "next"]
            if not following or not document.get("features"):
                return
            document = self.get_json(following[0])

    def feature(self, collection: str, feature_id: int) -> tuple[dict, int | None] | None:
        """The feature and its version (from its ETag); None when it does not exist (any more)."""
        response = self.request("GET", f"collections/{collection}/items/{feature_id}", params={"f": "json"})
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise _error(response)
        return response.json(), version_of(response.headers.get("ETag"))

    def changes(self, collection: str, since: str | None, *, limit: int) -> dict:
        """One page of the change feed after cursor `since` ("latest": none, just the cursor)."""
        params = {"limit": limit} if since is None else {"since": since, "limit": limit}
        return self.get_json(f"collections/{collection}/changes", **params)

    # --- writes (OGC API Features Part 4) --------------------------------------------------------
    def _written(self, response: requests.Response, expected: tuple[int, ...]) -> requests.Response:
        if response.status_code == 412:
            error = _error(response)
            raise PreconditionFailed(412, error.code, error.description, version_of(response.headers.get("ETag")))
        if response.status_code not in expected:
            raise _error(response)
        return response

    def create(self, collection: str, feature: dict) -> tuple[int, int | None]:
        """POST a new feature: its id (from Location) and version (from ETag)."""
        response = self._written(self.request("POST", f"collections/{collection}/items", json=feature,
                                              headers={"Content-Type": "application/geo+json"}), (201,))
        location = response.headers.get("Location", "").rstrip("/")
        return int(location.rsplit("/", 1)[-1]), version_of(response.headers.get("ETag"))

    def replace(self, collection: str, feature_id: int, feature: dict, version: int) -> int | None:
        """PUT a feature if it is still at `version`: its new version."""
        response = self._written(self.request(
            "PUT", f"collections/{collection}/items/{feature_id}", json=feature,
            headers={"Content-Type": "application/geo+json", "If-Match": f'"{version}"'}), (200, 204))
        return version_of(response.headers.get("ETag"))

    def delete(self, collection: str, feature_id: int, version: int) -> None:
        """DELETE a feature if it is still at `version`."""
        self._written(self.request("DELETE", f"collections/{collection}/items/{feature_id}",
                                   headers={"If-Match": f'"{version}"'}), (200, 204))
