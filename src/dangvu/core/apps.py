from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dangvu.core"
    label = "core"
    verbose_name = _("Catalogues and audit")

    def ready(self) -> None:
        from dangvu.core import lookups  # noqa: F401  (registers ``field__among``)
