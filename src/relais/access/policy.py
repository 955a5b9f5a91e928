"""THE access policy: one place answers "may this user do this on that?".

Two shapes, used everywhere:

* `object_for(user, Model, pk, action)` loads one object from user input. It raises
  Http404 both when the object does not exist and when the user may not act on it, and
  writes an `access.denied` audit event in both cases. Per-model wrappers
  (`organisation_for`, `membership_for`, ...) are what views call.
* `visible(user, queryset)` filters a list to what the user may see; models expose it as
  `Model.objects.visible_to(user)` so lists, search, exports and APIs agree.

Each model registers a `Policy`. Person data (DESIGN.md access rules 1–5) plugs in the
same way: its policy sets `audit_reads=True` so every successful read is audited too,
and `person_id` so events are findable per person ("who looked at my record").
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import AutoField, Model, Q, QuerySet
from django.http import Http404

from relais.access import decisions
from relais.audit import log as audit
from relais.audit.models import AuditEvent, Outcome
from relais.core import kept


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    MANAGE_MEMBERS = "manage_members"


@dataclass(frozen=True)
class Policy:
    visible: Callable[[object, QuerySet], QuerySet]
    allows: Callable[[object, Model, Action], bool]
    audit_reads: bool = False
    person_id: Callable[[Model], int | None] = lambda obj: None
    # (user, valid pk) -> whether `visible` holds that object: a faster answer for one
    # object (`object_for`, `sees`), when the feature has one. The same answer as `visible`.
    sees_one: Callable[[object, object], bool] | None = None
    # (user, queryset, valid pk) -> the object if `visible` holds it, else None: the
    # question and the row in one query (`object_for`), when the feature has one.
    load_seen: Callable[[object, QuerySet, object], Model | None] | None = None


POLICIES: dict[type[Model], Policy] = {}


def register(model: type[Model], policy: Policy) -> None:
    POLICIES[model] = policy


def policy_for(model: type[Model]) -> Policy:
    try:
        return POLICIES[model]
    except KeyError:
        raise LookupError(f"no access policy registered for {model.__name__}") from None


# --- who the user is -------------------------------------------------------------------


def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def is_platform_admin(user) -> bool:
    return is_signed_in(user) and user.is_superuser


def member_organisation_ids(user) -> set[int]:
    """Organisations where the user has an active membership (cached per user object).

    The user model answers (`User.active_organisation_roles`): the gate knows no
    feature's models, accounts included."""
    if not is_signed_in(user):
        return set()
    if not hasattr(user, "_relais_member_org_ids"):
        remember_memberships(user, user.active_organisation_roles())
    return user._relais_member_org_ids


def managed_organisation_ids(user) -> set[int]:
    member_organisation_ids(user)
    return getattr(user, "_relais_managed_org_ids", set())


def remember_memberships(user, roles, *, types: dict[int, str] | None = None) -> None:
    """Cache (organisation id, is manager) pairs on the user object for this request, and
    the organisations' types when the caller has them at hand."""
    roles = list(roles)
    user._relais_member_org_ids = {organisation for organisation, _ in roles}
    user._relais_managed_org_ids = {organisation for organisation, manager in roles if manager}
    if types is not None:
        user._relais_member_org_types = dict(types)


def member_organisation_types(user) -> dict[int, str] | None:
    """{organisation id: its type} of the user's memberships, when the request loaded
    them with the memberships (the signed-in middleware does); None otherwise."""
    return getattr(user, "_relais_member_org_types", None)


def signature(user) -> tuple:
    """What the gate's SQL for `user` is built from in Python: who they are and whom they
    act for (the memberships the request read once). The rows the SQL reads are not in it:
    the key of a statement kept across requests (`decisions.statement`)."""
    return (getattr(user, "pk", None), bool(getattr(user, "is_active", False)),
            bool(getattr(user, "is_superuser", False)), getattr(user, "kind", None),
            tuple(sorted(member_organisation_ids(user))),
            tuple(sorted(managed_organisation_ids(user))))


def forget_cached_memberships(user) -> None:
    for name in ("_relais_member_org_ids", "_relais_managed_org_ids",
                 "_relais_member_org_types"):
        if hasattr(user, name):
            delattr(user, name)


# --- the audit log ---------------------------------------------------------------------


def visible_audit_events(user, queryset: QuerySet) -> QuerySet:
    """Admins read everything; managers their organisations' events; others their own."""
    if not is_signed_in(user):
        return queryset.none()
    if is_platform_admin(user):
        return queryset
    return queryset.filter(
        Q(actor=user) | Q(organisation_id__in=managed_organisation_ids(user))
    )


def may_browse_audit_log(user) -> bool:
    return is_platform_admin(user) or bool(managed_organisation_ids(user))


def may_on_audit_event(user, event, action: Action) -> bool:
    return action == Action.VIEW


# --- the gate --------------------------------------------------------------------------


def visible(user, queryset: QuerySet) -> QuerySet:
    return policy_for(queryset.model).visible(user, queryset)


