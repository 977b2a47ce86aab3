"""The token endpoint is rate limited like sign-in: 5 failed client authentications of one client id
from one address within 15 minutes lock that pair out (429), whatever credentials come next."""
import base64
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import quote_plus

import pytest
import requests
from django.db.models import F

from accounts.models import ClientAuthAttempt
from accounts.services import browser_client_create, machine_client_create
from tests.conftest import run_manage

pytestmark = pytest.mark.django_db
ADDRESS = "10.20.30.40"


def new_machine_client():
    return machine_client_create(name=f"dong-bo-{uuid.uuid4().hex[:8]}", roles=["utility"], organisation="PCBP")


def fetch_token(client, client_id, secret, *, address=ADDRESS, in_body=False, **extra):
    """The client-credentials grant, credentials in HTTP Basic auth (default) or in the body."""
    form = {"grant_type": "client_credentials"}
    if in_body:
        form |= {"client_id": client_id, "client_secret": secret}
    else:
        basic = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()
        extra["HTTP_AUTHORIZATION"] = f"Basic {basic}"
    return client.post("/o/token/", form, REMOTE_ADDR=address, **extra)


def fail_five_times(client, machine, **kwargs):
    for _ in range(5):
        wrong = fetch_token(client, machine.client_id, "khong-phai-mat-khau", **kwargs)
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_five_wrong_secrets_lock_the_client_out_from_that_address(client):
    machine, other = new_machine_client(), new_machine_client()
    fail_five_times(client, machine)
    locked = fetch_token(client, machine.client_id, machine.client_secret)  # even the right secret
    assert locked.status_code == 429 and locked.json()["error"] == "rate_limited"
    assert 14 * 60 < int(locked["Retry-After"]) <= 15 * 60 and locked["Cache-Control"] == "no-store"
    assert fetch_token(client, machine.client_id, machine.client_secret, in_body=True).status_code == 429
    # Another address, or another client from the same address, is not affected.
    assert fetch_token(client, machine.client_id, machine.client_secret, address="10.9.9.9").status_code == 200
    assert fetch_token(client, other.client_id, other.client_secret).status_code == 200
    # Once the failures are older than 15 minutes the client is let in again.
    ClientAuthAttempt.objects.update(at=F("at") - timedelta(minutes=15, seconds=1))
    assert fetch_token(client, machine.client_id, machine.client_secret).status_code == 200


def test_guesses_in_the_body_count_too_and_a_throwaway_header_does_not_hide_them(client):
    machine = new_machine_client()
    fail_five_times(client, machine, in_body=True)
    decoy = base64.b64encode(f"{uuid.uuid4().hex}:x".encode()).decode()
    assert fetch_token(client, machine.client_id, machine.client_secret, in_body=True,
                       HTTP_AUTHORIZATION=f"Basic {decoy}").status_code == 429
    assert fetch_token(client, machine.client_id, machine.client_secret).status_code == 429


def test_a_success_clears_earlier_failures_like_sign_in(client):
    machine = new_machine_client()
    for _ in range(4):
        assert fetch_token(client, machine.client_id, "sai").status_code == 401
    assert fetch_token(client, machine.client_id, machine.client_secret).status_code == 200
    for _ in range(4):
        assert fetch_token(client, machine.client_id, "sai").status_code == 401
    assert fetch_token(client, machine.client_id, machine.client_secret).status_code == 200


def test_a_bad_authorization_code_counts_as_a_failure(client):
    client_id = browser_client_create(name="web-khoa", redirect_uris=["http://127.0.0.1:9/callback"])
    form = {"grant_type": "authorization_code", "code": "doan-bua", "redirect_uri": "http://127.0.0.1:9/callback",
            "client_id": client_id, "code_verifier": "x" * 43}
    for _ in range(5):
        answer = client.post("/o/token/", form, REMOTE_ADDR=ADDRESS)
        assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_grant"
    assert client.post("/o/token/", form, REMOTE_ADDR=ADDRESS).status_code == 429
    # A request that is merely malformed is no guess and is not counted.
    machine = new_machine_client()
    for _ in range(6):
        assert client.post("/o/token/", {"grant_type": "nonsense", "client_id": machine.client_id},
                           REMOTE_ADDR=ADDRESS).status_code == 400
    assert fetch_token(client, machine.client_id, machine.client_secret).status_code == 200


def test_every_gunicorn_worker_sees_the_count(platform_url, test_db_env):
    out = run_manage(test_db_env, "create_machine_client", f"dong-bo-{uuid.uuid4().hex[:8]}", "--role", "utility",
                     "--organisation", "PCBP").stdout
    client_id = re.search(r"client_id=(\S+)", out).group(1)
    secret = re.search(r"client_secret=(\S+)", out).group(1)

    def attempt(secret_tried):  # a new connection each time, so the requests spread over the workers
        return requests.post(f"{platform_url}/o/token/", data={"grant_type": "client_credentials"},
                             auth=(client_id, secret_tried), timeout=30, headers={"Connection": "close"})

    # Guesses sent at once: an attempt counts while it runs, so at most 5 are checked, never more
    # (each worker serves several at a time: attempts in flight together may count against each other,
    # so fewer than 5 may be checked; the guesser never gains).
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [r.status_code for r in pool.map(attempt, ["sai"] * 12)]
    assert 1 <= answers.count(401) <= 5 and answers.count(401) + answers.count(429) == 12, answers
    locked = attempt(secret)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_the_revocation_endpoint_is_no_side_door(client):
    """/o/revoke_token/ checks client secrets too: guesses there count, and a locked client is locked there."""
    machine = new_machine_client()
    basic = base64.b64encode(f"{machine.client_id}:wrong".encode()).decode()
    for _ in range(5):
        refused = client.post("/o/revoke_token/", {"token": "x"}, REMOTE_ADDR=ADDRESS, HTTP_AUTHORIZATION=f"Basic {basic}")
        assert refused.status_code == 401
    assert fetch_token(client, machine.client_id, machine.client_secret).status_code == 429
    right = base64.b64encode(f"{machine.client_id}:{machine.client_secret}".encode()).decode()
    locked = client.post("/o/revoke_token/", {"token": "x"}, REMOTE_ADDR=ADDRESS, HTTP_AUTHORIZATION=f"Basic {right}")
    assert locked.status_code == 429
