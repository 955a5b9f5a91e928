"""Who may see a person's record and their network: DESIGN.md access rules 1–5.

1. A professional (or portal user) sees a person while they, or an organisation they work
   for, are an active member of the person's network, and the person's consent to share
   with the network is in force. The organisation that keeps the record sees it before
   consent is recorded (it holds the relationship that produced the record).
   Staff of a hospital where the person has an open stay see the record while the
   consent to share with hospitals is in force (or their hospital keeps the record), and
   may then complete the network. An organisation that received an open referral sees
   the record: the sender confirmed that the person agrees to that referral.
2. Detail by role: only professionals change the network; only the safeguarding circle sees
   the safeguarding flag; portal users see neither exclusions nor safeguarding.
3. A "never inform" member, or an organisation excluded that way, sees nothing: not even
   through break-the-glass.
4. Break-the-glass opens a record for a few hours with a written reason; it is audited
   and the contact point is told.
5. Every read of a person's record is audited with the person's id (audit_reads=True).
"""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from relais.access.models import BreakGlassAccess, Consent, ConsentScope
from relais.access.policy import (
    Action,
    Policy,
    is_signed_in,
    member_organisation_ids,
    register,
)

BREAK_GLASS_HOURS = 8


def _members():
    from relais.network.models import NetworkMember

    return NetworkMember.objects.active()


def _links_to(user) -> Q:
    """Member rows that stand for `user`: themselves, or an organisation they work for."""
    return Q(user=user) | Q(organisation_id__in=member_organisation_ids(user))


def relationship_person_ids(user) -> QuerySet:
    """Persons whose record `user` may complete: a member of their network, or staff of the
    hospital where they stay now; not excluded, with sharing allowed."""
    members = _members().filter(_links_to(user), never_inform=False)
    consented = Consent.objects.in_force().filter(scope=ConsentScope.NETWORK)
    from relais.network.models import Person

    organisations = member_organisation_ids(user)
    hospital_consent = Consent.objects.in_force().filter(scope=ConsentScope.HOSPITALS)
    by_network = Q(pk__in=members.values("person_id")) & (
        Q(pk__in=consented.values("person_id")) | Q(owner_organisation_id__in=organisations))
    by_stay = Q(pk__in=_open_stays().filter(hospital_id__in=organisations).values(
        "person_id")) & (Q(pk__in=hospital_consent.values("person_id"))
                         | Q(owner_organisation_id__in=organisations))
    return Person.objects.filter(by_network | by_stay).exclude(
        pk__in=excluded_person_ids(user)).values("pk")


def _open_stays():
    from relais.stays.models import Stay

    return Stay.objects.open()


def _open_referrals():
    from relais.stays.models import Referral

    return Referral.objects.open()


def excluded_person_ids(user) -> QuerySet:
    return _members().filter(_links_to(user), never_inform=True).values("person_id")


def break_glass_person_ids(user) -> QuerySet:
    return BreakGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now()).values(
        "person_id")


def visible_persons(user, queryset: QuerySet) -> QuerySet:
    """Correlated EXISTS per candidate row: a selective search (a national number, a birth
    date, a name prefix) stays fast however many persons the user may see."""
    if not is_signed_in(user):
        return queryset.none()
    links = _members().filter(_links_to(user), person=OuterRef("pk"))
    consented = Consent.objects.in_force().filter(scope=ConsentScope.NETWORK,
                                                  person=OuterRef("pk"))
    glass = BreakGlassAccess.objects.filter(user=user, expires_at__gt=timezone.now(),
                                            person=OuterRef("pk"))
    organisations = member_organisation_ids(user)
    owned = Q(owner_organisation_id__in=organisations)
    by_relationship = Exists(links.filter(never_inform=False)) & (Exists(consented) | owned)
    hospital_consent = Consent.objects.in_force().filter(scope=ConsentScope.HOSPITALS,
                                                         person=OuterRef("pk"))
    by_stay = Exists(_open_stays().filter(hospital_id__in=organisations,
                                          person=OuterRef("pk"))) & (
        Exists(hospital_consent) | owned)
    by_referral = Exists(_open_referrals().filter(organisation_id__in=organisations,
                                                  person=OuterRef("pk")))
    return queryset.filter(by_relationship | by_stay | by_referral | Exists(glass)).exclude(
        Exists(links.filter(never_inform=True)))


def has_relationship(user, person) -> bool:
    return relationship_person_ids(user).filter(pk=person.pk).exists()


def may_on_person(user, person, action: Action) -> bool:
    """Reading follows visibility; changing needs a professional with a real relationship."""
    if action == Action.VIEW:
        return True
    return user.is_professional and has_relationship(user, person)


def is_in_safeguarding_circle(user, person) -> bool:
    circle = _members().filter(person=person, in_safeguarding_circle=True, never_inform=False)
    return circle.filter(_links_to(user)).exists()


def may_see_access_log(user, person) -> bool:
    """"Who looked at my record": the contact point, and professionals who change it."""
    from relais.network.models import Relation

    own = _members().filter(person=person, user=user, never_inform=False).filter(
        Q(is_contact_point=True) | Q(relation=Relation.SELF))
    return own.exists() or may_on_person(user, person, Action.CHANGE)


def may_break_glass(user, person) -> bool:
    """A professional acting for an organisation, not excluded, who cannot see it yet."""
    if not (is_signed_in(user) and user.is_professional and member_organisation_ids(user)):
        return False
    if _members().filter(_links_to(user), person=person, never_inform=True).exists():
        return False
    return not visible_persons(user, type(person).objects.filter(pk=person.pk)).exists()


def break_glass_expiry():
    return timezone.now() + timedelta(hours=BREAK_GLASS_HOURS)


def visible_members(user, queryset: QuerySet) -> QuerySet:
    """Members of persons the user sees; exclusions only to those who manage the network."""
    from relais.network.models import Person

    persons = visible_persons(user, Person.objects.all())
    queryset = queryset.filter(person__in=persons)
    if not getattr(user, "is_professional", False):
        queryset = queryset.filter(never_inform=False)
    return queryset


def may_on_member(user, member, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return may_on_person(user, member.person, Action.CHANGE)


def register_policies() -> None:
    from relais.network.models import NetworkMember, Person

    register(Person, Policy(visible=visible_persons, allows=may_on_person, audit_reads=True,
                            person_id=lambda person: person.pk))
    register(NetworkMember, Policy(visible=visible_members, allows=may_on_member,
                                   person_id=lambda member: member.person_id))


def person_for_break_glass(user, pk):
    """The record a professional may open in an emergency, else Http404 (audited)."""
    from django.http import Http404

    from relais.access import audit
    from relais.access.models import Outcome
    from relais.network.models import Person

    person = Person.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    if person is None or not may_break_glass(user, person):
        audit.record(audit.Actions.ACCESS_DENIED, actor=user, target_type="network.person",
                     target_id=str(pk)[:64], outcome=Outcome.DENIED,
                     detail={"action": "break_glass"})
        raise Http404
    return person


def hidden_person_with_niss(user, niss: str):
    """An exact national number that exists but is not shared with `user`: the one case
    where Relais says a record exists, so that break-the-glass is possible (rule 4)."""
    from relais.network.models import Person

    person = Person.objects.filter(niss=niss).first()
    return person if person is not None and may_break_glass(user, person) else None


def may_read_mandate(user, mandate) -> bool:
    """The signed mandate: professionals who manage the network, and the representative."""
    if mandate.representative.user_id == user.pk:
        return True
    return may_on_person(user, mandate.person, Action.CHANGE)
