"""Read-only admin for the catalogues and the audit log.

Catalogues are versioned data: a correction goes into core/data and a migration, so that every
installation gets it; an edit made here would differ from the files and be undone by the next load.
"""

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from dangvu.core import services
from dangvu.core.errors import DomainError
from dangvu.core.models import (
    AuditEntry,
    Commune,
    DayOverride,
    Ethnicity,
    GeneralEducation,
    OccupationGroup,
    OrganizationCategory,
    OrganizationKind,
    PoliticalTheory,
    ProfessionalQualification,
    Province,
    Religion,
    RuleVersion,
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
    """The audit log as written by the services: visible to the system administrator only
    (entries span every scope), never added, changed or deleted here."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

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


class _DryRun(Exception):
    pass


class ServiceForm(forms.ModelForm):
    """An admin form whose ``clean`` runs the service in a transaction that is rolled back, so
    that a refusal shows next to its field and the typed values stay in the form."""

    request_user: Any = None

    def run_service(self, actor: Any) -> Any:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            with transaction.atomic():
                self.run_service(self.request_user)
                raise _DryRun
        except _DryRun:
            pass
        except DomainError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, str(error.message))
        return data


class RuleVersionForm(ServiceForm):
    class Meta:
        model = RuleVersion
        fields = ["key", "organization", "valid_from", "params", "citation"]

    def run_service(self, actor: Any) -> Any:
        d = self.cleaned_data
        return services.add_rule_version(
            actor=actor,
            key=d["key"],
            valid_from=d["valid_from"],
            params=d["params"],
            citation=d["citation"],
            organization=d["organization"],
        )


class DayOverrideForm(ServiceForm):
    class Meta:
        model = DayOverride
        fields = ["date", "kind", "name", "basis"]

    def run_service(self, actor: Any) -> Any:
        d = self.cleaned_data
        return services.set_day_override(
            actor=actor, day=d["date"], kind=d["kind"], name=d["name"], basis=d["basis"]
        )


class ServiceAdmin(admin.ModelAdmin):
    """Saves through the form's service; nothing is deleted."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user  # type: ignore[attr-defined]
        return form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.pk = form.run_service(request.user).pk


@admin.register(RuleVersion)
class RuleVersionAdmin(ServiceAdmin):
    """Versions are history: new ones are added (through the service), old ones never edited."""

    form = RuleVersionForm
    list_display = ["key", "organization", "valid_from", "valid_to"]
    list_filter = ["key"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None


@admin.register(DayOverride)
class DayOverrideAdmin(ServiceAdmin):
    form = DayOverrideForm
    list_display = ["date", "kind", "name", "basis"]
    list_filter = ["kind"]
    date_hierarchy = "date"
