"""The live tests use the platform as `make run` serves it (tests/conftest.py platform_url)."""
import pytest


@pytest.fixture(scope="session")
def live_url(platform_url):
    return platform_url
