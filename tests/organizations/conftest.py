"""Fixtures for the organization pages: a client that reads the pages in English (the source
language, so that tests do not depend on the catalogue), the ledger helpers, and the real
server with Chromium for the browser test."""

import pytest

from tests.membership.conftest import admit, decide  # noqa: F401  (fixtures)
from tests.test_browser import chromium, server  # noqa: F401  (fixtures)


@pytest.fixture
def en_client(client):
    """The test client asking for the English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
