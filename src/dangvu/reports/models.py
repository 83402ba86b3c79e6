"""The maintained figures: today's report figures of every organization, kept up to date.

``OrganizationFigures`` holds, per organization, the counts of the organization itself
(``own``: its members, its direct subordinates by kind and category) and of its whole subtree
(``total``). Writers never touch it: a service that changes what an
organization counts appends a ``PendingFigure`` row in its own transaction (no shared row,
so two provinces never wait on each other), and ``reports.figures.fold`` recounts the pending
organizations and adds the differences to them and their ancestors. ``FigureState`` is the one
row that says for which day the date-dependent figures (age, party age, badges) are counted;
the fold holds it locked while it writes.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganizationFigures(models.Model):
    """Today's figures of one organization: ``own`` counts the organization itself (its
    members, its direct subordinates by kind and category), ``total`` its whole subtree. Both
    are ``{dimension: {value: count}}`` with the zero counts left out. One row per
    organization, so the national tree is some 370,000 rows, read a few at a time and rebuilt
    in one pass."""

    organization = models.OneToOneField(
        "organizations.Organization",
        models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("organization"),
    )
    own = models.JSONField(_("own counts"), default=dict)
    total = models.JSONField(_("subtree totals"), default=dict)

    class Meta:
        verbose_name = _("organization figures")
        verbose_name_plural = _("organization figures")

    def __str__(self) -> str:
        return f"figures of organization {self.organization_id}"


class PendingFigure(models.Model):
    """An organization whose own figures may have changed since the last fold, from ``since``
    on (empty: on any day). Today's figures recount every mark; a snapshot only the marks
    dated on or before its day, so an event recorded on the day it happens costs the
    snapshots nothing."""

    organization_id = models.IntegerField(_("organization"))  # no FK: a mark, never joined
    since = models.DateField(_("changed from"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending figure")
        verbose_name_plural = _("pending figures")

    def __str__(self) -> str:
        return f"organization {self.organization_id} to recount"


class FigureSnapshot(models.Model):
    """The figures of every organization on one past day, a month's 15th or last day, so that
    a report for a quarter's or a year's end reads stored rows instead of the whole ledger,
    and any other day starts from one at most 8 days away. Kept exact
    like today's: a back-dated event, a correction or a curriculum edit marks its
    organization, and the fold recounts it in every snapshot on or after the day it changed.
    A change of the tree dated on or before the day (a move, a merge, a new rule version)
    discards the snapshot; ``manage.py snapshot_figures`` makes it again."""

    on = models.DateField(_("as of"), unique=True)
    made_at = models.DateTimeField(_("made at"))

    class Meta:
        verbose_name = _("figure snapshot")
        verbose_name_plural = _("figure snapshots")

    def __str__(self) -> str:
        return f"figures of {self.on}"


class SnapshotFigures(models.Model):
    """One organization's figures in a snapshot: ``own`` and ``total`` as in
    ``OrganizationFigures``, for the organization as it was on the snapshot's day."""

    snapshot = models.ForeignKey(
        FigureSnapshot,
        models.CASCADE,
        db_index=False,  # served by the snapshot_figures_once index
        related_name="rows",
        verbose_name=_("snapshot"),
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        models.CASCADE,
        db_index=False,
        related_name="+",
        verbose_name=_("organization"),
    )
    own = models.JSONField(_("own counts"), default=dict)
    total = models.JSONField(_("subtree totals"), default=dict)

    class Meta:
        verbose_name = _("snapshot figures")
        verbose_name_plural = _("snapshot figures")
        constraints = [
            # reading a node and its subordinates in one snapshot; one row per organization
            models.UniqueConstraint(
                fields=["snapshot", "organization"], name="snapshot_figures_once"
            )
        ]

    def __str__(self) -> str:
        return f"figures of organization {self.organization_id} in snapshot {self.snapshot_id}"


class FigureState(models.Model):
    """One row. ``day``: the day the figures are counted for; empty: rebuild them."""

    day = models.DateField(_("counted for"), null=True, blank=True)
    folded_at = models.DateTimeField(_("last folded"), null=True, blank=True)

    class Meta:
        verbose_name = _("figure state")
        verbose_name_plural = _("figure state")

    def __str__(self) -> str:
        return f"figures of {self.day}"


class FiledStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    ACCEPTED = "accepted", _("accepted")
    RETURNED = "returned", _("returned")


class FiledReport(models.Model):
    """A standard form filed (frozen) by an organization and sent to the level above, which
    accepts it or returns it with a reason. ``figures`` is the filled-in form as it was (its
    columns and rows); ``xlsx`` and ``pdf`` are the files as they were sent. Nothing here is
    ever recomputed: later events, back-dated ones included, change today's forms only."""

    organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        related_name="filed_reports",
        verbose_name=_("organization"),
    )
    addressed_to = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="received_reports",
        verbose_name=_("sent to"),
    )
    layout = models.CharField(_("form"), max_length=40)
    start = models.DateField(_("period from"), null=True, blank=True)
    on = models.DateField(_("as of"))
    figures = models.JSONField(_("figures"))
    xlsx = models.BinaryField(_("xlsx file"))
    pdf = models.BinaryField(_("PDF file"))
    status = models.CharField(
        _("status"), max_length=20, choices=FiledStatus.choices, default=FiledStatus.SUBMITTED
    )
    filed_by = models.ForeignKey(
        "accounts.User", models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"))
    decided_by = models.ForeignKey(
        "accounts.User",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted or returned by"),
    )
    decided_at = models.DateTimeField(_("accepted or returned at"), null=True, blank=True)
    reason = models.TextField(_("reason for returning"), blank=True)

    class Meta:
        verbose_name = _("filed report")
        verbose_name_plural = _("filed reports")
        ordering = ["-filed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.layout} {self.organization_id} {self.on}"

    @property
    def title(self) -> str:
        from dangvu.reports.layouts import LAYOUTS  # the layouts read the catalogues' models

        return str(LAYOUTS[self.layout].title) if self.layout in LAYOUTS else self.layout
