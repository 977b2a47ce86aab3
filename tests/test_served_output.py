"""The servers the tests start keep answering however much they log: their output must go somewhere
that is read or kept. A clean clone has no var/log, and the session's server once wrote to a pipe
nobody read; after 64 kB of Django's request warnings every worker hung in logging, and the OpenAPI
fuzzing test waited on request timeouts for half an hour."""
import pytest
import requests

from tests.conftest import serve_platform, stop_platform

pytestmark = pytest.mark.django_db


def test_a_test_server_answers_after_logging_more_than_a_pipe_holds(test_db_env):
    server, base = serve_platform(test_db_env, workers=1)
    try:
        missing = "/khong-co-trang-nay/" + "x" * 2000  # each 404 logs a warning naming the path
        with requests.Session() as session:
            for _ in range(100):  # 200 kB of warnings, three times a pipe's buffer
                assert session.get(base + missing, timeout=30).status_code == 404
        assert requests.get(base + "/healthz", timeout=30).status_code == 200
    finally:
        stop_platform(server)
