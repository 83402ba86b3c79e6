"""Catalogues (versioned reference data loaded by migration) and the audit log."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.core.append_only import AppendOnlyModel


class CatalogueItem(models.Model):
    """A row of a small reference list; ``code`` is stable and used by imports and reports."""

    # 32, not 16: codes such as "front_and_mass_organization" must fit on PostgreSQL
    code = models.CharField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        abstract = True
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class GroupedCatalogueItem(CatalogueItem):
    """A catalogue row that the standard reports may count together with other rows."""

    # e.g. "cao cấp" and "cử nhân" are one column of the political-theory statistics
    report_group = models.CharField(_("report group"), max_length=32, blank=True)

    class Meta(CatalogueItem.Meta):
        abstract = True


class Ethnicity(CatalogueItem):
    """An ethnic group, coded after QĐ 121-TCTK/PPCĐ (1979); 55 foreigners, 56 unknown."""

    numbering = models.CharField(_("numbering"), max_length=60, default="QĐ 121-TCTK/PPCĐ 1979")
    aliases = models.CharField(_("other spellings"), max_length=300, blank=True)
    other_names = models.CharField(_("other names"), max_length=500, blank=True)
    is_minority = models.BooleanField(_("ethnic minority"), null=True, blank=True)

    class Meta(CatalogueItem.Meta):
        verbose_name = _("ethnic group")
        verbose_name_plural = _("ethnic groups")


class Religion(CatalogueItem):
    """A religion recognised by the State, or "none"; ``gso_code`` follows QĐ 1019/QĐ-TCTK."""

    gso_code = models.CharField(_("statistics code"), max_length=4, blank=True)
    aliases = models.CharField(_("other spellings"), max_length=300, blank=True)
    is_religious = models.BooleanField(_("is a religion"), default=True)

    class Meta(CatalogueItem.Meta):
        verbose_name = _("religion")
        verbose_name_plural = _("religions")


class GeneralEducation(GroupedCatalogueItem):
    """A level of general education (giáo dục phổ thông), as the statistics count it."""

    class Meta(CatalogueItem.Meta):
        verbose_name = _("general education level")
        verbose_name_plural = _("general education levels")


class ProfessionalQualification(GroupedCatalogueItem):
    """A level of professional qualification (trình độ chuyên môn)."""

    class Meta(CatalogueItem.Meta):
        verbose_name = _("professional qualification level")
        verbose_name_plural = _("professional qualification levels")


class PoliticalTheory(GroupedCatalogueItem):
    """A level of political theory (lý luận chính trị)."""

    class Meta(CatalogueItem.Meta):
        verbose_name = _("political theory level")
        verbose_name_plural = _("political theory levels")


class OccupationGroup(GroupedCatalogueItem):
    """An occupation group used by the member statistics."""

    class Meta(CatalogueItem.Meta):
        verbose_name = _("occupation group")
        verbose_name_plural = _("occupation groups")


class OrganizationCategory(CatalogueItem):
    """A category of party organization (loại hình): commune, ward, agency, enterprise, ..."""

    class Meta(CatalogueItem.Meta):
        verbose_name = _("organization category")
        verbose_name_plural = _("organization categories")


class OrganizationKind(CatalogueItem):
    """A kind of party organization with the flags that rules read (the tree never names "district")."""

    is_cell = models.BooleanField(_("is a cell"), default=False)
    is_grassroots = models.BooleanField(_("is grassroots"), default=False)
    may_decide_admission = models.BooleanField(_("may decide admissions by default"), default=False)

    class Meta(CatalogueItem.Meta):
        verbose_name = _("organization kind")
        verbose_name_plural = _("organization kinds")


class CatalogueVersion(models.TextChoices):
    """Which official list an administrative code belongs to: codes were reused in 2025."""

    V2008 = "2008", _("before 1/7/2025 (QĐ 124/2004/QĐ-TTg)")
    V2025 = "2025", _("from 1/7/2025 (QĐ 19/2025/QĐ-TTg)")


class Province(models.Model):
    """A provincial unit of one catalogue version; a 2008 province points to its 2025 successor."""

    version = models.CharField(_("catalogue version"), max_length=4, choices=CatalogueVersion)
    code = models.CharField(_("code"), max_length=2)
    name = models.CharField(_("name"), max_length=100)
    full_name = models.CharField(_("full name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=60)
    successor = models.ForeignKey(
        "self",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        verbose_name=_("merged into"),
    )

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="province_code_per_version")
        ]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A commune-level unit (xã, phường, đặc khu) of one catalogue version."""

    version = models.CharField(_("catalogue version"), max_length=4, choices=CatalogueVersion)
    code = models.CharField(_("code"), max_length=5)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20)
    province = models.ForeignKey(Province, models.PROTECT, related_name="communes")
    resolution = models.CharField(_("resolution"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="commune_code_per_version")
        ]

    def __str__(self) -> str:
        return self.name


class AuditEntry(AppendOnlyModel):
    """Who changed what, when and why; written by services in the same transaction, never edited."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=80, db_index=True)
    target_type = models.CharField(_("target type"), max_length=80)
    target_id = models.CharField(_("target id"), max_length=40)
    target_repr = models.CharField(_("target"), max_length=200)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-at", "-id"]
        indexes = [
            # "the history of this object", shown on every object's page
            models.Index(fields=["target_type", "target_id", "at"], name="audit_by_target"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.action} {self.target_repr}"


class RuleVersion(models.Model):
    """One version of a rule's parameters, in force over [valid_from, valid_to), with the text
    it comes from. ``organization`` is set for a version that a province (or any level) sets
    for its own subtree; the nearest such version wins over the national one."""

    key = models.CharField(_("rule"), max_length=80)
    organization = models.ForeignKey(
        "organizations.Organization",
        models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("set by"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    params = models.JSONField(_("parameters"))
    citation = models.TextField(_("citation"))
    # Tells the processes that keep the rulebook in memory that a version changed (rulebook.py).
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        ordering = ["key", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "organization", "valid_from"], name="rule_version_unique_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.valid_from:%d/%m/%Y})"


class DayKind(models.TextChoices):
    DAY_OFF = "day_off", _("day off")
    WORKING_SATURDAY = "working_saturday", _("working Saturday")


class DayOverride(models.Model):
    """A public-sector day off or make-up working Saturday announced by a decision; it overrides
    the holidays package for that date."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DayKind)
    name = models.CharField(_("name"), max_length=200)
    basis = models.CharField(_("basis"), max_length=200)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"
