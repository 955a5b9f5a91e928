"""Errors as FHIR OperationOutcome, their text in the caller's language.

A view raises `FhirError`; `views.answer` turns it into the response. The text is
translated when the error is raised, in the language the request activated (the
signed-in user's, else Accept-Language, else Dutch).
"""

import re
from dataclasses import dataclass, field


@dataclass
class FhirError(Exception):
    status: int
    code: str  # http://hl7.org/fhir/issue-type
    text: str
    severity: str = "error"
    headers: dict = field(default_factory=dict)
    # A write refused inside its transaction: what the audit log records once the
    # transaction is undone (writes.refusals_recorded).
    refused: tuple = ()


def issue(severity: str, code: str, text: str) -> dict:
    text = fhir_string(text)
    return {"severity": severity, "code": code, "diagnostics": text,
            "details": {"text": text}}


# FHIR R4's string is `[ \r\n\t\S]+` (its JSON schema's pattern, ECMAScript's `\s`): no
# other whitespace — a vertical tab, a no-break space, U+FEFF. A message that quotes what
# the client sent, or French typography (« : », « 3 jours »), would otherwise not be
# valid FHIR. Python's `\s` is ECMAScript's but U+FEFF, plus a few controls.
OTHER_WHITESPACE = re.compile("[^\\S \r\n\t]|\ufeff")


def fhir_string(text: str) -> str:
    """`text` as a valid FHIR string: other whitespace as a space, never empty."""
    return OTHER_WHITESPACE.sub(" ", text) or "?"


def fhir_strings(node):
    """Every string in a JSON document made a valid FHIR string (`fhir_string`)."""
    if isinstance(node, str):
        return OTHER_WHITESPACE.sub(" ", node)
    if isinstance(node, dict):
        return {key: fhir_strings(value) for key, value in node.items()}
    if isinstance(node, list):
        return [fhir_strings(item) for item in node]
    return node


def operation_outcome(*issues: dict) -> dict:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def outcome_of(error: FhirError) -> dict:
    return operation_outcome(issue(error.severity, error.code, error.text))
