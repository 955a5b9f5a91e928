"""QuestionnaireResponse: a screening done during a stay (R3, R14, R15, R17), read-only:
its answers and what Relais computed from them (score, band, flagged domains,
recommended actions), or, for a licensed instrument scored elsewhere, its name and
score only.

Read as on the screening pages (stays/views_screening.py): by whoever sees the stay.
Restricted findings (the domestic-violence question, its domain, its recommendation)
only for the hospital's staff and the person's safeguarding circle; never for a portal
account, even in the circle (rule 2: portal users see no safeguarding). The restricted
question is left out for everyone else whatever its answer, and it carries no points,
so nothing in what is served gives the concern away. Decided in the gate's query
(`restricted_shown`), once per row.
"""

from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When

from relais.access.policy import member_organisation_ids
from relais.core.text import is_digits
from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.resources.questionnaire import URL, answer_system, canonical
from relais.interop.fhir.values import (
    ID_PARAM,
    alternatives,
    any_of,
    date_condition,
    date_range,
    reference_id,
    token,
)
from relais.network.models import NetworkMember
from relais.network.rules import links_to
from relais.stays.instruments import Instrument, instrument
from relais.stays.models import Screening, Stay
from relais.stays.screening import EXTERNAL

QUESTIONNAIRE_RESPONSE_PROFILE = "http://hl7.org/fhir/StructureDefinition/QuestionnaireResponse"


def visible(user):
    stays = Stay.objects.visible_to(user).values("pk")
    return (Screening.objects.filter(stay__in=stays).select_related("author")
            .annotate(restricted_shown=restricted_shown(user)))


def restricted_shown(user):
    """Whether the row's restricted findings are the caller's to read: a professional of
    the stay's hospital, or of the person's safeguarding circle."""
    if not user.is_professional:
        return Value(False)
    circle = NetworkMember.objects.active().filter(
        links_to(user), person=OuterRef("person_id"), in_safeguarding_circle=True,
        never_inform=False)
    return Case(When(stay__hospital_id__in=member_organisation_ids(user), then=True),
                When(Exists(circle), then=True), default=False, output_field=BooleanField())


def render(screening: Screening) -> dict:
    body = {"status": "completed",
            "subject": {"reference": f"Patient/{screening.person_id}"},
            "authored": screening.done_on.isoformat(),
            "author": {"reference": f"Practitioner/{screening.author_id}",
                       "display": screening.author.get_full_name()}}
    if screening.stay_id:
        body["encounter"] = {"reference": f"Encounter/{screening.stay_id}"}
    if screening.instrument == EXTERNAL:
        body["item"] = [{"linkId": "external", "text": screening.external_name,
                         "answer": [{"valueString": screening.external_score}]}]
        return body
    try:
        definition = instrument(screening.instrument, screening.version)
    except LookupError:  # an instrument since removed: what is stored, without labels
        body["item"] = _score_only(screening)
        return body
    body["questionnaire"] = canonical(definition)
    body["item"] = [*_answers(definition, screening), *_results(definition, screening)]
    return body


def _answers(definition: Instrument, screening: Screening) -> list[dict]:
    items = []
    for question in definition.questions:
        if question.restricted and not screening.restricted_shown:
            continue
        option = question.option(screening.answers.get(question.key))
        if option is not None:
            coding = {"system": answer_system(definition, question.key),
                      "code": option.value, "display": str(option.label)}
            items.append({"linkId": question.key, "text": str(question.label),
                          "answer": [{"valueCoding": coding}]})
    return items


