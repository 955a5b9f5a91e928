"""What each function should do next on their home page: only things Relais can do now."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from relais.accounts import twofactor
from relais.accounts.models import Function


@dataclass(frozen=True)
class Step:
    title: str
    text: str
    url: str


HOSPITAL_FUNCTIONS = {Function.LIAISON_NURSE, Function.HOSPITAL_SOCIAL_WORKER, Function.WARD_NURSE}


def next_steps_for(user, memberships) -> list[Step]:
    steps = []
    if not twofactor.has_two_factor(user):
        steps.append(Step(_("Protect your account"),
                          _("Turn on two-factor authentication with an app on your phone."),
                          reverse("accounts:two_factor_setup")))
    if memberships:
        steps.append(Step(_("The people you follow"),
                          _("Find a person, open a record, and build their care network."),
                          reverse("network:person_list")))
    for membership in memberships:
        steps.extend(_steps_for_membership(membership))
    if any(m.function == Function.CARE_ZONE_ANALYST for m in memberships):
        steps.append(Step(_("Know your care zone"),
                          _("See which municipalities and postcodes belong to each care zone."),
                          reverse("core:care_zones")))
    steps.append(Step(_("Find a partner"),
                      _("Look up hospitals, home-care services and social services in the region."),
                      reverse("accounts:organisation_list")))
    return steps


def _steps_for_membership(membership) -> list[Step]:
    organisation = membership.organisation
    detail = reverse("accounts:organisation_detail", args=[organisation.pk])
    steps = []
    if membership.function in HOSPITAL_FUNCTIONS and organisation.is_hospital:
        steps.append(Step(_("Check your hospital's wards"),
                          _("Ambulatory partners see which wards have a liaison function."),
                          detail))
    if membership.is_manager:
        steps.append(Step(_("Keep %(name)s up to date") % {"name": organisation.name},
                          _("Contact details, how you work, and who works with you."),
                          detail))
    return steps
