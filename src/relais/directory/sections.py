"""What the directory adds to an organisation's page: its services and its agreements with
the other side (R8, R21). Registered when the app is ready."""

from django.db.models import Q

from relais.accounts.sections import register_context
from relais.directory.models import Agreement
from relais.directory.rules import may_edit_for


def organisation_directory(user, organisation) -> dict:
    agreements = Agreement.objects.filter(
        Q(hospital=organisation) | Q(partner=organisation)).select_related(
        "hospital", "partner", "ward")
    return {
        "services": organisation.services.visible_to(user).order_by("category", "name_fr"),
        "agreements": [a for a in agreements if a.in_force],
        "may_add_service": may_edit_for(user, organisation),
    }


def register() -> None:
    register_context("organisation", organisation_directory)