def visible_rows(user, key: tuple, build, *, limit: int | None = None, **values) -> list:
    """`visible(user, build(slots))[:limit]` as a list, its SQL compiled once per user
    (their signature) and kept across requests, `values` put in the slots each time
    (core/kept.py): the gate's SQL reads consents, members and exclusions when it runs."""
    def built(slots):
        rows = visible(user, build(slots))
        return rows[:limit] if limit else rows

    return kept.rows((*key, signature(user)), built, **values)


class GuardedQuerySet(QuerySet):
    """The queryset of a guarded model: `Model.objects.visible_to(user)` asks the gate,
    which asks the rules the model's feature registered. A model never names a rule."""

    def visible_to(self, user):
        return visible(user, self)


def registered_model(label: str) -> type[Model] | None:
    """The guarded model whose `_meta.label_lower` is `label` ("stays.stay"), or None."""
    return next((model for model in POLICIES if model._meta.label_lower == label), None)


def visible_pks(user, label: str) -> QuerySet:
    """Primary keys of the `label` objects the user may see, as a subquery (for filters
    over rows that point at guarded objects by type and id, such as notifications)."""
    model = registered_model(label)
    if model is None:
        raise LookupError(f"no access policy registered for {label}")
    return decisions.remembered(("visible_pks", label, getattr(user, "pk", None)),
                                lambda: visible(user, model.objects.all()).values("pk"))


def sees(user, obj) -> bool:
    """Whether the gate shows `obj` to `user` now (one query per request; not audited: no
    data read)."""
    model = type(obj)
    one = policy_for(model).sees_one
    return decisions.remembered(
        ("sees", model._meta.label_lower, getattr(user, "pk", None), obj.pk),
        lambda: one(user, obj.pk) if one is not None and is_signed_in(user) else visible(
            user, model.objects.filter(pk=obj.pk)).exists())


def object_for(user, model: type[Model], pk, action: Action = Action.VIEW, *, queryset=None):
    """Load `model` #pk for `user` to do `action`, or raise Http404 (missing = forbidden)."""
    policy = policy_for(model)
    queryset = queryset if queryset is not None else model.objects.all()
    if not _is_valid_pk(model, pk):
        obj = None
    elif policy.load_seen is not None and _plain(queryset):
        obj = policy.load_seen(user, queryset, pk)
    elif policy.sees_one is not None:
        obj = _load_one(queryset, pk) if policy.sees_one(user, pk) else None
    else:
        obj = policy.visible(user, queryset).filter(pk=pk).first()
    if obj is None or not policy.allows(user, obj, action):
        _record_denial(user, model, pk, action, obj, policy)
        raise Http404
    if policy.audit_reads:
        audit.record_read(f"{model._meta.model_name}.read", actor=user, target=obj,
                          person_id=policy.person_id(obj), detail={"for": str(action)})
    return obj


def _plain(queryset: QuerySet) -> bool:
    """Whether the queryset only names what to load with the rows (select_related,
    prefetch_related), on a table with integer ids: then its SQL can be kept."""
    query = queryset.query
    return not (query.where or query.annotations or query.extra or query.is_sliced
                or query.distinct or not isinstance(queryset.model._meta.pk, AutoField))


def _load_one(queryset: QuerySet, pk):
    """`queryset.filter(pk=pk).first()`; when the queryset only names what to load with
    it (select_related, prefetch_related), its SQL is kept across requests (core/kept.py)."""
    query = queryset.query
    if not _plain(queryset):
        return queryset.filter(pk=pk).first()
    key = ("object_for", queryset.model._meta.label_lower, repr(query.select_related),
           repr(query.deferred_loading), tuple(map(repr, queryset._prefetch_related_lookups)))
    return kept.first(key, lambda s: queryset.filter(pk=s.pk), pk=int(pk))


def record_list_read(user, action: str, person_ids) -> None:
    """One audit event for a list a user read (a work list, an inbox), naming the persons
    it showed: lists are reads of person data too (DESIGN.md rule 5). Within a request,
    gathered with the request's other reads (`audit.record_read`)."""
    shown = {pk for pk in person_ids if pk is not None}
    if shown:
        audit.record_read(action, actor=user, persons=shown)


def _is_valid_pk(model: type[Model], pk) -> bool:
    try:
        model._meta.pk.to_python(pk)
    except Exception:  # noqa: BLE001 - any malformed id is simply "not found"
        return False
    return pk is not None and str(pk) != ""


def _record_denial(user, model, pk, action, obj, policy) -> None:
    audit.record(
        audit.Actions.ACCESS_DENIED,
        actor=user,
        target_type=model._meta.label_lower,
        target_id=str(pk)[:64],
        person_id=policy.person_id(obj) if obj is not None else None,
        outcome=Outcome.DENIED,
        detail={"action": str(action), "exists_for_user": obj is not None},
    )


def audit_event_for(user, pk):
    return object_for(user, AuditEvent, pk, Action.VIEW,
                      queryset=AuditEvent.objects.select_related("actor", "organisation"))


def register_audit_log_policy() -> None:
    register(AuditEvent, Policy(visible=visible_audit_events, allows=may_on_audit_event))
