"""Grants follow the tree: a request that restructures reads its grants' paths again."""

from typing import Any

from django.dispatch import receiver

from dangvu.accounts import scoping
from dangvu.organizations import signals


@receiver(signals.moved)
@receiver(signals.dissolved)
def forget_grants(sender: Any, **kwargs: Any) -> None:
    scoping.forget_grants()
