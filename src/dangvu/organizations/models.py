"""The party organization tree, its history, decision powers and committees.

``Organization`` holds today's values (name, kind, category, parent, path) so that today's
subtree is one prefix query; ``OrganizationVersion`` holds every period of those values so that
the tree can be read as of any past date. Only ``services`` write either, and always both.
"""

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dangvu.core.models import Commune, OrganizationCategory, OrganizationKind, Province


class Organization(models.Model):
    """A party organization (node of the tree); dated history lives in ``OrganizationVersion``."""

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.ForeignKey(OrganizationKind, models.PROTECT, verbose_name=_("kind"))
    category = models.ForeignKey(
        OrganizationCategory, models.PROTECT, null=True, blank=True, verbose_name=_("category")
    )
    parent = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent organization"),
    )
    path = models.CharField(_("path"), max_length=255, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    established_on = models.DateField(_("established on"))
    dissolved_on = models.DateField(_("dissolved on"), null=True, blank=True)
    province = models.ForeignKey(
        Province, models.PROTECT, null=True, blank=True, verbose_name=_("administrative province")
    )
    commune = models.ForeignKey(
        Commune, models.PROTECT, null=True, blank=True, verbose_name=_("administrative commune")
    )

    class Meta:
        verbose_name = _("party organization")
        verbose_name_plural = _("party organizations")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(dissolved_on__isnull=True), name="org_code_unique_live"
            )
        ]
        indexes = [
            # today's subtree: path LIKE '/1/5/%'
            models.Index(
                fields=["path"], name="org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_alive(self, on: date) -> bool:
        return self.established_on <= on and (self.dissolved_on is None or on < self.dissolved_on)

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this organization, itself included."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class OrganizationVersion(models.Model):
    """The name, kind, category and parent of an organization for a period [valid_from, valid_to)."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="versions")
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.ForeignKey(OrganizationKind, models.PROTECT, verbose_name=_("kind"))
    category = models.ForeignKey(
        OrganizationCategory, models.PROTECT, null=True, blank=True, verbose_name=_("category")
    )
    parent = models.ForeignKey(
        Organization,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("parent organization"),
    )
    change = models.CharField(_("change"), max_length=20)

    class Meta:
        verbose_name = _("organization version")
        verbose_name_plural = _("organization versions")
        ordering = ["organization_id", "valid_from"]
        indexes = [
            # the tree as of a date: versions whose period contains the date
            models.Index(fields=["valid_from", "valid_to"], name="orgversion_period"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "valid_from"], name="orgversion_one_per_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.valid_from:%d/%m/%Y})"


class Power(models.TextChoices):
    """Decision powers that the kind gives by default and that may be delegated per organization."""

    DECIDE_ADMISSION = "decide_admission", _("decides admissions and recognitions")


class OrganizationPower(models.Model):
    """A decision power granted to (or withdrawn from) one organization for a period."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="powers")
    power = models.CharField(_("power"), max_length=40, choices=Power)
    allowed = models.BooleanField(_("allowed"), default=True)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    basis = models.CharField(_("basis"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("decision power")
        verbose_name_plural = _("decision powers")
        ordering = ["organization_id", "power", "valid_from"]

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_power_display()}"


class SuccessionKind(models.TextChoices):
    MERGE = "merge", _("merged into")
    SPLIT = "split", _("split into")
    DISSOLVE = "dissolve", _("dissolved, children passed to")


class OrganizationSuccession(models.Model):
    """A predecessor → successor link left by a merge, a split or a dissolution with a target."""

    predecessor = models.ForeignKey(Organization, models.PROTECT, related_name="successions")
    successor = models.ForeignKey(Organization, models.PROTECT, related_name="predecessions")
    kind = models.CharField(_("kind"), max_length=10, choices=SuccessionKind)
    effective_on = models.DateField(_("effective on"))
    # the successor that took the predecessor's own records (members, dossiers): the only one
    # of a merge or dissolution, the chosen one of a split
    takes_records = models.BooleanField(_("takes the records"), default=True)

    class Meta:
        verbose_name = _("succession")
        verbose_name_plural = _("successions")

    def __str__(self) -> str:
        return f"{self.predecessor} → {self.successor}"


class CommitteeTerm(models.Model):
    """A congress term of an organization's committee (nhiệm kỳ), e.g. 2025–2030."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="committee_terms")
    name = models.CharField(_("term"), max_length=40)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee term")
        verbose_name_plural = _("committee terms")
        ordering = ["organization_id", "starts_on"]

    def __str__(self) -> str:
        return f"{self.organization} {self.name}"


class SeatRole(models.TextChoices):
    SECRETARY = "secretary", _("secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("deputy secretary")
    STANDING_MEMBER = "standing_member", _("standing committee member")
    MEMBER = "member", _("committee member")


class CommitteeSeat(models.Model):
    """A person's seat on a committee term, for a period (elected, appointed or replaced)."""

    term = models.ForeignKey(CommitteeTerm, models.CASCADE, related_name="seats")
    person = models.ForeignKey("people.Person", models.PROTECT, related_name="committee_seats")
    role = models.CharField(_("role"), max_length=20, choices=SeatRole)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee seat")
        verbose_name_plural = _("committee seats")
        ordering = ["term_id", "starts_on"]

    def __str__(self) -> str:
        return f"{self.person} – {self.get_role_display()}"
