"""Sections that later apps add to the person page (the booklet, hospital stays) without
this app depending on them: each builder takes (user, person) and returns a dict with a
"template" to include, or None. Registered from the apps' `ready`.

It also gives a portal user's home the persons whose network they belong to."""

from collections.abc import Callable

from relais.accounts.sections import register_context
from relais.network.models import Person

PERSON_SECTIONS: list[Callable] = []
# The same, shown under the person's name, before anything else (what the record is now).
PERSON_NOTICES: list[Callable] = []


def register_person_section(build: Callable, *, first: bool = False) -> None:
    if build not in PERSON_SECTIONS:
        PERSON_SECTIONS.insert(0, build) if first else PERSON_SECTIONS.append(build)


def register_person_notice(build: Callable) -> None:
    if build not in PERSON_NOTICES:
        PERSON_NOTICES.append(build)


def built(builders: list[Callable], user, person) -> list[dict]:
    return [section for build in builders if (section := build(user, person))]


def portal_home(user) -> dict:
    return {"persons": Person.objects.visible_to(user).select_related("municipality")[:50]}


def register() -> None:
    register_context("portal_home", portal_home)
