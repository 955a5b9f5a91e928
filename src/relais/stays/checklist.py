"""Relais's default discharge checklist (issue 5 point 4); organisations may adapt it.

Texts are translated with gettext and copied into each item in the three languages when
a plan is made, so that a later change of the template never rewrites a running plan.
"""

import functools

from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from relais.audit import log as audit
from relais.stays.models import ChecklistTemplate, Domain, TemplateItem

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


def template_rows(hospital, *, default: bool = False) -> list[dict]:
    """The hospital's own checklist if it has one (unless `default`), else Relais's."""
    template = None if default else hospital.checklist_templates.prefetch_related(
        "items").first()
    if template is not None:
        return [{"domain": i.domain, "text_nl": i.text_nl, "text_fr": i.text_fr,
                 "text_en": i.text_en, "blocking": i.blocking} for i in template.items.all()]
    return [dict(row) for row in _default_rows()]


@functools.cache
def _default_rows() -> tuple[dict, ...]:
    """Relais's default in three languages, translated once per process: switching the
    active language 48 times cost more than the rest of an admission."""
    return tuple({"domain": domain, "blocking": blocking, **in_three_languages(text)}
                 for domain, text, blocking in DEFAULT_ITEMS)


@transaction.atomic
def adopt_default(hospital, *, actor) -> ChecklistTemplate:
    """The hospital's own copy of Relais's default, to adapt; running plans keep theirs."""
    template = ChecklistTemplate.objects.create(organisation=hospital,
                                                name=str(_("Discharge checklist")))
    TemplateItem.objects.bulk_create(
        TemplateItem(template=template, position=n, **row)
        for n, row in enumerate(template_rows(hospital, default=True)))
    audit.record("checklist.adopt", actor=actor, target=template, organisation=hospital)
    return template


@transaction.atomic
def add_template_item(template, *, domain, text_nl, text_fr, text_en, blocking, actor):
    position = (template.items.aggregate(last=Max("position"))["last"] or 0) + 1
    item = TemplateItem.objects.create(template=template, domain=domain, text_nl=text_nl,
                                       text_fr=text_fr, text_en=text_en, blocking=blocking,
                                       position=position)
    audit.record("checklist.add_item", actor=actor, target=item,
                 organisation=template.organisation)
    return item


@transaction.atomic
def remove_template_item(item, *, actor) -> None:
    audit.record("checklist.remove_item", actor=actor, target=item,
                 organisation=item.template.organisation, detail={"text": item.text_en})
    item.delete()
