"""The booklet section of the person page (registered in apps.py)."""

from relais.access.booklet import entries_of


def person_booklet_section(user, person) -> dict:
    unread = entries_of(user, person).exclude(
        receipts__user=user).count()
    return {"template": "booklet/partials/person_booklet.html", "person": person,
            "unread": unread}
