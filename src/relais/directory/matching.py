"""Which services suit a person's need, best first, and why (used by referrals, issue 5)."""

from dataclasses import dataclass, field

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from relais.directory.models import Capacity, Service, ServiceStatus, UrgentStart

URGENCY_RANK = {UrgentStart.NONE: 0, UrgentStart.WITHIN_72H: 1, UrgentStart.WITHIN_24H: 2}


@dataclass
class Match:
    service: Service
    score: int = 0
    # (True: fits, False: does not fit, None: a warning), with a sentence for each.
    reasons: list[tuple[bool | None, str]] = field(default_factory=list)

    @property
    def suitable(self) -> bool:
        return all(ok is not False for ok, _ in self.reasons)

    def check(self, ok: bool, yes: str, no: str, weight: int) -> None:
        self.reasons.append((ok, yes if ok else no))
        self.score += weight if ok else 0


def match_services(queryset, *, category, municipality=None, language="", urgency=""):
    """Every service of the category, each with its reasons (✓/✗), suitable ones first."""
    candidates = queryset.filter(category=category).exclude(
        status__in=[ServiceStatus.INACTIVE, ServiceStatus.DEFUNCT]).select_related(
        "organisation").prefetch_related("municipalities", "care_zones")
    matches = [_judge(s, municipality, language, urgency) for s in candidates]
    return sorted(matches, key=lambda m: (not m.suitable, -m.score, m.service.name))


def _judge(service, municipality, language, urgency) -> Match:
    match = Match(service)
    match.check(service.status == ServiceStatus.ACTIVE, _("Open"), _("Temporarily closed"), 4)
    if municipality is not None:
        match.check(_serves(service, municipality),
                    _("Works in %(place)s") % {"place": municipality.name},
                    _("Does not work in %(place)s") % {"place": municipality.name}, 4)
    if language:
        match.check(f" {language} " in service.languages,
                    _("Speaks the person's language"), _("Does not speak the person's language"),
                    3)
    if urgency:
        match.check(URGENCY_RANK.get(service.urgent_start, 0) >= URGENCY_RANK.get(urgency, 0),
                    _("Can start in time"), _("Cannot start that fast"), 3)
    _capacity(match, service)
    if service.is_stale:
        match.reasons.append((None, _("Not verified for more than 6 months")))
        match.score -= 1
    return match


# One sentence per capacity state, said with the day it was confirmed (or that it never was).
CAPACITY_FIT = {Capacity.ACCEPTING: (True, 2), Capacity.WAITING_LIST: (None, 1),
                Capacity.FULL: (False, 0)}


def _capacity(match, service) -> None:
    """The service's one capacity state (✓ has room, ! waiting list, ✗ full), with when it
    was confirmed: a state nobody confirmed for months is a guess, and the reader judges."""
    ok, weight = CAPACITY_FIT.get(service.capacity, (None, 0))
    match.reasons.append((ok, capacity_sentence(service)))
    match.score += weight


def capacity_sentence(service) -> str:
    confirmed = service.capacity_confirmed_on
    if confirmed is None:
        return {Capacity.ACCEPTING: _("Has room (never confirmed)"),
                Capacity.WAITING_LIST: _("Waiting list (never confirmed)"),
                Capacity.FULL: _("Full (never confirmed)")}.get(service.capacity, "")
    sentence = {Capacity.ACCEPTING: _("Has room (confirmed on %(date)s)"),
                Capacity.WAITING_LIST: _("Waiting list (confirmed on %(date)s)"),
                Capacity.FULL: _("Full (confirmed on %(date)s)")}.get(service.capacity, "")
    return sentence % {"date": date_format(confirmed, "SHORT_DATE_FORMAT")}


def _serves(service, municipality) -> bool:
    if service.serves_all_brussels:
        return True
    if any(m.pk == municipality.pk for m in service.municipalities.all()):
        return True
    return any(z.pk == municipality.care_zone_id for z in service.care_zones.all())
