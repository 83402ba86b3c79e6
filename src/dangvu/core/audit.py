"""Writing the audit log: one entry per service call, in the service's transaction."""

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models

from dangvu.core.models import AuditEntry
from dangvu.core.text import mask_identifier

# Fields whose values are personal identifiers: snapshots keep only their last digits.
MASKED_FIELDS = frozenset({"national_id", "old_id_number", "card_number", "party_card_number"})

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


@contextmanager
def request_context(request_id: str) -> Iterator[None]:
    """Everything audited inside the block carries ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The object's concrete field values as JSON, identifiers masked."""
    names = fields or [f.attname for f in obj._meta.concrete_fields]
    result = {}
    for name in names:
        value = _plain(getattr(obj, name))
        if name in MASKED_FIELDS and value:
            value = mask_identifier(str(value))
        result[name] = value
    return result


def record(
    action: str,
    *,
    actor: Any,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write one audit entry; call it inside the service's transaction."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        before=before,
        after=after,
        request_id=_request_id.get(),
        reason=reason,
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}
