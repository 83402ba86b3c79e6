from django.contrib import admin

from dangvu.core.readonly_admin import ReadOnlyAdmin, ReadOnlyInline
from dangvu.organizations.models import (
    CommitteeSeat,
    CommitteeTerm,
    Organization,
    OrganizationPower,
    OrganizationVersion,
)


class VersionInline(ReadOnlyInline):
    model = OrganizationVersion
    fk_name = "organization"
    fields = ["valid_from", "valid_to", "name", "kind", "category", "parent", "change"]


class PowerInline(ReadOnlyInline):
    model = OrganizationPower


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    scope_path = "path"
    list_display = ["code", "name", "kind", "category", "parent", "established_on", "dissolved_on"]
    list_filter = ["kind", "category", "dissolved_on"]
    search_fields = ["code", "name"]
    inlines = [VersionInline, PowerInline]


class SeatInline(ReadOnlyInline):
    model = CommitteeSeat


@admin.register(CommitteeTerm)
class CommitteeTermAdmin(ReadOnlyAdmin):
    scope_path = "organization__path"
    list_display = ["organization", "name", "starts_on", "ends_on"]
    search_fields = ["organization__name"]
    inlines = [SeatInline]
