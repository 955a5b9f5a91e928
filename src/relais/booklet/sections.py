"""The booklet section of the person page (registered in apps.py)."""

from relais.access import policy


def person_booklet_section(user, person) -> dict:
    from relais.booklet.models import Entry

    unread = policy.visible(user, Entry.objects.filter(person=person)).exclude(
        receipts__user=user).count()
    return {"template": "booklet/partials/person_booklet.html", "person": person,
            "unread": unread}
