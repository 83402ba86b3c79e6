"""Fixtures for the organization pages: a client that reads the pages in English (the source
language, so that tests do not depend on the catalogue), and the ledger helpers."""

import pytest

from tests.membership.conftest import admit, decide  # noqa: F401  (fixtures)


@pytest.fixture
def en_client(client):
    """The test client asking for the English pages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
