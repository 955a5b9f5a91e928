"""Reading a saved transfer note: its snapshot stores codes and texts in three languages."""

from django import template
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from relais.stays import readmissions
from relais.stays.models import ItemStatus, ReferralStatus

register = template.Library()

SECTION_TITLES = {
    "summary": _("Summary"), "medical": _("Medical"), "psychological": _("Psychological"),
    "social": _("Social"), "practical": _("Practical"), "family": _("Family and caregivers"),
    "screening": _("Screening"), "referrals": _("Referrals"),
}


@register.filter
def section_title(name: str) -> str:
    return str(SECTION_TITLES.get(name, name))


@register.filter
def in_language(texts: dict) -> str:
    language = (translation.get_language() or "nl")[:2]
    return texts.get(language) or next((t for t in texts.values() if t), "")


@register.filter
def item_status(code: str) -> str:
    return str(ItemStatus(code).label) if code in ItemStatus.values else code


@register.filter
def referral_status(code: str) -> str:
    return str(ReferralStatus(code).label) if code in ReferralStatus.values else code


@register.filter
def iso_date(value: str) -> str:
    moment = parse_datetime(value or "")
    return date_format(moment, "SHORT_DATETIME_FORMAT") if moment else ""


@register.simple_tag(takes_context=True)
def home_records(context, stays):
    """What was recorded at home before each readmission among `stays` (a stay or a
    list), as the signed-in user may see it: `{% home_records rows as home %}`."""
    stays = stays if isinstance(stays, list | tuple) else [stays]
    request = context.get("request")
    return readmissions.home_records(getattr(request, "user", None), stays)


@register.filter
def home_record_of(records: dict, stay) -> list:
    return records.get(stay.pk, []) if records else []
