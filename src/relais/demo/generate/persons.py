"""One chunk of persons, with everything Relais would hold about them.

Each chunk draws from its own `random.Random(seed, chunk number)`, so a chunk written again
after an interruption is the one that would have been written. Rows follow the model's
rules as the services would have written them: one contact point, the person themselves in
their network, the keeper organisation in it, at most one open stay per hospital and one
open referral per service, a referral's history in its events, the author's read receipt
for each booklet entry, an audit event for each change and for reads, with its leaf hash.
"""

import csv
import itertools
import math
import random
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import relais.observatory
from relais.access.models import Consent, ConsentScope
from relais.accounts.models import OrganisationType
from relais.audit.models import AuditEvent
from relais.booklet.models import Entry, ReadReceipt
from relais.core.models import Municipality, Postcode
from relais.core.text import fold
from relais.demo.generate.names import OUTSIDE_BRUSSELS, BirthRange, Names, national_number
from relais.demo.generate.tables import Table
from relais.demo.generate.texts import entry_text, referral_texts
from relais.followup.models import (
    RHYTHM_DAYS,
    Capacity,
    CheckIn,
    Contact,
    ContactStatus,
    FollowUp,
    Refusal,
    RefusalReason,
    Rhythm,
    Watch,
)
from relais.network.models import (
    CapacityAssessment,
    CapacityFinding,
    Mandate,
    MemberRole,
    NetworkMember,
    Person,
    ProtectionOrder,
    Relation,
    Role,
)
from relais.network.services import ROLE_FOR_ORGANISATION, SELF_NAME_LENGTH
from relais.stays.models import Destination, Referral, ReferralEvent, ReferralStatus, Stay

