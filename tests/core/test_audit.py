"""The audit log: written in the service's transaction, identifiers masked, never edited."""

import pytest
from django.db import transaction

from dangvu.core import audit
from dangvu.core.models import AuditEntry


def test_audit_entries_cannot_be_edited_or_deleted(world):
    entry = AuditEntry.objects.first()
    entry.reason = "sửa"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().update(reason="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def test_an_entry_carries_the_request_id(world):
    with audit.request_context("req-42"):
        entry = audit.record("test.done", actor=world.root, target=world.cell_a1)
    assert entry.request_id == "req-42" and entry.target_type == "organizations.organization"


def test_snapshots_mask_national_ids(world, person_factory):
    person = person_factory(world.cell_a1)
    person.national_id = "001080012345"
    assert audit.snapshot(person, ["national_id"]) == {"national_id": "•••••••••345"}


def test_a_failed_service_leaves_no_audit_entry(world):
    count = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record("test.done", actor=world.root, target=world.cell_a1)
        raise RuntimeError
    assert AuditEntry.objects.count() == count


def test_requests_get_a_request_id_header(client, world):
    client.force_login(world.clerk_a1)
    assert len(client.get("/")["X-Request-ID"]) == 32
