"""The restructuring screens' forms: each parses what an administrator typed, describes what
will change (the preview, from reads only) and calls one service of ``organizations.services``.

Organizations are typed by their code (a province has thousands: no list would fit); the
preview then shows each one by name and place in the tree before anything is confirmed.
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dangvu.core.dates import format_date
from dangvu.core.errors import DomainError
from dangvu.core.forms import DateField
from dangvu.core.models import OrganizationCategory, OrganizationKind
from dangvu.core.text import thousands
from dangvu.membership.selectors import current_members_for
from dangvu.organizations import selectors, services
from dangvu.organizations.models import Organization


class CodeField(forms.CharField):
    """An organization typed by its code; the form resolves it in the user's scope."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", gettext_lazy("The code shown on the organization's page."))
        super().__init__(**kwargs)


@dataclass
class Preview:
    """What a restructuring will change: rows (what, before, after) and sentences."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Restructuring(forms.Form):
    """The effective date and the reason common to every screen; ``organization`` is the one
    whose page the screen was opened from."""

    title: Promise
    button: Promise = gettext_lazy("Confirm")
    # a service's error field → this form's field, when their names differ
    error_fields: dict[str, str] = {}

    on = DateField(label=gettext_lazy("Effective date"))
    reason = forms.CharField(
        label=gettext_lazy("Reason (decision number, or why)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data: Any = None, *, user: Any, organization: Organization):
        super().__init__(
            data, initial={"on": timezone.localdate(), **self.initial_values(organization)}
        )
        self.user, self.organization = user, organization
        for bound in self.fields.values():
            css = "form-select" if isinstance(bound.widget, forms.Select) else "form-control"
            bound.widget.attrs["class"] = css

    def initial_values(self, organization: Organization) -> dict[str, Any]:
        return {}

    def add_error(self, name: str | None, error: Any) -> None:
        super().add_error(name, error)
        if name in self.fields:
            attrs = self.fields[name].widget.attrs
            attrs["class"] = attrs["class"].replace(" is-invalid", "") + " is-invalid"
            described = [f"id_{name}-error"]
            if self.fields[name].help_text:  # Django's own reference, replaced by this one
                described.append(f"id_{name}_helptext")
            attrs["aria-describedby"] = " ".join(described)

    def add_domain_error(self, error: DomainError) -> None:
        """A service's refusal, next to the field it is about (at the top otherwise)."""
        name = self.error_fields.get(error.field or "", error.field)
        self.add_error(name if name in self.fields else None, str(error))

    def live(self, name: str, code: str | None = None) -> Organization | None:
        """The live organization of the user's scope whose code was typed in field ``name``
        (or is ``code``, one of several typed there); an error next to the field if none."""
        code = (self.cleaned_data.get(name) or "" if code is None else code).strip()
        if not code:
            return None
        found = selectors.live_organizations_for(self.user, timezone.localdate())
        organization = found.filter(code=code).select_related("kind").first()
        if organization is None:
            self.add_error(
                name,
                _("No live organization of your scope has the code %(code)s.") % {"code": code},
            )
        return organization

    # --- what each screen says and does ---

    def describe(self) -> Preview:
        raise NotImplementedError

    def run(self, actor: Any) -> Organization:
        raise NotImplementedError

    def involved(self) -> list[Organization]:
        """The organization objects the service receives (refreshed after a dry run)."""
        return [self.organization]

    def record(self, actor: Any, *, dry_run: bool = False) -> Organization | None:
        """Call the service in a transaction; with ``dry_run`` the transaction is rolled back:
        every check the service makes, nothing written. A refusal goes next to its field and
        None is returned."""
        failed = True
        try:
            with transaction.atomic():
                result = self.run(actor)
                if dry_run:
                    transaction.set_rollback(True)
            failed = False
        except DomainError as error:
            self.add_domain_error(error)
            return None
        finally:
            if dry_run or failed:  # the service changed them in memory
                for organization in self.involved():
                    organization.refresh_from_db()
        return result

    def done(self, result: Organization) -> tuple[str, str]:
        """(the message after the change, the page to show next)."""
        return _("The change is recorded."), reverse("organizations:detail", args=[result.pk])

    # --- helpers for the previews ---

    def path(self, organization: Organization) -> str:
        names = [o.name for o in selectors.ancestors_for(self.user, organization)]
        return " › ".join([*names, organization.name])

    def members(self, organization: Organization) -> int:
        return current_members_for(self.user).filter(organization=organization).count()

    def dated(self) -> str:
        return format_date(self.cleaned_data["on"])

    def reassigned(
        self, source: Organization, successor: Organization | None, children: bool = True
    ) -> list[str]:
        """The sentences about what a dissolved organization hands over (its subordinates
        too, unless they are assigned one by one)."""
        notes = []
        below = selectors.live_children_for(self.user, source).count() if children else 0
        if below and successor:
            notes.append(
                ngettext(
                    "%(count)s subordinate organization of %(name)s passes to %(to)s, "
                    "with its own subordinates and members.",
                    "%(count)s subordinate organizations of %(name)s pass to %(to)s, "
                    "with their own subordinates and members.",
                    below,
                )
                % {"count": thousands(below), "name": source.name, "to": successor.name}
            )
        members = self.members(source)
        if members and successor:
            notes.append(
                ngettext(
                    "%(count)s member of %(name)s is reassigned to %(to)s (a reassignment, "
                    "not a transfer).",
                    "%(count)s members of %(name)s are reassigned to %(to)s (a reassignment, "
                    "not a transfer).",
                    members,
                )
                % {"count": thousands(members), "name": source.name, "to": successor.name}
            )
        if successor:
            notes.append(
                _(
                    "Members in transit to %(name)s or hosted by it, and the dossiers it keeps, "
                    "pass to %(to)s too."
                )
                % {"name": source.name, "to": successor.name}
            )
        return notes


