"""Who sees and changes a person's record and network (DESIGN.md rules 1–3), registered
with the gate when the app is ready.

1. A professional (or portal user) sees a person while they, or an organisation they work
   for, are an active member of the person's network, and the person's consent to share
   with the network is in force. The organisation that keeps the record sees it before
   consent is recorded (it holds the relationship that produced the record).
2. Detail by role: only professionals with a relationship change the network; only the
   safeguarding circle sees the safeguarding flag; portal users see neither exclusions
   nor safeguarding.
3. A "never inform" member sees nothing and is told nothing: a "never inform" on a
   professional (or a relative's portal account) excludes that account in every
   organisation it works for; on an organisation, every account acting for it.

The stay's grants (hospital staff, receiving organisations) are registered by `stays`;
break-the-glass by the gate itself (`relais.access.persons`).
"""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from relais.access import decisions
from relais.access.models import Consent, ConsentScope
from relais.access.persons import (
    about_one,
    completable_persons,
    one_if_visible,
    register_exclusion,
    register_grant,
    visible_person_pks,
    visible_persons,
)
from relais.access.policy import (
    Action,
    Policy,
    is_signed_in,
    member_organisation_ids,
    object_for,
    register,
    signature,
)
from relais.accounts.models import Membership
from relais.audit import log as audit
from relais.audit.models import Outcome
from relais.core import kept
from relais.core.text import is_digits
from relais.network.models import (
    CapacityAssessment,
    CapacityFinding,
    Mandate,
    MemberKind,
    MemberRole,
    NetworkMember,
    Person,
    ProtectionOrder,
    Relation,
    Role,
    minor_on,
)
from relais.notifications import rules as notification_rules

PERSON = "network.person"  # the gate's label of Person (policy.sees shares the answers)


def _members():
    return NetworkMember.objects.active()


def links_to(user) -> Q:
    """Member rows that stand for `user`: themselves, or an organisation they work for."""
    return Q(user=user) | Q(organisation_id__in=member_organisation_ids(user))


def excludes(user) -> Q:
    """"Never inform" rows that exclude `user`: on the user themselves (in every
    organisation), or on an organisation they act for (every account of it)."""
    on_organisation = Q(user__isnull=True, organisation_id__in=member_organisation_ids(user))
    return Q(never_inform=True) & (Q(user=user) | on_organisation)


def _by_network(user):
    linked = _members().filter(links_to(user), never_inform=False, person=OuterRef("pk"))
    consented = Consent.objects.in_force().filter(scope=ConsentScope.NETWORK,
                                                  person=OuterRef("pk"))
    owned = Q(owner_organisation_id__in=member_organisation_ids(user))
    return Exists(linked) & (Exists(consented) | owned)


def _by_exclusion(user):
    return Exists(_members().filter(excludes(user), person=OuterRef("pk")))


def _linked_persons(user):
    """The persons whose network holds `user` or an organisation they act for (the
    network grant's candidates): one branch each, so that each is read from its index
    alone (an OR of the two is a bitmap scan that reads every row from the table)."""
    linked = _members().filter(never_inform=False).order_by()  # a union keeps each order
    own = linked.filter(user=user).values("person_id")
    organisations = member_organisation_ids(user)
    if not organisations:
        return own
    return own.union(linked.filter(organisation_id__in=organisations).values("person_id"),
                     all=True)


def register_person_rules() -> None:
    register_grant("network", _by_network, completes=True, candidates=_linked_persons)
    register_exclusion("never_inform", _by_exclusion)


# --- questions about one person ---------------------------------------------------------
# Each is answered once per request (relais.access.decisions): the person page and its
# sections ask them again and again.


def sees_person(user, person) -> bool:
    """Whether `user` may read `person`'s record now (one query, not audited)."""
    return _decided(user, "sees", person)  # the same answer as policy.sees


def is_excluded(user, person) -> bool:
    return _decided(user, "excluded", person)


