"""The resource types the API serves, registered by `resources/`: the URLs, the
CapabilityStatement, the scopes a client may ask for and the access tests are all
generated from this list, so what the server says it does is what it does."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from relais.interop.fhir.outcome import FhirError

READ = "read"
VREAD = "vread"
HISTORY = "history-instance"
SEARCH = "search-type"
CREATE = "create"
UPDATE = "update"
PK = re.compile(r"^[0-9]{1,18}$")


def by_pk(rows: QuerySet, id: str):
    """The visible row whose primary key is `id`, or None (an id that is not a number
    names nothing)."""
    return rows.filter(pk=int(id)).first() if PK.match(id) else None


@dataclass(frozen=True)
class SearchParam:
    name: str
    type: str  # FHIR search parameter type: token, string, date, reference
    documentation: str  # English, for the CapabilityStatement
    # (queryset, value as sent, modifier) -> the queryset narrowed; FhirError if invalid
    apply: Callable[[QuerySet, str, str], QuerySet]
    modifiers: tuple[str, ...] = ()
    # A reference parameter names the type it points at: `_revinclude` finds the rows
    # pointing at a page's resources through `apply`; with `refs` (row -> the ids it
    # points at) `_include` follows it the other way.
    target: str = ""
    refs: Callable[[Model], list] | None = None
    # A reference that may point at other types too (Patient.generalPractitioner: a
    # Practitioner or an Organization): each further type, with the ids a row points at.
    # `apply` reads references of every target ("Organization/5").
    other_targets: tuple[tuple[str, Callable[[Model], list]], ...] = ()
    # The model fields `_sort` orders by for this parameter (none: not sortable).
    sort_by: tuple[str, ...] = ()

    def targets(self) -> dict[str, Callable[[Model], list] | None]:
        """Each type this reference may point at, with the ids a row points at (None:
        not followed forward)."""
        found = {self.target: self.refs} if self.target else {}
        found.update(self.other_targets)
        return found


@dataclass(frozen=True)
class ResourceType:
    name: str  # "Patient"
    profile: str  # the canonical URL of the Belgian profile it follows
    model: type[Model] | None  # None: not rows of a table (definitions kept in code)
    # user -> the rows the user may read (the gate's queryset), with what `render` needs
    visible: Callable[[object], QuerySet]
    render: Callable[[Model], dict]
    documentation: str
    search_params: tuple[SearchParam, ...] = ()
    order: tuple[str, ...] = ("pk",)
    # The audit log: each read names the person it is about (None: not a person's data).
    person_of: Callable[[Model], int | None] = lambda obj: None
    read_action: str = ""
    search_action: str = ""
    # The row's own version (core.models.Versioned), when it has one; else the content's.
    version_of: Callable[[Model], int | None] = lambda obj: getattr(obj, "version", None)
    # What the served content holds beyond the row, in its versionId ("3-" and a digest;
    # "": the row's version alone): a Patient's GPs come from the network's rows.
    version_detail: Callable[[Model], str] | None = None
    last_updated: Callable[[Model], object] = lambda obj: getattr(obj, "updated_at", None)
    interactions: tuple[str, ...] = field(default=(READ, SEARCH))
    # Writes (writes.py): `create(caller, body) -> row` and `update(caller, row, body)
    # -> row` call the feature's services inside the view's transaction; whether the
    # caller may change a row is the gate's (Action.CHANGE on the row's model).
    create: Callable | None = None
    update: Callable | None = None
    # (user, visible rows) -> the rows a conditional create (If-None-Exist) may answer
    # instead of creating; None: those the caller may change (Action.CHANGE on the row).
    matchable: Callable | None = None
    operations: tuple[str, ...] = ()  # "everything": Patient/<id>/$everything
    # History (history.py): row -> [(version, when)] of the versions before the current
    # one that Relais can date (their content is not kept); None: none known.
    past_versions: Callable[[Model], list] | None = None

    @property
    def served(self) -> tuple[str, ...]:
        """Every interaction the type answers: what the CapabilityStatement and the scopes
        say. Whatever is read is read by version too (the current one: history.py)."""
        versions = (VREAD, HISTORY) if READ in self.interactions else ()
        writes = ((CREATE, self.create), (UPDATE, self.update))
        return (*self.interactions, *versions,
                *(name for name, handler in writes if handler))

    def param(self, name: str) -> SearchParam | None:
        return next((p for p in self.search_params if p.name == name), None)
    # How a read's id finds its row among the visible ones, and a row's id: a primary
    # key, unless the type spans several models (`rows.Parts`: "referral-12") or
    # definitions kept in code (`rows.Definitions`).
    find: Callable[[object, str], object | None] = by_pk
    id_of: Callable[[object], str] = lambda obj: str(obj.pk)
    # Searches from candidates (candidates.py): `candidates()` is the type's rows before
    # the gate, with what `render` needs (its `visible(user)` is the gate on them);
    # `person_field` the person each row belongs to, whose questions the gate is asked
    # about a chunk's persons only ("pk": the row is the person); `shown(user, pks)`, when
    # given, the pks among `pks` the gate shows, asked more directly than `visible`.
    candidates: Callable[[], QuerySet] | None = None
    person_field: str = "pk"
    shown: Callable[[object, list], set] | None = None
    # (pks, person ids) -> the rows among `pks` that the networks of those persons hold,
    # ready to render: a Patient page's persons, which the caller may read, vouch for the
    # members of their networks (`_include=Patient:general-practitioner`), so the gate
    # is asked about the others only. None: the gate is asked about every row.
    vouched: Callable[[list, list], QuerySet] | None = None

    @property
    def target_type(self) -> str:
        """What the audit log names a refused read's target."""
        return self.model._meta.label_lower if self.model else f"fhir.{self.name.lower()}"


TYPES: dict[str, ResourceType] = {}


def register(resource: ResourceType) -> None:
    TYPES[resource.name] = resource


def resource_type(name: str) -> ResourceType:
    try:
        return TYPES[name]
    except KeyError:
        raise unsupported(name) from None


def unsupported(name: str) -> FhirError:
    return FhirError(404, "not-supported", _("This server does not serve the resource type "
                                             "“%(type)s”.") % {"type": name[:64]})
