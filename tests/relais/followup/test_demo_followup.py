"""The demo after discharge: three situations, once, and what the hospital reads beside
Jean-Pierre Kabongo's readmission."""

import pytest
from django.db import transaction

from relais.accounts.demo import load_demo
from relais.accounts.models import User
from relais.directory.demo import load_demo_directory
from relais.followup.demo_followup import load_demo_followup
from relais.followup.models import ContactStatus, Watch
from relais.network.demo import load_demo_persons
from relais.stays.demo import load_demo_stays
from relais.stays.models import Stay
from relais.stays.readmissions import home_records

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module's tests (about 5 s a load), in a transaction
    rolled back after them; each test runs in its own savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo()
        load_demo_persons()
        load_demo_directory()
        load_demo_stays()
        yield load_demo_followup()
        transaction.set_rollback(True)


def test_the_three_situations_load_once(loaded):
    assert loaded == 3
    assert load_demo_followup() == 0
    assert Watch.objects.filter(person__last_name="Delvaux", ended_at__isnull=True).count() == 1


def test_the_readmission_shows_what_the_followup_found_at_home(loaded):
    stays = list(Stay.objects.filter(person__last_name="Kabongo").order_by("admitted_at"))
    assert len(stays) == 2 and stays[1].previous_stay_id == stays[0].pk
    recorded = stays[0].followup.contacts.exclude(status=ContactStatus.PLANNED)
    assert [c.status for c in recorded.order_by("happened_at")] == [
        ContactStatus.PROBLEM, ContactStatus.REACHED]
    liaison = User.objects.get(email__startswith="liaison@")
    [shown] = home_records(liaison, [stays[1]])[stays[1].pk]
    record = shown["record"]
    assert [c.status for c in record.done] == [ContactStatus.PROBLEM, ContactStatus.REACHED]
    assert "diurétiques" in record.problems[0].note
