"""Errors as FHIR OperationOutcome, their text in the caller's language.

A view raises `FhirError`; `views.answer` turns it into the response. The text is
translated when the error is raised, in the language the request activated (the
signed-in user's, else Accept-Language, else Dutch).
"""

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
    return {"severity": severity, "code": code, "diagnostics": text,
            "details": {"text": text}}


def operation_outcome(*issues: dict) -> dict:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def outcome_of(error: FhirError) -> dict:
    return operation_outcome(issue(error.severity, error.code, error.text))
