"""Questionnaire: the screening instruments Relais scores (stays/instruments.py), every
version of each (`relais-social-1`, `lace-1`, `katz-be-1`; the current one `active`, older
ones `retired`), read by anyone signed in: the instruments are no secret, and a
QuestionnaireResponse names the version it was scored with. Each question is a choice
with its options and their points (`ordinalValue`); the result a read-only group:
score, band, flagged domains, recommended actions, which Relais computes (never the
caller). Licensed instruments scored elsewhere have no Questionnaire: their responses
carry the name and the score only. No Belgian profile: FHIR R4's own.
"""

from django.utils.translation import gettext as _

from relais.interop.fhir import registry
from relais.interop.fhir.registry import ResourceType, SearchParam
from relais.interop.fhir.rows import Definitions
from relais.interop.fhir.values import alternatives, token
from relais.stays.instruments import INSTRUMENTS, Instrument, Question, every_version

QUESTIONNAIRE_PROFILE = "http://hl7.org/fhir/StructureDefinition/Questionnaire"
URL = "urn:relais:questionnaire:"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"


def url(definition: Instrument) -> str:
    return f"{URL}{definition.key}"


def canonical(definition: Instrument) -> str:
    return f"{url(definition)}|{definition.version}"


def questionnaire_id(definition: Instrument) -> str:
    return f"{definition.key}-{definition.version}"


def answer_system(definition: Instrument, part: str) -> str:
    """The code system of a question's options, or of a result's (`result-band`)."""
    return f"{url(definition)}:{part}"


def visible(user):
    return Definitions(every_version())


def find(definitions: Definitions, id: str):
    return next((d for d in definitions.items if questionnaire_id(d) == id), None)


def is_current(definition: Instrument) -> bool:
    return INSTRUMENTS[definition.key].version == definition.version


def render(definition: Instrument) -> dict:
    return {
        "url": url(definition),
        "version": str(definition.version),
        "name": "".join(word.capitalize() for word in definition.key.split("-")),
        "title": str(definition.name),
        "status": "active" if is_current(definition) else "retired",
        "subjectType": ["Patient"],
        "publisher": "Relais",
        "description": str(definition.summary),
        "item": [*(_question(definition, q) for q in definition.questions),
                 _results(definition)],
    }


def _question(definition: Instrument, question: Question) -> dict:
    item = {"linkId": question.key, "text": str(question.label), "type": "choice",
            "required": True,
            "answerOption": [_option(answer_system(definition, question.key), option.value,
                                     option.label, option.points)
                             for option in question.options]}
    if question.help:
        item["item"] = [{"linkId": f"{question.key}.help", "type": "display",
                         "text": str(question.help)}]
    return item


def _option(system: str, code: str, label, points: int | None = None) -> dict:
    option = {"valueCoding": {"system": system, "code": code, "display": str(label)}}
    if points is not None:
        option["extension"] = [{"url": ORDINAL, "valueDecimal": points}]
    return option


def _results(definition: Instrument) -> dict:
    """What Relais computes from the answers: read-only."""
    def choices(part, entries):
        system = answer_system(definition, part)
        return [_option(system, key, label) for key, label in entries]

    return {"linkId": "result", "text": _("Result"), "type": "group", "readOnly": True,
            "item": [
                {"linkId": "result.score", "text": _("Score"), "type": "integer",
                 "readOnly": True},
                {"linkId": "result.band", "text": _("Result"), "type": "choice",
                 "readOnly": True, "answerOption": choices(
                     "result-band", [(b.key, b.label) for b in definition.bands])},
                *_repeating("result.flagged", _("Flagged domains"), choices(
                    "result-domain", [(d.key, d.label) for d in definition.domains])),
                *_repeating("result.recommendations", _("Recommended actions"), choices(
                    "result-recommendation",
                    [(r.key, r.text) for r in definition.recommendations])),
            ]}


def _repeating(link_id: str, text: str, options: list) -> list[dict]:
    if not options:
        return []
    return [{"linkId": link_id, "text": text, "type": "choice", "repeats": True,
             "readOnly": True, "answerOption": options}]


# --- search -----------------------------------------------------------------------------


def _ids(definitions, value, modifier):
    wanted = set(alternatives(value))
    return definitions.narrow(lambda d: questionnaire_id(d) in wanted)


def _url(definitions, value, modifier):
    wanted = set(alternatives(value))
    return definitions.narrow(lambda d: url(d) in wanted or canonical(d) in wanted)


def _status(definitions, value, modifier):
    wanted = {token(v)[1] for v in alternatives(value)}
    return definitions.narrow(
        lambda d: ("active" if is_current(d) else "retired") in wanted)


SEARCH = (
    SearchParam("_id", "token", "The instrument and its version: relais-social-1.", _ids),
    SearchParam("url", "uri", "urn:relais:questionnaire:<instrument>, or with |<version>.",
                _url),
    SearchParam("status", "token", "active (the current version) | retired.", _status),
)


def register_types() -> None:
    registry.register(ResourceType(
        name="Questionnaire", profile=QUESTIONNAIRE_PROFILE, model=None, visible=visible,
        render=render, search_params=SEARCH, order=(),
        documentation="The screening instruments, every version: questions, options and "
                      "their points, what Relais computes from the answers.",
        version_of=lambda definition: None, last_updated=lambda definition: None,
        find=find, id_of=questionnaire_id))
