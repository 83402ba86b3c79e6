"""Template context: whether the signed-in user administers something (for the menu)."""

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dangvu.accounts import selectors


def administration(request: HttpRequest) -> dict[str, Any]:
    """``may_administer``: asked of the database only when a template uses it, at most once."""
    return {"may_administer": SimpleLazyObject(lambda: selectors.is_administrator(request.user))}
