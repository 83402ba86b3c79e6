"""Tables that are only ever appended to: the audit log, the membership ledger, its effects.

Updating or deleting a row raises, through the model and through its queryset alike, so no
code path (service, admin, shell) can rewrite history; a change is a new row.
"""

from typing import Any

from django.db import models


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError(f"{self.model.__name__} rows are never updated: add a new row.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.__name__} rows are never deleted: add a new row.")


class AppendOnlyModel(models.Model):
    """A model whose rows, once saved, are never updated or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are never updated: add a new row.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{type(self).__name__} rows are never deleted: add a new row.")
