"""Editing and adapting follow-up protocols (R18): who may (an organisation's coordinators
its own, the care-zone team its zone's, platform administrators the default), a new
version that running follow-ups ignore, copies of the default, the checks on the steps in
the reader's language, and the default's texts in NL/FR/EN."""

import html

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from relais.audit.models import AuditEvent, Outcome
from relais.followup import protocols
from relais.followup.models import (
    Channel,
    Escalation,
    EscalationLevel,
    FollowUp,
    OwnerRole,
    Protocol,
)
from relais.followup.templatetags.followup_protocols import protocol_text
from tests.factories import HospitalFactory
from tests.relais.followup import test_contacts as base
from tests.relais.followup.test_contacts import at, go_home

# The world of the contacts' tests: Madeleine goes home from the test hospital.
clock, stay = base.clock, base.stay
madeleine, former_member, excluded_pro = base.madeleine, base.former_member, base.excluded_pro

STEP = {"day": 2, "business_days": False, "owner_role": OwnerRole.GP, "channel": Channel.PHONE,
        "what_to_check": "", "max_attempts": 3, "retry_after_days": 1,
        "escalate_to_coordinators_after_days": 1, "escalate_to_care_zone_after_days": 3}


def client_in(language: str, user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:  # a signed-in user reads in the language of their profile
        user.language = language
        user.save(update_fields=["language"])
        client.force_login(user)
    return client


def form_data(steps, *, initial: int = 0, name: str = "Ours", **protocol) -> dict:
    data = {"name": name, "destination": "", "priority_group": "", "screening_result": "",
            "steps-TOTAL_FORMS": len(steps), "steps-INITIAL_FORMS": initial,
            "steps-MIN_NUM_FORMS": 0, "steps-MAX_NUM_FORMS": 20, **protocol}
    for index, step in enumerate(steps):
        for field, value in {**STEP, **step}.items():
            if value is True:
                data[f"steps-{index}-{field}"] = "on"
            elif value is not False:
                data[f"steps-{index}-{field}"] = value
    return data


@pytest.fixture
def hospitals(world):
    protocol = Protocol.objects.create(family="hospital-test", name="Ours",
                                       organisation=world.hospital)
    protocol.steps.create(day=1, business_days=True, channel=Channel.PHONE)
    return protocol


@pytest.fixture
def zones(world):
    zone = world.care_zone_team.municipality.care_zone
    protocol = Protocol.objects.create(family="zone-test", name="The zone's", care_zone=zone)
    protocol.steps.create(day=3, channel=Channel.VISIT)
    return protocol


@pytest.fixture
def default(db):
    return protocols.ensure_default_protocol()


def edit_url(protocol) -> str:
    return reverse("followup:protocol_edit", args=[protocol.pk])


def adapt_url(protocol) -> str:
    return reverse("followup:protocol_adapt", args=[protocol.pk])


# --- who may edit -------------------------------------------------------------------------

EDIT_STATUS = {  # persona: (the hospital's, the care zone's, the default)
    "hospital_manager": (200, 403, 403),
    "liaison_nurse": (403, 403, 403),  # neither coordinator nor manager
    "coordinator": (403, 403, 403),  # another organisation's
    "gp": (403, 403, 403),
    "analyst": (403, 200, 403),  # the care-zone team
    "platform_admin": (200, 200, 200),
    "outsider": (403, 403, 403),
    "caregiver": (404, 404, 404),  # protocols are for professionals
    "anonymous": (302, 302, 302),
}


@pytest.mark.parametrize("persona", [*EDIT_STATUS])
def test_who_may_open_the_edit_page(persona, request, hospitals, zones, default):
    client = client_in("en", None if persona == "anonymous" else request.getfixturevalue(persona))
    statuses = tuple(client.get(edit_url(p)).status_code for p in (hospitals, zones, default))
    assert statuses == EDIT_STATUS[persona]


@pytest.mark.parametrize("persona", ["coordinator", "liaison_nurse", "outsider", "caregiver"])
def test_a_refused_edit_changes_nothing_and_is_audited(persona, request, hospitals):
    user = request.getfixturevalue(persona)
    response = client_in("en", user).post(edit_url(hospitals), form_data([{"day": 5}]))
    assert response.status_code in (403, 404)
    assert list(Protocol.objects.filter(family="hospital-test").values_list(
        "version", "retired_at")) == [(1, None)]
    assert list(hospitals.steps.values_list("day", flat=True)) == [1]
    denial = AuditEvent.objects.filter(action="access.denied", actor=user).get()
    assert (denial.outcome, denial.target_id) == (Outcome.DENIED, str(hospitals.pk))


def test_only_a_professional_sees_the_protocols(caregiver, hospitals, home_nurse):
    assert client_in("en", caregiver).get(reverse("followup:protocol_list")).status_code == 404
    page = client_in("en", home_nurse).get(reverse("followup:protocol_list"))
    assert page.status_code == 200
    assert edit_url(hospitals) not in page.content.decode()


# --- editing: a new version, running follow-ups keep theirs ----------------------------


def test_saving_makes_a_new_version_and_a_running_follow_up_keeps_its_own(
        stay, clock, world, hospitals, hospital_manager):
    running = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    assert running.protocol == hospitals
    planned = list(running.contacts.values_list("due_on", "channel"))
    data = form_data([{"day": 3, "channel": Channel.VISIT, "owner_role": OwnerRole.HOME_NURSE,
                       "what_to_check": "Stairs at home", "max_attempts": 2},
                      {"day": 10, "business_days": True}],
                     initial=1, name="Ours, shorter", destination="home",
                     screening_result="at_risk")

    response = client_in("en", hospital_manager).post(edit_url(hospitals), data)

    successor = Protocol.objects.get(family="hospital-test", retired_at__isnull=True)
    assert response.status_code == 302
    assert response["Location"] == reverse("followup:protocol_detail", args=[successor.pk])
    assert (successor.version, successor.name, successor.organisation, successor.destination,
            successor.screening_result, successor.created_by) == (
        2, "Ours, shorter", world.hospital, "home", "at_risk", hospital_manager)
    assert list(successor.steps.values_list("position", "day", "business_days", "channel",
                                            "owner_role", "what_to_check", "max_attempts")) == [
        (0, 3, False, "visit", "home_nurse", "Stairs at home", 2),
        (1, 10, True, "phone", "gp", "", 3)]
    hospitals.refresh_from_db()
    running.refresh_from_db()
    assert hospitals.retired_at is not None
    assert running.protocol == hospitals  # the version it started with
    assert list(running.contacts.values_list("due_on", "channel")) == planned
    assert list(hospitals.steps.values_list("day", flat=True)) == [1]
    event = AuditEvent.objects.get(action="followup.protocol_version")
    assert (event.actor, event.target_id, event.organisation) == (
        hospital_manager, str(successor.pk), world.hospital)
    assert event.detail["before"]["steps"] == [[1, "phone", "relay"]]


def test_a_later_discharge_follows_the_new_version(stay, clock, hospitals, hospital_manager):
    client_in("en", hospital_manager).post(edit_url(hospitals),
                                           form_data([{"day": 4}], initial=1))
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    assert (followup.protocol.version, followup.protocol.family) == (2, "hospital-test")
    assert [c.due_on.day for c in followup.contacts.all()] == [22]


def test_the_edit_page_shows_the_current_steps_and_an_empty_one(hospitals, hospital_manager):
    page = client_in("en", hospital_manager).get(edit_url(hospitals))
    steps = page.context["steps"]
    assert [form.initial.get("day") for form in steps] == [1, None]
    assert page.context["form"].initial["name"] == "Ours"
    assert "Add a step" in page.content.decode()


def test_removing_a_step(hospitals, hospital_manager):
    data = form_data([{"day": 1, "DELETE": True}, {"day": 6}], initial=1)
    client_in("en", hospital_manager).post(edit_url(hospitals), data)
    current = Protocol.objects.get(family="hospital-test", retired_at__isnull=True)
    assert list(current.steps.values_list("day", flat=True)) == [6]


def test_a_replaced_version_is_not_edited_again(hospitals, hospital_manager):
    client = client_in("en", hospital_manager)
    client.post(edit_url(hospitals), form_data([{"day": 4}], initial=1))
    newest = Protocol.objects.get(family="hospital-test", retired_at__isnull=True)

    stale = client.post(edit_url(hospitals), form_data([{"day": 9}], initial=1))
    redirected = client.get(edit_url(hospitals))

    assert stale.status_code == 409
    assert "This version was already replaced" in stale.content.decode()
    assert Protocol.objects.filter(family="hospital-test").count() == 2
    assert list(newest.steps.values_list("day", flat=True)) == [4]
    assert redirected["Location"] == edit_url(newest)


# --- bad input: translated, nothing saved -------------------------------------------------

BAD = [
    ("a day twice", [{"day": 2}, {"day": 2, "channel": Channel.VISIT}],
     "Step 2: another step is already on day 2.",
     "Étape 2 : une autre étape est déjà prévue au jour 2."),
    ("no step", [{"day": 1, "DELETE": True}], "A protocol needs at least one step.",
     "Un protocole doit comporter au moins une étape."),
    ("the zone before the coordinators",
     [{"day": 2, "escalate_to_coordinators_after_days": 5,
       "escalate_to_care_zone_after_days": 5}],
     "Step 1: tell the care-zone team later than the coordinators.",
     "Étape 1 : prévenez l'équipe de la zone de soins après les coordinateurs."),
]


@pytest.mark.parametrize(("case", "steps", "english", "french"), BAD, ids=[b[0] for b in BAD])
def test_bad_steps_are_refused_in_the_readers_language(case, steps, english, french,
                                                       hospitals, hospital_manager):
    for language, message in (("en", english), ("fr", french)):
        response = client_in(language, hospital_manager).post(
            edit_url(hospitals), form_data(steps, initial=1))
        assert response.status_code == 200
        assert message in html.unescape(response.content.decode())
    assert Protocol.objects.filter(family="hospital-test").count() == 1
    assert not AuditEvent.objects.filter(action="followup.protocol_version").exists()


def test_a_day_out_of_range_is_refused_by_the_form_and_the_service(hospitals,
                                                                   hospital_manager):
    response = client_in("nl", hospital_manager).post(
        edit_url(hospitals), form_data([{"day": 400}], initial=1))
    assert response.status_code == 200
    assert response.context["steps"].errors[0]["day"]
    assert Protocol.objects.filter(family="hospital-test").count() == 1
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        protocols.new_version(hospitals, steps=[{**STEP, "day": 0}], actor=hospital_manager)
    assert refused.value.messages == [
        "Stap 1: de dag moet tussen 1 en 365 dagen na het ontslag liggen."]


def test_the_service_names_each_wrong_number(hospitals, hospital_manager):
    wrong = {**STEP, "max_attempts": 0, "retry_after_days": 31,
             "escalate_to_coordinators_after_days": 91, "escalate_to_care_zone_after_days": 92}
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        protocols.new_version(hospitals, steps=[wrong], actor=hospital_manager)
    assert refused.value.messages == [
        "Step 1: between 1 and 10 attempts.", "Step 1: try again after 1 to 30 days.",
        "Step 1: tell the coordinators after 0 to 90 days.",
        "Step 1: tell the care-zone team after 1 to 90 days."]
    with pytest.raises(ValidationError):
        protocols.new_version(hospitals, steps=[STEP], actor=hospital_manager,
                              applies_to={"destination": "moon"})
    assert Protocol.objects.filter(family="hospital-test").count() == 1


# --- adapting the default -----------------------------------------------------------------


def test_copy_the_default_to_adapt_it(stay, clock, world, default, hospital_manager):
    client = client_in("fr", hospital_manager)
    listing = client.get(reverse("followup:protocol_list"))
    assert adapt_url(default) in listing.content.decode()
    page = client.get(adapt_url(default))
    initial = [form.initial for form in page.context["steps"]][:3]
    assert [step["what_to_check"] for step in initial] == [
        "Médication comprise et prise ; douleur ; alimentation et hydratation ; aide à "
        "domicile en place ; rendez-vous connus.",
        "Plaies et soins ; chutes ; comment la personne et ses aidants font face.",
        "L'aide suffit-elle ? De nouveaux besoins ? Une réhospitalisation évitée ?"]
    steps = [{**{k: v for k, v in step.items() if k in STEP}} for step in initial]
    steps[2] = {**steps[2], "what_to_check": "Appeler la fille aussi"}

    response = client.post(adapt_url(default), form_data(
        steps, initial=3, name="Après la sortie, Hôpital Test",
        owner=f"org-{world.hospital.pk}", destination="home"))

    adapted = Protocol.objects.get(organisation=world.hospital)
    assert response["Location"] == reverse("followup:protocol_detail", args=[adapted.pk])
    assert (adapted.version, adapted.name, adapted.destination, adapted.care_zone) == (
        1, "Après la sortie, Hôpital Test", "home", None)
    # Texts left as shown stay the default's (and its reader's language); the new one as
    # written.
    assert list(adapted.steps.values_list("what_to_check", flat=True)) == [
        *(step["what_to_check"] for step in protocols.DEFAULT_STEPS[:2]),
        "Appeler la fille aussi"]
    default.refresh_from_db()
    assert default.retired_at is None
    assert AuditEvent.objects.filter(action="followup.protocol_adapted",
                                     actor=hospital_manager).count() == 1
    assert go_home(stay, clock, at(2026, 12, 18, 15, 0)).protocol == adapted


def test_the_care_zone_team_adapts_for_its_zone(world, default, analyst):
    zone = world.care_zone_team.municipality.care_zone
    page = client_in("en", analyst).get(adapt_url(default))
    assert page.context["form"].fields["owner"].choices == [
        (f"zone-{zone.pk}", f"Care zone {zone.name}")]
    client_in("en", analyst).post(adapt_url(default), form_data(
        [{"day": 3}], owner=f"zone-{zone.pk}"))
    assert Protocol.objects.get(care_zone=zone).organisation is None


def test_no_organisation_to_adapt_for_is_refused(default, gp, liaison_nurse, caregiver,
                                                 client):
    # A GP practice's protocol would never be chosen; a liaison nurse coordinates nothing.
    for user in (gp, liaison_nurse):
        assert client_in("en", user).get(adapt_url(default)).status_code == 403
    assert client_in("en", caregiver).get(adapt_url(default)).status_code == 404
    assert client.get(adapt_url(default)).status_code == 302
    assert Protocol.objects.count() == 1


def test_adapting_for_someone_elses_organisation_is_refused(world, default, hospital_manager):
    other = HospitalFactory(name="Not mine")
    response = client_in("en", hospital_manager).post(
        adapt_url(default), form_data([{"day": 3}], owner=f"org-{other.pk}"))
    assert response.status_code == 200
    assert response.context["form"].errors["owner"]
    assert Protocol.objects.count() == 1


# --- the default's texts in the reader's language -------------------------------------


@pytest.mark.parametrize(("language", "name", "text"), [
    ("en", "After discharge (default)", "Wounds and care; falls;"),
    ("nl", "Na ontslag (standaard)", "Wonden en verzorging; vallen;"),
    ("fr", "Après la sortie (par défaut)", "Plaies et soins ; chutes ;"),
])
def test_the_default_reads_in_the_readers_language(language, name, text, default, gp):
    page = client_in(language, gp).get(reverse("followup:protocol_detail", args=[default.pk]))
    content = html.unescape(page.content.decode())
    assert name in content and text in content


def test_an_organisations_own_texts_show_as_written(hospitals):
    hospitals.steps.update(what_to_check="Bel de dochter")
    with translation.override("fr"):
        assert protocol_text("Bel de dochter") == "Bel de dochter"
        assert protocol_text(protocols.DEFAULT_STEPS[2]["what_to_check"]).startswith(
            "L'aide suffit-elle")
        assert protocol_text("") == ""


def test_a_contact_of_the_default_shows_what_to_check_in_the_readers_language(
        stay, clock, gp):
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    contact = followup.contacts.order_by("due_on").first()
    page = client_in("nl", gp).get(reverse("followup:contact_record", args=[contact.pk]))
    assert "Medicatie begrepen en ingenomen" in page.content.decode()


# --- the list --------------------------------------------------------------------------


def test_the_list_in_a_constant_number_of_queries(world, default, hospitals,
                                                  hospital_manager):
    client = client_in("en", hospital_manager)
    client.get(reverse("followup:protocol_list"))  # sessions, caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("followup:protocol_list"))
    for n in range(5):
        Protocol.objects.create(family=f"more-{n}", name=f"More {n}",
                                organisation=world.hospital)
    with CaptureQueriesContext(connection) as more:
        page = client.get(reverse("followup:protocol_list"))
    assert len(more) == len(few)
    assert page.content.decode().count("/edit/") == 6  # its hospital's, not the default


def test_the_escalation_keeps_the_owners_level_among_its_choices(stay, clock):
    followup = go_home(stay, clock, at(2026, 12, 18, 15, 0))
    contact = followup.contacts.first()
    told = Escalation.objects.create(contact=contact, level=EscalationLevel.OWNER)
    assert (told.level, told.get_level_display()) == (0, "The owner")
    assert FollowUp.objects.count() == 1


def test_an_organisation_with_protocols_links_to_them(world, liaison_nurse):
    client = client_in("en", liaison_nurse)
    listing = reverse("followup:protocol_list")
    for organisation, linked in ((world.hospital, True), (world.coordination_centre, True),
                                 (world.care_zone_team, True), (world.gp_practice, False)):
        page = client.get(reverse("accounts:organisation_detail", args=[organisation.pk]))
        assert (listing in page.content.decode()) is linked, organisation
