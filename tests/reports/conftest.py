"""Ledger fixtures shared with the membership tests."""

from tests.membership.conftest import admit, decide, rule_version  # noqa: F401  (fixtures)
