"""Who reads and writes a person's booklet, emergency sheet and consultations.

An entry is read by those who see the person (rule 1, so never an excluded member)
*and* are in the entry's audience:
* everyone in the network: all of them, informal caregivers with portal access too;
* health professionals only: professionals with a health profession;
* named members: those members (a person, or the staff of a member organisation);
* the safeguarding circle: its members only.
The author always reads their own entries. Professionals who see the person write any
kind of entry; the person and informal caregivers with portal access write notes,
questions and answers (R15).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from relais.access import decisions
from relais.access.persons import visible_person_pks
from relais.access.policy import (
    Action,
    Policy,
    is_signed_in,
    member_organisation_ids,
    register,
    signature,
)
from relais.accounts.models import RIZIV_PROFESSIONS, Profession
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.booklet.models import Audience, Consultation, Entry, Invitation, ReadReceipt
from relais.core import kept
from relais.network import rules as network_rules
from relais.network.models import NetworkMember, Person

HEALTH_PROFESSIONS = RIZIV_PROFESSIONS | {Profession.PSYCHOLOGIST,
                                         Profession.OCCUPATIONAL_THERAPIST}


def is_health_professional(user) -> bool:
    return bool(is_signed_in(user) and user.is_professional
                and user.profession in HEALTH_PROFESSIONS)


def _my_members():
    """Active, not excluded network members that stand for the user (any person)."""
    return NetworkMember.objects.active().filter(never_inform=False)


def visible_entries(user, queryset: QuerySet) -> QuerySet:
    """Entries of any persons: each person's visibility, then the audience rules."""
    if not is_signed_in(user):
        return queryset.none()
    persons = visible_person_pks(user, Person.objects.all())
    return queryset.filter(_audience(user), person__in=persons)


def entries_of(user, person, queryset: QuerySet | None = None) -> QuerySet:
    """One person's entries that `user` may read. The person's visibility is checked once
    here rather than per row: a booklet of 10,000 entries costs what one of 10 does."""
    queryset = Entry.objects.all() if queryset is None else queryset
    if not _sees(user, person):
        return queryset.none()
    return readable(user, queryset, person.pk)


def readable(user, queryset: QuerySet, person_id) -> QuerySet:
    """The audience rules on person #person_id's entries (`entries_of` once the person is
    known to be seen; a kept query passes its slot)."""
    return queryset.filter(_audience(user), person_id=person_id)


def unread_count(user, person) -> int:
    """How many of the person's entries `user` may read and has not opened yet."""
    if not _sees(user, person):
        return 0
    return decisions.remembered(("booklet.unread", user.pk, person.pk),
                                lambda: _unread_question(user, person).get())


def ask_unread_early(user, person) -> None:
    """Let `unread_count` wait to be asked with the page's other small questions."""
    if is_signed_in(user) and _sees(user, person):
        decisions.ask_early(("booklet.unread", user.pk, person.pk),
                            _unread_question(user, person))


def _unread_question(user, person) -> kept.Later:
    return kept.later_count(("booklet.unread", signature(user)),
                            lambda s: _not_opened_by(user, readable(
                                user, Entry.objects.all(), s.person)), person=person.pk)


def _not_opened_by(user, entries: QuerySet) -> QuerySet:
    """The entries without a receipt of `user`: one probe of the receipt index per entry,
    as a scalar subquery, so that the cost is the person's booklet's. Written as NOT
    EXISTS (`exclude(receipts__user=user)`), a prepared statement's generic plan hashed
    every receipt the user ever had instead: 12,727 for a coordinator at a million
    persons, 4 ms of the person page, growing with all they read (docs/bench.md, stop 44)."""
    mine = ReadReceipt.objects.filter(entry=OuterRef("pk"), user=user).values("pk")[:1]
    return entries.alias(my_receipt=Subquery(mine)).filter(my_receipt__isnull=True)


def _sees(user, person) -> bool:
    """Whether the user sees the person, asked once per user object (one request)."""
    known = user.__dict__.setdefault("_relais_sees_person", {})
    if person.pk not in known:
        known[person.pk] = may_write_booklet(user, person)
    return known[person.pk]


def _audience(user) -> Q:
    named = Entry.named_members.through.objects.filter(
        entry=OuterRef("pk"), networkmember__in=_my_members().filter(network_rules.links_to(user)))
    audience = Q(audience=Audience.NETWORK) | Q(author=user) | (Q(audience=Audience.NAMED) &
                                                                Exists(named))
    if user.is_professional:  # never family or proxies, even named in the circle
        circle = _my_members().filter(network_rules.links_to(user), in_safeguarding_circle=True,
                                      person=OuterRef("person"))
        audience |= Q(audience=Audience.SAFEGUARDING) & Exists(circle)
    if is_health_professional(user):
        audience |= Q(audience=Audience.HEALTH)
    return audience


def may_write_booklet(user, person) -> bool:
    """Anyone who sees the person writes (portal users only some kinds, see services)."""
    return is_signed_in(user) and network_rules.sees_person(user, person)


def may_on_entry(user, entry, action: Action) -> bool:
    return action == Action.VIEW  # append-only: nobody changes an entry


def may_see_consultation(user, consultation) -> bool:
    """The asker's organisation and the invitees."""
    if not is_signed_in(user):
        return False
    if consultation.asked_by_id == user.pk or (
            consultation.organisation_id in member_organisation_ids(user)):
        return True
    return consultation.invitations.filter(
        Q(user=user) | Q(member__user=user)
        | Q(member__organisation_id__in=member_organisation_ids(user))).exists()


def register_policies() -> None:
    register(Entry, Policy(visible=visible_entries, allows=may_on_entry, audit_reads=False,
                           person_id=lambda entry: entry.person_id))
    register(Consultation, Policy(visible=visible_consultations, allows=may_on_consultation,
                                  person_id=lambda consultation: consultation.person_id))


def visible_consultations(user, queryset: QuerySet) -> QuerySet:
    """The list form of `may_see_consultation`: the asker's organisation and the invitees."""
    if not is_signed_in(user):
        return queryset.none()
    organisations = member_organisation_ids(user)
    invited = Invitation.objects.filter(consultation=OuterRef("pk")).filter(
        Q(user=user) | Q(member__user=user) | Q(member__organisation_id__in=organisations))
    return queryset.filter(Q(asked_by=user) | Q(organisation_id__in=organisations)
                           | Exists(invited)).filter(
        person__in=visible_person_pks(user, Person.objects.all()))


def may_on_consultation(user, consultation, action: Action) -> bool:
    return action == Action.VIEW  # answering goes through the invitation's own checks


def consultation_for(user, pk):
    """Load a consultation for `user`, or Http404 (audited) when it is missing or hidden:
    they must be the asker's organisation or an invitee, and still see the person (so a
    revoked consent or a later exclusion closes it too). Its read is audited (rule 5)."""
    consultation = Consultation.objects.select_related(
        "person", "asked_by", "organisation", "decision_entry").filter(pk=pk).first()
    if consultation is None or not may_see_consultation(user, consultation) or not (
            network_rules.sees_person(user, consultation.person)):
        audit.record(audit.Actions.ACCESS_DENIED, actor=user,
                     target_type="booklet.consultation", target_id=str(pk)[:64],
                     outcome=Outcome.DENIED, detail={"action": "view"})
        raise Http404
    audit.record("consultation.read", actor=user, target=consultation,
                 person_id=consultation.person_id)
    return consultation
