"""Issue 11, "What it must show": an exclusion, or a withdrawn consent, holds everywhere.

Written as an outside security reviewer would: one person, Zephyrine Quokkaberg, whose
names and national number (NISS) appear nowhere else, linked to everything Relais keeps
about a person; then, for every page and endpoint found by walking the URL configuration
(not a hand-kept list), the users who must not see her get none of her rows.

* "What it must show", first bullet (and point 1, "What to build", first bullet):
  `TestEveryPage::test_no_page_shows_the_person_to_whom_must_not_see_her`, one test per
  URL pattern; `test_a_new_view_that_forgets_the_gate_is_caught` proves a new view that
  forgets the gate makes it fail; `test_the_sweep_sees_her_where_she_may_be_seen` is the
  positive control (the same ids and checker do find her where she may be seen).
* "What it must show", second bullet (point 1 as a scenario), in `TestScenarios`:
  `test_an_excluded_organisation_gets_no_trace_of_an_admission` (by hand and by the ADT
  feed: in-app, email, every list), `..._gets_no_digest_about_her`,
  `test_an_exclusion_after_the_fact_hides_the_earlier_alert`, and the consent variant
  `test_a_withdrawn_consent_hides_an_earlier_notification`.
* "What to build", first bullet, "never inform" on a professional (in every organisation
  they work for, not their colleagues) and on an organisation (every active member):
  `test_never_inform_on_a_professional_excludes_them_in_every_organisation` and
  `test_never_inform_on_an_organisation_excludes_every_active_member_of_it`.

The world (`build_world`): a coordination centre keeps her record; her GP, a home-help
service, a physiotherapist, her daughter (portal account, trusted person, mandate with its
scanned document, a court order naming her administrator), her brother and her nephew
(another court order names him administrator of the person) are in her network. The
home-nursing service "Orion" (organisation O) was in it too: it received a referral, was
named in the booklet, its manager wrote an entry with an attachment, it was asked in a
consultation; then she said "never inform" about O. A professional, X, a nurse at the
hospital who also works for the home-help service, is excluded in person; so is her
brother, after he was invited to the portal and asked a question by email, and her
nephew, after he went on her emergency sheet and its print (R14: from then on he is on
nothing printed for her side, `test_an_excluded_administrator_is_on_nothing_printed_...`).
Then she is admitted by hand to Hospital Hestia (a screening, a referral, the transfer
note follow) and through the HL7 feed to Hospital Helios.

Who must see nothing of her: O's staff (`staff_o`, its manager, and `staff_o_and_centre`,
who also works for the coordination centre), X, an anonymous visitor, and - once her
consent to share with the network is withdrawn - the physiotherapist of her network
(`no_consent`).

Names move while this is written (`followup` became `notifications`, the audit log its own
app, `interop/adt.py` a package): models are looked up by class name, the inbox by its
path `/inbox/`, the feed through `relais.interop.adt.deliver` as tests/relais/interop do.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from io import StringIO
from types import SimpleNamespace
from unittest import mock

import pytest
from django.apps import apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, include, path
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from relais.accounts.models import Function, OrganisationType, Profession
from relais.booklet import consultations, emergency
from relais.booklet import services as booklet
from relais.booklet.models import Audience, EntryKind
from relais.directory import services as directory
from relais.directory.models import Category
from relais.followup import watch as followup_watch
from relais.followup import work
from relais.interop import adt
from relais.interop.adt.merge import merge_links
from relais.interop.fhir import registry as fhir_registry
from relais.network import portal
from relais.network import services as network
from relais.network.models import MemberKind, Relation, Role
from relais.stays import referrals, screening, transfer
from relais.stays import services as stays
from relais.stays.instruments import INSTRUMENTS
from relais.thematic.models import ReportLanguage
from tests import files
from tests.factories import (
    HospitalFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)
from tests.relais.interop.test_adt import adt_message

# --- the markers -----------------------------------------------------------------------

FIRST_NAME, LAST_NAME = "Zephyrine", "Quokkaberg"
BIRTH_DATE = date(1937, 8, 19)
SEARCH_PREFIX = "Quokk"  # finds her by surname prefix, and is not itself a marker


def niss_for(birth_date: date, serial: int) -> str:
    """A valid Belgian national number for a woman (even serial), as relais.network.demo
    computes them: YYMMDD, serial, 97 minus the first nine digits mod 97."""
    first9 = int(f"{birth_date:%y%m%d}{serial * 2 + 2:03d}")
    return f"{first9:09d}{97 - first9 % 97:02d}"


NISS = niss_for(BIRTH_DATE, 413)  # 37081982817: used nowhere else in the project
NISS_SHOWN = f"{NISS[0:2]}.{NISS[2:4]}.{NISS[4:6]}-{NISS[6:9]}.{NISS[9:11]}"
NAME_MARKERS = (FIRST_NAME, LAST_NAME)
ALL_MARKERS = (*NAME_MARKERS, NISS, NISS_SHOWN)

# Files that carry the markers in their bytes: a download that slips past the gate shows.
PDF = files.pdf(f"{FIRST_NAME} {LAST_NAME} {NISS}")
PNG = files.png(f"{FIRST_NAME} {LAST_NAME} {NISS}")

# Her nephew, the administrator of the person she excludes: on nothing printed for her.
NEPHEW, NEPHEW_PHONE, NEPHEW_COURT = "Nestor Ombrelune", "+32 470 98 76 54", "Vredegerecht Nyx"

FEED_FACILITY = "HELIOS-EVERYWHERE"
IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
NEEDS = {"help_needed": "Wound care every morning", "frequency": "daily",
         "start_on": date.today() + timedelta(days=7), "reason": "Leg ulcer",
         "person_wishes": "At home"}
CALM = {"living": "with_others", "caregiver": "yes", "contacts": "weekly", "network": "yes",
        "psychosocial": "no", "cognition": "no", "housing": "ready", "finances": "no",
        "language": "yes", "refusal": "no", "dependants": "no", "priority": "no",
        "violence": "no"}


def model_named(name: str):
    """A model by its class name, whichever app holds it (apps are being renamed)."""
    found = [model for model in apps.get_models() if model.__name__ == name]
    assert len(found) == 1, f"expected one model named {name}, found {found}"
    return found[0]


def on_commit():
    """Run what waits for the commit (emails, the worker's tasks) at the end of the block."""
    return TestCase.captureOnCommitCallbacks(execute=True)


# --- the world -------------------------------------------------------------------------


def _staff(organisation, function, slug, *, manager=False, profession=Profession.NONE):
    user = UserFactory(email=f"{slug}@everywhere.example", first_name=slug.title(),
                       last_name="Staff", profession=profession, language="en")
    MembershipFactory(user=user, organisation=organisation, function=function,
                      is_manager=manager)
    return user


def build_world() -> SimpleNamespace:
    """Everything Relais keeps about Zephyrine, made through the services, before anyone
    is excluded and before any admission."""
    w = SimpleNamespace()
    w.admin = UserFactory(email="admin@everywhere.example", is_superuser=True, is_staff=True)
    w.hospital = HospitalFactory(name="Hospital Hestia")
    w.ward = WardFactory(organisation=w.hospital, name="Geriatrics Hestia", code="GER")
    w.feed_hospital = HospitalFactory(name="Hospital Helios")
    w.feed_ward = WardFactory(organisation=w.feed_hospital, name="Geriatrics Helios", code="GER")
    model_named("AdtSource").objects.create(sending_facility=FEED_FACILITY,
                                            hospital=w.feed_hospital)
    w.centre = OrganisationFactory(name="Coordination Ceres",
                                   type=OrganisationType.COORDINATION_CENTRE)
    w.practice = OrganisationFactory(name="Practice Gaia", type=OrganisationType.GP_PRACTICE)
    w.excluded_org = OrganisationFactory(name="Home Nursing Orion",
                                         type=OrganisationType.HOME_NURSING)
    w.home_help = OrganisationFactory(name="Home Help Kairos", type=OrganisationType.HOME_HELP)
    w.physio_practice = OrganisationFactory(name="Physio Phoebe",
                                            type=OrganisationType.PHYSIOTHERAPY)

    w.nurse = _staff(w.hospital, Function.LIAISON_NURSE, "hestia-nurse",
                     profession=Profession.NURSE)
    w.coordinator = _staff(w.centre, Function.COORDINATOR, "ceres-coordinator", manager=True,
                           profession=Profession.SOCIAL_WORKER)
    w.gp = _staff(w.practice, Function.GENERAL_PRACTITIONER, "gaia-gp", manager=True,
                  profession=Profession.GENERAL_PRACTITIONER)
    # Organisation O's staff: its manager, and a nurse who also works for the centre.
    w.staff_o = _staff(w.excluded_org, Function.HOME_NURSE, "orion-manager", manager=True,
                       profession=Profession.NURSE)
    w.staff_o_and_centre = _staff(w.excluded_org, Function.HOME_NURSE, "orion-and-ceres",
                                  profession=Profession.NURSE)
    MembershipFactory(user=w.staff_o_and_centre, organisation=w.centre,
                      function=Function.COORDINATOR)
    # X: a nurse at the hospital who also works for the home-help service.
    w.excluded_pro = _staff(w.hospital, Function.WARD_NURSE, "neighbour-x",
                            profession=Profession.NURSE)
    MembershipFactory(user=w.excluded_pro, organisation=w.home_help, function=Function.HOME_HELP)
    w.helper = _staff(w.home_help, Function.HOME_HELP, "kairos-helper", manager=True,
                      profession=Profession.HOME_HELP)
    w.no_consent = _staff(w.physio_practice, Function.PHYSIOTHERAPIST, "phoebe-physio",
                          manager=True, profession=Profession.PHYSIOTHERAPIST)

    p = w.person = network.create_person(
        {"first_name": FIRST_NAME, "last_name": LAST_NAME, "birth_date": BIRTH_DATE,
         "sex": "F", "niss": NISS, "language": "fr", "living_situation": "alone"},
        actor=w.coordinator, organisation=w.centre)
    for scope in ("network", "hospitals"):
        network.record_consent(p, scope=scope, given_by=f"{FIRST_NAME} {LAST_NAME}",
                               given_on=timezone.localdate(), actor=w.coordinator)

    def add(**fields):
        return network.add_member(p, actor=w.coordinator, **fields)

    w.member_gp = add(kind=MemberKind.PROFESSIONAL, user=w.gp, roles=[Role.GP],
                      in_safeguarding_circle=True)
    w.member_o = add(kind=MemberKind.ORGANISATION, organisation=w.excluded_org,
                     roles=[Role.HOME_NURSE])
    w.member_help = add(kind=MemberKind.ORGANISATION, organisation=w.home_help,
                        roles=[Role.HOME_HELP])
    w.member_x = add(kind=MemberKind.PROFESSIONAL, user=w.excluded_pro, roles=[Role.OTHER])
    w.member_physio = add(kind=MemberKind.PROFESSIONAL, user=w.no_consent,
                          roles=[Role.PHYSIOTHERAPIST])
    w.member_daughter = add(kind=MemberKind.INFORMAL, name="Odile Perez", relation=Relation.CHILD,
                            email="odile@everywhere.example", phone="+32 470 11 22 33",
                            roles=[Role.INFORMAL_CAREGIVER, Role.TRUSTED_PERSON])
    w.member_brother = add(kind=MemberKind.INFORMAL, name="Bertrand Vannoort",
                           relation=Relation.SIBLING, email="bertrand@everywhere.example",
                           roles=[Role.FAMILY])
    w.member_nephew = add(kind=MemberKind.INFORMAL, name=NEPHEW, relation=Relation.OTHER_FAMILY,
                          phone=NEPHEW_PHONE, roles=[Role.ADMINISTRATOR])

    # The portal: the daughter accepted; the brother's invitation is still open.
    with on_commit():
        daughter_link = portal.invite(w.member_daughter, email="odile@everywhere.example",
                                      actor=w.coordinator)
        brother_link = portal.invite(w.member_brother, email="bertrand@everywhere.example",
                                     actor=w.coordinator)
    # (member, token): the links that were sent, to check they die with an exclusion.
    w.portal_links = [(w.member_daughter.pk, _token_in(daughter_link, "join")),
                      (w.member_brother.pk, _token_in(brother_link, "join"))]
    w.daughter = portal.create_portal_user(email="odile@everywhere.example", first_name="Odile",
                                           last_name="Perez", password="a long passphrase 42",
                                           language="en")
    portal.accept(w.portal_links[0][1], w.daughter)

    w.mandate = network.record_mandate(
        p, representative=w.member_daughter, scope="Health and money",
        signed_on=timezone.localdate(), signed_by_person=True, signed_by_representative=True,
        starts_on=timezone.localdate(), actor=w.coordinator,
        document=SimpleUploadedFile("mandate.pdf", PDF, "application/pdf"))
    network.record_protection_order(
        p, administrator=w.member_daughter, court="Justice of the peace, Zephyr canton",
        ordered_on=timezone.localdate(), covers_patient_rights=True,
        starts_on=timezone.localdate(), actor=w.coordinator)
    network.record_protection_order(
        p, administrator=w.member_nephew, court=NEPHEW_COURT, ordered_on=timezone.localdate(),
        covers_patient_rights=True, starts_on=timezone.localdate(), actor=w.coordinator)
    network.record_assessment(p, actor=w.coordinator, finding="unable", assessed_by="Dr Gaia",
                              assessed_on=timezone.localdate(),
                              review_by=timezone.localdate() + timedelta(days=60))

    # The directory, and a referral to O's service, sent before anyone was excluded.
    w.service_o = directory.create_service(w.excluded_org, {
        "category": Category.HOME_NURSING, "name_fr": "Soins Orion", "name_nl": "Zorg Orion",
        "languages": ["fr", "nl"], "serves_all_brussels": True, "urgent_start": "24h",
        "contact_phone": "+32 2 500 00 01"}, actor=w.admin)
    w.service_help = directory.create_service(w.home_help, {
        "category": Category.HOME_HELP, "name_fr": "Aide Kairos", "name_nl": "Hulp Kairos",
        "languages": ["fr", "nl"], "serves_all_brussels": True,
        "contact_phone": "+32 2 500 00 02"}, actor=w.admin)
    with on_commit():
        w.referral_to_o = referrals.send(
            person=p, service=w.service_o, needs=NEEDS, urgency="72h", actor=w.coordinator,
            sender_organisation=w.centre, person_agrees=True)

    # The booklet: every audience, an alert, and an attachment O's manager wrote.
    with on_commit():
        booklet.write(p, author=w.coordinator, body="Lives alone; stairs are hard.",
                      organisation=w.centre)
        booklet.write(p, author=w.gp, body="Heart failure: weigh every morning.",
                      kind=EntryKind.OBSERVATION, audience=Audience.HEALTH,
                      organisation=w.practice)
        booklet.write(p, author=w.coordinator, body="The key is with the neighbour.",
                      audience=Audience.NAMED, named_members=[w.member_gp, w.member_o],
                      organisation=w.centre)
        booklet.write(p, author=w.gp, body="Worried that money goes missing.",
                      audience=Audience.SAFEGUARDING, organisation=w.practice)
        w.entry_by_o = booklet.write(
            p, author=w.staff_o, body="Wound dressed; photo attached.",
            kind=EntryKind.OBSERVATION, organisation=w.excluded_org,
            attachment=SimpleUploadedFile("wound.pdf", PDF, "application/pdf"))
        booklet.write(p, author=w.coordinator, body="She fell last night.",
                      kind=EntryKind.ALERT, organisation=w.centre)

    # The emergency sheet (with a photo) and its print for the yellow box.
    emergency.save_sheet(p, {"conditions": "Heart failure", "allergies": "Penicillin",
                             "medication": "Furosemide 40 mg",
                             "photo": SimpleUploadedFile("face.png", PNG, "image/png")},
                         actor=w.coordinator)
    emergency.record_print(p, actor=w.coordinator)

    # A consultation: the GP, O (its staff answer after logging in) and the brother (by
    # email). Only the hash of each link's token is stored: the spy keeps the tokens.
    asked = [w.member_gp, w.member_o, w.member_brother]
    with on_commit(), mock.patch.object(consultations, "reply_path",
                                        wraps=consultations.reply_path) as links:
        w.consultation = consultations.ask(
            p, question="Can someone visit on Monday?", choices=["Yes", "No"],
            deadline=timezone.now() + timedelta(hours=48), members=asked,
            actor=w.coordinator, organisation=w.centre)
    tokens = [call.args[0] for call in links.call_args_list]
    assert len(tokens) == len(asked), "one link per member asked"
    w.consultation_links = [(member.pk, token) for member, token in zip(asked, tokens,
                                                                        strict=True)
                            if member != w.member_gp]
    return w


def _token_in(text: str, prefix: str) -> str:
    return re.search(rf"/{prefix}/([^/\s]+)/", text)[1]


def exclude_organisation(w) -> None:
    """Zephyrine says "never inform" about the home-nursing service O."""
    network.exclude_member(w.member_o, actor=w.coordinator)


def exclude_professional(w) -> None:
    """... and about X, in person (X works at the hospital and for the home-help service)."""
    network.exclude_member(w.member_x, actor=w.coordinator)


def exclude_brother(w) -> None:
    """... and about her brother, after he was invited to the portal and asked a question."""
    network.exclude_member(w.member_brother, actor=w.coordinator)


def exclude_nephew(w) -> None:
    """... and about her nephew, whom a court order in force names administrator of the
    person, after he went on her emergency sheet and its print."""
    network.exclude_member(w.member_nephew, actor=w.coordinator)


def followed_up_and_watched(w) -> None:
    """Before this admission: a stay at Hestia a month ago, discharged home, with its
    follow-up calls; and help she refused, with the watch her coordinator keeps."""
    with on_commit():
        earlier = stays.open_stay(w.person, hospital=w.hospital, ward=w.ward, actor=w.nurse,
                                  admitted_at=timezone.now() - timedelta(days=30))
        stays.discharge(earlier, actor=w.nurse, destination="home",
                        discharged_at=timezone.now() - timedelta(days=20), reason="Home")
    w.followup = model_named("FollowUp").objects.get(stay=earlier)
    with on_commit():
        followup_watch.record_refusal(w.person, offered="Meals on wheels", reasons=["cost"],
                                      capacity="yes", actor=w.coordinator,
                                      organisation=w.centre)
    w.watch = model_named("Watch").objects.get(person=w.person)


def admit_by_hand(w):
    with on_commit():
        w.stay = stays.open_stay(w.person, hospital=w.hospital, ward=w.ward, actor=w.nurse,
                                 admitted_at=timezone.now() - timedelta(days=2),
                                 expected_discharge_on=timezone.localdate() + timedelta(days=3))
    return w.stay


def admit_by_feed(w):
    """An A01 from Hospital Helios's HL7 feed, through the feed's own entry point."""
    admitted = timezone.localtime() - timedelta(hours=5)
    with on_commit():
        answer = adt.deliver(adt_message(
            "A01", control_id="HEL0001", facility=FEED_FACILITY, niss=NISS,
            patient_id="HEL-0001", visit="HV-0001", ward="GER", family=LAST_NAME,
            given=FIRST_NAME, admitted=f"{admitted:%Y%m%d%H%M%S}",
            event_time=f"{admitted:%Y%m%d%H%M%S}"))
    assert b"MSA|AA|HEL0001" in answer, answer
    stay_model = model_named("Stay")
    w.feed_stay = stay_model.objects.get(person=w.person, hospital=w.feed_hospital)
    return w.feed_stay


def merged_by_hestia(w) -> None:
    """Hospital Hestia merged her patient id HES-OLD into HES-NEW (an A40), as the feed
    applies it: the merge its staff may undo (X, a nurse there, must not see it)."""
    link = model_named("PatientLink").objects.create(hospital=w.hospital, patient_id="HES-OLD",
                                                     person=w.person)
    merge_links(w.hospital, link, "HES-NEW", w.person.pk, actor=None, how="feed")
    w.merged_link = link


def hospital_work(w) -> None:
    """What the hospital adds to the stay: a screening, a referral, the transfer note."""
    screening.record_screening(w.stay, "relais-social", CALM, actor=w.nurse,
                               organisation=w.hospital)
    with on_commit():
        w.referral_from_stay = referrals.send(
            person=w.person, service=w.service_help, stay=w.stay, needs=NEEDS,
            urgency="routine", actor=w.nurse, sender_organisation=w.hospital,
            person_agrees=True)
    transfer.save_version(w.stay, actor=w.nurse)
    transfer.save_brief(w.person, "Prefers French; hard of hearing.", actor=w.coordinator)


def withdraw_network_consent(w) -> None:
    consent = model_named("Consent").objects.get(person=w.person, scope="network",
                                                 revoked_at__isnull=True)
    network.revoke_consent(consent, actor=w.coordinator)


# --- the URL configuration, walked -------------------------------------------------------

PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern with its full route ("persons/<int:pk>/map/") and converters."""

    route: str
    converters: tuple = ()
    name: str = ""

    @property
    def params(self) -> list[tuple[str, str, str]]:
        """(name, converter, the literal path segment before it) for each parameter."""
        found = []
        for match in PARAM.finditer(self.route):
            before = [s for s in self.route[:match.start()].split("/") if s and "<" not in s]
            found.append((match["name"], match["converter"] or "str",
                          before[-1] if before else ""))
        return found

    def build(self, values: dict) -> str:
        converters = dict(self.converters)

        def fill(match):
            return converters[match["name"]].to_url(values[match["name"]])

        return "/" + PARAM.sub(fill, self.route)


def walk(resolver=None, prefix: str = "", converters: tuple = ()) -> list[Route]:
    """Every URL pattern of the configuration, includes followed (admin's regexes kept as
    they are: the admin is skipped, see ADMIN)."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            part, more = pattern._route, tuple(pattern.converters.items())
        elif isinstance(pattern, RegexPattern):
            part, more = pattern._regex.lstrip("^").rstrip("$").replace("\\/", "/"), ()
        else:  # pragma: no cover - a pattern type Django does not ship
            raise AssertionError(f"unknown pattern type {pattern!r}")
        if isinstance(entry, URLResolver):
            found += walk(entry, prefix + part, converters + more)
        elif isinstance(entry, URLPattern):
            found.append(Route(prefix + part, converters + more, entry.name or ""))
    return found


# Skipped: the Django admin. It is the platform administrators' tool (superusers signed
# in through Relais's login; anyone else gets 403 or the login), it registers no person,
# stay, booklet or notification model, and none of the users swept here may enter it.
ADMIN = "admin/"


# Monitoring answers 503 when what it watches is late (here: no worker seals the audit
# log during the sweep, no worker reports to /readyz); that answer is still read for her
# name like any page.
HEALTH_CHECKS = {"/healthz/audit", "/readyz"}


def probed_routes(resolver=None) -> list[Route]:
    return [r for r in walk(resolver) if not r.route.startswith(ADMIN)]


# --- the checker -------------------------------------------------------------------------


@dataclass(frozen=True)
class Leak:
    user: str
    url: str
    how: str
    status: int
    found: tuple

    def __str__(self) -> str:
        return f"{self.user:>18} {self.how:<5} {self.status} {self.url}  → {', '.join(self.found)}"


# What each path parameter stands for: by its name, else by the path segment before it
# (`persons/<int:pk>/` is a person, `referrals/<int:pk>/` a referral).
BY_NAME = {"person_pk": "persons", "stay_pk": "stays", "consent_pk": "consent",
           "mandate_pk": "mandates", "order_pk": "court-orders", "invitation_pk": "answer",
           "entry_pk": "entries", "number": "versions", "instrument": "instrument",
           "to": "referral_status", "uidb64": "_dummy",
           # The HSDS API's last address: any other path under /hsds/ is a JSON 404.
           "rest": "_dummy",
           # A consultation's finding or presentation holds no person (counts by sector,
           # texts): its session's id is tried with all of hers, the part's with one id —
           # every pair of her ids would be thousands of requests for nothing more.
           "finding_pk": "_one", "presentation_pk": "_one"}
# Keys whose values are hers: a URL made only of these is one of her objects' addresses.
PERSONAL_KEYS = {"persons", "members", "consent", "mandates", "court-orders", "stays",
                 "plan-items", "referrals", "entries", "consultations", "answer", "versions",
                 "join", "c", "referral_status", "instrument", "merges", "followups",
                 "followup-contacts", "watches"}
SEARCH_INPUT = re.compile(r'<input[^>]*name="(?:q|niss|search)"')
# Every URL is asked first with these: a search by name, and the print version of a page.
FIRST_QUERY = {"q": SEARCH_PREFIX, "search": SEARCH_PREFIX, "print": "1"}


def candidate_key(param) -> str:
    name, converter, before = param
    if name in BY_NAME:
        return BY_NAME[name]
    if converter == "str" and before not in ("join", "c"):
        return f"{before}:str"
    return before


def _ids(model, **lookup) -> list:
    return sorted(model_named(model).objects.filter(**lookup).values_list("pk", flat=True))


# Keys whose ids are the user's own (their organisations, memberships, emails, audit
# events): where a list of "our patients" or "what I did" would show her.
OWN_KEYS = {"organisations", "wards", "memberships", "audit", "emails"}


def own_candidates(w, user) -> dict:
    """For a user: the organisations they work for and the hospital where she stays (a
    page every signed-in user reads), their wards, memberships, emails and audit events
    about her. For an anonymous visitor: those of everyone swept."""
    users = [user] if user is not None else [w.staff_o, w.staff_o_and_centre,
                                               w.excluded_pro, w.no_consent]
    organisations = sorted({w.hospital.pk, *model_named("Membership").objects.filter(
        user__in=users).values_list("organisation_id", flat=True)})
    return {
        "organisations": organisations,
        "wards": _ids("Ward", organisation__in=organisations),
        "memberships": _ids("Membership", user__in=users),
        # Their own events about her, and a few of anyone's.
        "audit": sorted({*_ids("AuditEvent", person_id=w.person.pk, actor__in=users),
                         *_ids("AuditEvent", person_id=w.person.pk)[-3:]}),
        "emails": _ids("EmailDelivery", recipient__in=users),
    }


def candidates(w) -> dict:
    """The ids (and tokens) of everything that is hers, by the keys of candidate_key."""
    if "_candidates" in vars(w):
        return w._candidates
    p = w.person
    ids = _ids
    statuses = model_named("Referral")._meta.get_field("status").choices
    found = {
        "persons": [p.pk],
        "members": ids("NetworkMember", person=p),
        "consent": ids("Consent", person=p),
        "mandates": ids("Mandate", person=p),
        "court-orders": ids("ProtectionOrder", person=p),
        "stays": ids("Stay", person=p),
        "plan-items": ids("PlanItem", stay__person=p),
        "referrals": ids("Referral", person=p),
        "entries": ids("Entry", person=p),
        "consultations": ids("Consultation", person=p),
        "answer": ids("Invitation", consultation__person=p),
        "versions": sorted(model_named("EmergencySheet").objects.filter(person=p)
                           .values_list("number", flat=True)),
        "pending": ids("AdtMessage"),
        "merges": ids("PatientLink", person=p),
        "followups": ids("FollowUp", person=p),
        "followup-contacts": ids("Contact", followup__person=p),
        "watches": ids("Watch", person=p),
        # What holds no person (a thematic session and its actions, a team's anonymised
        # case review, a follow-up protocol): her person's id, which a view that took it
        # for a person's would show her by; every id she has would be hundreds of 404s.
        **dict.fromkeys(("thematic", "actions", "reviews", "followup-protocols"), [p.pk]),
        # The FHIR API's ids of her resources, of each type, and their versions.
        **fhir_ids(w),
        "services": [w.service_o.pk, w.service_help.pk],
        "join": [token for _, token in w.portal_links],
        "c": [token for _, token in w.consultation_links],
        "referral_status": [value for value, _ in statuses],
        "instrument": sorted(INSTRUMENTS),
        # Words a view checks before it reads anything (a token there is answered 404
        # before any of her ids is looked up): the words it takes.
        "work:str": sorted(work.REASSIGNABLE),  # work/<kind>/<pk>/reassign/
        # ... and the ids of the things it reassigns that are hers (calls, watches).
        "work": sorted({*ids("Contact", followup__person=p), *ids("Watch", person=p), p.pk}),
        # /fhir/<type>/<id>: a type the API does not serve answers an OperationOutcome.
        "fhir:str": ["Unknown"],
        "report:str": sorted(ReportLanguage.values),  # thematic/<pk>/report/<language>/
        "services:str": [str(w.service_o.hsds_id), str(w.service_help.hsds_id)],
        "organizations:str": [str(w.excluded_org.hsds_id or "x")],
        "reset:str": ["x"],
        # The observatory's zones (aggregate figures: her name is never in them).
        "observatory": ["south-east", "north", "brussels"],
        "_dummy": ["x"],
        "_one": [1],
    }
    tokens = {"join", "c", "referral_status", "instrument"}
    found["_all_ids"] = sorted(set(itertools.chain.from_iterable(
        values for key, values in found.items() if key in PERSONAL_KEYS - tokens)))
    found["_all_tokens"] = [*found["join"], *found["c"], "x"]
    w._candidates = found
    return found


def fhir_ids(w) -> dict:
    """For each FHIR type, the ids of her resources ("Encounter:str": [...]) as her
    coordinator's `Patient/<id>/$everything` lists them, with her person's id for the
    types it holds none of (a view that took it for a person's); and the versions they
    are at ("_history:str"), for vread."""
    p = w.person.pk
    answer = client_for(w.coordinator).get(f"/fhir/Patient/{p}/$everything",
                                           {"_count": 1000})
    assert answer.status_code == 200, answer.content[:300]
    found = {f"{name}:str": [] for name in fhir_registry.TYPES}
    patient_version = None
    for entry in answer.json().get("entry", []):
        resource = entry["resource"]
        found[f"{resource['resourceType']}:str"].append(resource["id"])
        if resource["resourceType"] == "Patient":
            patient_version = resource["meta"]["versionId"]
    assert found["Patient:str"] == [str(p)], "her Patient id is her person's id"
    for key, ids in found.items():
        found[key] = sorted(set(ids)) or [str(p)]
    # vread reads through the gate before it looks at the version (history.py): each id
    # is asked at version 1 and at her Patient's current version (the positive control
    # reads it there).
    return {**found, "_history:str": sorted({"1", patient_version})}


def candidates_for(w, param, own=None) -> list:
    key = candidate_key(param)
    values = (own or {}).get(key) if key in OWN_KEYS else candidates(w).get(key)
    if values:
        return values
    # An unknown parameter, or no object of that kind: try every id (or token) she has.
    return candidates(w)["_all_ids" if param[1] in ("int", "slug", "path") else "_all_tokens"]


def urls_of(w, route: Route, own=None) -> list[str]:
    """The route with every combination of candidate values (`own`: the user's own ids)."""
    names = [name for name, _, _ in route.params]
    lists = [candidates_for(w, param, own) for param in route.params]
    return [route.build(dict(zip(names, values, strict=True)))
            for values in itertools.product(*lists)]


def her_addresses(w, routes) -> set[str]:
    """The addresses of her objects. Break-the-glass is left out: it is the one place
    Relais admits that a hidden record exists (DESIGN.md rule 4), to professionals who may
    open it in an emergency and are not excluded."""
    found = set()
    for route in routes:
        if route.params and all(candidate_key(p) in PERSONAL_KEYS for p in route.params):
            found |= set(urls_of(w, route))
    return found - {f"/persons/{w.person.pk}/emergency-access/"}


def body_of(response) -> bytes:
    """Headers (a file name in Content-Disposition counts) and body, streamed or not."""
    if not hasattr(response, "_everywhere_body"):
        if getattr(response, "streaming", False):
            # Reading it to the end closes it inside the test client's wrapper; closing
            # it again would fire request_finished and close the database connection
            # (in the middle of the class's transaction, on PostgreSQL).
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        headers = "\n".join(f"{k}: {v}" for k, v in response.items()).encode()
        response._everywhere_body = headers + b"\n\n" + body
    return response._everywhere_body


def text_of(response) -> str:
    return body_of(response).decode("utf-8", "replace")


@dataclass
class Sweep:
    """GET every page of `routes` as each user, with every id (or token) of her objects in
    its parameters, and record every response that shows her markers (names, national
    number as typed and as shown) or links to her objects, in text or in bytes (JSON, CSV,
    PDF, SVG and file downloads alike).

    Each URL is asked with `?q=Quokk&search=Quokk&print=1` (search pages, print versions).
    A list, or a page with a search box, is also asked for her national number (then only
    the names and the formatted number count: the box may echo what was typed). Every page
    that answers 200 is asked again as an htmx partial (`HX-Request: true`), and the
    `hx-get` URLs it holds are followed as partials; a page that does not render (a
    redirect to the login, 404, 410) is not asked again. A 405 is a POST-only view:
    nothing to read."""

    w: SimpleNamespace
    users: dict  # label → user (None: anonymous)
    leaks: list = field(default_factory=list)
    unprobed: list = field(default_factory=list)
    requests: int = 0

    def run(self, routes) -> Sweep:
        signed_in = vars(self.w).get("clients", {})  # signed in once for a class of tests
        self.clients = {label: signed_in.get(label) or client_for(user)
                        for label, user in self.users.items()}
        self.hers = her_addresses(self.w, probed_routes())
        self.own = {label: own_candidates(self.w, user) for label, user in self.users.items()}
        for route in routes:
            for label in self.users:
                self.probe(route, label)
        return self

    def probe(self, route: Route, label: str) -> None:
        if "(?P<" in route.route:  # a regular expression with groups: cannot be filled in
            self.unprobed.append(f"{label}: /{route.route} is a regex this sweep cannot fill")
            return
        for url in urls_of(self.w, route, self.own[label]):
            page = self.get(label, url, FIRST_QUERY)
            if page.status_code == 405:
                return
            if self.users[label] is None and self.login_wall(route, page):
                return
            self.check(label, url, "GET", page, ALL_MARKERS)
            if page.status_code != 200:
                continue
            if not route.params or SEARCH_INPUT.search(text_of(page)):
                by_niss = self.get(label, url, {"q": NISS, "niss": NISS, "search": NISS})
                self.check(label, f"{url}?q={NISS}", "GET", by_niss,
                           (*NAME_MARKERS, NISS_SHOWN))
            partial = self.get(label, url, {"q": SEARCH_PREFIX}, htmx=True)
            self.check(label, url, "HTMX", partial, ALL_MARKERS)
            for hx_url in sorted(set(re.findall(r'hx-get="([^"?#]+)', text_of(page))) - {url}):
                followed = self.get(label, hx_url, {"q": SEARCH_PREFIX}, htmx=True)
                self.check(label, hx_url, "HTMX", followed, ALL_MARKERS)

    @staticmethod
    def login_wall(route: Route, page) -> bool:
        """An anonymous visitor sent to the login by a view of numeric ids: the view is
        behind the login as a whole, its other ids would be too. (Tokens are all tried:
        a link may open without an account.)"""
        return (page.status_code == 302 and page.url.startswith("/accounts/login/")
                and all(converter == "int" for _, converter, _ in route.params))

    def get(self, label, url, query, *, htmx=False):
        client, user = self.clients[label], self.users[label]
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        self.requests += 1
        response = client.get(url, query, **headers)
        if user is not None and response.status_code == 302 and response.url.startswith(
                "/accounts/login/"):
            client.force_login(user)  # a page signed the user out: sign in, ask again
            response = client.get(url, query, **headers)
            if response.status_code == 302 and response.url.startswith("/accounts/login/"):
                self.unprobed.append(f"{label}: {url} signs the user out")
        if response.status_code >= 500 and not (
                response.status_code == 503 and url in HEALTH_CHECKS):
            self.unprobed.append(f"{label}: {url} fails ({response.status_code})")
        return response

    def check(self, label, url, how, response, markers) -> None:
        raw, text = body_of(response), text_of(response)
        found = [m for m in markers if m.casefold() in text.casefold() or m.encode() in raw]
        links = set(re.findall(r'(?:href|hx-get|src|action)="([^"?#]+)', text))
        found += [f"link to {link}" for link in sorted(links & self.hers)]
        if found:
            self.leaks.append(Leak(label, url, how, response.status_code, tuple(found)))


def sweep(w, users: dict, routes=None) -> Sweep:
    return Sweep(w, users).run(probed_routes() if routes is None else routes)


def report(leaks) -> str:
    return "\n".join(str(leak) for leak in leaks)


# --- worlds shared by a class of tests ---------------------------------------------------


# Emails are queued for the worker (the project's database queue), not sent, while a
# shared world is built; the scenarios send them at once (IMMEDIATE_TASKS) to read them.
SHARED_SETTINGS = {"PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"]}


