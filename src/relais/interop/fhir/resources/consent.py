"""Consent (BeConsent): what the person agreed to share (with the network, with
hospitals at admission), as recorded in Relais, in force or revoked. Read by whoever may
read the person's record."""

from django.db.models import Q

from relais.access.models import Consent, ConsentScope
from relais.access.persons import visible_person_pks
from relais.interop.fhir import identifiers, registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources import codes
from relais.interop.fhir.values import ID_PARAM, any_of, reference_id, token
from relais.network.models import Person, choice_label

CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
RELAIS_SCOPE = "urn:relais:consent-scope"


def candidates():
    return Consent.objects.all()


def visible(user):
    return candidates().filter(person__in=visible_person_pks(user, Person.objects.all()))


def render(consent: Consent) -> dict:
    label = choice_label(ConsentScope, consent.scope)
    body = {
        "status": "inactive" if consent.revoked_at else "active",
        "scope": codes.concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
        "category": [codes.concept(LOINC, "59284-0", "Patient Consent"),
                     codes.concept(RELAIS_SCOPE, consent.scope, label)],
        "patient": {"reference": f"Patient/{consent.person_id}"},
        "dateTime": consent.given_on.isoformat(),
        "performer": [{"display": consent.given_by}],
        "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN"}]},
        "provision": {"type": "permit"},
    }
    if consent.revoked_at:
        body["provision"]["period"] = {"end": consent.revoked_at.isoformat(timespec="seconds")}
    return body


def _patient(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(person_id=reference_id("patient", v, "Patient")))


def _status(queryset, value, modifier):
    statuses = {"active": Q(revoked_at__isnull=True), "inactive": Q(revoked_at__isnull=False)}
    return any_of(queryset, value, lambda v: statuses.get(token(v)[1], Q(pk__in=[])))


SEARCH = (
    ID_PARAM,
    SearchParam("patient", "reference", "The person (Patient/<id>) who consented.", _patient,
                target="Patient", refs=lambda consent: [consent.person_id]),
    SearchParam("status", "token", "active (in force) | inactive (revoked).", _status),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Consent", profile=f"{identifiers.PROFILE}be-consent", model=Consent,
        visible=visible, render=render, search_params=SEARCH, order=("person_id", "pk"),
        documentation="What each person the caller may read agreed to share with Relais's "
                      "networks and hospitals, in force or revoked.",
        person_of=lambda consent: consent.person_id, read_action="fhir.consent.read",
        search_action="fhir.consent.search",
        last_updated=lambda consent: consent.revoked_at or consent.recorded_at,
        candidates=candidates, person_field="person_id"))
