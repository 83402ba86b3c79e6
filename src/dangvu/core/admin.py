"""Read-only admin for the catalogues and the audit log.

Catalogues are versioned data: a correction goes into core/data and a migration, so that every
installation gets it; an edit made here would differ from the files and be undone by the next load.
"""

import json
from typing import Any

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dangvu.core.models import (
    AuditEntry,
    Commune,
    Ethnicity,
    GeneralEducation,
    OccupationGroup,
    OrganizationCategory,
    OrganizationKind,
    PoliticalTheory,
    ProfessionalQualification,
    Province,
    Religion,
)
from dangvu.core.readonly_admin import ReadOnlyAdmin


class CatalogueAdmin(ReadOnlyAdmin):
    """A small code list: code, name and order first, searchable by code and name."""

    # lists, not tuples, so that subclasses can extend them and still type-check
    list_display = ["code", "name", "sort_order"]
    search_fields = ["code", "name"]
    ordering = ("sort_order", "code")


class GroupedCatalogueAdmin(CatalogueAdmin):
    list_display = [*CatalogueAdmin.list_display, "report_group"]
    list_filter = ("report_group",)


@admin.register(Ethnicity)
class EthnicityAdmin(CatalogueAdmin):
    list_display = [*CatalogueAdmin.list_display, "is_minority", "aliases"]
    list_filter = ("is_minority",)
    search_fields = ["code", "name", "aliases", "other_names"]


@admin.register(Religion)
class ReligionAdmin(CatalogueAdmin):
    list_display = [*CatalogueAdmin.list_display, "gso_code", "is_religious"]
    search_fields = ["code", "name", "aliases", "gso_code"]


admin.site.register(GeneralEducation, GroupedCatalogueAdmin)
admin.site.register(ProfessionalQualification, GroupedCatalogueAdmin)
admin.site.register(PoliticalTheory, GroupedCatalogueAdmin)
admin.site.register(OccupationGroup, GroupedCatalogueAdmin)
admin.site.register(OrganizationCategory, CatalogueAdmin)


@admin.register(OrganizationKind)
class OrganizationKindAdmin(CatalogueAdmin):
    list_display = [
        *CatalogueAdmin.list_display,
        "is_cell",
        "is_grassroots",
        "may_decide_admission",
    ]


@admin.register(Province)
class ProvinceAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "version", "kind", "successor")
    list_filter = ("version", "kind")
    search_fields = ("code", "name", "full_name")
    list_select_related = ("successor",)


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "version", "kind", "province")
    list_filter = ("version", "kind")
    search_fields = ("code", "name", "province__name")
    list_select_related = ("province",)


def pretty_json(value: Any) -> str:
    """A JSON snapshot indented, Vietnamese text left readable (no \\u escapes)."""
    if value is None:
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """The audit log as written by the services: visible, never added, changed or deleted here."""

    list_display = ("at", "action", "target_repr", "actor", "request_id")
    list_filter = ("action",)
    search_fields = ("target_repr", "request_id")
    list_select_related = ("actor",)
    date_hierarchy = "at"
    fields = (
        "at",
        "actor",
        "action",
        ("target_type", "target_id"),
        "target_repr",
        "request_id",
        "reason",
        "before_json",
        "after_json",
    )
    readonly_fields = (
        "at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "target_repr",
        "request_id",
        "reason",
        "before_json",
        "after_json",
    )

    @admin.display(description=_("before"))
    def before_json(self, entry: AuditEntry) -> str:
        return pretty_json(entry.before)

    @admin.display(description=_("after"))
    def after_json(self, entry: AuditEntry) -> str:
        return pretty_json(entry.after)
