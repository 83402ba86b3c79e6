"""The curriculum-vitae form (creating a person and correcting the basics), and the
organizations a user may act for (shared with the membership forms)."""

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q, QuerySet
from django.forms.models import fields_for_model, model_to_dict
from django.utils.translation import gettext_lazy as _

from dangvu.accounts import scoping
from dangvu.accounts.models import Role
from dangvu.core.forms import DateField, OrganizationField, PartialDateField, StyledForm
from dangvu.organizations.models import Organization
from dangvu.people.models import Gender, Person

# The fields of the form in the order of form 2-KNĐ; birth_date stands for the three parts.
ORDER = (
    "full_name", "birth_name", "aliases", "gender", "birth_date", "birthplace", "hometown",
    "ethnicity", "religion", "social_class", "national_id", "old_id_number",
    "youth_union_joined_on", "foreign_languages", "it_skills", "enlisted_on", "discharged_on",
)  # fmt: skip
MODEL_FIELDS = [name for name in ORDER if name not in ("birth_date", "national_id")]
# Where the people services name a part of the birth date, the form has one field.
ERROR_ALIASES = {"birth_year": "birth_date", "birth_month": "birth_date", "birth_day": "birth_date"}


def organizations_with_role(user: Any, role: Role) -> QuerySet[Organization]:
    """Live organizations under the user's grants with ``role`` (every one for a superuser)."""
    live = Organization.objects.filter(dissolved_on__isnull=True).order_by("path")
    if user.is_superuser:
        return live
    condition = Q(pk__in=[])
    for grant in scoping.active_grants(user):
        if grant.role == role:
            condition |= Q(path__startswith=grant.organization.path)
    return live.filter(condition)


class NationalIdField(forms.CharField):
    """The 12 digits of the personal identification number; spaces typed between them are
    dropped. The service checks the rest (province, century and gender, year of birth)."""

    default_validators = [
        RegexValidator(
            r"^[0-9]{12}$", _("The personal identification number must have exactly 12 digits.")
        )
    ]
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value: Any) -> str:
        return "".join(str(super().to_python(value)).split())


def _formfield(field: "models.Field[Any, Any]", **kwargs: Any) -> forms.Field:
    if isinstance(field, models.ForeignKey):
        kwargs["empty_label"] = _("— choose —")
    if isinstance(field, models.DateField):
        return DateField(label=field.verbose_name, required=not field.blank)
    formfield = field.formfield(**kwargs)
    assert formfield is not None
    return formfield


class PersonForm(StyledForm):
    """The basics of a curriculum vitae. ``organizations``: where the new dossier may be kept
    (creation only); ``person``: the record being corrected."""

    def __init__(
        self,
        *args: Any,
        person: Person | None = None,
        organizations: QuerySet[Organization] | None = None,
        **kwargs: Any,
    ):
        if person is not None:
            kwargs["initial"] = {
                **model_to_dict(person, [*MODEL_FIELDS, "national_id"]),
                "birth_date": person.birth_date,
            }
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["home_organization"] = OrganizationField(
                organizations, label=_("dossier kept by")
            )
        generated = fields_for_model(Person, MODEL_FIELDS, formfield_callback=_formfield)
        generated["gender"] = forms.ChoiceField(
            label=_("gender"), choices=Gender.choices, widget=forms.RadioSelect
        )
        generated["birth_date"] = PartialDateField(
            label=_("date of birth"),
            help_text=_("Only the year, or the month and year, if the rest is not known."),
        )
        generated["national_id"] = NationalIdField(
            label=_("personal identification number"), required=False
        )
        for name in ORDER:
            self.fields[name] = generated[name]
        if person is not None:
            self.fields["reason"] = forms.CharField(
                label=_("reason for the correction"), required=False, max_length=300
            )

    def person_fields(self) -> dict[str, Any]:
        """The cleaned values as ``create_person`` and ``update_person`` take them."""
        data = {name: self.cleaned_data[name] for name in ORDER if name != "birth_date"}
        birth = self.cleaned_data["birth_date"]
        data.update(birth_year=birth.year, birth_month=birth.month, birth_day=birth.day)
        return data
