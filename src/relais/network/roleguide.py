"""What each role may and may not do, in plain words (R4; DOMAIN.md §1).

Shown on the role guide page, beside the member form and on the portal. Legal roles get
the longest explanations because professionals confuse them most.
"""

from django.utils.translation import gettext_lazy as _

from relais.network.models import Role

GUIDE = {
    Role.TRUSTED_PERSON: (
        _("Helps the person exercise their patient rights while the person can still decide "
          "for themselves. Decides nothing in their place."),
        [_("Attends consultations and receives information with the person."),
         _("Receives information without the person only if the person agrees."),
         _("Looks at or copies the file with the person, or alone with a written request."),
         _("Helps with a complaint; since 2024 may assist with every patient right.")],
        [_("Does not consent to care or refuse it in the person's place."),
         _("Does not act alone without the person's agreement.")],
    ),
    Role.REPRESENTATIVE: (
        _("Exercises the person's patient rights in their name, but only while a "
          "practitioner judges that the person cannot do so themselves."),
        [_("Consents to or refuses care, receives information and sees the file, in the "
           "person's interest."),
         _("Needs a specific written mandate, dated and signed by the person and by the "
           "representative.")],
        [_("Has no powers while the person can decide for themselves."),
         _("Cannot use the right not to know; a decision that threatens the person's life or "
           "health can be overridden by the care team.")],
    ),
    Role.LEGAL_REPRESENTATIVE: (
        _("Parent or guardian of a minor, or the representative the law appoints when none "
          "was designated: administrator, partner, adult child, parent, adult sibling, in "
          "that order."),
        [_("Acts like a mandated representative while the person cannot decide.")],
        [_("Is not chosen freely: Relais shows the legal order computed from the network.")],
    ),
    Role.ADMINISTRATOR: (
        _("Appointed by the justice of the peace. Comes first in the legal order, but only "
          "if the court authorised them to exercise patient rights."),
        [_("Represents the person for what the court decided.")],
        [_("Has no say beyond the court's decision.")],
    ),
}

SHORT = {
    Role.INFORMAL_CAREGIVER: _("Helps the person at home regularly, without being paid for it."),
    Role.FAMILY: _("A relative. Family sees only what the person agreed to share (R7)."),
    Role.GP: _("The person's general practitioner: the medical reference at home."),
    Role.HOME_NURSE: _("Nursing care at home."),
    Role.HOME_HELP: _("Help with daily life at home: cleaning, shopping, meals."),
    Role.PHARMACIST: _("The person's usual pharmacy."),
    Role.PHYSIOTHERAPIST: _("Physiotherapy, at home or in practice."),
    Role.COORDINATION_CENTRE: _("Assesses needs at home and coordinates the care plan."),
    Role.CASE_MANAGER: _("Follows a complex situation closely over time."),
    Role.SOCIAL_WORKER: _("Social and financial help, housing, rights (OCMW/CPAS, hospital)."),
    Role.SPECIALIST: _("A medical specialist who follows the person."),
    Role.OTHER: _("Anyone else who matters to the person's care."),
}


def explain(role: str):
    """(summary, may, may not) for legal roles; (summary, [], []) for the others."""
    if role in GUIDE:
        return GUIDE[role]
    return SHORT.get(role, ""), [], []
