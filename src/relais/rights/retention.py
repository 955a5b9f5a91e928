"""The retention policy (docs/retention.md): closed records are anonymised, not deleted.

A record is *closed* when the person died (a stay ended with the destination "deceased")
or nothing about them is open: no stay in progress, no referral sent, accepted or
started, no follow-up running, no watch kept. A closed record is anonymised once nothing
was written about the person for `RELAIS_RETENTION_YEARS` (default 10): no change to
the record, its network, consents, stays, plans, referrals, booklet, emergency sheet,
consultations, follow-up, refusals or watches. Reading the record is not activity: a
record read every year but never written to still ends.

Anonymising keeps every row the observatory counts (stays, referrals, screenings,
follow-up contacts, refusals, watches, consultations) and what it counts them by (the
municipality, postcode, care zone, priority groups, dates), and blanks who the person
was and every word written about them: names, national number, birth date, street,
phones, emails, the free text of every note, entry and answer, a screening's item
answers (its score, result and flagged domains stay); stored files are deleted
(once the transaction commits); the hospital's patient ids are forgotten; the portal
accounts of the person and of relatives who followed no one else are disabled and
blanked. The audit log is not touched: its events keep who did what when, by ids, and
`relais audit verify` still passes. Each person is one transaction, written with its
own audit event (counts only); a person already anonymised is never taken again.
"""

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from relais.access.models import BreakGlassAccess, Consent
from relais.accounts.models import User, UserKind
from relais.audit import log as audit
from relais.booklet.models import Consultation, EmergencySheet, Entry, Invitation, SheetPrint
from relais.followup.models import (
    CheckIn,
    Contact,
    FollowUp,
    Refusal,
    Watch,
    WatchSignal,
)
from relais.network.models import (
    CapacityAssessment,
    Mandate,
    MemberKind,
    NetworkMember,
    Person,
    PortalInvitation,
    ProtectionOrder,
)
from relais.notifications.models import Notification
from relais.rights.models import Anonymisation, ClosedBecause
from relais.stays.models import (
    OPEN_REFERRAL_STATUSES,
    AdmissionBrief,
    AdtMessage,
    Destination,
    PatientLink,
    PlanItem,
    Referral,
    ReferralEvent,
    Screening,
    Stay,
    TransferNote,
)

ANONYMISE = "person.anonymise"
BATCH = 200  # due persons chosen at a time, in id order
PLAN_CHUNK = 5000  # due persons per count of the dry run

# Where something written about a person leaves a date: (model, path to the person,
# its date fields). A date on or after the cut-off keeps the record.
ACTIVITY = [
    (Person, "pk", ["updated_at"]),
    (NetworkMember, "person", ["updated_at"]),
    (CapacityAssessment, "person", ["updated_at"]),
    (Mandate, "person", ["updated_at"]),
    (ProtectionOrder, "person", ["updated_at"]),
    (Consent, "person", ["recorded_at", "revoked_at"]),
    (Stay, "person", ["updated_at"]),
    (PlanItem, "stay__person", ["updated_at"]),
    (TransferNote, "stay__person", ["created_at"]),
    (AdmissionBrief, "person", ["updated_at"]),
    (Screening, "person", ["created_at"]),
    (Referral, "person", ["updated_at"]),
    (ReferralEvent, "referral__person", ["at"]),
    (Entry, "person", ["created_at"]),
    (EmergencySheet, "person", ["created_at"]),
    (Consultation, "person", ["created_at", "decided_at"]),
    (Invitation, "consultation__person", ["answered_at"]),
    (FollowUp, "person", ["updated_at"]),
    (Contact, "followup__person", ["updated_at"]),
    (Refusal, "person", ["updated_at"]),
    (Watch, "person", ["updated_at"]),
    (CheckIn, "watch__person", ["at"]),
]


def anonymised_name(pk: int) -> str:
    """What an anonymised record is called (its first name blank)."""
    return f"#{pk}"


