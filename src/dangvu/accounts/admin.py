from django.contrib import admin

from dangvu.accounts.models import Grant, User
from dangvu.core.readonly_admin import ReadOnlyAdmin, ReadOnlyInline


class GrantInline(ReadOnlyInline):
    model = Grant


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    scope_path = "grants__organization__path"
    list_display = [
        "username",
        "first_name",
        "last_name",
        "is_active",
        "is_superuser",
        "last_login",
    ]
    search_fields = ["username", "first_name", "last_name"]
    exclude = ["password"]
    inlines = [GrantInline]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    scope_path = "organization__path"
    list_display = ["user", "role", "organization", "valid_from", "valid_to"]
    list_filter = ["role"]
    search_fields = ["user__username", "organization__name"]