class Establish(Restructuring):
    title = gettext_lazy("Establish a subordinate organization")
    button = gettext_lazy("Establish")

    code = forms.CharField(label=gettext_lazy("Code"), max_length=40)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    kind = forms.ModelChoiceField(
        OrganizationKind.objects.exclude(code="central"), label=gettext_lazy("Kind")
    )
    category = forms.ModelChoiceField(
        OrganizationCategory.objects.all(), label=gettext_lazy("Category"), required=False
    )
    field_order = ["code", "name", "kind", "category", "on", "reason"]

    def describe(self) -> Preview:
        data = self.cleaned_data
        return Preview(
            rows=[
                (_("Code"), "", data["code"]),
                (_("Name"), "", data["name"]),
                (_("Kind"), "", str(data["kind"])),
                (_("Category"), "", str(data["category"] or "—")),
                (_("Place in the tree"), "", f"{self.path(self.organization)} › {data['name']}"),
                (_("Established on"), "", self.dated()),
            ],
            notes=[_("The new organization starts with no members and no subordinates.")],
        )

    def run(self, actor: Any) -> Organization:
        data = self.cleaned_data
        return services.establish(
            actor=actor,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            category=data["category"],
            parent=self.organization,
            on=data["on"],
            reason=data["reason"],
        )

    def done(self, result: Organization) -> tuple[str, str]:
        return _("%(name)s is established.") % {"name": result.name}, reverse(
            "organizations:detail", args=[result.pk]
        )


class Rename(Restructuring):
    title = gettext_lazy("Rename")
    button = gettext_lazy("Rename")

    name = forms.CharField(label=gettext_lazy("New name"), max_length=200)
    field_order = ["name", "on", "reason"]

    def describe(self) -> Preview:
        return Preview(
            rows=[(_("Name"), self.organization.name, self.cleaned_data["name"])],
            notes=[
                _(
                    "From %(date)s the organization bears the new name; reports as of earlier "
                    "dates keep the old one."
                )
                % {"date": self.dated()}
            ],
        )

    def run(self, actor: Any) -> Organization:
        data = self.cleaned_data
        return services.rename(
            actor=actor,
            organization=self.organization,
            name=data["name"],
            on=data["on"],
            reason=data["reason"],
        )


