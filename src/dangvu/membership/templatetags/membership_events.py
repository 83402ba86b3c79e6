"""``{% event_actions member as actions %}``: the events the signed-in user may record for a
member (used by ``membership/events/_actions.html`` on the dossier)."""

from typing import Any

from django import template

from dangvu.membership.event_views import actions_for

register = template.Library()


@register.simple_tag(takes_context=True)
def event_actions(context: dict[str, Any], member: Any) -> list[Any]:
    return actions_for(context["request"].user, member)
