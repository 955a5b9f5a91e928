"""The demo booklet: Jozef's week at home, once."""

import pytest

from relais.accounts.demo import load_demo
from relais.booklet.demo import ENTRIES, load_demo_booklet
from relais.booklet.models import Consultation, EmergencySheet, Entry
from relais.network.demo import load_demo_persons

pytestmark = pytest.mark.django_db


def test_demo_booklet_loads_once():
    load_demo()
    load_demo_persons()
    assert load_demo_booklet() == len(ENTRIES)
    assert load_demo_booklet() == 0
    assert Entry.objects.filter(kind="alert").count() == 1
    assert EmergencySheet.objects.count() == 1 and Consultation.objects.count() == 1
    dates = list(Entry.objects.values_list("created_at", flat=True))
    assert max(dates) - min(dates) >= __import__("datetime").timedelta(days=4)