def has_relationship(user, person) -> bool:
    return _decided(user, "completes", person)


# The gate's name of each question (`about_one`).
_ASKED = {"sees": "visible", "excluded": "excluded", "completes": "completable"}


def _decided(user, question: str, person) -> bool:
    if not is_signed_in(user):
        return False
    return decisions.remembered((question, PERSON, user.pk, person.pk), lambda: about_one(
        user, _ASKED[question], Person.objects.all(), person.pk))


def _sees_one(user, pk) -> bool:
    """For the gate's `object_for`: whether `user` may read person #pk (a valid id)."""
    return decisions.remembered(("sees", PERSON, user.pk, int(pk)), lambda: about_one(
        user, "visible", Person.objects.all(), int(pk)))


def _load_seen(user, queryset, pk):
    """For the gate's `object_for`: person #pk (a valid id) if `user` may read them, the
    question and the row in one query. A professional's page asks next whether they may
    change the record (a relationship): answered in the same query. The answers are kept
    for the request."""
    also = ("completable",) if getattr(user, "is_professional", False) else ()
    person, answers = one_if_visible(user, queryset, int(pk), also=also)
    decisions.remember(("sees", PERSON, user.pk, int(pk)), person is not None)
    if person is not None and also:
        decisions.remember(("completes", PERSON, user.pk, person.pk), answers["completable"])
    return person


def may_on_person(user, person, action: Action) -> bool:
    """Reading follows visibility; changing needs a professional with a real relationship."""
    if action == Action.VIEW:
        return True
    return user.is_professional and has_relationship(user, person)


def is_in_safeguarding_circle(user, person) -> bool:
    if not is_signed_in(user):
        return False
    return decisions.remembered(("safeguarding", PERSON, user.pk, person.pk),
                                lambda: _in_safeguarding_circle(user, person))


def _in_safeguarding_circle(user, person) -> bool:
    if not user.is_professional:  # family and proxies never: NetworkMember.clean
        return False
    return _in_circle_question(user, person).get() and not is_excluded(user, person)


def ask_safeguarding_early(user, person) -> None:
    """Let `is_in_safeguarding_circle` wait to be asked with the page's other small
    questions (the person page asks it for its sections)."""
    if is_signed_in(user) and user.is_professional:
        decisions.ask_early(("safeguarding", PERSON, user.pk, person.pk),
                            _in_circle_question(user, person),
                            lambda in_circle: in_circle and not is_excluded(user, person))


def _in_circle_question(user, person) -> kept.Later:
    return kept.later_exists(
        ("network.in_circle", signature(user)),
        lambda s: _members().filter(links_to(user), person_id=s.person,
                                    in_safeguarding_circle=True, never_inform=False),
        person=person.pk)


def may_see_access_log(user, person) -> bool:
    """"Who looked at my record" (and the person's copy of their data, rights/export.py):
    the person, their contact point, whoever exercises the person's rights in their name
    now (their right to their file among them: `_represents`, DOMAIN.md §1), and
    professionals who change the record. Changing first: the page has already asked it
    (decided once a request), so a professional's page sends no query for this."""
    if may_on_person(user, person, Action.CHANGE):
        return True
    own = kept.exists(
        ("network.own_member",),
        lambda s: _members().filter(person_id=s.person, user_id=s.user, never_inform=False)
        .filter(_speaking_for_the_person()),
        person=person.pk, user=user.pk)
    return own and sees_person(user, person)


def access_log_persons(user) -> QuerySet:
    """The pks of the persons whose "who looked at my record" `user` may open: the list
    form of `may_see_access_log` (the FHIR API's AuditEvent reads through it)."""
    if not is_signed_in(user):
        return Person.objects.none().values("pk")
    own = _members().filter(person=OuterRef("pk"), user=user, never_inform=False).filter(
        _speaking_for_the_person())
    seen_own = visible_persons(user, Person.objects.filter(Exists(own))).values("pk")
    if not user.is_professional:
        return seen_own
    changed = completable_persons(user, Person.objects.all()).values("pk")
    return Person.objects.filter(Q(pk__in=seen_own) | Q(pk__in=changed)).values("pk")


