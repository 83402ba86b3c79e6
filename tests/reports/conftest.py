"""Ledger fixtures shared with the membership tests."""

from tests.membership.conftest import admit, decide  # noqa: F401  (fixtures)