def shared_world(django_db_blocker, media, *steps):
    """Build a world once for a class of tests, inside a transaction rolled back when the
    class is done; each test runs in a savepoint of it (pytest-django's `db`)."""
    changed = override_settings(MEDIA_ROOT=str(media), **SHARED_SETTINGS)
    with django_db_blocker.unblock():
        changed.enable()
        try:
            with transaction.atomic():
                w = build_world()
                for step in steps:
                    step(w)
                yield w
                transaction.set_rollback(True)
        finally:
            changed.disable()


@pytest.fixture(scope="class")
def everywhere(django_db_setup, django_db_blocker, tmp_path_factory):
    """The sweep's world: O, X and the brother excluded, then an earlier stay followed up
    and a watch, the admissions by hand and by the feed, the hospital's work, and a
    merge of her patient ids at Hestia."""
    yield from shared_world(django_db_blocker, tmp_path_factory.mktemp("media"),
                            exclude_organisation, exclude_professional, exclude_brother,
                            exclude_nephew, followed_up_and_watched, admit_by_hand, hospital_work,
                            admit_by_feed, merged_by_hestia, sign_in)


def sign_in(w) -> None:
    """Sign the swept users in once, for all the tests of the class."""
    users = {**excluded_users(w), "no_consent": w.no_consent}
    w.clients = {label: client_for(user) for label, user in users.items()}


