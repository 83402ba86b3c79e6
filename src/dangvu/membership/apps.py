from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembershipConfig(AppConfig):
    name = "dangvu.membership"
    label = "membership"
    verbose_name = _("Membership")

    def ready(self) -> None:
        from dangvu.membership import receivers  # noqa: F401  (connects the restructuring hooks)
