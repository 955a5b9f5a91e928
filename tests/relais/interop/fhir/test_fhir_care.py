"""Madeleine's care through the API: the referral (ServiceRequest and its Task), the
discharge plan and the follow-up (CarePlan, the contacts' Tasks), the screenings
(Questionnaire, QuestionnaireResponse): what each shows, to whom, how it is searched.
Who may not read her at all is test_fhir_access.py's matrix."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources import construct_fhir_element

from relais.audit.models import AuditEvent
from relais.followup.models import Contact
from relais.interop.fhir.resources.task import REFERRAL_TASK_STATUS, TASK_STATUS_REFERRAL
from relais.stays import referrals, screening
from relais.stays.models import TRANSITIONS, ReferralStatus
from tests.relais.interop.fhir.conftest import SOCIAL_ANSWERS
from tests.relais.stays import conftest as stays_fixtures

pytestmark = pytest.mark.django_db

nursing_service = stays_fixtures.nursing_service  # a second service to refer her to

SOCIAL = "urn:relais:questionnaire:relais-social"
CANDIDATE_LIST = "http://hl7.org/fhir/StructureDefinition/task-candidateList"


def _ids(bundle) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])
            if entry["search"]["mode"] == "match"]


# --- the referral --------------------------------------------------------------------------


def test_the_receiver_reads_the_referral_and_its_needs_analysis(api, world, referral):
    caller = api(world.coordination_centre)

    request = caller.get(f"/fhir/ServiceRequest/{referral.pk}").json()
    inbox = caller.get("/fhir/Task", {"owner": f"Organization/{world.coordination_centre.pk}",
                                      "status": "requested"}).json()

    assert request["status"] == "active"
    assert request["priority"] == "urgent"  # an answer within 72 hours
    assert request["performer"] == [{"reference": f"Organization/{world.coordination_centre.pk}"}]
    assert request["encounter"] == {"reference": f"Encounter/{referral.stay_id}"}
    assert request["reasonCode"] == [{"text": "Lives alone; no caregiver nearby"}]
    assert [n["text"] for n in request["note"]] == [
        "What help is needed: Coordinate home care", "How often: daily",
        "What the person wants: Lambert wants to go home"]
    assert _ids(inbox) == [f"referral-{referral.pk}"]
    task = inbox["entry"][0]["resource"]
    assert task["focus"] == {"reference": f"ServiceRequest/{referral.pk}"}
    assert task["owner"] == {"reference": f"Organization/{world.coordination_centre.pk}"}
    assert task["requester"] == {"reference": f"Organization/{world.hospital.pk}"}
    assert task["businessStatus"]["coding"][0]["code"] == "sent"
    assert task["extension"] == [{"url": CANDIDATE_LIST, "valueReference": task["owner"]}]


def test_a_declined_referral_is_a_rejected_task_with_its_reason(api, world, referral,
                                                                coordinator):
    referrals.transition(referral, ReferralStatus.DECLINED, actor=coordinator,
                         expected_version=referral.version, reason="no_capacity",
                         note="Full until March")
    caller = api(world.hospital)

    task = caller.get(f"/fhir/Task/referral-{referral.pk}").json()
    request = caller.get(f"/fhir/ServiceRequest/{referral.pk}").json()

    assert task["status"] == "rejected"
    assert task["statusReason"]["coding"][0]["code"] == "no_capacity"
    assert task["note"] == [{"text": "Full until March"}]
    assert request["status"] == "revoked"
    assert caller.get("/fhir/Task", {"status": "requested"}).json()["total"] == 0


def test_every_referral_status_is_one_task_status_and_back():
    assert set(REFERRAL_TASK_STATUS) == set(ReferralStatus)
    assert {TASK_STATUS_REFERRAL[REFERRAL_TASK_STATUS[s]] for s in ReferralStatus} == set(
        ReferralStatus)
    reachable = {target for targets in TRANSITIONS.values() for target in targets}
    assert {REFERRAL_TASK_STATUS[s] for s in reachable} == {
        "accepted", "rejected", "in-progress", "completed", "cancelled"}


def test_a_referral_is_no_portal_accounts(client, caregiver, daughter, referral):
    daughter.user = caregiver
    daughter.save()
    client.force_login(caregiver)

    assert client.get(f"/fhir/Patient/{referral.person_id}").status_code == 200
    assert client.get(f"/fhir/ServiceRequest/{referral.pk}").status_code == 404
    assert client.get(f"/fhir/Task/referral-{referral.pk}").status_code == 404


# --- the discharge plan and the follow-up ---------------------------------------------------


def test_the_discharge_plan_lists_the_checklist(api, world, stay):
    item = stay.plan_items.order_by("position", "pk").first()

    plan = api(world.home_nursing).get(f"/fhir/CarePlan/discharge-{stay.pk}").json()

    assert plan["status"] == "active"
    assert plan["encounter"] == {"reference": f"Encounter/{stay.pk}"}
    assert len(plan["activity"]) == stay.plan_items.count()
    first = plan["activity"][0]["detail"]
    assert first["description"] == item.text
    assert first["status"] == "not-started"
    assert first["code"]["coding"][0]["code"] == item.domain


def test_the_follow_up_plan_points_at_its_contacts(api, world, followup):
    caller = api(world.home_nursing)
    contacts = list(followup.contacts.order_by("due_on", "pk"))

    plan = caller.get(f"/fhir/CarePlan/followup-{followup.pk}").json()
    found = caller.get("/fhir/CarePlan", {"category": "followup",
                                          "patient": f"Patient/{followup.person_id}"}).json()
    first = caller.get(f"/fhir/Task/contact-{contacts[0].pk}").json()

    assert plan["basedOn"] == [{"reference": f"CarePlan/discharge-{followup.stay_id}"}]
    assert [a["reference"]["reference"] for a in plan["activity"]] == [
        f"Task/contact-{c.pk}" for c in contacts]
    assert _ids(found) == [f"followup-{followup.pk}"]
    assert first["status"] == "ready"
    assert first["basedOn"] == [{"reference": f"CarePlan/followup-{followup.pk}"}]
    assert first["restriction"]["period"]["end"] == contacts[0].due_on.isoformat()
    assert first["extension"][0]["url"] == CANDIDATE_LIST


def test_a_portal_account_reads_the_discharge_plan_but_not_the_follow_up(
        client, caregiver, daughter, stay, followup):
    daughter.user = caregiver
    daughter.save()
    client.force_login(caregiver)
    contact = followup.contacts.first()

    assert client.get(f"/fhir/CarePlan/discharge-{stay.pk}").status_code == 200
    assert client.get(f"/fhir/CarePlan/followup-{followup.pk}").status_code == 404
    assert client.get(f"/fhir/Task/contact-{contact.pk}").status_code == 404
    assert _ids(client.get("/fhir/CarePlan").json()) == [
        f"discharge-{pk}" for pk in sorted([followup.stay_id, stay.pk])]


@pytest.mark.parametrize("id", ["12", "referral-x", "contact-", "-1", "followup-1-2",
                                "discharge-99999"])
def test_an_id_of_no_kind_is_a_404(id, api, world, followup):
    caller = api(world.coordination_centre)

    assert caller.get(f"/fhir/Task/{id}").status_code == 404
    assert caller.get(f"/fhir/CarePlan/{id}").status_code == 404


def test_task_searches_narrow_each_kind(api, world, referral, followup):
    caller = api(world.coordination_centre)
    contacts = Contact.objects.filter(followup=followup).count()

    def total(**query):
        return caller.get("/fhir/Task", query).json()["total"]

    assert total() == 1 + contacts
    assert total(_id=f"referral-{referral.pk},contact-0") == 1
    assert total(focus=f"ServiceRequest/{referral.pk}") == 1
    assert total(status="ready") == contacts
    assert total(**{"business-status": "urn:relais:referral-status|sent"}) == 1
    assert total(patient=f"Patient/{referral.person_id}", status="requested,ready") == (
        1 + contacts)
    assert caller.get("/fhir/Task", {"patient": "Observation/1"}).status_code == 400


def test_the_second_page_of_tasks_continues_with_the_other_kind(api, world, referral,
                                                                  followup):
    caller = api(world.coordination_centre)

    everything = _ids(caller.get("/fhir/Task", {"_count": 100}).json())
    first = _ids(caller.get("/fhir/Task", {"_count": 1}).json())
    rest = _ids(caller.get("/fhir/Task", {"_count": 100, "_offset": 1}).json())

    assert everything[0] == f"referral-{referral.pk}"
    assert first + rest == everything
    assert len(set(everything)) == len(everything) > 1


# --- screenings ------------------------------------------------------------------------------


def _linked(response) -> dict:
    items = response["item"]
    results = next((i["item"] for i in items if i["linkId"] == "result"), [])
    return {i["linkId"]: i.get("answer") for i in [*items, *results]}


def _codes(answers) -> set[str]:
    return {answer["valueCoding"]["code"] for answer in answers or []}


@pytest.mark.parametrize("organisation, restricted", [
    ("hospital", True), ("home_nursing", True), ("coordination_centre", False)])
def test_restricted_findings_only_for_the_hospital_and_the_circle(
        organisation, restricted, api, world, hers_circle, social_screening):
    caller = api(getattr(world, organisation))

    response = caller.get(f"/fhir/QuestionnaireResponse/{social_screening.pk}").json()

    linked = _linked(response)
    assert response["questionnaire"] == f"{SOCIAL}|1"
    assert _codes(linked["result.band"]) == {"high"}  # the same for everyone
    assert ("violence" in linked) is restricted
    assert ("violence" in _codes(linked["result.flagged"])) is restricted
    assert ("domestic_violence" in _codes(linked["result.recommendations"])) is restricted
    assert _codes(linked["living"]) == {"alone"}


def test_a_portal_account_in_the_circle_sees_no_restricted_finding(
        client, caregiver, daughter, hers_circle, social_screening):
    daughter.user = caregiver
    daughter.in_safeguarding_circle = True
    daughter.save()
    client.force_login(caregiver)

    response = client.get(f"/fhir/QuestionnaireResponse/{social_screening.pk}").json()

    assert "violence" not in _linked(response)
    assert "Domestic" not in str(response)


def test_a_response_answers_its_questionnaire(api, world, social_screening):
    caller = api(world.hospital)

    response = caller.get(f"/fhir/QuestionnaireResponse/{social_screening.pk}").json()
    found = caller.get("/fhir/Questionnaire", {"url": response["questionnaire"]}).json()

    assert _ids(found) == ["relais-social-1"]
    questionnaire = found["entry"][0]["resource"]
    construct_fhir_element("Questionnaire", questionnaire)
    construct_fhir_element("QuestionnaireResponse", response)
    options = _options(questionnaire["item"])
    for link_id, answers in _linked(response).items():
        for answer in answers or []:
            if "valueCoding" in answer:
                coding = answer["valueCoding"]
                assert (coding["system"], coding["code"]) in options[link_id], link_id
    assert set(SOCIAL_ANSWERS) <= set(options)


def _options(items) -> dict:
    found = {}
    for item in items:
        found[item["linkId"]] = {(o["valueCoding"]["system"], o["valueCoding"]["code"])
                                 for o in item.get("answerOption", [])}
        found.update(_options(item.get("item", [])))
    return found


def test_screenings_are_searched_by_instrument_and_day(api, world, social_screening, stay,
                                                       liaison_nurse):
    screening.record_external(stay, "BelRAI screener", "7", social_screening.done_on,
                              actor=liaison_nurse, organisation=world.hospital)
    caller = api(world.hospital)

    def total(**query):
        return caller.get("/fhir/QuestionnaireResponse", query).json()["total"]

    assert total() == 2
    assert total(questionnaire=SOCIAL) == total(questionnaire=f"{SOCIAL}|1") == 1
    assert total(questionnaire=f"{SOCIAL}|2") == 0
    assert total(authored=social_screening.done_on.isoformat(), status="completed") == 2
    assert total(encounter=f"Encounter/{stay.pk}") == 2
    assert caller.get("/fhir/Questionnaire").json()["total"] == 3
    searches = AuditEvent.objects.filter(action="fhir.screening.search")
    assert {tuple(event.detail["persons"]) for event in searches} == {(stay.person_id,)}


@pytest.fixture
def hers_circle(madeleine, world):
    """Her safeguarding circle holds the home-nursing service."""
    madeleine.members.filter(organisation=world.home_nursing).update(
        in_safeguarding_circle=True)


# --- cost --------------------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["CarePlan", "ServiceRequest", "Task",
                                       "QuestionnaireResponse"])
def test_a_search_costs_the_same_queries_for_one_or_many(
        type_name, api, world, referral, followup, social_screening, stay, liaison_nurse,
        coordinator, nursing_service):
    caller = api(world.coordination_centre)
    with CaptureQueriesContext(connection) as one:
        caller.get(f"/fhir/{type_name}")
    screening.record_screening(stay, "lace", {"length_of_stay": "3", "acute": "yes",
                                              "comorbidity": "1", "emergency_visits": "0"},
                               actor=liaison_nurse, organisation=world.hospital)
    referrals.transition(referral, ReferralStatus.ACCEPTED, actor=coordinator,
                         expected_version=referral.version)
    referrals.send(person=referral.person, service=nursing_service, urgency="24h",
                   actor=liaison_nurse, sender_organisation=world.hospital, stay=stay,
                   person_agrees=True, needs=stays_fixtures.NEEDS)
    with CaptureQueriesContext(connection) as many:
        bundle = caller.get(f"/fhir/{type_name}").json()

    assert len(many.captured_queries) == len(one.captured_queries), type_name
    assert bundle["total"] >= 1
