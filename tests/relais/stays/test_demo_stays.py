"""The demo hospital: three persons in hospital, an overdue and an accepted referral."""

import pytest

from relais.accounts.demo import load_demo
from relais.directory.demo import load_demo_directory
from relais.network.demo import load_demo_persons
from relais.stays.demo import FACILITY, load_demo_stays
from relais.stays.models import AdtSource, Referral, Stay

pytestmark = pytest.mark.django_db


def test_demo_stays_load_once_with_work_to_do():
    load_demo()
    load_demo_persons()
    load_demo_directory()
    assert load_demo_stays() == 3
    assert load_demo_stays() == 0
    assert Stay.objects.open().count() == 3
    assert Referral.objects.overdue().count() == 1
    assert Referral.objects.filter(status="accepted").count() == 1
    hospital = AdtSource.objects.get(sending_facility=FACILITY).hospital
    assert all(ward.code for ward in hospital.wards.all())
