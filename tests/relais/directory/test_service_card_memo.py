"""A service's card in the directory list is rendered once per set of values and kept
(`{% memo %}`, core/templatetags/memo.py). Whatever changes on the service or its
organisation — even by a bulk update that touches no version or timestamp — shows in
the list at once: the list with the cards kept equals the list rendered afresh."""

from datetime import date, timedelta

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from relais.core.templatetags import memo
from relais.directory import services
from relais.directory.models import Capacity, Category, Service

pytestmark = pytest.mark.django_db

# Not shown on the card: the list's own order and the texts it leaves in the database.
NOT_ON_THE_CARD_TYPES = (models.ForeignKey, models.ManyToManyField, models.JSONField,
                         models.DateTimeField)


@pytest.fixture
def service(world, platform_admin):
    return services.create_service(world.home_nursing, {
        "category": Category.HOME_NURSING, "name_fr": "Soins à domicile Nord",
        "name_nl": "Thuisverpleging Noord", "languages": ["fr", "nl"],
        "contact_phone": "+32 2 555 01 01", "contact_name": "Anne", "typical_wait_days": 3,
        "capacity": Capacity.WAITING_LIST}, actor=platform_admin)


def listed(client) -> str:
    response = client.get(reverse("directory:service_search"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def changed_value(field, value):
    """Another valid value of the field's type, or None when the card cannot show it."""
    if field.choices:
        return next((c for c, _ in field.flatchoices if c != value and c != ""), None)
    if isinstance(field, models.BooleanField):
        return not value
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return date(2020, 1, 1) if value != date(2020, 1, 1) else date(2021, 1, 1)
    if isinstance(field, (models.IntegerField, models.DecimalField)):
        return (value or 0) + 7
    if isinstance(field, (models.CharField, models.TextField)):
        text = f"{value or ''}Zq"
        return text[-field.max_length:] if field.max_length else text
    return None


def test_every_change_to_a_service_shows_in_the_list_at_once(client, home_nurse, service):
    client.force_login(home_nurse)
    memo.forget()
    fields = [f for f in Service._meta.concrete_fields
              if not f.primary_key and not isinstance(f, NOT_ON_THE_CARD_TYPES)]
    assert len(fields) > 15
    # Last: a service no longer active leaves the list (and its card with it).
    fields.sort(key=lambda f: f.name == "status")
    shown_changes = 0
    for field in fields:
        before = listed(client)  # the card kept as it is now
        value = changed_value(field, getattr(Service.objects.get(pk=service.pk), field.attname))
        if value is None:
            continue
        Service.objects.filter(pk=service.pk).update(**{field.attname: value})
        kept_list = listed(client)
        memo.forget()
        fresh = listed(client)
        assert kept_list == fresh, f"a change of {field.name} did not show"
        shown_changes += before != fresh
    assert shown_changes >= 8  # the card shows most of them (name, capacity, phone, …)


def test_a_renamed_organisation_and_a_new_day_show_at_once(client, world, home_nurse, service):
    client.force_login(home_nurse)
    memo.forget()
    listed(client)
    organisations = type(world.home_nursing).objects
    organisations.filter(pk=world.home_nursing.pk).update(name="Renamed Nursing")
    assert "Renamed Nursing" in listed(client)

    Service.objects.filter(pk=service.pk).update(verified_on=timezone.localdate()
                                                - timedelta(days=10_000))
    assert listed(client).count("not verified since") == 1


def test_the_card_is_rendered_once_then_given_back(client, home_nurse, service):
    client.force_login(home_nurse)
    memo.forget()
    first = listed(client)
    kept_count = len(memo._kept)
    assert kept_count >= 1
    assert listed(client) == first
    assert len(memo._kept) == kept_count  # nothing new was rendered


def test_each_language_has_its_own_card(client, home_nurse, service):
    client.force_login(home_nurse)
    memo.forget()
    pages = {}
    for language in ("nl", "fr", "en"):
        home_nurse.__class__.objects.filter(pk=home_nurse.pk).update(language=language)
        pages[language] = listed(client)
    assert "Thuisverpleging Noord" in pages["nl"]
    assert "Soins à domicile Nord" in pages["fr"]
    assert len(set(pages.values())) == 3
