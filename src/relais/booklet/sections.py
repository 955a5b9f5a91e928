"""The booklet section of the person page (registered when the app is ready)."""

from relais.booklet.rules import ask_unread_early, unread_count
from relais.network.sections import register_person_question, register_person_section


def person_booklet_section(user, person) -> dict:
    unread = unread_count(user, person)
    return {"template": "booklet/partials/person_booklet.jinja", "person": person,
            "unread": unread}


def register() -> None:
    register_person_section(person_booklet_section, first=True)
    register_person_question(ask_unread_early)
