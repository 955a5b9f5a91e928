"""Overdue joint actions (R20): the owner organisation's managers and coordinators are
told once per due date, by a job of the worker's clock (`core.clock`, hourly).

"Once" lives in the action's row: `overdue_told_for` is set to the due date by a
compare-and-set update before anyone is told, in the same transaction as the telling;
a second worker's update matches no row (PostgreSQL re-reads the row once the first
commits; SQLite has one writer at a time), so it tells nobody. A new due date makes the
action remindable again.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation

from relais.audit import log as audit
from relais.core import clock
from relais.notifications.services import notify
from relais.thematic import rules
from relais.thematic.models import OPEN_STATUSES, JointAction, ReportLanguage, text_in
from relais.thematic.notices import ACTION_OVERDUE

EVERY = timedelta(hours=1)


def _not_told() -> Q:
    return Q(overdue_told_for__isnull=True) | ~Q(overdue_told_for=F("due_on"))


def overdue_actions(today):
    return (JointAction.objects.filter(status__in=OPEN_STATUSES, due_on__lt=today,
                                       owner__isnull=False).filter(_not_told()))


def remind_overdue_actions(now: datetime) -> int:
    """Tell the owners of actions overdue at `now` (once per due date); returns how many
    actions were reminded."""
    today = timezone.localdate(now)
    reminded = 0
    for pk in list(overdue_actions(today).order_by("pk").values_list("pk", flat=True)):
        with transaction.atomic():
            reminded += _remind(pk, today)
    return reminded


def _remind(pk: int, today) -> int:
    action = (overdue_actions(today).filter(pk=pk)
              .select_related("owner", "session__care_zone").first())
    if action is None:
        return 0
    claimed = overdue_actions(today).filter(pk=pk, due_on=action.due_on).update(
        overdue_told_for=action.due_on)
    if claimed != 1:
        return 0
    told = [user.pk for user in rules.managers_and_coordinators(action.owner_id)
            if notify(user, kind=ACTION_OVERDUE, params=_params(action, user.language))]
    audit.record("thematic.action_overdue_reminded", target=action,
                 organisation=action.owner, detail={"due_on": action.due_on.isoformat(),
                                                    "told": told})
    return 1


def _params(action, language: str) -> dict:
    language = language if language in ReportLanguage.values else action.session.language
    original = action.session.language
    with translation.override(language):
        due = formats.date_format(action.due_on, "DATE_FORMAT")
    return {"action": text_in(action, "title", language, original).text[:200],
            "organisation": action.owner.name,
            "theme": text_in(action.session, "theme", language, original).text,
            "date": due, "action_pk": action.pk}


def register() -> None:
    clock.register("thematic.remind_overdue_actions", EVERY, remind_overdue_actions)