class Reclassify(Restructuring):
    title = gettext_lazy("Change the kind or category")

    kind = forms.ModelChoiceField(
        OrganizationKind.objects.exclude(code="central"), label=gettext_lazy("Kind")
    )
    category = forms.ModelChoiceField(
        OrganizationCategory.objects.all(), label=gettext_lazy("Category"), required=False
    )
    field_order = ["kind", "category", "on", "reason"]

    def initial_values(self, organization: Organization) -> dict[str, Any]:
        return {"kind": organization.kind_id, "category": organization.category_id}

    def describe(self) -> Preview:
        data, organization = self.cleaned_data, self.organization
        category = data["category"] or organization.category
        return Preview(
            rows=[
                (_("Kind"), str(organization.kind), str(data["kind"])),
                (_("Category"), str(organization.category or "—"), str(category or "—")),
            ],
            notes=[_("From %(date)s.") % {"date": self.dated()}],
        )

    def run(self, actor: Any) -> Organization:
        data = self.cleaned_data
        return services.reclassify(
            actor=actor,
            organization=self.organization,
            kind=data["kind"],
            category=data["category"],
            on=data["on"],
            reason=data["reason"],
        )


class Move(Restructuring):
    title = gettext_lazy("Move under another organization")
    button = gettext_lazy("Move")

    parent = CodeField(label=gettext_lazy("Code of the new parent organization"))
    field_order = ["parent", "on", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["new_parent"] = self.live("parent")
        return data

    def involved(self) -> list[Organization]:
        return [self.organization, self.cleaned_data["new_parent"]]

    def describe(self) -> Preview:
        organization, new_parent = self.organization, self.cleaned_data["new_parent"]
        below = selectors.subtree(organization).filter(dissolved_on__isnull=True).count() - 1
        members = current_members_for(self.user).filter(
            organization__path__startswith=organization.path
        )
        return Preview(
            rows=[
                (
                    _("Place in the tree"),
                    self.path(organization),
                    f"{self.path(new_parent)} › {organization.name}",
                )
            ],
            notes=[
                ngettext(
                    "%(count)s subordinate organization moves with it.",
                    "%(count)s subordinate organizations move with it.",
                    below,
                )
                % {"count": thousands(below)},
                ngettext(
                    "%(count)s member stays in his organization and moves with it: nobody is "
                    "reassigned.",
                    "%(count)s members stay in their organizations and move with it: nobody is "
                    "reassigned.",
                    members.count(),
                )
                % {"count": thousands(members.count())},
                _("From %(date)s; reports as of earlier dates keep the old place.")
                % {"date": self.dated()},
            ],
        )

    def run(self, actor: Any) -> Organization:
        data = self.cleaned_data
        return services.move(
            actor=actor,
            organization=self.organization,
            new_parent=data["new_parent"],
            on=data["on"],
            reason=data["reason"],
        )


def _codes(text: str) -> list[str]:
    return [code for code in text.replace(",", " ").split() if code]


class Merge(Restructuring):
    title = gettext_lazy("Merge into another organization")
    button = gettext_lazy("Merge")
    error_fields = {"parent": "into", "target": "into"}

    into = CodeField(label=gettext_lazy("Code of the organization it merges into"))
    others = forms.CharField(
        label=gettext_lazy("Codes of other organizations merged at the same time"),
        help_text=gettext_lazy("Optional; separate the codes with commas."),
        max_length=400,
        required=False,
    )
    field_order = ["into", "others", "on", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["successor"] = self.live("into")
        sources = [self.organization]
        for code in _codes(data.get("others", "")):
            other = self.live("others", code)
            if other is not None and other not in sources:
                sources.append(other)
        data["sources"] = sources
        return data

    def involved(self) -> list[Organization]:
        return [*self.cleaned_data["sources"], self.cleaned_data["successor"]]

    def describe(self) -> Preview:
        successor = self.cleaned_data["successor"]
        preview = Preview()
        for source in self.cleaned_data["sources"]:
            preview.rows.append(
                (
                    self.path(source),
                    _("live"),
                    _("dissolved on %(date)s, merged into %(name)s")
                    % {"date": self.dated(), "name": successor.name},
                )
            )
            preview.notes += self.reassigned(source, successor)
        preview.notes.append(
            _("%(name)s stays where it is: %(path)s.")
            % {"name": successor.name, "path": self.path(successor)}
        )
        return preview

    def run(self, actor: Any) -> Organization:
        data = self.cleaned_data
        return services.merge(
            actor=actor,
            sources=data["sources"],
            into=data["successor"],
            on=data["on"],
            reason=data["reason"],
        )

    def done(self, result: Organization) -> tuple[str, str]:
        return _("The merger is recorded."), reverse("organizations:detail", args=[result.pk])


class Split(Restructuring):
    """One code field per live subordinate (empty: it goes with the records)."""

    title = gettext_lazy("Split")
    button = gettext_lazy("Split")
    error_fields = {"target": "records_to"}

    records_to = CodeField(
        label=gettext_lazy("Code of the organization that takes its members and dossiers")
    )

    def __init__(self, data: Any = None, *, user: Any, organization: Organization):
        super().__init__(data, user=user, organization=organization)
        self.children = list(selectors.live_children_for(user, organization))
        for child in self.children:
            self.fields[f"child_{child.pk}"] = CodeField(
                label=_("%(name)s (%(code)s) goes to") % {"name": child.name, "code": child.code},
                help_text=gettext_lazy("Code; empty: with the members and dossiers."),
                required=False,
            )
            self.fields[f"child_{child.pk}"].widget.attrs["class"] = "form-control"
        self.order_fields(["records_to", *[f"child_{c.pk}" for c in self.children], "on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["successor"] = self.live("records_to")
        data["assignments"] = {
            child: self.live(f"child_{child.pk}") or data["successor"] for child in self.children
        }
        return data

    def involved(self) -> list[Organization]:
        data = self.cleaned_data
        return [self.organization, *self.children, *data["assignments"].values()]

    def describe(self) -> Preview:
        data, organization = self.cleaned_data, self.organization
        preview = Preview(
            rows=[
                (self.path(child), organization.name, target.name)
                for child, target in data["assignments"].items()
            ]
        )
        preview.rows.append(
            (
                self.path(organization),
                _("live"),
                _("dissolved on %(date)s") % {"date": self.dated()},
            )
        )
        preview.notes += self.reassigned(organization, data["successor"], children=False)
        names = sorted({data["successor"].name, *(t.name for t in data["assignments"].values())})
        preview.notes.append(_("Its successors: %(names)s.") % {"names": ", ".join(names)})
        return preview

    def run(self, actor: Any) -> Organization:
        data = self.cleaned_data
        services.split(
            actor=actor,
            organization=self.organization,
            assignments=data["assignments"],
            records_to=data["successor"],
            on=data["on"],
            reason=data["reason"],
        )
        return self.organization


class Dissolve(Restructuring):
    title = gettext_lazy("Dissolve")
    button = gettext_lazy("Dissolve")

    target = CodeField(
        label=gettext_lazy("Code of the organization that takes over"),
        help_text=gettext_lazy(
            "Needed when it still has subordinates, members or dossiers: they pass to it."
        ),
        required=False,
    )
    field_order = ["target", "on", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["successor"] = self.live("target")
        return data

    def involved(self) -> list[Organization]:
        return [o for o in (self.organization, self.cleaned_data["successor"]) if o]

    def describe(self) -> Preview:
        successor = self.cleaned_data["successor"]
        preview = Preview(
            rows=[
                (
                    self.path(self.organization),
                    _("live"),
                    _("dissolved on %(date)s") % {"date": self.dated()},
                )
            ]
        )
        preview.notes += self.reassigned(self.organization, successor)
        return preview

    def run(self, actor: Any) -> Organization:
        data = self.cleaned_data
        return services.dissolve(
            actor=actor,
            organization=self.organization,
            target=data["successor"],
            on=data["on"],
            reason=data["reason"],
        )


OPERATIONS: dict[str, type[Restructuring]] = {
    "establish": Establish,
    "rename": Rename,
    "reclassify": Reclassify,
    "move": Move,
    "merge": Merge,
    "split": Split,
    "dissolve": Dissolve,
}
