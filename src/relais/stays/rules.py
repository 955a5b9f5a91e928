"""Who sees and changes hospital stays, discharge plans, screenings and referrals, and
the two ways a stay opens a person's record (registered with the gate when the app is
ready).

* The staff of a hospital where the person stays now see the record while the consent to
  share with hospitals is in force (or their hospital keeps the record, e.g. opened by
  the feed), and may complete the network. An organisation that received an open
  referral reads the record: the sender confirmed the person agrees to that referral.
* A stay is seen by the staff of its hospital (their patient) and by whoever sees the
  person (rule 1); a "never inform" exclusion hides it from everyone it names. Only the
  hospital's staff change the stay, its plan and its screenings.
* A referral is seen by the sending and the receiving organisation, and by
  professionals who see the person. The receiving organisation answers it (accept,
  decline, start, complete); the sending organisation may cancel it.
* The transfer note shows each reader the sections their role may see (rule 2): a GP
  the medical ones, home help the practical ones.
* The ADT feed: a hospital's waiting messages, its feeds' health and its patient-id links
  (the merges to undo) are its staff's; every feed's health is also the platform
  administrator's. A link of a person who excluded a member of the staff is hidden from
  them.
"""

from collections import defaultdict

from django.db.models import Exists, OuterRef, Q, QuerySet

from relais.access import decisions
from relais.access.models import Consent, ConsentScope
from relais.access.persons import (
    excluded_person_pks,
    persons_among,
    register_grant,
    visible_person_pks,
)
from relais.access.policy import (
    Action,
    Policy,
    is_platform_admin,
    is_signed_in,
    member_organisation_ids,
    member_organisation_types,
    object_for,
    register,
)
from relais.accounts.models import Organisation, OrganisationType
from relais.core import kept
from relais.directory.models import Category
from relais.network import rules as network_rules
from relais.network.models import MemberRole, NetworkMember, Person, Role
from relais.stays.models import AdtMessage, AdtSource, AdtStatus, PatientLink, Referral, Stay

# --- the person's record, opened by a stay or a referral --------------------------------


# Each grant's rows, written once: its condition asks them about one person, its
# candidates read their persons (a grant's candidates must hold every person it admits).


def _open_stays_at(organisations):
    return Stay.objects.open().filter(hospital_id__in=organisations)


def _open_referrals_to(organisations):
    return Referral.objects.open().filter(organisation_id__in=organisations)


def _by_stay(user):
    organisations = member_organisation_ids(user)
    if not organisations:
        return None
    at_hospital = _open_stays_at(organisations).filter(person=OuterRef("pk"))
    consented = Consent.objects.in_force().filter(scope=ConsentScope.HOSPITALS,
                                                  person=OuterRef("pk"))
    owned = Q(owner_organisation_id__in=organisations)
    return Exists(at_hospital) & (Exists(consented) | owned)


def _by_referral(user):
    organisations = member_organisation_ids(user)
    if not organisations:
        return None
    return Exists(_open_referrals_to(organisations).filter(person=OuterRef("pk")))


def _staying_persons(user):
    return _open_stays_at(member_organisation_ids(user)).values("person_id")


def _referred_persons(user):
    return _open_referrals_to(member_organisation_ids(user)).values("person_id")


# --- stays and referrals ----------------------------------------------------------------


def _visible_person_ids(user):
    return visible_person_pks(user, Person.objects.all())


def _excluded_person_ids(user):
    return excluded_person_pks(user, Person.objects.all())


def visible_stays(user, queryset: QuerySet) -> QuerySet:
    if not is_signed_in(user):
        return queryset.none()
    own = Q(hospital_id__in=member_organisation_ids(user)) if user.is_professional else Q(
        pk__in=[])
    return queryset.filter(own | Q(person_id__in=_visible_person_ids(user))).exclude(
        person_id__in=_excluded_person_ids(user))


def shown_stays(user, rows: list[tuple[int, int, int]]) -> set[int]:
    """`visible_stays` for a few stays, given as (pk, person id, hospital id): the same
    rule, decided in Python from the person rule's answers about their persons (two kept
    queries), without building the stays' query (a FHIR search's chunk of candidates)."""
    if not is_signed_in(user) or not rows:
        return set()
    persons = {person for _, person, _ in rows}
    visible = persons_among(user, "visible", Person.objects.all(), persons)
    excluded = persons_among(user, "excluded", Person.objects.all(), persons)
    own = member_organisation_ids(user) if user.is_professional else set()
    return {pk for pk, person, hospital in rows
            if (hospital in own or person in visible) and person not in excluded}


def works_at_hospital(user, stay) -> bool:
    return (is_signed_in(user) and user.is_professional
            and stay.hospital_id in member_organisation_ids(user))


