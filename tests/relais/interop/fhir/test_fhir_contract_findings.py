"""What the contract run (contract.py, bench/fhir_contract.py) found, each kept as a
regression test: the request it sent, and the answer the API now gives."""

import pytest

from relais.audit.models import AuditEvent
from relais.booklet.models import Entry

pytestmark = pytest.mark.django_db


def _issue(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    return outcome["issue"][0]["diagnostics"]


def test_a_value_quoted_in_an_error_is_a_valid_fhir_string(api, world, madeleine):
    """A vertical tab or a no-break space in what the client sent, quoted back, made a
    string FHIR R4 does not allow (`[ \\r\\n\\t\\S]+`)."""
    caller = api(world.coordination_centre)

    refused = caller.get("/fhir/Encounter", {"patient": "L\x0bx\u00a0y"})
    ignored = caller.get("/fhir/Patient", {"_summary": "a\x0cb"}).json()

    assert _issue(refused, 400) == "“L x y” is not a valid value for “patient”."
    warning = ignored["entry"][-1]["resource"]["issue"][0]
    assert warning["diagnostics"] == warning["details"]["text"] == (
        "Ignored search parameters (not supported): _summary=a b.")


def test_a_byte_order_mark_quoted_in_an_error_is_a_space(api, world):
    """U+FEFF is whitespace to FHIR's JSON schema (ECMAScript's `\\s`), not to Python's."""
    response = api(world.hospital, allowed="system/*.rs system/Encounter.cu").post(
        "/fhir/Encounter", {"resourceType": "Encounter", "status": "a\ufeffb"},
        content_type="application/fhir+json")

    assert _issue(response, 400) == "“a b” is not a valid value for “status”."


def test_french_typography_is_served_as_valid_fhir_strings(api, world, referral):
    """French texts put a no-break space before a colon or a question mark and inside
    « 3 jours »: FHIR R4's string allows no whitespace but space, tab, CR and LF. Found in
    a Questionnaire, a ServiceRequest's needs and a discharge plan's reason."""
    caller = api(world.coordination_centre, language="fr")

    social = caller.get("/fhir/Questionnaire/relais-social-1")
    needs = caller.get(f"/fhir/ServiceRequest/{referral.pk}")

    assert "\xa0" not in social.content.decode() and "\xa0" not in needs.content.decode()
    assert social.json()["item"][0]["text"] == "Avec qui la personne vit-elle ?"
    assert needs.json()["note"][0]["text"] == "Aide nécessaire : Coordinate home care"


def test_a_nul_in_a_search_value_is_a_400(api, world, madeleine):
    """PostgreSQL refuses a NUL in a query: `Patient?family=a%00b` was a server error."""
    caller = api(world.coordination_centre)

    response = caller.get("/fhir/Patient?family=lam%00bert")
    everything = caller.get(f"/fhir/Patient/{madeleine.pk}/$everything?_elements=%00")

    assert _issue(response, 400) == "“lam\x00bert” is not a valid value for “family”."
    assert _issue(everything, 400) == "“\x00” is not a valid value for “_elements”."


def test_a_nul_in_an_id_is_a_404_and_its_refusal_audited(api, world, madeleine):
    """The refused read's audit event kept the id as sent: PostgreSQL refused the NUL."""
    response = api(world.coordination_centre).get("/fhir/Patient/1%002")

    assert _issue(response, 404) == "Patient/1\x002 is not known to this server."
    refusal = AuditEvent.objects.filter(action="access.denied").latest("pk")
    assert refusal.target_id == "'1\\x002'"


def test_a_nul_in_a_written_body_or_its_condition_is_a_400(api, world, madeleine, daughter):
    caller = api(world.coordination_centre, allowed="system/*.rs system/Communication.c")
    entries = Entry.objects.count()
    body = {"resourceType": "Communication", "status": "completed",
            "subject": {"reference": f"Patient/{madeleine.pk}"},
            "payload": [{"contentString": "She slept\x00 well."}]}

    written = caller.post("/fhir/Communication", body, content_type="application/fhir+json")
    body["payload"][0]["contentString"] = "She slept well."
    conditional = caller.post("/fhir/Communication", body,
                              content_type="application/fhir+json",
                              HTTP_IF_NONE_EXIST="identifier=a%00b")

    assert _issue(written, 400) == ("The body holds a NUL character (U+0000): no text in "
                                    "Relais may hold one.")
    assert _issue(conditional, 400) == (
        "“identifier=a%00b” is not a valid value for “If-None-Exist”.")
    assert Entry.objects.count() == entries
