"""The kinds of notifications: what each one says, where it leads, how it is emailed.

A notification stores the event (its kind, person, target and a few parameters), never
the sentence: the sentence is written when the notification is read, in the reader's
language. Each feature registers the kinds it sends, from its own `notices.py` (called by
its `AppConfig.ready`); this module knows no feature.

Users choose per group of kinds how they are emailed (immediately, in a daily digest, or
not at all); alerts are always emailed immediately. A kind nobody registered is emailed
immediately too: nothing is muted by accident.
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
    always_immediate: bool = False


KIND_GROUPS = (
    KindGroup("alerts", _("Alerts in the booklet"), always_immediate=True),
    KindGroup("booklet", _("New in the booklet and the emergency sheet")),
    KindGroup("referrals", _("Referrals")),
    KindGroup("stays", _("Hospital stays")),
    KindGroup("followup", _("After discharge")),
    KindGroup("consultations", _("Consultations")),
    KindGroup("network", _("Changes in a network")),
)
GROUPS_BY_KEY = {group.key: group for group in KIND_GROUPS}
SWITCHABLE_GROUPS = tuple(group for group in KIND_GROUPS if not group.always_immediate)
GROUP_CHOICES = [(group.key, group.label) for group in KIND_GROUPS]

PERSON = "person"
TARGET = "target"


@dataclass(frozen=True)
class Kind:
    """One kind of news. `label` names it in a few words, with no name and no detail
    ("Referral accepted"): all that the person's copy of their data shows of a
    notification sent to someone else (`rules.visible_disclosures`). `sentence` is lazy,
    with `%(person)s` (the person's name) and the names of the parameters the sender
    stores; `url_name` takes the id named by `url_id` (the person's, the target's, or
    else the parameter of that name, for news about nobody); `target` is the label of the
    object the news is about ("stays.stay"), checked with the gate when the notification
    is read. `email_says_it`: the news is about no person and holds no health detail (a
    thematic consultation's invitation), so its email may carry the sentence and the
    link, not only "log in"."""

    key: str
    group: str
    sentence: Promise
    url_name: str = ""
    url_id: str = PERSON
    target: str = ""
    fragment: str = ""  # appended to the link as "#…", with {target_id}
    dates: tuple[str, ...] = ()  # parameters holding an ISO date-time
    email_says_it: bool = False
    label: Promise | str = ""

    def __post_init__(self):
        if not self.label:
            raise ValueError(f"{self.key}: a kind needs a label")
        if self.group not in GROUPS_BY_KEY:
            raise ValueError(f"{self.key}: unknown group {self.group!r}")
        if self.url_id == TARGET and not self.target:
            raise ValueError(f"{self.key}: a link by target needs a target")


KINDS: dict[str, Kind] = {}


def register_kind(*kinds: Kind) -> None:
    for kind in kinds:
        KINDS[kind.key] = kind


def get(key: str) -> Kind | None:
    return KINDS.get(key)


def target_labels() -> list[str]:
    """The labels of every object a registered kind points at ("stays.stay", ...)."""
    return sorted({kind.target for kind in KINDS.values() if kind.target})


def group_for(kind: str) -> KindGroup | None:
    registered = KINDS.get(kind)
    return GROUPS_BY_KEY[registered.group] if registered else None


def mode_for(kind: str, chosen: dict[str, str]) -> str:
    """How a notification of this kind is emailed, given the user's choices per group."""
    group = group_for(kind)
    if group is None or group.always_immediate:
        return EmailMode.IMMEDIATE
    return chosen.get(group.key, EmailMode.IMMEDIATE)
