"""Import, what planning organisations and services shares: a `Plan` (one record of the
file as an unsaved model instance, with what it was before), the `Context` that gathers
problems and notes for the whole file, and reading an object's Relais attributes.
Nothing here writes to the database.
"""

from collections import Counter
from dataclasses import dataclass, field
from functools import cache

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from relais.accounts.models import Organisation
from relais.core.models import CareZone, Municipality
from relais.directory.hsds.ids import organisation_hsds_id
from relais.directory.hsds.taxonomy import all_terms


@dataclass
class Plan:
    """One record of the file as an unsaved model instance; `before` holds its fields as
    they were, to tell created, updated and unchanged apart when writing."""

    path: str
    instance: object
    created: bool
    before: dict
    label: str = ""
    organisation_plan: "Plan | None" = None  # services: an organisation from the file
    areas: dict = field(default_factory=dict)  # services: {"municipalities": [...], ...}
    hours: list = field(default_factory=list)  # services: [(weekday, opens, closes)]
    changed: bool = False


class Context:
    """What checking one file gathers: its problems and notes, the HSDS fields Relais
    skipped, and what the records look up (municipalities, care zones, the file's
    organisations by id)."""

    def __init__(self, language: str):
        self.language = language
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.ignored: dict[str, Counter] = {"organizations": Counter(), "services": Counter()}
        self.municipalities = {m.nis_code: m for m in Municipality.objects.all()}
        self.zones = {z.code: z for z in CareZone.objects.all()}
        self.org_by_file_id: dict[str, Plan] = {}
        self._db_orgs = None

    def db_organisation(self, hsds_id: str):
        """An organisation already in Relais under this HSDS id (stored or derived)."""
        if self._db_orgs is None:
            self._db_orgs = {organisation_hsds_id(o): o for o in Organisation.objects.all()}
        return self._db_orgs.get(hsds_id)

    def ignore(self, kind: str, obj: dict, kept: set) -> None:
        for key, value in obj.items():
            if key not in kept and value not in (None, "", [], {}):
                self.ignored[kind][key] += 1


def snapshot(instance, names: list[str]) -> dict:
    return {name: getattr(instance, name) for name in names}


def clean(context, plan: Plan, paths: dict, exclude=()) -> None:
    try:
        plan.instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            where = plan.path if name == NON_FIELD_ERRORS else (
                f"{plan.path}.{paths.get(name, name)}")
            context.problems += [f"{where}: {message}" for message in messages]


def read_attributes(obj: dict) -> list[tuple[int, str, str, str, str]]:
    """[(index, taxonomy, code, language, value)] of an object's attributes."""
    known = _known_terms()
    result = []
    for index, attribute in enumerate(obj.get("attributes") or []):
        term = attribute.get("taxonomy_term") or {}
        taxonomy = term.get("taxonomy") or (term.get("taxonomy_detail") or {}).get("name", "")
        code, language = term.get("code", ""), term.get("language", "")
        if not (taxonomy and code) and attribute.get("taxonomy_term_id") in known:
            taxonomy, code, language = known[attribute["taxonomy_term_id"]]
        result.append((index, taxonomy, code, language, attribute.get("value", "")))
    return result


@cache
def _known_terms() -> dict[str, tuple[str, str, str]]:
    return {term.id: (term.taxonomy, term.code, term.language) for term in all_terms()}


def phone_number(phone) -> str:
    number = phone.get("number", "") if isinstance(phone, dict) else ""
    return str(number).strip().strip('"').strip()
