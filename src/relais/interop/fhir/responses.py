"""FHIR's JSON answers: `application/fhir+json`, UTF-8, never kept by a cache."""

import json

from django.http import HttpResponse

from relais.interop.fhir.outcome import FhirError, outcome_of

FHIR_JSON = "application/fhir+json"


def fhir_response(document: dict | None, *, status: int = 200, headers: dict | None = None):
    body = "" if document is None else json.dumps(document, ensure_ascii=False,
                                                  separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: FhirError):
    response = fhir_response(outcome_of(error), status=error.status, headers=error.headers)
    response.fhir_error = error  # what a Bundle's entry reads of it (bundles.py)
    return response