def may_break_glass(user, person) -> bool:
    """A professional acting for an organisation, not excluded, who cannot see it yet."""
    if not (is_signed_in(user) and user.is_professional and member_organisation_ids(user)):
        return False
    return not is_excluded(user, person) and not sees_person(user, person)


def may_read_mandate(user, mandate) -> bool:
    """The signed mandate: professionals who manage the network, and the representative."""
    if mandate.representative.user_id == user.pk and sees_person(user, mandate.person):
        return True
    return may_on_person(user, mandate.person, Action.CHANGE)


def may_read_protection_order(user, order) -> bool:
    """A court order, in the person's copy of their data: professionals read every one (the
    network's exclusions are theirs to see: rule 2); the person's side not one naming an
    administrator the person excluded, who appears on nothing printed for them (R14)."""
    return getattr(user, "is_professional", False) or not order.administrator.never_inform


# --- who speaks for the person (notifications.rules: who was told what) -----------------


def speaks_for(user) -> QuerySet:
    """The pks of the persons for whom `user` reads who was told what about them: as for
    "who looked at my record", the person themselves, their contact point, and whoever
    exercises the person's rights in their name now (`_represents`). On their own member
    row, not excluded."""
    own = _members().filter(user=user, never_inform=False)
    return own.filter(_speaking_for_the_person()).values("person_id")


def _speaking_for_the_person() -> Q:
    """Over member rows: the person's own, their contact point's, and a representative's
    who acts for them now. The one rule of who opens the person's copy of their data, who
    looked at the record and who was told what (besides the professionals who keep the
    record, for the first two)."""
    return Q(relation=Relation.SELF) | Q(is_contact_point=True) | _represents()


def _represents() -> Q:
    """Over member rows, in SQL: who exercises the person's patient rights in their name
    now (DOMAIN.md §1). Someone close to the person (an informal member: a professional or
    an organisation of the network is never their representative here), who is

    - the representative named by a mandate in force (legal.designated_representatives)
      or the administrator of the person whose court order in force authorises them to
      exercise the person's patient rights (law of 17 March 2013, `ProtectionOrder`),
      both only while a practitioner judges the person unable to exercise them
      (legal.representative_powers_apply: the latest assessment, still current);
    - or, while the person is a minor, their legal representative (a parent, a guardian),
      unless the minor is judged able to exercise their rights themselves.

    The role alone designates nobody: without its mandate or its order it gives nothing.
    A trusted person assists the person and decides nothing in their place. An adult's
    relatives in the law's order (legal.legal_order) act when nobody was designated and
    a practitioner turns to them, which nothing in Relais records: a professional who
    keeps the record hands them its copy (docs/retention.md)."""
    named = (Q(_holds(Role.REPRESENTATIVE), _named_in_force(Mandate))
             | Q(_holds(Role.ADMINISTRATOR), _named_in_force(ProtectionOrder)))
    for_a_minor = Q(_holds(Role.LEGAL_REPRESENTATIVE),
                    minor_on(timezone.localdate(), field="person__birth_date"))
    acting = ((named & _judged(CapacityFinding.UNABLE))
              | (for_a_minor & ~_judged(CapacityFinding.ABLE)))
    return Q(kind=MemberKind.INFORMAL) & acting


def _holds(role: str) -> Exists:
    return Exists(MemberRole.objects.filter(member=OuterRef("pk"), role=role))


def _named_in_force(model) -> Exists:
    """Over member rows: a mandate (or court order) of the person in force names them."""
    return Exists(model.objects.filter(model.in_force_today(), person=OuterRef("person"),
                                       **{model.NAMES: OuterRef("pk")}))