def excluded_users(w) -> dict:
    return {"staff_o": w.staff_o, "staff_o_and_centre": w.staff_o_and_centre,
            "X (never inform)": w.excluded_pro, "anonymous": None}


ROUTES = probed_routes()


def forgot_the_gate(request):
    """What a hurried developer might add: every person's name, no gate."""
    names = model_named("Person").objects.values_list("first_name", "last_name")
    return HttpResponse(", ".join(f"{first} {last}" for first, last in names))


# This module is also the URL configuration of the last test of TestEveryPage: the
# project's URLs plus one view that forgets the gate.
urlpatterns = [
    path("reports/persons-by-name/", forgot_the_gate, name="forgot_the_gate"),
    path("", include("relais.config.urls")),
]


class TestEveryPage:
    """Issue 11 point 1 and "What it must show", first bullet: every URL pattern."""

    @pytest.fixture
    def w(self, everywhere, db):
        return everywhere

    @pytest.mark.parametrize("route", ROUTES, ids=[r.route or "/" for r in ROUTES])
    def test_no_page_shows_the_person_to_whom_must_not_see_her(self, w, route):
        """For every URL pattern, with every id of her objects, as a page, a search by name
        and by national number, and an htmx partial: O's staff, X (never inform, in
        person) and anonymous visitors get none of her rows; nor does a member of her
        network once her consent to share with the network is withdrawn."""
        excluded = sweep(w, excluded_users(w), [route])
        withdraw_network_consent(w)
        no_consent = sweep(w, {"no_consent": w.no_consent}, [route])
        leaks = excluded.leaks + no_consent.leaks
        unchecked = excluded.unprobed + no_consent.unprobed
        assert not leaks + unchecked, (
            f"/{route.route} shows her to whom must not see her:\n{report(leaks)}"
            + "".join(f"\nnot checked: {line}" for line in unchecked))

    def test_the_sweep_sees_her_where_she_may_be_seen(self, w):
        """The sweep's positive control: the same ids, pages and checker show her to her
        coordinator, her GP, the hospital's nurse and X's colleague at the home-help
        service, so that a pass above is not an accident of ids or rendering."""
        p = w.person.pk
        allowed = {"coordinator": w.coordinator, "gp": w.gp, "hestia nurse": w.nurse,
                   "X's colleague": w.helper}
        expected = {(label, url) for label in allowed
                    for url in (f"/persons/{p}/", f"/persons/?q={SEARCH_PREFIX}",
                                f"/persons/?q={NISS}")}
        expected |= {("hestia nurse", "/hospital/worklist/"), ("hestia nurse", "/referrals/"),
                     ("coordinator", "/inbox/"), ("hestia nurse", "/adt/merges/"),
                     ("hestia nurse", f"/adt/merges/{w.merged_link.pk}/undo/")}
        # Her coordinator, on an address of each kind the sweep builds from her ids: pages,
        # an SVG map, file downloads (PDF, PNG) whose bytes carry her name.
        her_pages = {
            "persons/<int:pk>/map/": f"/persons/{p}/map/",
            "persons/<int:pk>/timeline/": f"/persons/{p}/timeline/",
            "persons/<int:pk>/booklet/": f"/persons/{p}/booklet/",
            "persons/<int:pk>/emergency-sheet/": f"/persons/{p}/emergency-sheet/",
            "booklet/entries/<int:pk>/attachment/":
                f"/booklet/entries/{w.entry_by_o.pk}/attachment/",
            "persons/<int:pk>/mandates/<int:mandate_pk>/document/":
                f"/persons/{p}/mandates/{w.mandate.pk}/document/",
            "persons/<int:pk>/emergency-sheet/versions/<int:number>/photo/":
                f"/persons/{p}/emergency-sheet/versions/1/photo/",
            "stays/<int:pk>/": f"/stays/{w.stay.pk}/",
            "stays/<int:pk>/transfer-note/": f"/stays/{w.stay.pk}/transfer-note/",
            "referrals/<int:pk>/": f"/referrals/{w.referral_to_o.pk}/",
            "consultations/<int:pk>/": f"/consultations/{w.consultation.pk}/",
            "followups/<int:pk>/": f"/followups/{w.followup.pk}/",
            "watches/<int:pk>/": f"/watches/{w.watch.pk}/",
            "fhir/Patient/<str:id>": f"/fhir/Patient/{p}",
            "fhir/Patient/<str:id>/_history/<str:vid>":
                f"/fhir/Patient/{p}/_history/{candidates(w)['_history:str'][-1]}",
        }
        routes = {r.route: r for r in ROUTES}
        for route, url in her_pages.items():
            assert route in routes, f"{route} was renamed: update this test"
            assert url in urls_of(w, routes[route]), f"the sweep does not try {url}"
        expected |= {("coordinator", url) for url in her_pages.values()}

        seen = Sweep(w, allowed)
        seen.clients, seen.hers = {label: client_for(u) for label, u in allowed.items()}, set()
        for label, url in sorted(expected):
            seen.check(label, url, "GET", seen.get(label, url, {}),
                       NAME_MARKERS if NISS in url else ALL_MARKERS)
        missing = expected - {(leak.user, leak.url) for leak in seen.leaks}
        assert not missing, f"the checker does not find her where she is: {sorted(missing)}"

    def test_a_new_view_that_forgets_the_gate_is_caught(self, w):
        """Issue 11 "What it must show": "a new view that forgets the gate makes it fail".
        The walk finds the new URL by itself, and the checker reports what it shows."""
        known = {r.route for r in probed_routes()}
        with override_settings(ROOT_URLCONF=__name__):
            new = [r for r in probed_routes(get_resolver(__name__)) if r.route not in known]
            assert [r.route for r in new] == ["reports/persons-by-name/"]
            found = sweep(w, excluded_users(w), new)
        assert {leak.user for leak in found.leaks} == set(excluded_users(w))
        assert {leak.url.split("?")[0] for leak in found.leaks} == {"/reports/persons-by-name/"}
        assert {FIRST_NAME, LAST_NAME} <= set(found.leaks[0].found)


