"""Forms shared by the web pages: a date typed as dd/mm/yyyy, and the audit log's filters."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DATE_FORMAT = "%d/%m/%Y"


class DateField(forms.DateField):
    """A date typed as dd/mm/yyyy (the only format offices use)."""

    widget = forms.DateInput(format=DATE_FORMAT, attrs={"placeholder": "dd/mm/yyyy"})

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        super().__init__(
            input_formats=[DATE_FORMAT],
            error_messages={"invalid": _("Type the date as dd/mm/yyyy.")},
            **kwargs,
        )


def start_of(day: date) -> datetime:
    """Midnight at the start of ``day``, local time."""
    return timezone.make_aware(datetime.combine(day, time.min))


class StyledForm(forms.Form):
    """Fields drawn with Bootstrap's classes (core/_field.html); a field with an error is marked
    invalid and points to its message, for screen readers too."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if select else "form-control")
            if isinstance(field, forms.DateField):
                field.widget.attrs.setdefault("inputmode", "numeric")

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs["class"]:
                    attrs["class"] += " is-invalid"
                attrs["aria-describedby"] = f"{self[name].auto_id}-error"


class AuditFilter(StyledForm):
    """What the audit list is narrowed to; every field is optional."""

    actor = forms.CharField(label=_("Changed by (user name)"), required=False, max_length=150)
    action = forms.CharField(label=_("Action code begins with"), required=False, max_length=80)
    target_type = forms.ChoiceField(label=_("Kind of object"), required=False)
    organization = forms.CharField(
        label=_("Organization code (with its subtree)"), required=False, max_length=40
    )
    start = DateField(label=_("From"))
    end = DateField(label=_("To"))
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
