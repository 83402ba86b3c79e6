"""Root conftest: hypothesis profile and session-wide settings for every test.

The database and DANGVU_VAR_DIR are chosen earlier, before Django reads its settings, by the
plugin ``tests.pg_harness`` (loaded with ``-p`` from pyproject's addopts).
"""

from collections.abc import Iterator

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, settings

pytest_plugins = ["tests.world"]

# No wall-clock limits in tests: a slow machine or a PostgreSQL round trip is not a failure.
settings.register_profile(
    "dangvu",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("dangvu")


@pytest.fixture(scope="session", autouse=True)
def plain_static_files_storage() -> Iterator[None]:
    """Serve {% static %} without collectstatic's manifest.

    With DEBUG off, the settings use whitenoise's manifest storage, and ``{% static %}`` then
    raises "Missing staticfiles manifest entry" unless collectstatic has run.
    """
    from django.conf import settings as django_settings

    storages = {
        **django_settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Tests match messages in English (the source language); the Vietnamese catalogue is
    checked by test_i18n and by tests that activate "vi" themselves."""
    from django.utils import translation

    with translation.override("en"):
        yield
