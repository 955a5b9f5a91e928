"""The 19 municipalities and 5 care zones arrive with the migrations (DOMAIN.md §3)."""

import pytest
from django.utils import translation

from relais.core.models import CareZone, Municipality, care_zone_for

pytestmark = pytest.mark.django_db


def test_nineteen_municipalities_and_five_care_zones_are_loaded():
    assert Municipality.objects.count() == 19
    assert set(CareZone.objects.values_list("code", flat=True)) == {
        "north", "north-east", "south-east", "south", "centre-west"}


def test_south_east_holds_its_four_municipalities():
    names = set(CareZone.objects.get(code="south-east").municipalities.values_list(
        "name_fr", flat=True))
    assert names == {"Auderghem", "Etterbeek", "Woluwe-Saint-Lambert", "Woluwe-Saint-Pierre"}


def test_names_follow_the_active_language():
    schaerbeek = Municipality.objects.get(nis_code="21015")
    with translation.override("nl"):
        assert schaerbeek.name == "Schaarbeek"
    with translation.override("fr"):
        assert schaerbeek.name == "Schaerbeek"
    with translation.override("en"):
        assert CareZone.objects.get(code="north-east").name == "North-East"


def test_brussels_city_zone_depends_on_the_postcode():
    brussels = Municipality.objects.get(nis_code="21004")
    assert brussels.care_zone is None
    assert care_zone_for(brussels, "1020").code == "north"
    assert care_zone_for(brussels, "1000").code == "centre-west"
    assert care_zone_for(brussels, "") is None  # unknown postcode: a person's zone is set by hand


def test_the_brussels_city_split_can_be_configured(settings):
    settings.RELAIS_POSTCODE_ZONES = "1000=south, 1130=north-east"
    brussels = Municipality.objects.get(nis_code="21004")
    assert care_zone_for(brussels, "1000").code == "south"
    assert care_zone_for(brussels, "1130").code == "north-east"
    assert care_zone_for(brussels, "1020").code == "north"


def test_an_unsplit_municipality_uses_its_own_zone():
    etterbeek = Municipality.objects.get(nis_code="21005")
    assert care_zone_for(etterbeek, "1040").code == "south-east"
    assert care_zone_for(None, "1040") is None
