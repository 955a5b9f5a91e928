"""Sections that later apps add to the person page (the booklet, hospital stays) without
this app depending on them: each builder takes (user, person) and returns a dict with a
"template" to include, or None. Registered from the apps' `ready`.

A section may also register the kinds of rows it shows (`register_person_rows`): one
statement then says which of them a person has at all (`person_has`), and a section whose
rows do not exist skips its gated query. Most persons have no stay in progress, watch,
refusal or mandate; the person page asked for each of them every time.

It also gives a portal user's home the persons whose network they belong to."""

from collections.abc import Callable

from django.db.models import QuerySet

from relais.access import decisions
from relais.accounts.sections import register_context
from relais.core import kept
from relais.network import rules as network_rules
from relais.network.models import CapacityAssessment, Mandate, Person, ProtectionOrder

PERSON_SECTIONS: list[Callable] = []
# The same, shown under the person's name, before anything else (what the record is now).
PERSON_NOTICES: list[Callable] = []


def register_person_section(build: Callable, *, first: bool = False) -> None:
    if build not in PERSON_SECTIONS:
        PERSON_SECTIONS.insert(0, build) if first else PERSON_SECTIONS.append(build)


def register_person_notice(build: Callable) -> None:
    if build not in PERSON_NOTICES:
        PERSON_NOTICES.append(build)


# ask(user, person): lets a question a section will ask wait, to be answered with the
# page's other small questions in one statement (`access.decisions.ask_early`).
PERSON_QUESTIONS: list[Callable] = []


def register_person_question(ask: Callable) -> None:
    if ask not in PERSON_QUESTIONS:
        PERSON_QUESTIONS.append(ask)


def ask_person_questions(user, person) -> None:
    """Before the person page's sections: the small questions they will ask (whether the
    reader is in the safeguarding circle, how many booklet entries are unread) wait, and
    the first one needed (which sections have rows) asks them all in one statement."""
    for ask in PERSON_QUESTIONS:
        ask(user, person)


# name -> rows(person_id): a queryset of one person's rows of that kind, whoever may see them.
PERSON_ROWS: dict[str, Callable[[int], QuerySet]] = {}


def register_person_rows(name: str, rows: Callable[[int], QuerySet]) -> None:
    PERSON_ROWS[name] = rows


def person_has(person_pk: int, name: str) -> bool:
    """Whether the person has any `name` row at all, whoever may see it: False lets a
    section skip its gated query (it would find nothing); True says nothing about what the
    reader may see, so the section still asks the gate. Every registered kind is answered
    by one statement, once per request (a write in the request asks again)."""
    present = decisions.remembered(("network.person_rows", person_pk),
                                   lambda: _present(person_pk))
    return present[name]


def _present(person_pk: int) -> dict[str, bool]:
    """{name: whether the person has such a row}: no row is shown, so nothing is audited
    (what the reader sees still comes through the gate)."""
    return kept.exist_each(("network.person_rows",), {
        name: lambda s, rows=rows: rows(s.person) for name, rows in PERSON_ROWS.items()},
        person=person_pk)


def built(builders: list[Callable], user, person) -> list[dict]:
    return [section for build in builders if (section := build(user, person))]


def portal_home(user) -> dict:
    return {"persons": Person.objects.visible_to(user).select_related("municipality")[:50]}


def register() -> None:
    register_context("portal_home", portal_home)
    register_person_question(network_rules.ask_safeguarding_early)
    register_person_rows("network.mandates", lambda person: Mandate.objects.filter(
        person_id=person))
    register_person_rows("network.protection_orders", lambda person: ProtectionOrder.objects
                         .filter(person_id=person))
    register_person_rows("network.assessments", lambda person: CapacityAssessment.objects
                         .filter(person_id=person))
