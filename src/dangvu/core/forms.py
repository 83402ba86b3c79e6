"""Form fields every page shares: dates typed dd/mm/yyyy, partial dates (a birth date of which
only the year or the month and year is known), and an organization typed by code or name; the
Bootstrap form base; the audit log's filters."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.apps import apps
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangvu.core.dates import PartialDate
from dangvu.core.errors import DomainError

DATE_FORMAT = "%d/%m/%Y"
# Past this many organizations a choice list is too long to read: type a code or a name.
SELECT_LIMIT = 300


class DateField(forms.DateField):
    """A day typed as dd/mm/yyyy, with a Vietnamese message when it is not one."""

    widget = forms.DateInput(
        format=DATE_FORMAT, attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"}
    )

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("error_messages", {"invalid": _("Type the date as dd/mm/yyyy.")})
        super().__init__(input_formats=[DATE_FORMAT], **kwargs)


class PartialDateField(forms.Field):
    """A date typed as dd/mm/yyyy, mm/yyyy or yyyy; cleans to a ``PartialDate``."""

    widget = forms.TextInput(attrs={"placeholder": "dd/mm/yyyy, mm/yyyy, yyyy"})

    def to_python(self, value: Any) -> PartialDate | None:
        if isinstance(value, PartialDate) or value in self.empty_values:
            return value or None
        try:
            return PartialDate.parse(str(value))
        except DomainError as error:
            raise forms.ValidationError(str(error.message), code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, date):
            return PartialDate.from_date(value)
        return value  # a PartialDate prints as typed; a refused text is shown back as it was


class OrganizationField(forms.ModelChoiceField):
    """An organization among ``queryset``: a choice list when it is short, otherwise a text box
    that takes the organization's code or a part of its name (suggestions as one types)."""

    def __init__(self, queryset: QuerySet[Any], **kwargs: Any):
        kwargs.setdefault("empty_label", _("— choose —"))
        super().__init__(queryset, to_field_name="code", **kwargs)
        self.short = queryset.count() <= SELECT_LIMIT
        if not self.short:
            self.widget = forms.TextInput(
                attrs={"autocomplete": "off", "placeholder": _("code or name")}
            )

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.code})"

    def prepare_value(self, value: Any) -> Any:
        if hasattr(value, "code"):  # an Organization (core does not import the tree's models)
            return value.code
        return super().prepare_value(value)

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        text, organizations = str(value).strip(), self.queryset
        assert organizations is not None
        found = list(organizations.filter(code=text)[:2])
        if len(found) != 1 and not self.short:
            found = list(organizations.filter(name__icontains=text).order_by("name")[:11])
        if len(found) == 1:
            return found[0]
        if not found:
            raise forms.ValidationError(
                _("No organization has this code or name: %(text)s.") % {"text": text},
                code="invalid_choice",
            )
        names = ", ".join(f"{o.name} ({o.code})" for o in found[:10])
        raise forms.ValidationError(
            _("Several organizations match; type the code of the one you mean: %(names)s.")
            % {"names": names},
            code="ambiguous",
        )


def add_domain_error(
    form: forms.Form, error: DomainError, aliases: dict[str, str] | None = None
) -> None:
    """Show a service's refusal next to the field it names (or its alias), else at the top."""
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, str(error.message))


WIDGET_CLASSES = {"radioselect": "form-check-input", "checkbox": "form-check-input"}


class StyledForm(forms.Form):
    """A form whose widgets carry Bootstrap's classes; a field with an error is marked invalid
    and described by its message (``_field.html`` prints it with that id)."""

    def __getitem__(self, name: str) -> forms.BoundField:
        bound = super().__getitem__(name)
        attrs = bound.field.widget.attrs
        css = WIDGET_CLASSES.get(
            bound.widget_type, "form-select" if "select" in bound.widget_type else "form-control"
        )
        if name in self.errors:
            attrs.update({"aria-invalid": "true", "aria-describedby": f"{bound.auto_id}-error"})
            css += " is-invalid"
        attrs["class"] = css
        return bound


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day``, local time."""
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditFilter(StyledForm):
    """What the audit list is narrowed to; every field is optional."""

    actor = forms.CharField(label=_("Changed by (user name)"), required=False, max_length=150)
    action = forms.CharField(label=_("Action code begins with"), required=False, max_length=80)
    target_type = forms.ChoiceField(label=_("Kind of object"), required=False)
    organization = forms.CharField(
        label=_("Organization code (with its subtree)"), required=False, max_length=40
    )
    start = DateField(label=_("From"), required=False)
    end = DateField(label=_("To"), required=False)
    request_id = forms.CharField(label=_("Request id"), required=False, max_length=64)

    def __init__(self, *args: Any, target_types: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [(label, apps.get_model(label)._meta.verbose_name) for label in target_types]
        field = self.fields["target_type"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("All")), *choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end date is before the start date."))
        return data

    def period(self) -> tuple[datetime | None, datetime | None]:
        """[from midnight of the first day, to midnight after the last day)."""
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        return (
            start_of(start) if start else None,
            start_of(end + timedelta(days=1)) if end else None,
        )
