"""Users read refusals in Vietnamese: the default language serves the translated message."""

from datetime import date

import pytest
from django.utils import translation

from dangvu.core.errors import DomainError
from dangvu.organizations import services as org


def test_a_refusal_reads_in_vietnamese(world):
    with translation.override("vi"), pytest.raises(DomainError) as refusal:
        org.dissolve(actor=world.root, organization=world.commune_a1, on=date(2025, 7, 1))
    message = str(refusal.value)
    assert "Đảng bộ xã A1" in message and "tổ chức" in message, message


def test_vietnamese_is_the_default_language(settings):
    assert settings.LANGUAGE_CODE == "vi"