# --- helpers of the scenarios --------------------------------------------------------------


def client_for(user) -> Client:
    """A browser signed in as `user` (None: an anonymous visitor), reading English. A page
    that fails answers 500 (reported as not checked) instead of stopping the test."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def inbox(user):
    return client_for(user).get("/inbox/")


def unread_shown(response) -> int:
    """The unread count the page shows (the count in its context, else the header badge)."""
    count = response.context.get("unread_notifications") if response.context else None
    if count is not None:
        return int(str(count))  # a lazy object: asked only when shown
    badge = re.search(r'href="/inbox/"[^>]*>[^<]*<span class="badge[^"]*">(\d+)<',
                      response.content.decode())
    return int(badge[1]) if badge else 0


def traces_in(w, response, markers=ALL_MARKERS) -> list[str]:
    """Her markers, and links to her objects, in a response."""
    text = text_of(response)
    found = [m for m in markers if m.casefold() in text.casefold()]
    links = set(re.findall(r'(?:href|hx-get|src|action)="([^"?#]+)', text))
    return found + [f"link to {link}" for link in sorted(links & her_addresses(w, ROUTES))]


def places_for(w) -> list[str]:
    """Where a trace of her could show to an organisation's staff: the lists (home, inbox,
    work list, referral inbox, person search, audit log), her pages (the map, the prints,
    the booklet, the timeline, the consultations) and the links sent before (portal and
    consultation tokens)."""
    p = w.person.pk
    stay_ids = model_named("Stay").objects.filter(person=w.person).values_list("pk", flat=True)
    return ["/", "/inbox/", "/hospital/worklist/", "/referrals/", f"/persons/?q={SEARCH_PREFIX}",
            f"/persons/?q={NISS}", "/audit/", f"/persons/{p}/", f"/persons/{p}/map/",
            f"/persons/{p}/emergency-sheet/", f"/persons/{p}/emergency-sheet/?print=1",
            f"/persons/{p}/emergency-sheet/versions/", f"/persons/{p}/booklet/",
            f"/persons/{p}/timeline/", f"/persons/{p}/consultations/",
            f"/consultations/{w.consultation.pk}/", *(f"/stays/{pk}/" for pk in stay_ids),
            *(f"/stays/{pk}/going-home/" for pk in stay_ids),
            *dead_links(w)]


def dead_links(w) -> list[str]:
    """The portal and consultation links sent to members who are now excluded: a link is
    a key that opens without the gate, so an exclusion must revoke it. (Links of members
    still in her network are theirs to use, whoever holds them.)"""
    excluded = set(model_named("NetworkMember").objects.filter(
        person=w.person, never_inform=True).values_list("pk", flat=True))
    return [*(f"/portal/join/{token}/" for member, token in w.portal_links if member in excluded),
            *(f"/c/{token}/" for member, token in w.consultation_links if member in excluded)]


def traces_for(w, label, user) -> list[str]:
    """What `user` can find of her: in-app (every place of places_for, the unread count)
    and by email (what mail.outbox holds for them)."""
    client, problems = client_for(user), []
    for url in places_for(w):
        response = client.get(url)
        # The search box echoes the number typed: there only the names and the formatted
        # number count.
        markers = ALL_MARKERS if NISS not in url else (*NAME_MARKERS, NISS_SHOWN)
        if found := traces_in(w, response, markers):
            problems.append(f"{label}: {response.status_code} {url} shows {found}")
        elif response.status_code >= 500:
            problems.append(f"{label}: {url} fails ({response.status_code}): not checked")
    if count := unread_shown(client.get("/inbox/")):
        problems.append(f"{label}: /inbox/ shows {count} unread")
    if user.email in emailed():
        problems.append(f"{label}: emailed ({user.email})")
    return problems


def assert_no_trace(w, users: dict) -> None:
    problems = [p for label, user in users.items() for p in traces_for(w, label, user)]
    assert not problems, f"traces of {FIRST_NAME} {LAST_NAME}:\n" + "\n".join(problems)


def sees_her(w, user) -> bool:
    """What the gate answers (the queryset every list should start from)."""
    return model_named("Person").objects.visible_to(user).filter(pk=w.person.pk).exists()


def o_staff(w) -> dict:
    return {"staff_o": w.staff_o, "staff_o_and_centre": w.staff_o_and_centre}


def emailed() -> set[str]:
    return {address for message in mail.outbox for address in message.to}


@pytest.fixture(scope="class")
def before_anything(django_db_setup, django_db_blocker, tmp_path_factory):
    """The scenarios' world: nobody excluded yet, no admission yet."""
    yield from shared_world(django_db_blocker, tmp_path_factory.mktemp("media"))