def cutoff(now: datetime, years: int) -> datetime:
    """`years` before `now` (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _recent(cut: datetime) -> Q:
    """Something about the person was written on or after `cut`."""
    any_recent = Q()
    for model, path, fields in ACTIVITY:
        dated = Q()
        for name in fields:
            dated |= Q(**{f"{name}__gte": cut})
        if model is Person:
            any_recent |= dated
        else:
            any_recent |= Exists(model.objects.filter(dated, **{path: OuterRef("pk")}))
    return any_recent


def _deceased() -> Exists:
    return Exists(Stay.objects.filter(person=OuterRef("pk"), destination=Destination.DECEASED,
                                      discharged_at__isnull=False, cancelled_at__isnull=True))


def _open(cut: datetime) -> Q:
    """Care still going on: a stay, a referral, a follow-up or a watch. Not a stay
    admitted before `cut` and never discharged: with nothing written about the person
    since (the record is due only then), it is an admission whose discharge the hospital
    never recorded, and kept the record open forever."""
    return (Exists(Stay.objects.filter(person=OuterRef("pk"), discharged_at__isnull=True,
                                       cancelled_at__isnull=True, admitted_at__gte=cut))
            | Exists(Referral.objects.filter(person=OuterRef("pk"),
                                             status__in=OPEN_REFERRAL_STATUSES))
            | Exists(FollowUp.objects.filter(person=OuterRef("pk"), closed_at__isnull=True))
            | Exists(Watch.objects.filter(person=OuterRef("pk"), ended_at__isnull=True)))


def due(now: datetime, years: int) -> QuerySet:
    """The persons whose record is closed and quiet for `years`, not yet anonymised,
    annotated with `deceased`."""
    cut = cutoff(now, years)
    return (Person.objects.order_by().annotate(deceased=_deceased())
            .filter(~Exists(Anonymisation.objects.filter(person=OuterRef("pk"))))
            .filter(Q(deceased=True) | ~_open(cut))
            .exclude(_recent(cut)))


# --- the dry run ------------------------------------------------------------------------


@dataclass
class Plan:
    """What a run would do: counts only, never a name."""

    persons: int = 0
    deceased: int = 0
    rows: dict = field(default_factory=dict)


def plan(now: datetime, years: int) -> Plan:
    """The dry run's counts. The due persons are chosen once and counted against in
    chunks of ids: with the choice as a subquery inside each count, PostgreSQL planned
    eleven slow joins (77 s at 10,000 persons where the choice alone takes 0.35 s;
    bench/retention.py)."""
    chosen = list(due(now, years).values_list("pk", "deceased"))
    pks = [pk for pk, _deceased in chosen]
    result = Plan(persons=len(pks), deceased=sum(deceased for _pk, deceased in chosen))
    counted = {
        "network members": lambda ids: NetworkMember.objects.filter(person__in=ids).count(),
        "stays": lambda ids: Stay.objects.filter(person__in=ids).count(),
        "referrals": lambda ids: Referral.objects.filter(person__in=ids).count(),
        "booklet entries": lambda ids: Entry._base_manager.filter(person__in=ids).count(),
        "stored files": _files,
        "emergency sheets": lambda ids: EmergencySheet.objects.filter(person__in=ids).count(),
        "follow-up contacts": lambda ids: Contact.objects.filter(
            followup__person__in=ids).count(),
        "refusals": lambda ids: Refusal.objects.filter(person__in=ids).count(),
    }
    result.rows = {name: sum(count(pks[start:start + PLAN_CHUNK])
                             for start in range(0, len(pks), PLAN_CHUNK))
                   for name, count in counted.items()}
    # An account is counted when none of its persons stays kept: the whole choice at once.
    result.rows["portal accounts"] = _portal_users(due(now, years).values("pk")).count()
    return result


def _files(pks) -> int:
    return (Entry._base_manager.filter(person__in=pks).exclude(attachment="").count()
            + EmergencySheet.objects.filter(person__in=pks).exclude(photo="").count()
            + Mandate.objects.filter(person__in=pks).exclude(document="").count())


# --- the run ----------------------------------------------------------------------------


def run(*, now: datetime | None = None, years: int) -> int:
    """Anonymise every person due at `now`, one transaction each; returns how many
    (`relais retention`, in the foreground)."""
    done, _left = run_for(now=now or timezone.now(), years=years, seconds=None)
    return done


def run_for(*, now: datetime, years: int, seconds: float | None,
            after_pk: int = 0) -> tuple[int, int | None]:
    """Anonymise the persons due at `now` whose id is above `after_pk`, in id order, until
    `seconds` have passed (None: all of them). Returns (how many were anonymised, the id
    to go on after when time ran out, else None). Each batch is chosen again, so a record
    written to meanwhile is skipped, and a sweep can stop and resume anywhere."""
    deadline = None if seconds is None else time.monotonic() + seconds
    done = 0
    while True:
        batch = list(due(now, years).filter(pk__gt=after_pk).order_by("pk")
                     .values_list("pk", flat=True)[:BATCH])
        for pk in batch:
            done += anonymise_if_due(pk, now=now, years=years)
            after_pk = pk
            if deadline is not None and time.monotonic() >= deadline:
                return done, after_pk
        if len(batch) < BATCH:
            return done, None


def anonymise_if_due(pk: int, *, now: datetime, years: int) -> bool:
    """Anonymise person #pk if still due once locked (a write may have come in between,
    or another worker taken them): one transaction, with its audit event."""
    with transaction.atomic():
        locked = Person.objects.select_for_update().filter(pk=pk).order_by()
        person = locked.values("pk", "niss").first()
        qualifying = due(now, years).filter(pk=pk).values_list("deceased", flat=True)
        if person is None or not qualifying:
            return False
        because = ClosedBecause.DECEASED if qualifying[0] else ClosedBecause.NOTHING_OPEN
        counts = _anonymise(pk, person["niss"], now)
        Anonymisation.objects.create(person_id=pk, anonymised_at=now, retention_years=years,
                                     closed_because=because)
        audit.record(ANONYMISE, target_type="network.person", target_id=str(pk), person_id=pk,
                     detail={"retention_years": years, "closed_because": str(because),
                             **counts})
    return True


def _anonymise(pk: int, niss: str, now: datetime) -> dict:
    counts = Counter()
    _person(pk)
    counts["network_members"] = _network(pk, now)
    counts["stays"] = _stays(pk, niss)
    counts["referrals"] = _referrals(pk)
    counts["booklet_entries"], counts["files_deleted"] = _booklet(pk)
    counts["followups"] = _followup(pk)
    counts["portal_accounts_disabled"] = _disable_portal_accounts(pk)
    counts["notifications_deleted"] = Notification.objects.filter(person_id=pk).delete()[0]
    return dict(counts)


def _person(pk: int) -> None:
    keys = Person(first_name="", last_name=anonymised_name(pk))
    keys.fill_name_keys()
    # Kept for the observatory: sex, language, living situation, priority groups, the
    # municipality, postcode and care zone (where they lived, never the street).
    Person.objects.filter(pk=pk).update(
        first_name="", last_name=keys.last_name, first_name_key="",
        last_name_key=keys.last_name_key, surname_tail_key="", birth_date=None, niss="",
        other_language="", street="", phone="", version=F("version") + 1)


def _network(pk: int, now: datetime) -> int:
    members = NetworkMember.objects.filter(person_id=pk)
    members.filter(kind=MemberKind.INFORMAL).update(name="", phone="", email="")
    members.update(what_they_do="")
    CapacityAssessment.objects.filter(person_id=pk).update(assessed_by="", note="")
    _delete_files(Mandate.objects.filter(person_id=pk), "document")
    Mandate.objects.filter(person_id=pk).update(scope="", document="")
    ProtectionOrder.objects.filter(person_id=pk).update(court="")  # the canton: where they live
    PortalInvitation.objects.filter(member__person_id=pk).update(email="")
    PortalInvitation.objects.filter(member__person_id=pk, accepted_at__isnull=True,
                                    expires_at__gt=now).update(expires_at=now)
    Consent.objects.filter(person_id=pk).update(given_by="")
    BreakGlassAccess.objects.filter(person_id=pk).update(reason="")
    return members.count()


def _stays(pk: int, niss: str) -> int:
    stays = Stay.objects.filter(person_id=pk)
    _adt_messages(pk, niss).update(raw="", niss="", patient_id="", problem="", ack="",
                                   result="")
    PatientLink.objects.filter(person_id=pk).delete()
    PlanItem.objects.filter(stay__person_id=pk).update(note="")
    TransferNote.objects.filter(stay__person_id=pk).update(sections={})
    AdmissionBrief.objects.filter(person_id=pk).update(text="")
    # A screening's item answers (lives alone, violence suspected, ...) go: with the
    # municipality and the dates kept they would say too much about one person. What the
    # observatory counts stays: the instrument, score, result band and flagged domains.
    Screening.objects.filter(person_id=pk).update(answers={})
    return stays.update(visit_number="", discharge_reason="", followup_needs="", watch_for="",
                        appointments="", explained_by="")


def _adt_messages(pk: int, niss: str) -> QuerySet:
    """The hospital's messages about the person: those applied to their stays, those
    naming their national number, and those under a patient id linked to them."""
    links = PatientLink.objects.filter(person_id=pk, hospital=OuterRef("hospital"),
                                       patient_id=OuterRef("patient_id"))
    about = Q(stay__person_id=pk) | Exists(links)
    if niss:
        about |= Q(niss=niss)
    return AdtMessage.objects.filter(about)


def _referrals(pk: int) -> int:
    ReferralEvent.objects.filter(referral__person_id=pk).update(note="")
    return Referral.objects.filter(person_id=pk).update(
        help_needed="", frequency="", reason="", person_wishes="", decline_note="")


def _booklet(pk: int) -> tuple[int, int]:
    # The booklet is append-only for its users; retention is the one writer allowed to
    # blank it, through the base manager (Entry.objects refuses any update).
    entries = Entry._base_manager.filter(person_id=pk)
    sheets = EmergencySheet.objects.filter(person_id=pk)
    files = _delete_files(entries, "attachment") + _delete_files(sheets, "photo")
    count = entries.update(body="", search_text="", attachment="", attachment_name="")
    sheets.update(conditions="", allergies="", medication="", medication_author="",
                  care_planning="", care_planning_location="", photo="", contacts={})
    SheetPrint.objects.filter(person_id=pk).update(contacts={})
    Consultation.objects.filter(person_id=pk).update(question="", decision="", choices=[])
    Invitation.objects.filter(consultation__person_id=pk).update(choice="", answer="",
                                                                 answered_as="")
    return count, files


def _followup(pk: int) -> int:
    FollowUp.objects.filter(person_id=pk).update(close_reason="")
    Contact.objects.filter(followup__person_id=pk).update(what_to_check="", note="")
    Refusal.objects.filter(person_id=pk).update(offered="", reason_text="", own_words="",
                                                no_watch_reason="")
    Watch.objects.filter(person_id=pk).update(end_reason="")
    CheckIn.objects.filter(watch__person_id=pk).update(note="")
    WatchSignal.objects.filter(watch__person_id=pk).update(detail={})
    return FollowUp.objects.filter(person_id=pk).count()


def _delete_files(queryset: QuerySet, name: str) -> int:
    """Delete the stored files once the transaction commits (a rollback keeps them)."""
    stored = [getattr(row, name) for row in queryset.exclude(**{name: ""}).only("pk", name)]
    for file in stored:
        storage, path = file.storage, file.name
        transaction.on_commit(lambda storage=storage, path=path: storage.delete(path))
    return len(stored)


def _portal_users(pks) -> QuerySet:
    """Portal accounts linked to these persons and to no one else still kept."""
    elsewhere = (NetworkMember.objects.filter(user=OuterRef("pk")).exclude(person__in=pks)
                 .filter(person__anonymisation__isnull=True))
    return (User.objects.filter(kind=UserKind.PORTAL, is_active=True,
                                pk__in=NetworkMember.objects.filter(person__in=pks)
                                .values("user"))
            .exclude(Exists(elsewhere)))


def _disable_portal_accounts(pk: int) -> int:
    """The person's own account and those of relatives who followed only them: closed
    and blanked (a relative still in another person's network keeps theirs)."""
    users = list(_portal_users(Person.objects.filter(pk=pk).values("pk")))
    for user in users:
        User.objects.filter(pk=user.pk).update(
            is_active=False, first_name="", last_name="", email=f"anonymised-{user.pk}@invalid",
            password=make_password(None), phone="")
    return len(users)
