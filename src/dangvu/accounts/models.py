"""Users and their grants: a role held on an organization covers its whole subtree, for a period."""

from datetime import date

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in; linked to their Person record when they have one."""

    person = models.OneToOneField(
        "people.Person",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="user",
        verbose_name=_("person"),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Role(models.TextChoices):
    """What a grant allows on the organization's subtree; every role may read."""

    VIEWER = "viewer", _("viewer")
    CLERK = "clerk", _("clerk")
    APPROVER = "approver", _("approver")
    ADMIN = "admin", _("administrator")


class GrantQuerySet(models.QuerySet["Grant"]):
    def active_on(self, on: date) -> "GrantQuerySet":
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on), valid_from__lte=on)


class Grant(models.Model):
    """A role on an organization's subtree for [valid_from, valid_to), e.g. a secretary's term."""

    user = models.ForeignKey(User, models.CASCADE, related_name="grants")
    organization = models.ForeignKey(
        "organizations.Organization",
        models.CASCADE,
        related_name="grants",
        verbose_name=_("organization"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        ordering = ["user_id", "organization_id", "role"]
        indexes = [models.Index(fields=["user", "valid_from"], name="grant_by_user")]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.organization}"
