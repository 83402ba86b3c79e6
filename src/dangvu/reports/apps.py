from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "dangvu.reports"
    label = "reports"
    verbose_name = _("Statistics and reports")

    def ready(self) -> None:
        from dangvu.core.signals import figures_stale
        from dangvu.organizations.signals import moved

        figures_stale.connect(_stale, dispatch_uid="reports.figures.mark")
        moved.connect(_moved, dispatch_uid="reports.figures.shift")


def _stale(sender: Any, organization_ids: Any, since: Any = None, **kwargs: Any) -> None:
    from dangvu.reports import figures

    figures.mark(organization_ids, since)


def _moved(sender: Any, moves: Any, on: Any = None, **kwargs: Any) -> None:
    from dangvu.reports import figures

    figures.shift(moves)
    figures.discard_snapshots(since=on)
