"""The audit log for administrators: who changed what, when and why, with before and after.

Reads go through ``accounts.selectors`` (entries about objects in the admin's subtrees; 403 for
a user who administers nothing, 404 for an entry outside his subtrees).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from dangvu.accounts import selectors
from dangvu.core.forms import AuditFilter
from dangvu.core.models import AuditEntry
from dangvu.core.paging import query_without

PAGE_SIZE = 50
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _filtered(request: HttpRequest, form: AuditFilter) -> QuerySet[AuditEntry]:
    entries = selectors.audit_entries_for(request.user)
    if not form.is_valid():
        return entries.none()
    data = form.cleaned_data
    if data["actor"]:
        entries = entries.filter(actor__username__icontains=data["actor"].strip())
    if data["action"]:
        entries = entries.filter(action__startswith=data["action"].strip())
    if data["target_type"]:
        entries = entries.filter(target_type=data["target_type"])
    if data["request_id"]:
        entries = entries.filter(request_id=data["request_id"].strip())
    if data["organization"]:
        organization = selectors.organization_by_code(request.user, data["organization"])
        if organization is None:
            form.add_error("organization", _("No organization with this code in your scope."))
            return entries.none()
        entries = entries.filter(selectors.about_subtrees([organization.path]))
    start, end = form.period()
    if start:
        entries = entries.filter(at__gte=start)
    if end:
        entries = entries.filter(at__lt=end)
    return entries


@login_required
def entries(request: HttpRequest) -> HttpResponse:
    """The audit log, newest first, narrowed by the filters, 50 entries a page."""
    form = AuditFilter(request.GET, target_types=list(selectors.AUDIT_TARGETS))
    found = _filtered(request, form)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "core/audit_list.html",
        {
            "form": form,
            "page": page,
            "rows": [(e, target_label(e)) for e in page.object_list],
            "query": query_without(request, "page"),
        },
        status=200 if not form.errors else 400,
    )


@dataclass
class Change:
    """One field of an entry: its label, its value before and after."""

    label: str
    before: str
    after: str
    changed: bool


def readable(value: Any) -> str:
    """A stored snapshot value as people read it: dates dd/mm/yyyy, yes/no, a dash for empty."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and ISO_DATE.match(value):
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    if isinstance(value, str) and ISO_DATETIME.match(value):
        moment = datetime.fromisoformat(value)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def model_field(target_type: str, name: str) -> models.Field[Any, Any] | None:
    """The target model's field stored under ``name`` (its attname), if there is one."""
    try:
        field = apps.get_model(target_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None
    return field if isinstance(field, models.Field) else None


def shown(field: models.Field[Any, Any] | None, value: Any) -> str:
    """A value with its meaning: a choice by its label, a reference by its object's name."""
    if field is None or value is None or value == "":
        return readable(value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    model = field.related_model
    if field.many_to_one and isinstance(model, type):
        related = model._default_manager.filter(pk=value).first()
        return f"{related} (#{value})" if related else readable(value)
    return readable(value)


def changes(entry: AuditEntry) -> list[Change]:
    """The entry's fields in order, each before and after (one query per reference shown)."""
    before, after = entry.before or {}, entry.after or {}
    if not isinstance(before, dict) or not isinstance(after, dict):  # never written so, but shown
        return [Change(_("Value"), readable(before), readable(after), before != after)]
    names = list(after) + [name for name in before if name not in after]
    both = entry.before is not None and entry.after is not None  # a creation changes nothing
    rows = []
    for name in names:
        field = model_field(entry.target_type, name)
        rows.append(
            Change(
                capfirst(str(field.verbose_name)) if field else name,
                shown(field, before.get(name)) if entry.before is not None else "",
                shown(field, after.get(name)) if entry.after is not None else "",
                both and before.get(name) != after.get(name),
            )
        )
    return rows


def target_label(entry: AuditEntry) -> str:
    try:
        return str(apps.get_model(entry.target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return entry.target_type


@login_required
def entry(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.audit_entry_for(request.user, pk)
    return render(
        request,
        "core/audit_detail.html",
        {"entry": found, "kind": target_label(found), "changes": changes(found)},
    )
