"""The built-in default protocol's texts in the reader's language (protocols.shown)."""

from django import template

from relais.followup import protocols
from relais.network.models import PriorityGroup
from relais.stays.models import Destination

register = template.Library()


@register.filter
def protocol_text(text: str) -> str:
    """`{{ step.what_to_check|protocol_text }}`: a default text translated, others as
    written."""
    return protocols.shown(text or "")


@register.filter
def protocol_name(protocol) -> str:
    return protocols.shown(protocol.name)


@register.filter
def protocol_destination(protocol) -> str:
    return _label(Destination, protocol.destination)


@register.filter
def protocol_priority_group(protocol) -> str:
    return _label(PriorityGroup, protocol.priority_group)


def _label(choices, value: str) -> str:
    return choices(value).label if value in choices.values else value