Type = OrganisationType
ELDERLY = BirthRange(date(1925, 1, 1), date(1960, 12, 31))  # 4 persons in 5
YOUNGER = BirthRange(date(1961, 1, 1), date(2008, 12, 31))
LIMIT = min(ELDERLY.capacity * 5 // 4, YOUNGER.capacity * 5)  # unique national numbers
MODELS = (Person, NetworkMember, MemberRole, Consent, CapacityAssessment, Mandate,
          ProtectionOrder, Stay, Referral, ReferralEvent, FollowUp, Contact, Refusal, Watch,
          CheckIn, Entry, ReadReceipt, AuditEvent)
DAY = timedelta(days=1)


def weighted(choices: dict) -> tuple[list, list]:
    """The choices and their cumulative weights, summed once: `random.choices` sums its
    `weights` at every call (a tenth of the time a chunk takes to build), and draws the
    same with `cum_weights` given."""
    return list(choices), list(itertools.accumulate(choices.values()))


def pick(rng: random.Random, weighted_choices: tuple[list, list]):
    population, cumulative = weighted_choices
    return rng.choices(population, cum_weights=cumulative)[0]


LANGUAGES = weighted({"fr": 58, "nl": 28, "en": 3, "other": 11})
RELATIVES = weighted({0: 25, 1: 35, 2: 25, 3: 15})
DESTINATIONS = weighted({Destination.HOME: 55, Destination.HOME_WITH_SERVICES: 30,
                         Destination.NURSING_HOME: 10, Destination.OTHER: 5})
OPEN_OUTCOMES = weighted({"sent": 3, "accepted": 3, "started": 4})
OUTCOMES = weighted({"completed": 60, "declined": 12, "cancelled": 5, "started": 23})
EARLIER_OUTCOMES = weighted({"completed": 60, "declined": 12, "cancelled": 5, "started": 0})
ENTRY_KINDS = weighted({"note": 60, "observation": 25, "alert": 5, "handover": 5,
                        "question": 5})
READS = weighted({"person.read": 60, "booklet.read": 30, "stay.read": 10})
RHYTHMS = weighted({Rhythm.WEEKLY: 20, Rhythm.FORTNIGHTLY: 55, Rhythm.MONTHLY: 25})
CHECK_INS = weighted({"stable": 70, "worried": 22, "deteriorating": 8})
# Who acts for the person, among those with relatives: an assessment that they cannot
# exercise their rights, then a mandate, a court order, or a representative whose mandate
# nobody has recorded yet (the person page asks for it); or an assessment alone.
ARRANGEMENTS = weighted({"mandate": 50, "court_order": 20, "mandate_missing": 10,
                         "assessment": 20})
OFFERED = {  # what was offered and refused, by the kind of service, in the person's language
    Type.HOME_HELP: {"fr": "Aide familiale à domicile", "nl": "Gezinszorg aan huis",
                     "en": "Home help"},
    Type.HOME_NURSING: {"fr": "Soins infirmiers à domicile", "nl": "Thuisverpleging",
                        "en": "Home nursing"},
}
# Texts a professional would have typed, in the person's language (French for the others).
MANDATE_SCOPE = {"fr": "Toutes les décisions relatives à mes soins de santé.",
                 "nl": "Alle beslissingen over mijn gezondheidszorg.",
                 "en": "Every decision about my health care."}
ASSESSED_BY = {"fr": "médecin généraliste", "nl": "huisarts", "en": "general practitioner"}
NO_WATCH = {"fr": "La famille garde un œil sur la situation.",
            "nl": "De familie houdt een oogje in het zeil.",
            "en": "The family keeps an eye on things."}
WATCH_ENDED = {"fr": "Situation stabilisée, l'aide est acceptée.",
               "nl": "Situatie stabiel, de hulp is aanvaard.",
               "en": "Stable; help has been accepted."}
COURTS = ("Justice de paix du premier canton de Bruxelles",
          "Vredegerecht van het tweede kanton Brussel",
          "Justice de paix du canton de Schaerbeek", "Justice de paix du canton d'Ixelles",
          "Vredegerecht van het kanton Anderlecht")


def birth(index: int) -> tuple[date, int]:
    """The birth date and serial slot of the index-th person: unique for every index."""
    if index % 5 == 4:
        return YOUNGER.birth(index // 5)
    return ELDERLY.birth(index // 5 * 4 + index % 5)


@lru_cache(maxsize=200_000)
def name_keys(first: str, last: str) -> tuple[str, str, str]:
    person = Person(first_name=first, last_name=last)
    person.fill_name_keys()  # the model's own folding, as bulk loaders must call it
    return person.first_name_key, person.last_name_key, person.surname_tail_key


class _Event:
    """An audit event's content, hashed by AuditEvent's own code (the leaf the sealer seals
    and `relais audit verify` checks), without building a model instance per event."""

    __slots__ = ("prev_hash", "occurred_at", "actor_id", "actor_label", "organisation_id",
                 "action", "target_type", "target_id", "person_id", "purpose", "break_glass",
                 "request_id", "ip_address", "outcome", "detail")
    canonical_content = AuditEvent.canonical_content
    leaf_hash = AuditEvent.leaf_hash


class Chunk:
    """The rows of persons `first`…`first + count - 1`."""

    def __init__(self, *, world, names: Names, seed: int, number: int, as_of: datetime,
                 ratios: dict, first_ids: dict | None = None, places=None):
        """`first_ids` (model: id) where the chunk before ended, and `places`
        (`municipalities()`): given, the chunk reads nothing from the database, and can be
        built while the one before is being written."""
        self.world, self.names, self.ratios, self.as_of = world, names, ratios, as_of
        self.rng = random.Random(f"{seed}:{number}")
        self.tables = {model: Table(model, as_of, None if first_ids is None
                                    else first_ids[model]) for model in MODELS}
        self.events: list = []
        self.municipalities = municipalities() if places is None else places

    def build(self, first: int, count: int) -> list[Table]:
        for index in range(first, first + count):
            self._person(index)
        self._write_events()
        return list(self.tables.values())

    # --- the person -------------------------------------------------------------------

    def _person(self, index: int) -> None:
        rng, t = self.rng, self.tables
        language = pick(rng, LANGUAGES)
        origin = {"nl": "nl", "fr": "fr" if rng.random() < 0.75 else "other"}.get(
            language, "other")
        sex = "X" if rng.random() < 0.005 else ("F" if rng.random() < 0.56 else "M")
        born, slot = birth(index)
        first = self.names.first_name(rng, origin, sex)
        last = self.names.last_name(rng, origin)
        place = self._address(language)
        owner = self._pick(Type.COORDINATION_CENTRE if rng.random() < 0.7 else Type.HOSPITAL)
        creator = self._staff_of(owner)
        created = self.as_of - timedelta(days=rng.randint(30, 5 * 365), seconds=rng.randint(
            0, 86_399))
        keys = name_keys(first, last)
        alone = rng.random() < 0.45
        person = dict(
            first_name=first, last_name=last, birth_date=born, sex=sex,
            niss=national_number(born, slot, sex) if rng.random() < 0.93 else "",
            language=language, other_language="Arabe" if language == "other" else "",
            needs_interpreter=language == "other" and rng.random() < 0.4, **place,
            phone=f"+32 2 {rng.randint(200, 799)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            if rng.random() < 0.7 else "",
            living_situation="alone" if alone else rng.choice(["partner", "family",
                                                               "institution", "unknown"]),
            priority_groups=_priority_groups(rng, born, alone),
            safeguarding=rng.random() < 0.003, owner_organisation_id=owner.id,
            created_by_id=creator[0], created_at=created, updated_at=created,
            first_name_key=keys[0], last_name_key=keys[1], surname_tail_key=keys[2])
        pk = t[Person].add(**person)
        p = _Person(pk, person, owner, creator, created)
        self._event(p, "person.create", creator, owner, created, target=("network.person", pk),
                    detail={"has_niss": bool(person["niss"])})
        self._network(p)
        self._consents(p)
        stays = self._stays(p)
        self._booklet(p, stays)
        self._legal(p)
        self._refusal(p, stays)
        self._reads(p, stays)

    def _address(self, language: str) -> dict:
        rng = self.rng
        if rng.random() < 0.08:  # lives outside Brussels: a postcode, no municipality row
            return {"street": self.names.street(rng, language), "municipality_id": None,
                    "postcode": rng.choice(OUTSIDE_BRUSSELS)}
        municipality, postcodes = self.municipalities.pick(rng)
        return {"street": self.names.street(rng, language), "municipality_id": municipality,
                "postcode": rng.choice(postcodes)}

    def _pick(self, kind):
        return self.rng.choice(self.world.by_type[kind])

    def _staff_of(self, org, function=None):
        staff = [s for s in org.staff if function is None or s[2] == function] or org.staff
        return self.rng.choice(staff)

    # --- the network ------------------------------------------------------------------

    def _network(self, p) -> None:
        rng = self.rng
        started = p.created.date()
        relatives = pick(rng, RELATIVES)
        relative_is_contact = relatives and rng.random() < 0.15
        # The person and the keeper, as create_person adds them (its event says so).
        self._member(p, "informal", started, name=p.full_name[:SELF_NAME_LENGTH],
                     relation=Relation.SELF, phone=p.data["phone"],
                     is_contact_point=not relative_is_contact, roles=(), audited=False)
        self._organisation_member(p, p.owner, started, audited=False)
        for n in range(relatives):
            self._relative(p, started, contact=relative_is_contact and n == 0)
        if rng.random() < 0.007:
            self._relative(p, started, never_inform=True)
        if p.owner.type == Type.HOSPITAL and rng.random() < 0.5:
            self._organisation_member(p, self._pick(Type.COORDINATION_CENTRE), started)
        if rng.random() < 0.85:
            practice = self._pick(Type.GP_PRACTICE)
            gp = self._staff_of(practice)
            self._member(p, "professional", started, user_id=gp[0], roles=(Role.GP,),
                         in_safeguarding_circle=p.data["safeguarding"])
            p.writers.append((gp, practice))
        for kind, share in ((Type.HOME_NURSING, 0.4), (Type.HOME_HELP, 0.25)):
            if rng.random() < share:
                self._organisation_member(p, self._pick(kind), started)

    def _organisation_member(self, p, org, started, audited=True) -> None:
        self._member(p, "organisation", started, organisation_id=org.id, audited=audited,
                     roles=(ROLE_FOR_ORGANISATION.get(org.type, Role.OTHER),),
                     in_safeguarding_circle=p.data["safeguarding"] and org is p.owner)
        p.organisations.append(org)
        if org.type != Type.HOSPITAL:
            p.writers.append((self._staff_of(org), org))

    def _relative(self, p, started, *, contact=False, never_inform=False) -> None:
        rng = self.rng
        relation = rng.choice([Relation.PARTNER, Relation.CHILD, Relation.CHILD,
                               Relation.SIBLING, Relation.FRIEND, Relation.NEIGHBOUR,
                               Relation.OTHER_FAMILY])
        family = relation in (Relation.PARTNER, Relation.CHILD, Relation.SIBLING)
        origin = p.data["language"] if p.data["language"] in ("nl", "fr") else "other"
        first = self.names.first_name(rng, origin, rng.choice("FM"))
        last = p.data["last_name"] if family else self.names.last_name(rng, origin)
        roles = [Role.FAMILY] if family else []
        if rng.random() < 0.6:
            roles.append(Role.INFORMAL_CAREGIVER)
        if contact and rng.random() < 0.5:
            roles.append(Role.TRUSTED_PERSON)
        ended = None if never_inform or contact or rng.random() > 0.05 else (
            self.as_of.date() - timedelta(days=rng.randint(1, 200)))
        member = self._member(p, "informal", started, name=f"{first} {last}", relation=relation,
                              phone=f"+32 4{rng.randint(70, 99)} {rng.randint(10, 99)} "
                              f"{rng.randint(10, 99)} {rng.randint(10, 99)}",
                              language=p.data["language"] if p.data["language"] in (
                                  "nl", "fr") else "",
                              is_contact_point=contact, never_inform=never_inform,
                              ended_on=ended if ended and ended > started else None,
                              roles=roles)
        if not never_inform and not ended and Role.TRUSTED_PERSON not in roles:
            p.relatives.append(member)  # who may come to act for the person

    def _member(self, p, kind, started, *, roles, audited=True, **fields) -> int:
        t = self.tables
        member = t[NetworkMember].add(person_id=p.pk, kind=kind, started_on=started,
                                      created_at=p.created, updated_at=p.created, **fields)
        for role in sorted(set(roles)):
            t[MemberRole].add(member_id=member, role=role)
        if audited:
            self._event(p, "network_member.create", p.creator, p.owner, p.created,
                        target=("network.networkmember", member),
                        detail={"kind": kind, "roles": sorted(set(roles))})
        return member

    def _consents(self, p) -> None:
        rng, t = self.rng, self.tables
        for scope, share in ((ConsentScope.NETWORK, 0.92), (ConsentScope.HOSPITALS, 0.7)):
            if rng.random() >= share:
                continue
            revoked = scope == ConsentScope.NETWORK and rng.random() < 0.03
            if scope == ConsentScope.NETWORK and not revoked:
                p.consented = True
            consent = t[Consent].add(
                person_id=p.pk, scope=scope, given_by=p.full_name, given_on=p.created.date(),
                recorded_by_id=p.creator[0], recorded_at=p.created,
                revoked_at=p.created + timedelta(days=rng.randint(1, 20)) if revoked else None,
                revoked_by_id=p.creator[0] if revoked else None)
            self._event(p, "consent.give", p.creator, p.owner, p.created,
                        target=("access.consent", consent), detail={"scope": scope})

    # --- stays, referrals, follow-ups -------------------------------------------------

    def _stays(self, p) -> list[dict]:
        rng = self.rng
        count = _poisson(rng, self.ratios["stays"])
        span = (self.as_of - p.created).total_seconds()
        starts = sorted(p.created + timedelta(seconds=rng.uniform(0, span)) for _ in range(
            count))
        stays, previous = [], None
        for n, admitted in enumerate(starts):
            if previous and previous["discharged_at"] and admitted <= previous["discharged_at"]:
                admitted = previous["discharged_at"] + timedelta(hours=rng.randint(2, 48))
            if admitted >= self.as_of:
                break
            following = starts[n + 1] if n + 1 < len(starts) else None
            stays.append(self._stay(p, admitted, previous, following))
            previous = stays[-1]
        return stays

    def _stay(self, p, admitted, previous, following) -> dict:
        rng, t = self.rng, self.tables
        hospital = self._pick(Type.HOSPITAL)
        nurse = self._staff_of(hospital)
        discharged = admitted + timedelta(hours=rng.randint(20, 21 * 24))
        if following and discharged >= following:
            discharged = max(admitted + timedelta(hours=1), following - timedelta(hours=1))
        if discharged >= self.as_of:
            discharged = None  # still in hospital: the last stay only
        readmission = previous and previous["discharged_at"] and (
            admitted - previous["discharged_at"] <= timedelta(days=30))
        source = "hl7" if rng.random() < 0.6 else "manual"
        stay = dict(
            person_id=p.pk, hospital_id=hospital.id, ward_id=rng.choice(hospital.wards),
            admitted_at=admitted, discharged_at=discharged,
            expected_discharge_on=None if discharged else (admitted + 7 * DAY).date(),
            destination=(pick(rng, DESTINATIONS) if discharged else ""),
            source=source, admission_type=rng.choice(["emergency", "emergency", "elective"]),
            previous_stay_id=previous["id"] if readmission else None,
            readmission_planned=False if readmission else None,
            created_by_id=None if source == "hl7" else nurse[0],
            created_at=admitted, updated_at=discharged or admitted)
        stay["id"] = t[Stay].add(**stay, visit_number=f"G{t[Stay].next_id}")
        actor = None if source == "hl7" else nurse
        self._event(p, "stay.open", actor, hospital, admitted, target=("stays.stay", stay["id"]),
                    detail={"source": source})
        if discharged:
            self._event(p, "stay.discharge", nurse, hospital, discharged,
                        target=("stays.stay", stay["id"]),
                        detail={"destination": stay["destination"]})
        self._referrals(p, stay, hospital, nurse, last=following is None)
        if discharged and stay["destination"] in (Destination.HOME,
                                                   Destination.HOME_WITH_SERVICES):
            self._followup(p, stay)
        stay["nurse"], stay["hospital"] = nurse, hospital  # for its reads, not a column
        return stay

    def _referrals(self, p, stay, hospital, nurse, *, last: bool) -> None:
        rng = self.rng
        count = min(3, _poisson(rng, self.ratios["referrals"]))
        kinds = rng.sample([Type.HOME_NURSING, Type.HOME_HELP, Type.COORDINATION_CENTRE], count)
        for kind in kinds:  # one per kind: never two open to the same service
            own = [o for o in p.organisations if o.type == kind]
            self._referral(p, stay, hospital, nurse, own[0] if own else self._pick(kind), last)

    def _referral(self, p, stay, hospital, nurse, org, last: bool) -> None:
        rng, t = self.rng, self.tables
        sent = stay["admitted_at"] + timedelta(hours=rng.randint(4, 48))
        if sent >= self.as_of:
            return
        path = self._referral_path(last and not stay["discharged_at"], last)
        times = self._after(sent, len(path))
        answerer = self._staff_of(org)
        answered = path and path[0] != "cancelled"
        help_needed, frequency, reason, wishes = referral_texts(p.data["language"])
        referral = t[Referral].add(
            person_id=p.pk, stay_id=stay["id"], service_id=org.service, organisation_id=org.id,
            sender_id=nurse[0], sender_organisation_id=hospital.id, help_needed=help_needed,
            frequency=frequency, start_on=(stay["discharged_at"] or sent).date(), reason=reason,
            person_wishes=wishes, person_agrees=True, urgency=rng.choice(["routine", "72h"]),
            respond_by=sent + 5 * DAY, status=path[-1] if path else ReferralStatus.SENT,
            answered_by_id=answerer[0] if answered else None,
            answered_at=times[0] if answered else None,
            decline_reason="no_capacity" if path == ["declined"] else "", created_at=sent,
            updated_at=times[-1] if path else sent)
        self._event(p, "referral.send", nurse, hospital, sent,
                    target=("stays.referral", referral), detail={"organisation": org.id})
        t[ReferralEvent].add(referral_id=referral, status=ReferralStatus.SENT, at=sent,
                             by_id=nurse[0])
        for status, at in zip(path, times, strict=True):
            by = nurse if status == "cancelled" else answerer
            t[ReferralEvent].add(referral_id=referral, status=status, at=at, by_id=by[0])

    def _referral_path(self, in_hospital: bool, last: bool) -> list[str]:
        """The statuses a referral went through after "sent" (TRANSITIONS). Only the last
        stay's referrals may still be open, so no service gets two open ones."""
        rng = self.rng
        if in_hospital:
            outcome = pick(rng, OPEN_OUTCOMES)
        else:
            outcome = pick(rng, OUTCOMES if last else EARLIER_OUTCOMES)
        return {"sent": [], "accepted": ["accepted"], "started": ["accepted", "started"],
                "completed": ["accepted", "started", "completed"], "declined": ["declined"],
                "cancelled": ["cancelled"]}[outcome]

    def _after(self, start: datetime, count: int) -> list[datetime]:
        """`count` moments after `start`, in order, all before `as_of`."""
        rng, moments, at = self.rng, [], start
        for n in range(count):
            at += timedelta(hours=rng.randint(2, 70) if n == 0 else rng.randint(24, 480))
            moments.append(min(at, self.as_of - timedelta(minutes=count - n)))
        return sorted(moments)

    def _followup(self, p, stay) -> None:
        rng, t = self.rng, self.tables
        if rng.random() >= self.ratios["followups"]:
            return
        day = stay["discharged_at"].date()
        closes = datetime.combine(day + 30 * DAY, time(12), tzinfo=UTC)
        followup = t[FollowUp].add(
            person_id=p.pk, stay_id=stay["id"], protocol_id=self.world.protocol.id,
            started_on=day, closed_at=closes if closes < self.as_of else None,
            created_at=stay["discharged_at"], updated_at=stay["discharged_at"])
        owner_org = next((o for o in p.organisations if o.type == Type.COORDINATION_CENTRE),
                         p.owner)
        for step in self.world.steps:
            due = day + step.day * DAY
            happened = datetime.combine(due, time(10), tzinfo=UTC)
            done = happened < self.as_of
            t[Contact].add(followup_id=followup, step_id=step.id, channel=step.channel,
                           what_to_check=step.what_to_check, owner_organisation_id=owner_org.id,
                           due_on=due, status=ContactStatus.REACHED if done else
                           ContactStatus.PLANNED, happened_at=happened if done else None,
                           recorded_by_id=self._staff_of(owner_org)[0] if done else None,
                           created_at=stay["discharged_at"], updated_at=stay["discharged_at"])

    # --- who acts for the person, help refused and the watch ---------------------------

    def _legal(self, p) -> None:
        """One elderly person in 12 with relatives (one younger in 100) has been judged
        unable to exercise their patient rights, or able, by their GP; most of them have a
        relative acting for them by a mandate or a court order (DOMAIN.md §1)."""
        rng = self.rng
        elderly = p.data["birth_date"].year <= 1960
        if not p.relatives or rng.random() >= (0.08 if elderly else 0.01):
            return
        arrangement = pick(rng, ARRANGEMENTS)
        assessed = self._day_after(p.created.date())
        language = _typed_in(p)
        unable = arrangement != "assessment" or rng.random() < 0.5
        assessment = self.tables[CapacityAssessment].add(
            person_id=p.pk, finding=CapacityFinding.UNABLE if unable else CapacityFinding.ABLE,
            assessed_by=f"Dr {self.names.last_name(rng, 'fr')}, {ASSESSED_BY[language]}",
            assessed_on=assessed, review_by=None if rng.random() < 0.7 else (
                assessed + timedelta(days=rng.randint(90, 365))),
            recorded_by_id=p.creator[0], created_at=self._moment(assessed),
            updated_at=self._moment(assessed))
        self._event(p, "capacity.assess", p.creator, p.owner, self._moment(assessed),
                    target=("network.capacityassessment", assessment),
                    detail={"finding": "unable" if unable else "able"})
        if arrangement == "assessment":
            return
        member = rng.choice(p.relatives)
        role = Role.ADMINISTRATOR if arrangement == "court_order" else Role.REPRESENTATIVE
        self.tables[MemberRole].add(member_id=member, role=role)
        if arrangement == "mandate":
            self._mandate(p, member, assessed)
        elif arrangement == "court_order":
            self._court_order(p, member, assessed)

    def _mandate(self, p, member: int, before: date) -> None:
        rng = self.rng
        signed = max(p.created.date(), before - timedelta(days=rng.randint(0, 900)))
        revoked = self._day_after(signed) if rng.random() < 0.05 else None
        at = self._moment(signed)
        mandate = self.tables[Mandate].add(
            person_id=p.pk, representative_id=member, scope=MANDATE_SCOPE[_typed_in(p)],
            signed_on=signed, signed_by_person=True, signed_by_representative=True,
            starts_on=signed, ends_on=None, revoked_on=revoked, recorded_by_id=p.creator[0],
            created_at=at, updated_at=at)
        self._event(p, "mandate.create", p.creator, p.owner, at,
                    target=("network.mandate", mandate),
                    detail={"representative": member, "document": False})

    def _court_order(self, p, member: int, after: date) -> None:
        rng = self.rng
        ordered = self._day_after(after)
        at = self._moment(ordered)
        order = self.tables[ProtectionOrder].add(
            person_id=p.pk, administrator_id=member, court=rng.choice(COURTS),
            ordered_on=ordered, covers_patient_rights=True, starts_on=ordered,
            ends_on=None if rng.random() < 0.8 else ordered + timedelta(days=rng.randint(
                365, 5 * 365)), lifted_on=None, recorded_by_id=p.creator[0], created_at=at,
            updated_at=at)
        self._event(p, "protection_order.create", p.creator, p.owner, at,
                    target=("network.protectionorder", order),
                    detail={"administrator": member})

    def _refusal(self, p, stays) -> None:
        """One person in 25 sent home from hospital refused the help offered; three times in
        four someone keeps an eye (a watch, with its check-ins), ended for some since."""
        rng, t = self.rng, self.tables
        home = [s for s in stays if s["discharged_at"] and s["destination"] in (
            Destination.HOME, Destination.HOME_WITH_SERVICES)]
        if not home or rng.random() >= 0.04:
            return
        stay = rng.choice(home)
        kind = Type.HOME_HELP if rng.random() < 0.6 else Type.HOME_NURSING
        org = self._pick(kind)
        # Someone who sees the person (the gate's rule 1): their coordination centre's,
        # while the network consent is in force, or the keeping organisation's.
        keeper = next((o for o in p.organisations if o.type == Type.COORDINATION_CENTRE
                       and (p.consented or o is p.owner)), p.owner)
        offered_by = self._staff_of(keeper)
        refused = stay["discharged_at"].date()
        watched = rng.random() < 0.75
        language = _typed_in(p)
        at = self._moment(refused)
        reasons = rng.sample(RefusalReason.values, rng.randint(1, 2))
        refusal = t[Refusal].add(
            person_id=p.pk, offered=OFFERED[kind][language], service_id=org.service,
            offered_by_id=offered_by[0], organisation_id=keeper.id,
            reasons=reasons,
            capacity=Capacity.YES if rng.random() < 0.85 else Capacity.UNCLEAR,
            no_watch_reason="" if watched else NO_WATCH[language],
            refused_on=refused, created_at=at, updated_at=at)
        self._event(p, "followup.refusal", offered_by, keeper, at,
                    target=("followup.refusal", refusal),
                    detail={"reasons": reasons, "watch": watched})
        if watched:
            self._watch(p, refusal, offered_by, keeper, refused)

    def _watch(self, p, refusal: int, owner, org, started: date) -> None:
        rng, t = self.rng, self.tables
        rhythm = pick(rng, RHYTHMS)
        every = RHYTHM_DAYS[rhythm]
        today = self.as_of.date()
        ended = None
        if rng.random() < 0.4 and started + timedelta(days=90) < today:
            ended = min(today, started + timedelta(days=rng.randint(60, 365)))
        days, day = [], started
        while True:
            day += timedelta(days=every + rng.randint(-2, 2))
            if day > (ended or today) or (ended is None and day > today - timedelta(
                    days=every) and rng.random() < 0.15):  # the last one missed: overdue
                break
            days.append(day)
        at = self._moment(started)
        watch = t[Watch].add(
            person_id=p.pk, refusal_id=refusal, owner_id=owner[0], owner_organisation_id=org.id,
            rhythm=rhythm, started_on=started, next_check_on=(days[-1] if days else started)
            + timedelta(days=every), ended_at=self._moment(ended) if ended else None,
            end_reason=WATCH_ENDED[_typed_in(p)] if ended else "", created_at=at,
            updated_at=self._moment(days[-1]) if days else at)
        self._event(p, "followup.watch.start", owner, org, at, target=("followup.watch", watch),
                    detail={"owner": owner[0], "rhythm": rhythm})
        for day in days:
            status = pick(rng, CHECK_INS)
            t[CheckIn].add(watch_id=watch, status=status, at=self._moment(day), by_id=owner[0])
            self._event(p, "followup.watch.check_in", owner, org, self._moment(day),
                        target=("followup.watch", watch), detail={"status": status})
        if ended:
            self._event(p, "followup.watch.end", owner, org, self._moment(ended),
                        target=("followup.watch", watch), detail={})

    def _day_after(self, day: date) -> date:
        """A day from `day` to the dataset's, drawn evenly."""
        last = self.as_of.date() - DAY
        return day if day >= last else day + timedelta(days=self.rng.randint(
            0, (last - day).days))

    def _moment(self, day: date) -> datetime:
        """Office hours that day (before the dataset's moment)."""
        return min(datetime.combine(day, time(9), tzinfo=UTC) + timedelta(
            minutes=self.rng.randint(0, 480)), self.as_of - timedelta(minutes=1))

    # --- the booklet, and reads -------------------------------------------------------

    def _booklet(self, p, stays) -> None:
        rng, t = self.rng, self.tables
        writers = p.readers()
        if not writers:
            return
        count = int(rng.expovariate(1 / self.ratios["entries"])) if self.ratios[
            "entries"] else 0
        span = (self.as_of - p.created).total_seconds()
        for at in sorted(p.created + timedelta(seconds=rng.uniform(0, span))
                         for _ in range(count)):
            writer, org = rng.choice(writers)
            kind = pick(rng, ENTRY_KINDS)
            audience = "health" if rng.random() < 0.15 else "network"
            body = entry_text(rng, p.data["language"], kind, p.data["first_name"])
            entry = t[Entry].add(person_id=p.pk, kind=kind, audience=audience, body=body,
                                 author_id=writer[0], author_organisation_id=org.id,
                                 author_label=f"{writer[3]} · {org.name}"[:300],
                                 search_text=fold(body), created_at=at)
            t[ReadReceipt].add(entry_id=entry, user_id=writer[0], read_at=at)
            self._event(p, "booklet.write", writer, org, at,
                        target=("booklet.entry", entry),
                        detail={"kind": kind, "audience": audience})

    def _reads(self, p, stays) -> None:
        """Reads to bring the person's events to the ratio (a read is one event per page
        view, as the gate writes them)."""
        rng = self.rng
        wanted = _poisson(rng, self.ratios["audit"]) - p.events
        span = (self.as_of - p.created).total_seconds()
        readers = p.readers()
        for _ in range(max(0, wanted) if readers else 0):
            action = pick(rng, READS)
            if action == "stay.read" and stays:  # the hospital's staff, during the stay
                stay = rng.choice(stays)
                end = stay["discharged_at"] or self.as_of
                at = stay["admitted_at"] + (end - stay["admitted_at"]) * rng.random()
                self._event(p, action, stay["nurse"], stay["hospital"], at,
                            target=("stays.stay", stay["id"]), detail={})
                continue
            user, org = rng.choice(readers)
            at = p.created + timedelta(seconds=rng.uniform(0, span))
            action = "person.read" if action == "stay.read" else action
            self._event(p, action, user, org, at, target=("network.person", p.pk),
                        detail={} if action != "booklet.read" else {"page": 1})

    # --- the audit log ----------------------------------------------------------------

    def _event(self, p, action, actor, org, at, *, target, detail) -> None:
        rng = self.rng
        address = None if actor is None else (  # the feed writes with no one signed in
            f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
        self.events.append((at, action, actor, org.id if org else None, target, p.pk, detail,
                            f"{rng.getrandbits(64):016x}", address))
        p.events += 1

    def _write_events(self) -> None:
        """In time order within the chunk, each with its leaf hash (AuditEvent's code)."""
        table = self.tables[AuditEvent]
        self.events.sort(key=lambda e: e[0])
        for at, action, actor, org, (ttype, tid), person, detail, request, ip in self.events:
            event = _Event()
            event.prev_hash, event.occurred_at, event.organisation_id = "", at, org
            event.actor_id, event.actor_label = (actor[0], actor[1]) if actor else (None, "")
            event.action, event.target_type, event.target_id = action, ttype, str(tid)
            event.person_id, event.purpose, event.break_glass = person, "", False
            event.request_id, event.ip_address, event.outcome = request, ip, "success"
            event.detail = detail
            table.add(occurred_at=at, actor_id=event.actor_id, actor_label=event.actor_label,
                      organisation_id=org, action=action, target_type=ttype,
                      target_id=event.target_id, person_id=person, request_id=request,
                      ip_address=ip, outcome="success", detail=detail, prev_hash="",
                      hash=event.leaf_hash(), seq=None, purpose="", break_glass=False)
        self.events = []


class _Person:
    __slots__ = ("pk", "data", "owner", "creator", "created", "writers", "organisations",
                 "events", "consented", "relatives")

    def __init__(self, pk, data, owner, creator, created):
        self.pk, self.data, self.owner, self.creator, self.created = (pk, data, owner,
                                                                      creator, created)
        self.writers, self.organisations, self.events = [], [], 0
        self.consented = False
        self.relatives: list[int] = []  # members who may act for the person

    def readers(self) -> list:
        """Who reads and writes the record: the network's professionals while the network
        consent is in force, else only the keeping organisation's (the gate's rule 1; a
        hospital sees the person during its stays, `_reads` writes those)."""
        if self.consented:
            return self.writers
        return [(user, org) for user, org in self.writers if org is self.owner]

    @property
    def full_name(self) -> str:
        return f"{self.data['first_name']} {self.data['last_name']}"


def _typed_in(p) -> str:
    """The language a professional writes about the person in."""
    return p.data["language"] if p.data["language"] in ("fr", "nl", "en") else "fr"


def _priority_groups(rng, born: date, alone: bool) -> list[str]:
    groups = ["elderly"] if born.year <= 1960 else []
    if alone and rng.random() < 0.3:
        groups.append("isolated")
    if rng.random() < 0.2:
        groups.append("chronic_illness")
    return groups


def _poisson(rng, mean: float) -> int:
    """Knuth's method (means up to a few dozen); a rounded normal above."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


class _Places:
    """Brussels municipalities weighted by population, with their postcodes."""

    def __init__(self, rows):
        self.rows = rows
        self.cumulative = []
        total = 0
        for _, _, population in rows:
            total += population
            self.cumulative.append(total)

    def pick(self, rng):
        municipality, postcodes, _ = rng.choices(self.rows, cum_weights=self.cumulative)[0]
        return municipality, postcodes


def municipalities() -> _Places:
    population = _population()
    postcodes: dict[int, list[str]] = {}
    for municipality_id, code in Postcode.objects.order_by("code").values_list(
            "municipality_id", "code"):
        postcodes.setdefault(municipality_id, []).append(code)
    return _Places([(pk, tuple(postcodes.get(pk, [""])), population.get(nis, 10_000))
                    for pk, nis in Municipality.objects.order_by("nis_code").values_list(
                        "id", "nis_code")])


@lru_cache(maxsize=1)
def _population() -> dict[str, int]:
    """Residents per municipality (Statbel 2020, the observatory's data file)."""
    path = Path(relais.observatory.__file__).parent / "data" / "population.csv"
    with open(path, encoding="utf-8") as handle:
        return {row["nis_code"]: int(row["population"]) for row in csv.DictReader(handle)}
