"""The notice on the person page of an anonymised record (registered when the app is
ready): the page keeps working, named `#<id>`, and says what happened to it."""

from relais.network.sections import register_person_notice
from relais.rights.models import Anonymisation
from relais.rights.retention import anonymised_name


def anonymised_notice(user, person) -> dict | None:
    # Anonymising blanks the first name and names the record `#<id>`: only such a record
    # is looked up, so other person pages ask nothing more.
    if person.first_name or person.last_name != anonymised_name(person.pk):
        return None
    anonymisation = Anonymisation.objects.filter(person_id=person.pk).first()
    if anonymisation is None:
        return None
    return {"template": "rights/anonymised_notice.html", "anonymisation": anonymisation}


def register() -> None:
    register_person_notice(anonymised_notice)
