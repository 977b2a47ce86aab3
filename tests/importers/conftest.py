import shutil

import pytest

from importers.records import upload_dir


@pytest.fixture
def uploads():
    """Tokens of the uploads a test made; their folders and job files are removed afterwards."""
    tokens = []
    yield tokens
    for token in tokens:
        shutil.rmtree(upload_dir(token), ignore_errors=True)