def _judged(finding: str) -> Exists:
    """The person's latest assessment (legal.current_assessment), still current, found
    `finding`."""
    latest = CapacityAssessment.objects.filter(person=OuterRef(OuterRef("person"))).order_by(
        "-assessed_on", "-created_at").values("pk")[:1]
    return Exists(CapacityAssessment.objects.filter(
        CapacityAssessment.current_today(), pk=Subquery(latest), finding=finding))


def recipient_excluded() -> Exists:
    """Over notification rows: the person excluded their recipient now, on the recipient
    or on an organisation they act for (as `excludes`, for each row's recipient)."""
    works_for = Membership.objects.active().filter(
        user_id=OuterRef(OuterRef("recipient_id"))).values("organisation_id")
    return Exists(_members().filter(
        Q(user_id=OuterRef("recipient_id")) | Q(user__isnull=True, organisation_id__in=works_for),
        person_id=OuterRef("person_id"), never_inform=True))


# --- network members --------------------------------------------------------------------


def visible_members(user, queryset: QuerySet) -> QuerySet:
    """Members of persons the user sees; exclusions only to those who manage the network."""
    queryset = queryset.filter(person__in=visible_person_pks(user, Person.objects.all()))
    if not getattr(user, "is_professional", False):
        queryset = queryset.filter(never_inform=False)
    return queryset


def members_hidden_from(user, person) -> set[int]:
    """The pks of the person's members whom `user` must not see named, in what was saved
    before (an emergency sheet's contacts, a print): as `visible_members`, those the
    person excluded, for a reader who is not a professional (rule 2: they appear on
    nothing printed for the person's side, R14); none for a professional."""
    if getattr(user, "is_professional", False):
        return set()
    return set(person.members.filter(never_inform=True).values_list("pk", flat=True))


def may_on_member(user, member, action: Action) -> bool:
    if action == Action.VIEW:
        return True
    return may_on_person(user, member.person, Action.CHANGE)


def register_policies() -> None:
    register_person_rules()
    notification_rules.register_person_side("network", notification_rules.PersonSide(
        speaks_for=speaks_for, recipient_excluded=recipient_excluded))
    register(Person, Policy(visible=visible_persons, allows=may_on_person, audit_reads=True,
                            person_id=lambda person: person.pk, sees_one=_sees_one,
                            load_seen=_load_seen))
    register(NetworkMember, Policy(visible=visible_members, allows=may_on_member,
                                   person_id=lambda member: member.person_id))


# --- loading from user input ------------------------------------------------------------


def person_for(user, pk, action: Action = Action.VIEW):
    """Load a person for `user`; the read is audited with the person's id (rule 5)."""
    queryset = Person.objects.select_related("municipality__care_zone", "care_zone_override",
                                             "owner_organisation")
    person = object_for(user, Person, pk, action, queryset=queryset)
    decisions.remember(("sees", PERSON, user.pk, person.pk), True)  # the gate just said so
    return person


def member_for(user, pk, action: Action = Action.VIEW):
    queryset = NetworkMember.objects.select_related("person", "user", "organisation")
    return object_for(user, NetworkMember, pk, action, queryset=queryset)


def person_for_break_glass(user, pk):
    """The record a professional may open in an emergency, else Http404 (audited)."""
    person = Person.objects.filter(pk=pk).first() if is_digits(str(pk)) else None
    if person is None or not may_break_glass(user, person):
        audit.record(audit.Actions.ACCESS_DENIED, actor=user, target_type="network.person",
                     target_id=str(pk)[:64], outcome=Outcome.DENIED,
                     detail={"action": "break_glass"})
        raise Http404
    return person


def hidden_person_with_niss(user, niss: str):
    """An exact national number that exists but is not shared with `user`: the one case
    where Relais says a record exists, so that break-the-glass is possible (rule 4)."""
    person = Person.objects.filter(niss=niss).first()
    return person if person is not None and may_break_glass(user, person) else None
