"""Which notifications a user may mute or gather in a digest: kinds grouped by prefix.

A notification's kind is dotted (`stay.admitted`, `referral.accepted`); the group is the
one with the longest matching prefix, so `booklet.alert` is an alert while
`booklet.entry` belongs to the booklet. A kind that matches no group is emailed
immediately: nothing is muted by accident.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("In a daily digest")
    OFF = "off", _("No email")


@dataclass(frozen=True)
class KindGroup:
    key: str
    label: Promise
    prefixes: tuple[str, ...]
    always_immediate: bool = False


KIND_GROUPS = (
    KindGroup("alerts", _("Alerts in the booklet"), ("booklet.alert",), always_immediate=True),
    KindGroup("booklet", _("New in the booklet and the emergency sheet"),
              ("booklet.", "emergency.")),
    KindGroup("referrals", _("Referrals"), ("referral.",)),
    KindGroup("stays", _("Hospital stays"), ("stay.",)),
    KindGroup("consultations", _("Consultations"), ("consultation.",)),
    KindGroup("network", _("Changes in a network"), ("network.",)),
)
GROUPS_BY_KEY = {group.key: group for group in KIND_GROUPS}
SWITCHABLE_GROUPS = tuple(group for group in KIND_GROUPS if not group.always_immediate)
GROUP_CHOICES = [(group.key, group.label) for group in KIND_GROUPS]


def group_for(kind: str) -> KindGroup | None:
    """The group whose prefix matches the kind best (longest), or None."""
    matches = [(len(prefix), group) for group in KIND_GROUPS for prefix in group.prefixes
               if kind.startswith(prefix)]
    return max(matches, key=lambda match: match[0])[1] if matches else None


def mode_for(kind: str, chosen: dict[str, str]) -> str:
    """How a notification of this kind is emailed, given the user's choices per group."""
    group = group_for(kind)
    if group is None or group.always_immediate:
        return EmailMode.IMMEDIATE
    return chosen.get(group.key, EmailMode.IMMEDIATE)
