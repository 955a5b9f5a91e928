"""Relais's default discharge checklist (issue 5 point 4); organisations may adapt it.

Texts are translated with gettext and copied into each item in the three languages when
a plan is made, so that a later change of the template never rewrites a running plan.
"""

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from relais.stays.models import Domain

# (domain, text, blocks discharge)
DEFAULT_ITEMS = [
    (Domain.MEDICAL, _("Medication reconciled and explained"), True),
    (Domain.MEDICAL, _("Follow-up appointments made"), True),
    (Domain.MEDICAL, _("GP informed of the discharge"), True),
    (Domain.MEDICAL, _("Home nursing arranged if needed"), True),
    (Domain.PSYCHOLOGICAL, _("The person understands and agrees with the plan"), True),
    (Domain.PSYCHOLOGICAL, _("Mental-health or psychosocial support considered"), False),
    (Domain.SOCIAL, _("Vulnerability screening done"), True),
    (Domain.SOCIAL, _("Income, insurance and costs checked"), False),
    (Domain.SOCIAL, _("Housing is suitable for the return home"), True),
    (Domain.PRACTICAL, _("Home help arranged if needed"), True),
    (Domain.PRACTICAL, _("Meals arranged if needed"), False),
    (Domain.PRACTICAL, _("Equipment delivered (bed, walker, commode…)"), True),
    (Domain.PRACTICAL, _("Transport home arranged"), True),
    (Domain.FAMILY, _("Caregiver informed and able to help"), True),
    (Domain.FAMILY, _("Contact point confirmed"), True),
    (Domain.FAMILY, _("Going-home sheet explained to the person and caregiver"), False),
]


def in_three_languages(text) -> dict[str, str]:
    texts = {}
    for language in ("nl", "fr", "en"):
        with translation.override(language):
            texts[f"text_{language}"] = str(text)
    return texts


def template_rows(hospital) -> list[dict]:
    """The hospital's own checklist if it has one, else Relais's default."""
    template = hospital.checklist_templates.prefetch_related("items").first()
    if template is not None:
        return [{"domain": i.domain, "text_nl": i.text_nl, "text_fr": i.text_fr,
                 "text_en": i.text_en, "blocking": i.blocking} for i in template.items.all()]
    return [{"domain": domain, "blocking": blocking, **in_three_languages(text)}
            for domain, text, blocking in DEFAULT_ITEMS]
