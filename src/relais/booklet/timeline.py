"""The person's timeline (issue 6 point 6): booklet, stays, referrals, consultations in
one order, each item read through the access rules, and an SVG strip on top."""

from dataclasses import dataclass
from datetime import datetime
from html import escape

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relais.access import persons, policy
from relais.booklet.models import Consultation, Entry, EntryKind
from relais.booklet.rules import may_write_booklet, readable
from relais.core import kept
from relais.core.jinja import datetime_writer
from relais.core.reversing import writer
from relais.stays.models import Referral, ReferralEvent, Stay

KINDS = {
    "booklet": (gettext_lazy("Booklet"), "#2f6f8f"),
    "stays": (gettext_lazy("Hospital stays"), "#b5452b"),
    "referrals": (gettext_lazy("Referrals"), "#5a7d2b"),
    "consultations": (gettext_lazy("Consultations"), "#7a4c9a"),
}
LIMIT = 200  # per kind: the timeline shows the recent story, the booklet has the rest


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    title: str
    link: str


def events(user, person, kinds) -> list[Event]:
    found = []
    if "booklet" in kinds:
        found += _booklet(user, person)
    if "stays" in kinds:
        found += _stays(user, person)
    if "referrals" in kinds:
        found += _referrals(user, person)
    if "consultations" in kinds:
        found += _consultations(user, person)
    return sorted(found, key=lambda e: e.at, reverse=True)


def _booklet(user, person):
    if not may_write_booklet(user, person):  # whoever sees the person (booklet rules)
        return []
    link = reverse("booklet:booklet", args=[person.pk])
    # The statement kept across requests, as the booklet's own page keeps its ranking:
    # built anew, the audience rules' SQL was half of the timeline's time.
    rows = kept.rows(("booklet.timeline_entries", policy.signature(user)), lambda s: readable(
        user, Entry.objects.all(), s.person).values_list(
        "pk", "created_at", "kind", "body", named=True)[:LIMIT], person=person.pk)
    return [Event(e.created_at, "booklet", f"{EntryKind(e.kind).label}: {e.body[:80]}",
                  f"{link}#entry-{e.pk}") for e in rows]


def _stays(user, person):
    found = []
    with persons.asking_per_row():  # one person's stays: not every person's set
        stays = policy.visible_rows(user, ("booklet.timeline_stays",), lambda s: (
            Stay.objects.filter(person_id=s.person).select_related("hospital")),
            limit=LIMIT, person=person.pk)
    stay_url = writer("stays:stay_detail")
    for stay in stays:
        link = stay_url(stay.pk)
        found.append(Event(stay.admitted_at, "stays",
                           _("Admitted to %(hospital)s") % {"hospital": stay.hospital.name},
                           link))
        if stay.discharged_at:
            found.append(Event(stay.discharged_at, "stays",
                               _("Left %(hospital)s") % {"hospital": stay.hospital.name}, link))
    return found


def _referrals(user, person):
    def build(slots):  # the events of the person's referrals the user may see
        referrals = policy.visible(user, Referral.objects.filter(person_id=slots.person))
        return ReferralEvent.objects.filter(referral__in=referrals.values("pk")).select_related(
            "referral__service").order_by("-at")[:LIMIT]

    with persons.asking_per_row():  # one person's referrals: not every person's set
        rows = kept.rows(("booklet.timeline_referrals", policy.signature(user)), build,
                         person=person.pk)
    referral_url = writer("stays:referral_detail")
    return [Event(r.at, "referrals", f"{r.referral.service.name}: {r.get_status_display()}",
                  referral_url(r.referral_id)) for r in rows]


def _consultations(user, person):
    """The person's consultations the user may see (the asker's organisation, the
    invitees): one statement kept across requests, as values; the newest LIMIT."""
    with persons.asking_per_row():  # one person's consultations: not every person's set
        rows = policy.visible_rows(user, ("booklet.timeline_consultations",), lambda s: (
            Consultation.objects.filter(person_id=s.person).order_by("-created_at")
            .values_list("pk", "created_at", "question", "decided_at", "decision",
                         named=True)), limit=LIMIT, person=person.pk)
    found, consultation_url = [], writer("booklet:consultation_detail")
    for consultation in rows:
        link = consultation_url(consultation.pk)
        found.append(Event(consultation.created_at, "consultations",
                           _("Question: %(text)s") % {"text": consultation.question[:80]}, link))
        if consultation.decided_at:
            found.append(Event(consultation.decided_at, "consultations",
                               _("Decision: %(text)s") % {"text": consultation.decision[:80]},
                               link))
    return found


def strip_svg(found: list[Event], width: int = 800, height: int = 56) -> str:
    """A horizontal strip: one mark per event, placed by time, coloured by kind."""
    if not found:
        return ""
    start, end = min(e.at for e in found), max(e.at for e in found)
    span = max((end - start).total_seconds(), 1)
    margin = 10
    marks = []
    # Written once for the strip: date_format looks the zone and the format up each time.
    moment, day = datetime_writer("SHORT_DATETIME_FORMAT"), datetime_writer("SHORT_DATE_FORMAT")
    for event in found:
        x = margin + (width - 2 * margin) * (event.at - start).total_seconds() / span
        row = list(KINDS).index(event.kind)
        y = 10 + row * 10
        label = escape(f"{moment(event.at)} · {event.title}")
        marks.append(f'<circle cx="{x:.1f}" cy="{y}" r="4" fill="{KINDS[event.kind][1]}">'
                     f"<title>{label}</title></circle>")
    axis = (f'<line x1="{margin}" y1="{height - 6}" x2="{width - margin}" y2="{height - 6}" '
            'stroke="#888" stroke-width="1"/>')
    ends = (f'<text x="{margin}" y="{height}" font-size="9" fill="#555">'
            f"{escape(day(start))}</text>"
            f'<text x="{width - margin}" y="{height}" font-size="9" fill="#555" '
            f'text-anchor="end">'
            f"{escape(day(end))}</text>")
    title = escape(_("Timeline"))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 4}" '
            f'role="img" aria-label="{title}">{axis}{"".join(marks)}{ends}</svg>')
