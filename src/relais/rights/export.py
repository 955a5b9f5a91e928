"""Everything Relais holds about a person, readable and printable (GDPR art. 15; the
machine-readable copy is the FHIR API's Patient/$everything, docs/fhir.md).

Each kind of data is read through the gate for the reader, so the page never shows more
than the reader may open elsewhere: asked by the person (or their contact point) it is
their own copy; asked by a professional who keeps the record, the copy they hand over.

Every model that holds rows about a person (a foreign key to the person, or a chain of
them: a check-in → its watch → the person) is either shown here (`SHOWN_IN`) or left out
for a reason written down (`NOT_SHOWN`); tests/relais/rights/test_export.py walks the
models and fails on one that is in neither, so a new kind of data gets a decision.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch

from relais.access import policy
from relais.audit import log as audit
from relais.booklet import emergency
from relais.booklet.models import Consultation, Entry, Invitation, SheetPrint
from relais.followup.models import Contact, FollowUp, Refusal, Watch
from relais.network import rules as network_rules
from relais.network import who_looked
from relais.network.models import NetworkMember
from relais.notifications import rules as notification_rules
from relais.notifications.models import Notification
from relais.stays import rules as stay_rules
from relais.stays import screening
from relais.stays.models import (
    AdmissionBrief,
    PatientLink,
    Referral,
    Screening,
    Stay,
    TransferNote,
)

EXPORT = "person.export"

# Model (label) → the section of `gather()` that shows its rows.
SHOWN_IN = {
    "network.networkmember": "members",
    "network.memberrole": "members",
    "access.consent": "consents",
    "network.mandate": "mandates",
    "network.protectionorder": "protection_orders",
    "network.capacityassessment": "assessments",
    "stays.stay": "stays",
    "stays.planitem": "stays",
    "stays.screening": "screenings",
    "stays.transfernote": "transfer_notes",
    "stays.admissionbrief": "admission_brief",
    "stays.patientlink": "patient_links",
    "stays.referral": "referrals",
    "stays.referralevent": "referrals",
    "booklet.entry": "entries",
    "booklet.emergencysheet": "sheet",  # the earlier versions: "earlier_sheets"
    "booklet.sheetprint": "sheet_prints",
    "booklet.consultation": "consultations",
    "booklet.invitation": "consultations",  # the members' answers
    "followup.followup": "followups",
    "followup.contact": "followups",
    "followup.escalation": "followups",
    "followup.refusal": "refusals",
    "followup.watch": "watches",
    "followup.checkin": "watches",
    "followup.watchsignal": "watches",
    "notifications.notification": "notifications",  # to whom, for the person: "disclosures"
}

# Model (label) → why its rows are not on this page. The audit log is not a model with
# a foreign key (it names the person by id): it is "Who looked at this record", linked
# from the page, as are the accesses below that it records.
NOT_SHOWN = {
    # Each opening writes the audit event `person.break_glass` with the same reason, who
    # and when: the access log shows it, to the same readers as this page.
    "access.breakglassaccess": "on the access log (person.break_glass, with its reason)",
    # Who read a booklet entry and when: about the readers, not the person; each read and
    # acknowledgement of the booklet is on the access log (booklet.read, .acknowledge).
    "booklet.readreceipt": "about the readers; their reads are on the access log",
    # An invitation of a network member to the portal: the member's e-mail address and
    # when it was used. The member is in the care network section; sending and
    # withdrawing the invitation are on the access log (portal.*).
    "network.portalinvitation": "the invited member's e-mail; on the access log (portal.*)",
    # One e-mail per notification (or per digest): to whom, whether it was sent. It holds
    # no content (the notification it announces is in "notifications"), and the gate shows
    # the deliveries to platform administrators only.
    "notifications.emaildelivery": "no content: the notification is shown; admins only",
    # The row says only that the record was anonymised and under which policy; the
    # person page of such a record says so (rights/sections.py).
    "rights.anonymisation": "holds no data about the person; the person page says it",
    # The hospital's HL7 messages as received (name, national number, address, visit):
    # the hospital's own record, of which Relais keeps what it applied — the person and
    # their stays, shown here. The gate shows a message to no one but its hospital's
    # staff while it waits for a match; a request for the raw messages themselves is
    # answered by the operator from the database (they are blanked at anonymisation,
    # docs/retention.md). Not a page for a person to read.
    "stays.adtmessage": "the hospital's raw messages; applied data shown as the stays",
}


def gather(user, person) -> dict:
    """Every kind of data about `person` that `user` may read, section by section."""
    stays = list(Stay.objects.visible_to(user).filter(person=person)
                 .select_related("person", "hospital", "ward").prefetch_related("plan_items")
                 .order_by("admitted_at"))
    versions, prints = _sheet_rows(user, person)
    return {
        "members": list(policy.visible(user, NetworkMember.objects.filter(person=person))
                        .select_related("user", "organisation").prefetch_related("roles")),
        "consents": list(person.consents.order_by("given_on")),
        "mandates": [m for m in person.mandates.select_related("representative")
                     if network_rules.may_read_mandate(user, m)],
        "protection_orders": [o for o in person.protection_orders.select_related(
            "administrator__user", "administrator__organisation")
            if network_rules.may_read_protection_order(user, o)],
        "assessments": list(person.assessments.all()),
        "stays": stays,
        "screenings": _screenings(user, stays),
        "transfer_notes": _transfer_notes(user, person, stays),
        "admission_brief": _admission_brief(user, person, stays),
        "patient_links": list(policy.visible(user, PatientLink.objects.filter(person=person))
                              .select_related("hospital").order_by("created_at")),
        "referrals": list(Referral.objects.visible_to(user).filter(person=person)
                          .select_related("service", "organisation")
                          .prefetch_related("events").order_by("created_at")),
        "entries": list(Entry.objects.visible_to(user).filter(person=person)
                        .select_related("author").order_by("created_at")),
        "sheet": versions[0] if versions else None,
        "earlier_sheets": versions[1:],
        "sheet_prints": prints,
        "consultations": list(policy.visible(user, Consultation.objects.filter(person=person))
                              .prefetch_related(Prefetch("invitations", queryset=_answers()))
                              .order_by("created_at")),
        "followups": list(policy.visible(user, FollowUp.objects.filter(person=person))
                          .select_related("protocol").prefetch_related(Prefetch(
                              "contacts", queryset=policy.visible(user, Contact.objects.all())
                              .prefetch_related("escalations").order_by("due_on")))
                          .order_by("started_on")),
        "refusals": list(policy.visible(user, Refusal.objects.filter(person=person))
                         .order_by("refused_on")),
        "watches": list(policy.visible(user, Watch.objects.filter(person=person))
                        .prefetch_related("check_ins", "signals").order_by("started_on")),
        # The reader's own: the gate shows a notification to its recipient only.
        "notifications": list(policy.visible(user, Notification.objects.filter(person=person))
                              .select_related("person").order_by("created_at", "pk")),
        "disclosures": _disclosures(user, person),
    }


def _screenings(user, stays) -> list[screening.ScreeningSummary]:
    """The screenings of the stays the reader sees, as the stay's screening page shows
    them: restricted findings only to the hospital's staff and the safeguarding circle.
    (A screening belongs to a stay: none is recorded without one.)"""
    by_pk = {stay.pk: stay for stay in stays}
    rows = list(Screening.objects.filter(stay_id__in=by_pk).order_by("done_on", "created_at"))
    for row in rows:
        row.stay = by_pk[row.stay_id]  # loaded already: the page names its hospital
    return [screening.summarise(row, show_restricted=stay_rules.sees_restricted_findings(
        user, row.stay)) for row in rows]


def _transfer_notes(user, person, stays) -> list[dict]:
    """The saved versions of the transfer notes, each with the sections the reader's role
    may read (as the transfer note page: none, none of its versions)."""
    readable = stay_rules.transfer_note_sections_by_stay(user, person, stays)
    notes = (TransferNote.objects.filter(stay_id__in=[pk for pk, s in readable.items() if s])
             .select_related("stay__hospital", "created_by").order_by("stay__admitted_at",
                                                                     "number"))
    return [{"note": note, "sections": [(name, note.sections.get(name))
                                        for name in readable[note.stay_id]]}
            for note in notes]


def _admission_brief(user, person, stays):
    if not stay_rules.may_read_admission_brief(user, person, sees_a_stay=bool(stays)):
        return None
    return AdmissionBrief.objects.filter(person=person).select_related("updated_by").first()


def _sheet_rows(user, person) -> tuple[list[dict], list[dict]]:
    """The emergency sheet's versions, newest first, and its prints, in the order printed,
    each with its contacts labelled as the sheet shows them, and its photo. The current
    version with the contacts as they are now in the network, as the sheet's page shows
    it (booklet.views_emergency); the earlier versions and the prints with the contacts
    saved with them, as their pages and the paper in the box say, less, for the person's
    side, the members the person has excluded since, who appear on nothing printed for
    them (R14: network.rules.members_hidden_from)."""
    sheets = list(person.emergency_sheets.select_related("created_by").order_by("-number"))
    printed = list(SheetPrint.objects.filter(person=person).select_related(
        "sheet", "printed_by").order_by("printed_at"))
    hidden = network_rules.members_hidden_from(user, person)

    def saved(snapshot: dict) -> list[dict]:
        return emergency.labelled(emergency.without_members(snapshot, hidden))

    versions = [{"version": sheet, "contacts": saved(sheet.contacts)} for sheet in sheets[1:]]
    if sheets:
        live = emergency.labelled(emergency.contacts_snapshot(person))
        versions.insert(0, {"version": sheets[0], "contacts": live})
    prints = [{"printed": row, "contacts": saved(row.contacts)} for row in printed]
    _place_photos([(row, row["version"]) for row in versions]
                  + [(row, row["printed"].sheet) for row in prints])
    return versions, prints


def _place_photos(rows: list[tuple[dict, object]]) -> None:
    """Each (row, its version) in the page's order gets the photo of its version: the
    image at the first row that has that photo (`photo_shown`), served by the photo page
    of the version it is first seen on (`photo_from`: through the gate, each read
    audited); a later row with the same photo (carried from version to version, printed
    again) names that version instead. The page holds each photo's image once, so an
    opening of the copy writes one `emergency_sheet.photo_read` per photo it shows
    (docs/retention.md: every read is audited, none twice for one showing)."""
    first_seen: dict[str, int] = {}
    for row, sheet in rows:
        name = sheet.photo.name if sheet.photo else ""
        row["photo_shown"] = bool(name) and name not in first_seen
        row["photo_from"] = first_seen.setdefault(name, sheet.number) if name else None


@dataclass(frozen=True)
class Told:
    """One notification about the person, as its recipients are listed to the person:
    when, to whom, what kind of news (never another's sentence: notifications.rules)."""

    at: datetime
    recipient: str
    kind: str
    to_reader: bool


def _disclosures(user, person) -> list[Told] | None:
    """Who was told what about the person, for whoever speaks for them (the person, the
    contact point, whoever exercises the person's rights in their name now: the
    representative or the administrator while they may act, a minor's legal
    representative; network.rules._represents, notifications.rules); None for anyone
    else, whose copy shows only what they were told."""
    if not notification_rules.reads_disclosures(user, person):
        return None
    rows = list(notification_rules.visible_disclosures(
        user, Notification.objects.filter(person=person)).only(
        "kind", "recipient_id", "created_at").order_by("created_at", "pk"))
    names = who_looked.names_of({row.recipient_id for row in rows} - {user.pk}, person=person,
                                reader=user)
    return [Told(row.created_at, names.get(row.recipient_id, ""), row.kind_label,
                 row.recipient_id == user.pk) for row in rows]


def _answers():
    return Invitation.objects.select_related("member__user", "member__organisation").order_by(
        "pk")


def record_export(user, person, sections: dict) -> None:
    """The export is a read of the whole record: its own audit event, counts only."""
    counts = {name: (len(rows) if isinstance(rows, list) else int(rows is not None))
              for name, rows in sections.items()}
    audit.record(EXPORT, actor=user, target=person, person_id=person.pk, detail=counts)
