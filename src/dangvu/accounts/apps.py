from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "dangvu.accounts"
    label = "accounts"
    verbose_name = _("Accounts and grants")

    def ready(self) -> None:
        from dangvu.accounts import receivers  # noqa: F401  (connects the restructuring hooks)
