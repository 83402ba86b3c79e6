"""A read-only admin: every write goes through a service that writes the audit log, and the
admin screens for writing are built on those services (the web UI issue), not on raw saves."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    """``scope_path`` names the organization path a row lies under: the list is then limited
    to the user's grants, like every other read (None: the model is not scoped)."""

    scope_path: str | None = None

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        if self.scope_path is None:
            return queryset
        from dangvu.accounts.scoping import scope

        return scope(queryset, request.user, self.scope_path).distinct()

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