class TestScenarios:
    """Issue 11 point 1 as scenarios ("What it must show", second bullet) and the two
    kinds of "never inform" ("What to build", first bullet). Each test starts from the
    same world (nobody excluded, no admission) and its changes are rolled back."""

    @pytest.fixture
    def w(self, before_anything, db, settings):
        """A copy of the world with its rows read again (a test's changes are undone);
        the emails of what the test does are sent at once, to django.core.mail.outbox."""
        settings.TASKS = IMMEDIATE_TASKS
        mail.outbox = []
        fresh = SimpleNamespace()
        for name, value in vars(before_anything).items():
            if isinstance(value, Model) and value.pk is not None:
                value = type(value).objects.get(pk=value.pk)
            setattr(fresh, name, value)
        return fresh

    def test_an_excluded_organisation_gets_no_trace_of_an_admission(self, w):
        """Exclude O; admit her by hand (Hestia) and through the ADT feed (Helios). O's
        staff get no notification, no unread count, no email, and no trace in the work
        list, the referral inbox, the person search, the map, the prints, the portal and
        the consultations. (Before the exclusion O's staff were told about her booklet,
        the referral and the consultation: that too must no longer show.)"""
        exclude_organisation(w)
        mail.outbox = []
        admit_by_hand(w)
        admit_by_feed(w)
        hospital_work(w)

        # The admissions did alert her network: the positive control of this scenario.
        assert {w.gp.email, w.coordinator.email} <= emailed()
        alerts = inbox(w.coordinator).content.decode()
        assert "Hospital Hestia" in alerts and "Hospital Helios" in alerts
        assert_no_trace(w, o_staff(w))

    def test_an_excluded_organisation_gets_no_digest_about_her(self, w):
        """Emails and digests: O's staff who chose the daily digest get none for what
        happened to her (nor for what they had not read about her before)."""
        preference = model_named("NotificationPreference")
        for user in o_staff(w).values():
            for group in ("stays", "booklet", "referrals", "consultations", "network"):
                preference.objects.update_or_create(user=user, group=group,
                                                    defaults={"mode": "digest"})
        exclude_organisation(w)
        admit_by_hand(w)
        mail.outbox = []
        with on_commit():
            call_command("send_digests", stdout=StringIO())
        for label, user in o_staff(w).items():
            assert user.email not in emailed(), f"{label} got a digest counting news of her"

    def test_an_exclusion_after_the_fact_hides_the_earlier_alert(self, w):
        """O's staff were told while O was in her network (they see the alerts: the
        booklet, the referral, the consultation, and for the one who also works for the
        centre, the admission); once she excludes O, the earlier notifications leave
        their inbox and unread count. The rows stay in the database for the audit."""
        admit_by_hand(w)
        notification = model_named("Notification")
        rows = {}
        for label, user in o_staff(w).items():
            response = inbox(user)
            assert LAST_NAME in text_of(response), f"{label} was told while O was in"
            assert unread_shown(response) > 0
            rows[label] = notification.objects.filter(recipient=user).count()
        assert "Hospital Hestia" in text_of(inbox(w.staff_o_and_centre)), "the admission"

        exclude_organisation(w)

        for label, user in o_staff(w).items():
            response = inbox(user)
            assert not traces_in(w, response), (
                f"{label} still reads what was said about her: {traces_in(w, response)}")
            assert unread_shown(response) == 0, f"{label}'s unread count still counts them"
            assert notification.objects.filter(recipient=user).count() == rows[label], (
                "the rows are kept for the audit, only hidden")

    def test_a_withdrawn_consent_hides_an_earlier_notification(self, w):
        """"An exclusion or a withdrawn consent hides what was already delivered": the
        physiotherapist of her network was told (added to her network, her booklet); once
        she withdraws her consent to share with the network, none of it shows."""
        response = inbox(w.no_consent)
        assert LAST_NAME in text_of(response) and unread_shown(response) > 0
        rows = model_named("Notification").objects.filter(recipient=w.no_consent).count()

        withdraw_network_consent(w)

        response = inbox(w.no_consent)
        assert not traces_in(w, response), (
            f"the physiotherapist still reads what was said about her: "
            f"{traces_in(w, response)}")
        assert unread_shown(response) == 0
        assert model_named("Notification").objects.filter(
            recipient=w.no_consent).count() == rows

    def test_an_excluded_administrator_is_on_nothing_printed_for_her_side(self, w):
        """R14, for her nephew, whom a court order in force names administrator of the
        person: on her emergency sheet and its print, and in her network, until she
        excludes him. Then nothing her daughter (who exercises her rights: mandate, order,
        judged unable) reads or prints for her names him: her copy of her data (its court
        orders, the sheet's versions, its print), the sheet, its versions, the network."""
        daughter, p = client_for(w.daughter), w.person.pk
        copy = f"/persons/{p}/everything/"
        assert NEPHEW in text_of(daughter.get(copy)), "the control: before, he is named"
        exclude_nephew(w)
        emergency.save_sheet(w.person, {"allergies": "Penicillin, latex"}, actor=w.coordinator)
        pages = [copy, f"/persons/{p}/", f"/persons/{p}/map/", f"/persons/{p}/emergency-sheet/",
                 f"/persons/{p}/emergency-sheet/?print=1",
                 f"/persons/{p}/emergency-sheet/versions/",
                 *(f"/persons/{p}/emergency-sheet/versions/{n}/" for n in (1, 2))]
        problems = []
        for page in pages:
            response = daughter.get(page)
            found = [m for m in (NEPHEW, NEPHEW_PHONE, NEPHEW_COURT)
                     if m in text_of(response)]
            if response.status_code != 200 or found:
                problems.append(f"{response.status_code} {page} shows {found}")
        assert not problems, "\n".join(problems)

    def test_never_inform_on_a_professional_excludes_them_in_every_organisation(self, w):
        """A "never inform" on a professional excludes that professional in every
        organisation they work for (X: the hospital where she is admitted, and the
        home-help service that is in her network), but not their colleagues there."""
        exclude_professional(w)
        mail.outbox = []
        admit_by_hand(w)
        with on_commit():
            booklet.write(w.person, author=w.coordinator, body="New walking frame at home.",
                          kind=EntryKind.ALERT, organisation=w.centre)

        # X's colleagues, at the hospital and at the home-help service, see and are told.
        assert sees_her(w, w.nurse) and sees_her(w, w.helper), "X's colleagues see her"
        assert LAST_NAME in text_of(client_for(w.nurse).get("/hospital/worklist/"))
        assert LAST_NAME in text_of(inbox(w.helper)), "the helper was told of the alert"
        assert w.helper.email in emailed()
        # X, in neither organisation, sees or is told anything.
        assert not sees_her(w, w.excluded_pro)
        assert_no_trace(w, {"X": w.excluded_pro})

    def test_never_inform_on_an_organisation_excludes_every_active_member_of_it(self, w):
        """A "never inform" on an organisation excludes every account acting for it: its
        staff, also those who work for another member of her network or at the hospital
        where she stays, and staff who join after the exclusion. Other organisations'
        staff keep seeing her."""
        also_at_hospital = _staff(w.excluded_org, Function.HOME_NURSE, "orion-and-hestia",
                                  profession=Profession.NURSE)
        MembershipFactory(user=also_at_hospital, organisation=w.hospital,
                          function=Function.WARD_NURSE)
        exclude_organisation(w)
        joined_later = _staff(w.excluded_org, Function.HOME_NURSE, "orion-newcomer",
                              profession=Profession.NURSE)
        mail.outbox = []
        admit_by_hand(w)
        with on_commit():
            booklet.write(w.person, author=w.coordinator, body="Please call before a visit.",
                          kind=EntryKind.ALERT, organisation=w.centre)

        for label, user in {"gp": w.gp, "coordinator": w.coordinator, "helper": w.helper,
                            "hestia nurse": w.nurse}.items():
            assert sees_her(w, user), f"{label} does not act for O and still sees her"
        staff = {**o_staff(w), "orion-and-hestia": also_at_hospital, "newcomer": joined_later}
        assert [label for label, user in staff.items() if sees_her(w, user)] == [], (
            "they act for O: the gate must not show her to them")
        assert_no_trace(w, staff)
