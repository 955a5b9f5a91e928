"""Madeleine (see tests/relais/network/conftest.py) is admitted to the test hospital.

She consented to share with her network; the hospital-consent case is set per test.
"""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from relais.access.models import ConsentScope
from relais.directory import services as directory_services
from relais.directory.models import Category
from relais.network import services as network_services
from relais.stays import services
from tests.relais.network import conftest as network_fixtures

# Madeleine and her network, as the network tests know them.
madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
member_of = network_fixtures.member_of


@pytest.fixture
def hospital_consent(madeleine, coordinator):
    return network_services.record_consent(
        madeleine, scope=ConsentScope.HOSPITALS, given_by="Madeleine Lambert",
        given_on=date(2026, 11, 1), actor=coordinator)


@pytest.fixture
def stay(madeleine, world, liaison_nurse, hospital_consent):
    return services.open_stay(madeleine, hospital=world.hospital, ward=world.ward,
                              actor=liaison_nurse,
                              admitted_at=timezone.now() - timedelta(days=3),
                              expected_discharge_on=timezone.localdate() + timedelta(days=2))


@pytest.fixture
def nursing_service(world, platform_admin):
    return directory_services.create_service(
        world.home_nursing, {"category": Category.HOME_NURSING, "name_fr": "Soins Test",
                             "name_nl": "Thuisverpleging Test", "languages": ["fr", "nl"],
                             "serves_all_brussels": True, "urgent_start": "24h",
                             "contact_phone": "+32 2 500 00 09"},
        actor=platform_admin)


NEEDS = {"help_needed": "Daily wound care and help with washing", "frequency": "every morning",
         "start_on": date(2026, 12, 1), "reason": "Leg ulcer; lives alone",
         "person_wishes": "Wants to stay at home; prefers a morning visit"}