def sees_restricted_findings(user, stay) -> bool:
    """Restricted screening findings (a domestic-violence concern): the hospital's staff
    and the person's safeguarding circle only (R14, DOMAIN.md §6)."""
    return (works_at_hospital(user, stay)
            or network_rules.is_in_safeguarding_circle(user, stay.person))


def may_on_stay(user, stay, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return works_at_hospital(user, stay)


def visible_referrals(user, queryset: QuerySet) -> QuerySet:
    if not (is_signed_in(user) and user.is_professional):
        return queryset.none()
    organisations = member_organisation_ids(user)
    return queryset.filter(
        Q(organisation_id__in=organisations) | Q(sender_organisation_id__in=organisations)
        | Q(person_id__in=_visible_person_ids(user))).exclude(
        person_id__in=_excluded_person_ids(user))


def may_answer_referral(user, referral) -> bool:
    return is_signed_in(user) and referral.organisation_id in member_organisation_ids(user)


def may_cancel_referral(user, referral) -> bool:
    return (is_signed_in(user)
            and referral.sender_organisation_id in member_organisation_ids(user))


def may_on_referral(user, referral, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return may_answer_referral(user, referral) or may_cancel_referral(user, referral)


# --- what each role reads in the transfer note (rule 2) --------------------------------

ALL_SECTIONS = ("summary", "medical", "psychological", "social", "practical", "family",
                "screening", "referrals")


def _sections_by_role():
    health = ("summary", "medical", "psychological", "practical", "family", "referrals")
    social = ("summary", "psychological", "social", "practical", "family", "screening",
              "referrals")
    return {
        Role.GP: ALL_SECTIONS, Role.SPECIALIST: ALL_SECTIONS,
        Role.HOME_NURSE: health, Role.PHARMACIST: ("summary", "medical"),
        Role.PHYSIOTHERAPIST: ("summary", "medical", "practical"),
        Role.COORDINATION_CENTRE: social, Role.CASE_MANAGER: social,
        Role.SOCIAL_WORKER: social,
        Role.HOME_HELP: ("summary", "practical", "family"),
    }


def _category_roles():
    return {Category.HOME_NURSING: Role.HOME_NURSE, Category.HOME_HELP: Role.HOME_HELP,
            Category.GP: Role.GP, Category.PHARMACY: Role.PHARMACIST,
            Category.PHYSIOTHERAPY: Role.PHYSIOTHERAPIST,
            Category.HOME_CARE_COORDINATION: Role.COORDINATION_CENTRE,
            Category.CASE_MANAGEMENT: Role.CASE_MANAGER,
            Category.SOCIAL_SERVICE: Role.SOCIAL_WORKER}


def transfer_note_sections(user, stay) -> tuple[str, ...]:
    """The sections of `stay`'s transfer note that `user` may read, in order."""
    if works_at_hospital(user, stay):
        return ALL_SECTIONS
    roles = _network_roles(user, stay.person)
    if roles is None:
        return ()
    categories = stay.referrals.open().filter(
        organisation_id__in=member_organisation_ids(user)).values_list(
        "service__category", flat=True)
    return _sections_for(roles | {_category_roles().get(c) for c in categories})


def transfer_note_sections_by_stay(user, person, stays) -> dict[int, tuple[str, ...]]:
    """`transfer_note_sections` for each of `person`'s `stays` (by stay id), in the same
    three queries whatever their number (the person's copy of their data, rights/)."""
    sections = {stay.pk: ALL_SECTIONS for stay in stays if works_at_hospital(user, stay)}
    others = [stay.pk for stay in stays if stay.pk not in sections]
    roles = _network_roles(user, person) if others else None
    if roles is None:
        return sections | dict.fromkeys(others, ())
    referred = defaultdict(set)
    for stay_id, category in Referral.objects.open().filter(
            stay_id__in=others, organisation_id__in=member_organisation_ids(user)).values_list(
            "stay_id", "service__category"):
        referred[stay_id].add(_category_roles().get(category))
    return sections | {pk: _sections_for(roles | referred[pk]) for pk in others}


def _network_roles(user, person) -> set | None:
    """`user`'s roles in `person`'s network; None when no section is theirs to read (not a
    professional, or excluded by the person)."""
    if not (is_signed_in(user) and user.is_professional):
        return None
    if network_rules.is_excluded(user, person):
        return None
    members = NetworkMember.objects.active().filter(
        network_rules.links_to(user), person_id=person.pk, never_inform=False)
    return set(MemberRole.objects.filter(member__in=members).values_list("role", flat=True))


def _sections_for(roles) -> tuple[str, ...]:
    allowed = set()
    for role in roles:
        allowed |= set(_sections_by_role().get(role, ()))
    return tuple(section for section in ALL_SECTIONS if section in allowed)


def may_read_admission_brief(user, person, *, sees_a_stay: bool) -> bool:
    """"Before admission" (R5, R18): read on the page of a stay by the professionals who
    see one of the person's stays, and written by those who may change the record."""
    if not (is_signed_in(user) and user.is_professional):
        return False
    return sees_a_stay or network_rules.may_on_person(user, person, Action.CHANGE)


# --- the ADT feed's messages waiting for a person match ---------------------------------


def hospital_ids(user) -> set[int]:
    """The hospitals `user` works for (active memberships), professionals only."""
    if not (is_signed_in(user) and user.is_professional):
        return set()
    member_of = member_organisation_ids(user)
    if not member_of:
        return set()
    types = member_organisation_types(user)  # loaded with the request's memberships
    if types is not None and member_of <= types.keys():
        return {pk for pk in member_of if types[pk] == OrganisationType.HOSPITAL}
    return decisions.remembered(("hospital_ids", user.pk), lambda: _hospitals_among(member_of))


def _hospitals_among(member_of) -> set[int]:
    return set(kept.rows(("stays.hospital_ids", tuple(sorted(member_of))),
                         lambda s: Organisation.objects.filter(
                             pk__in=member_of, type=OrganisationType.HOSPITAL)
                         .values_list("pk", flat=True)))


def visible_adt_messages(user, queryset: QuerySet) -> QuerySet:
    """Messages waiting for a person, to the staff of their hospital, who deal with them:
    a match or a merge's confirmation; what the feed could not apply (failed, or refused by
    Relais' rules after the ACK: a message with a lane was acknowledged and applied behind);
    refusals while the database was unreachable."""
    waiting = [AdtStatus.PENDING_MATCH, AdtStatus.PENDING_MERGE, AdtStatus.FAILED,
               AdtStatus.UNSTORED]
    return queryset.filter(Q(status__in=waiting) | Q(status=AdtStatus.REJECTED, lane__gt=""),
                           hospital_id__in=hospital_ids(user))


def may_on_adt_message(user, message, action: Action) -> bool:
    return True  # whoever sees a waiting message (its hospital's staff) may resolve it


def visible_adt_sources(user, queryset: QuerySet) -> QuerySet:
    """A hospital's feeds, to its staff (their health); every feed to the platform
    administrator, who runs the listener."""
    if is_platform_admin(user):
        return queryset
    if not (is_signed_in(user) and user.is_professional):
        return queryset.none()
    return queryset.filter(_at_hospitals_of(user))


def _at_hospitals_of(user) -> Q:
    """As `hospital_ids`, inside the caller's query (one query fewer)."""
    return Q(hospital_id__in=member_organisation_ids(user),
             hospital__type=OrganisationType.HOSPITAL)


def may_on_adt_source(user, source, action: Action) -> bool:
    return action == Action.VIEW  # configured in the admin


def visible_patient_links(user, queryset: QuerySet) -> QuerySet:
    """A hospital's patient ids linked to persons, to its staff (they undo a merge the
    feed applied), except the links of a person who excluded them."""
    if not (is_signed_in(user) and user.is_professional):
        return queryset.none()
    return queryset.filter(_at_hospitals_of(user)).exclude(
        person_id__in=_excluded_person_ids(user))


def may_on_patient_link(user, link, action: Action) -> bool:
    return True  # whoever sees the link (its hospital's staff) may undo its merge


def register_policies() -> None:
    register_grant("hospital_stay", _by_stay, completes=True, candidates=_staying_persons)
    register_grant("open_referral", _by_referral, completes=False,
                   candidates=_referred_persons)
    register(AdtMessage, Policy(visible=visible_adt_messages, allows=may_on_adt_message))
    register(AdtSource, Policy(visible=visible_adt_sources, allows=may_on_adt_source))
    register(PatientLink, Policy(visible=visible_patient_links, allows=may_on_patient_link,
                                 audit_reads=True, person_id=lambda link: link.person_id))
    register(Stay, Policy(visible=visible_stays, allows=may_on_stay, audit_reads=True,
                          person_id=lambda stay: stay.person_id))
    register(Referral, Policy(visible=visible_referrals, allows=may_on_referral,
                              audit_reads=True, person_id=lambda referral: referral.person_id))


# --- loading from user input ------------------------------------------------------------


def stay_for(user, pk, action: Action = Action.VIEW):
    """Load a stay for `user`; the read is audited with the person's id (rule 5)."""
    queryset = Stay.objects.select_related("person", "hospital", "ward")
    return object_for(user, Stay, pk, action, queryset=queryset)


def referral_for(user, pk, action: Action = Action.VIEW):
    queryset = Referral.objects.select_related("person", "service", "organisation",
                                               "sender", "sender_organisation", "stay")
    return object_for(user, Referral, pk, action, queryset=queryset)
