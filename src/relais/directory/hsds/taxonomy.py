"""The taxonomies of Relais's HSDS attributes (mapping.py) as HSDS `taxonomy` and
`taxonomy_term` records, and which services carry each term.

The vocabulary lives in code, not in the database: it is the same in every deployment, and
so are its ids (ids.taxonomy_id, ids.term_id). The export puts these terms in attributes;
the API lists them (/taxonomies, /taxonomy_terms) and filters services by them
(`taxonomy_term_id`, `taxonomy_id`), with conditions that say exactly which services the
export gives an attribute of that term.
"""

import operator
from dataclasses import dataclass
from functools import cache, reduce

from django.db.models import Q
from django.utils import translation

from relais.accounts.models import OrganisationType
from relais.directory.hsds.ids import taxonomy_id, term_id
from relais.directory.hsds.mapping import (
    CATEGORY_TAXONOMY,
    I18N,
    LANGUAGE_ORDER,
    ORG_TYPE_TAXONOMY,
    RELAIS,
    SERVICE_EXTRAS,
    TRANSLATED,
)
from relais.directory.models import Category

# HSDS content, in English like the rest of the export (the API is not a page).
DESCRIPTIONS = {
    CATEGORY_TAXONOMY: "Relais directory category.",
    ORG_TYPE_TAXONOMY: "Relais organisation type.",
    RELAIS: "Relais: a directory field that HSDS 3.0 has no place for.",
    I18N: "Relais: this field of the service in another language.",
}
TAXONOMIES = tuple(DESCRIPTIONS)
ORGANISATION_ACTIVE = "active"  # the organisation's own attribute in the "relais" taxonomy

EVERY_SERVICE = Q(pk__isnull=False)
NO_SERVICE = Q(pk__in=[])


@dataclass(frozen=True)
class Term:
    taxonomy: str
    code: str
    language: str = ""

    @property
    def id(self) -> str:
        return term_id(self.taxonomy, self.code, self.language)


@cache
def all_terms() -> tuple[Term, ...]:
    """Every term an export can use, taxonomy by taxonomy."""
    return (
        *(Term(CATEGORY_TAXONOMY, code) for code in Category.values),
        *(Term(ORG_TYPE_TAXONOMY, code) for code in OrganisationType.values),
        *(Term(RELAIS, code) for code in (*SERVICE_EXTRAS, ORGANISATION_ACTIVE)),
        *(Term(I18N, field, language) for field in TRANSLATED.values()
          for language in LANGUAGE_ORDER),
    )


@cache
def _terms_by_id() -> dict[str, Term]:
    return {term.id: term for term in all_terms()}


@cache
def _taxonomies_by_id() -> dict[str, str]:
    return {taxonomy_id(name): name for name in TAXONOMIES}


def term_by_id(value: str) -> Term | None:
    return _terms_by_id().get(value)


def taxonomy_by_id(value: str) -> str | None:
    return _taxonomies_by_id().get(value)


def taxonomy_record(name: str) -> dict:
    return {"id": taxonomy_id(name), "name": name, "description": DESCRIPTIONS[name]}


def term_record(term: Term) -> dict:
    record = {"id": term.id, "code": term.code, "name": _term_name(term),
              "description": DESCRIPTIONS[term.taxonomy], "taxonomy": term.taxonomy,
              "taxonomy_id": taxonomy_id(term.taxonomy)}
    if term.language:
        record["language"] = term.language
    return record


def _term_name(term: Term) -> str:
    if term.taxonomy == CATEGORY_TAXONOMY and term.code in Category.values:
        return _english(Category(term.code).label)
    if term.taxonomy == ORG_TYPE_TAXONOMY and term.code in OrganisationType.values:
        return _english(OrganisationType(term.code).label)
    return f"{term.code} ({term.language})" if term.language else term.code


def _english(label) -> str:
    with translation.override("en"):
        return str(label)


def services_with_term(term: Term) -> Q:
    """The services whose export carries an attribute of this term."""
    if term.taxonomy == CATEGORY_TAXONOMY:
        return Q(category=term.code)
    if term.taxonomy == I18N:
        model_field = {hsds: model for model, hsds in TRANSLATED.items()}[term.code]
        return ~Q(**{f"{model_field}_{term.language}": ""})
    if term.taxonomy == RELAIS and term.code in SERVICE_EXTRAS:
        return EVERY_SERVICE  # exported for every service, empty when unknown
    return NO_SERVICE  # organisation attributes (type, active)


def services_in_taxonomy(name: str) -> Q:
    """The services carrying any term of this taxonomy."""
    return reduce(operator.or_, (services_with_term(term) for term in all_terms()
                                 if term.taxonomy == name))
