"""The rulebook: versioned, cited rule parameters (``core.RuleVersion``).

A record is judged by the version in force on its own date. ``Rulebook.load()`` gives every
version in memory (the table is small), so a service or a bulk job asks as often as it likes
without a query per question::

    rules = Rulebook.load()
    rules.get("probation", on=ceremony_date, organization=cell)["months"]

A version set for an organization (a province's own rule) wins inside its subtree over the
national one; the nearest organization wins.

Each process keeps the rulebook it last read. ``load()`` asks the database only for the number
of versions and the latest ``changed_at``, and reads the versions again when either differs: an
added, changed or removed version changes one of them, and so does a transaction rolled back
after the rulebook was read inside it (the restored table has another stamp).
"""

import tomllib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from dangvu.core.errors import DomainError

RULES_FILE = "rules.toml"


@dataclass(frozen=True)
class Rule:
    """The parameters of one rule version, with what explains them."""

    key: str
    valid_from: date
    valid_to: date | None
    params: dict[str, Any]
    citation: str
    organization_id: int | None = None

    def __getitem__(self, name: str) -> Any:
        return self.params[name]

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


class Rulebook:
    """All rule versions in memory; ``get`` answers which one is in force."""

    def __init__(self, rules: list[Rule]):
        self._by_key: dict[str, list[Rule]] = defaultdict(list)
        for rule in rules:
            self._by_key[rule.key].append(rule)

    @classmethod
    def load(cls) -> "Rulebook":
        """The versions as the database has them now (from memory while they are unchanged)."""
        global _last_read
        from dangvu.core.models import RuleVersion

        table = connection.ops.quote_name(RuleVersion._meta.db_table)
        with connection.cursor() as cursor:  # a plain query: the point is to be cheap
            cursor.execute(f"SELECT COUNT(*), MAX(changed_at) FROM {table}")
            stamp = cursor.fetchone()
        if _last_read is None or _last_read[0] != stamp:
            book = cls(
                [
                    Rule(v.key, v.valid_from, v.valid_to, v.params, v.citation, v.organization_id)
                    for v in RuleVersion.objects.all()
                ]
            )
            _last_read = (stamp, book)
        return _last_read[1]

    def versions(self, key: str) -> list[Rule]:
        """Every version of the rule, national and local, of any period."""
        return list(self._by_key.get(key, []))

    def has_local(self, key: str) -> bool:
        """Whether any organization has set its own version of the rule."""
        return any(r.organization_id is not None for r in self._by_key.get(key, []))

    def find(self, key: str, *, on: date, organization: Any = None) -> Rule | None:
        """The version in force on ``on`` for ``organization`` (its nearest level that set one,
        else the national one), or None when no version covers the date."""
        candidates = [r for r in self._by_key.get(key, []) if r.covers(on)]
        ancestors = organization.ancestor_ids() if organization is not None else []
        for organization_id in reversed(ancestors):
            for rule in candidates:
                if rule.organization_id == organization_id:
                    return rule
        return next((r for r in candidates if r.organization_id is None), None)

    def get(self, key: str, *, on: date, organization: Any = None) -> Rule:
        rule = self.find(key, on=on, organization=organization)
        if rule is None:
            raise DomainError(
                _("No version of the rule %(key)s is in force on %(date)s.")
                % {"key": key, "date": on.strftime("%d/%m/%Y")}
            )
        return rule


_last_read: tuple[Any, Rulebook] | None = None


def read_rules_file(path: Any) -> list[dict[str, Any]]:
    with open(path, "rb") as file:
        return list(tomllib.load(file)["rule"])


def load_national_rules(apps: Any, schema_editor: Any = None) -> None:
    """Create or update the national versions from core/data/rules.toml (run by migration)."""
    from dangvu.core.catalogues import DATA_DIR

    model = apps.get_model("core", "RuleVersion")
    for row in read_rules_file(DATA_DIR / RULES_FILE):
        model.objects.update_or_create(
            key=row["key"],
            organization=None,
            valid_from=row["valid_from"],
            defaults={
                "valid_to": row.get("valid_to"),
                "params": row["params"],
                "citation": row["citation"],
            },
        )
