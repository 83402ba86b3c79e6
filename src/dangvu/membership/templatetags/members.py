"""Tags of the member pages, written in Python because a list repeats them on every row or
option: ``{% options field %}`` (the ``<option>`` elements of a select filter, the chosen one
marked: a commune's dozens of cells and the fifty-four ethnic groups on every page of the
list) and ``{{ member|standing }}`` (his standing and the flags that qualify it)."""

from typing import Any

from django import template
from django.forms import BoundField
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

register = template.Library()
SELECTED = mark_safe(" selected")
FLAGS = [
    ("is_exempted", _("exempted")),
    ("is_suspended", _("suspended")),
    ("is_in_transit", _("in transit")),
    ("is_temporarily_away", _("temporarily away")),
    ("is_lost_contact", _("lost contact")),
]


@register.simple_tag
def options(field: BoundField) -> SafeString:
    value = field.value()
    chosen = "" if value is None else str(value)
    choices: Any = getattr(field.field, "choices", [])
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((choice, SELECTED if str(choice) == chosen else "", label) for choice, label in choices),
    )


@register.filter
def standing(member: Any) -> str:
    """ "Official, exempted": the standing, then each flag that is set."""
    flags = [label for flag, label in FLAGS if getattr(member, flag)]
    return capfirst(", ".join(str(part) for part in [member.get_standing_display(), *flags]))