def _results(definition: Instrument, screening: Screening) -> list[dict]:
    shown = screening.restricted_shown
    items = []
    if screening.score is not None:
        items.append({"linkId": "result.score", "answer": [{"valueInteger": screening.score}]})
    band = definition.band(screening.band)
    if band is not None:
        items.append({"linkId": "result.band", "answer": [{"valueCoding": _coding(
            definition, "result-band", band.key, band.label)}]})
    domains = [definition.domain(key) for key in screening.flagged]
    flagged = [_coding(definition, "result-domain", d.key, d.label) for d in domains
               if d is not None and (shown or not d.restricted)]
    if flagged:
        items.append({"linkId": "result.flagged",
                      "answer": [{"valueCoding": coding} for coding in flagged]})
    advice = [_coding(definition, "result-recommendation", known.key, known.text)
              for known, restricted in _recommendations(definition, screening)
              if shown or not restricted]
    if advice:
        items.append({"linkId": "result.recommendations",
                      "answer": [{"valueCoding": coding} for coding in advice]})
    return [{"linkId": "result", "item": items}] if items else []


def _recommendations(definition: Instrument, screening: Screening) -> list[tuple]:
    """(recommendation, restricted) of those stored with the screening that its
    instrument knows: restricted when stored so or defined so."""
    found = []
    for stored in screening.recommendations:
        known = definition.recommendation(stored.get("key", ""))
        if known is not None:
            found.append((known, bool(stored.get("restricted")) or known.restricted))
    return found


def _coding(definition: Instrument, part: str, code: str, label) -> dict:
    return {"system": answer_system(definition, part), "code": code, "display": str(label)}


def _score_only(screening: Screening) -> list[dict]:
    if screening.score is None:
        return [{"linkId": "result", "text": screening.band or screening.instrument}]
    return [{"linkId": "result.score", "text": screening.instrument,
             "answer": [{"valueInteger": screening.score}]}]


# --- search -----------------------------------------------------------------------------


def _patient(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(person_id=reference_id("patient", v, "Patient")))


def _encounter(queryset, value, modifier):
    return any_of(queryset, value,
                  lambda v: Q(stay_id=reference_id("encounter", v, "Encounter")))


def _status(queryset, value, modifier):
    # Every screening is complete when it is stored: only "completed" finds any.
    wanted = {token(v)[1] for v in alternatives(value)}
    return queryset if "completed" in wanted else queryset.none()


def _authored(queryset, value, modifier):
    prefix, start, end = date_range("authored", value)
    return queryset.filter(date_condition("done_on", prefix, start, end))


def _last_updated(queryset, value, modifier):
    prefix, start, end = date_range("_lastUpdated", value)
    return queryset.filter(date_condition("created_at__date", prefix, start, end))


def _questionnaire(queryset, value, modifier):
    def condition(v):
        instrument_url, _bar, version = v.partition("|")
        key = instrument_url.removeprefix(URL)
        if not instrument_url.startswith(URL) or not key or not is_digits(version or "1"):
            return Q(pk__in=[])
        return Q(instrument=key, **({"version": int(version)} if version else {}))
    return any_of(queryset, value, condition)


SEARCH = (
    ID_PARAM,
    SearchParam("_lastUpdated", "date", "When the screening was recorded (Europe/Brussels "
                "days).", _last_updated),
    SearchParam("patient", "reference", "The person (Patient/<id>) screened.", _patient),
    SearchParam("subject", "reference", "The same as patient.", _patient),
    SearchParam("encounter", "reference", "The stay (Encounter/<id>) it was done in.",
                _encounter),
    SearchParam("status", "token", "completed (every screening).", _status),
    SearchParam("authored", "date", "The day it was done, with eq, ge, le, gt, lt prefixes.",
                _authored),
    SearchParam("questionnaire", "reference", "The instrument: urn:relais:questionnaire:"
                "<instrument>, or with |<version>.", _questionnaire),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="QuestionnaireResponse", profile=QUESTIONNAIRE_RESPONSE_PROFILE,
        model=Screening, visible=visible, render=render, search_params=SEARCH,
        order=("-done_on", "-created_at", "pk"),
        documentation="Screenings done during the stays the caller may read; restricted "
                      "findings only for the hospital's staff and the safeguarding circle.",
        person_of=lambda screening: screening.person_id, read_action="fhir.screening.read",
        search_action="fhir.screening.search", version_of=lambda screening: None,
        last_updated=lambda screening: screening.created_at))
