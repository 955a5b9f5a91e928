"""notify_many(): many news of one kind at once (the worker's timed work), exactly what
notify() would write one by one — the gate asked once per recipient, not per news — with
one immediate email per recipient counting their news.

Madeleine Lambert's network (tests/relais/network/conftest.py): her GP, the home-nursing
service, her daughter (the caregiver), a former physiotherapist who left, a social
worker she excluded; the coordination centre keeps her record. Zébulon
(tests/relais/notifications/conftest.py) is followed by the `follower` GP.
"""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relais.booklet.models import Audience, Entry, EntryKind
from relais.network import services as network_services
from relais.notifications import rules, services
from relais.notifications.kinds import EmailMode
from relais.notifications.models import EmailDelivery, Notification
from relais.notifications.services import News
from relais.stays.models import Stay
from tests.relais.network import conftest as network_fixtures
from tests.relais.notifications.test_visibility import exclude_organisation

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

pytestmark = pytest.mark.django_db

PERSONAS = ("coordinator", "gp", "home_nurse", "caregiver", "former_member", "excluded_pro",
            "outsider", "follower")


@pytest.fixture
def everyone(request, madeleine, zebulon):
    return {name: request.getfixturevalue(name) for name in PERSONAS}


@pytest.fixture
def stays(madeleine, zebulon, world):
    return [Stay.objects.create(person=person, hospital=world.hospital, ward=world.ward)
            for person in (madeleine, zebulon)]


def forget_earlier_news():
    EmailDelivery.objects.all().delete()
    Notification.objects.all().delete()


def admitted(users, stays) -> list[News]:
    return [News(user, stay.person, stay, {"hospital": "Hôpital Test"})
            for user in users for stay in stays]


def told(written) -> list[tuple[int, int]]:
    return [(n.recipient_id, n.person_id) for n in written if n is not None]


def test_each_recipient_is_told_exactly_what_notify_would_tell(everyone, stays, madeleine,
                                                              zebulon):
    news = admitted(everyone.values(), stays)
    expected = [rules.may_be_told(item.recipient, person=item.person, target=item.target)
                for item in news]
    forget_earlier_news()

    written = services.notify_many("stay.admitted", news)

    assert [n is not None for n in written] == expected
    who = everyone
    assert told(written) == [
        (who["coordinator"].pk, madeleine.pk), (who["coordinator"].pk, zebulon.pk),
        (who["gp"].pk, madeleine.pk), (who["home_nurse"].pk, madeleine.pk),
        (who["caregiver"].pk, madeleine.pk), (who["follower"].pk, zebulon.pk)]
    assert Notification.objects.count() == 6
    (row,) = Notification.objects.filter(recipient=who["gp"])
    assert (row.kind, row.person, row.target_type, row.target_id, row.params) == (
        "stay.admitted", madeleine, "stays.stay", stays[0].pk, {"hospital": "Hôpital Test"})


def test_the_excluded_and_who_left_are_never_told(everyone, stays):
    forget_earlier_news()
    users = [everyone["excluded_pro"], everyone["former_member"], everyone["outsider"]]
    assert services.notify_many("stay.admitted", admitted(users, stays)) == [None] * 6
    assert not Notification.objects.exists() and not EmailDelivery.objects.exists()


def test_the_staff_of_an_excluded_organisation_are_not_told(madeleine, world, coordinator,
                                                            home_nurse, gp, stays):
    exclude_organisation(madeleine, world.home_nursing, actor=coordinator)
    forget_earlier_news()
    written = services.notify_many("stay.admitted", admitted([home_nurse, gp], stays[:1]))
    assert told(written) == [(gp.pk, madeleine.pk)]


def test_a_target_the_recipient_may_not_see_is_not_told(madeleine, caregiver, gp,
                                                        coordinator, world):
    """The daughter sees her mother, not what only health professionals may read."""
    health_only = Entry.objects.create(
        person=madeleine, kind=EntryKind.ALERT, audience=Audience.HEALTH, body="A fall.",
        author=coordinator, author_organisation=world.coordination_centre)
    forget_earlier_news()
    written = services.notify_many("booklet.alert", [News(caregiver, madeleine, health_only),
                                                     News(gp, madeleine, health_only)])
    assert told(written) == [(gp.pk, madeleine.pk)]


def test_nobody_and_the_inactive_are_not_told(madeleine, gp, stays):
    gp.is_active = False
    gp.save()
    forget_earlier_news()
    news = [News(None, madeleine, stays[0]), *admitted([gp], stays[:1])]
    assert services.notify_many("stay.admitted", news) == [None, None]
    assert not Notification.objects.exists()


def test_the_kind_and_its_target_are_checked_before_anything_is_written(gp, madeleine,
                                                                         stays):
    forget_earlier_news()
    with pytest.raises(LookupError, match="something.new"):
        services.notify_many("something.new", [News(gp, madeleine)])
    with pytest.raises(ValueError, match="stays.stay"):
        services.notify_many("stay.admitted", [*admitted([gp], stays[:1]), News(gp, madeleine)])
    assert not Notification.objects.exists()


def choose(user, **modes):
    services.set_email_modes(user, modes, actor=user)


def test_one_email_per_recipient_as_each_chose(everyone, stays, madeleine,
                                               django_capture_on_commit_callbacks):
    coordinator, gp, home_nurse = (everyone[n] for n in ("coordinator", "gp", "home_nurse"))
    choose(gp, stays=EmailMode.DIGEST)
    choose(home_nurse, stays=EmailMode.OFF)
    forget_earlier_news()
    news = admitted([coordinator, gp, home_nurse], stays) * 3  # three of each

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.notify_many("stay.admitted", news)

    # The coordinator chose nothing (immediately): one email for her six notifications.
    (delivery,) = EmailDelivery.objects.all()
    first = Notification.objects.filter(recipient=coordinator).order_by("pk").first()
    assert (delivery.recipient, delivery.kind, delivery.items, delivery.notification) == (
        coordinator, "stay.admitted", 6, first)
    assert len(callbacks) == 1
    in_digest = dict(Notification.objects.values_list("recipient").distinct()
                     .values_list("recipient", "in_digest"))
    assert in_digest == {coordinator.pk: False, gp.pk: True, home_nurse.pk: False}
    assert Notification.objects.filter(recipient=gp).count() == 3


# --- the number of queries grows with the recipients, not with the news -----------------


@pytest.fixture
def kept_persons(coordinator, world):
    """Ten persons whose records the coordination centre keeps."""
    return [network_services.create_person(
        {"first_name": f"Person{n}", "last_name": "Kept", "birth_date": date(1940, 1, 1 + n),
         "sex": "F"}, actor=coordinator, organisation=world.coordination_centre)
        for n in range(10)]


def queries_to_tell(users, persons) -> int:
    users = [type(user).objects.get(pk=user.pk) for user in users]  # nothing cached yet
    news = [News(user, person, params={}) for user in users for person in persons]
    with CaptureQueriesContext(connection) as queries:
        written = services.notify_many("network.added", news)
    assert all(written)
    return len(queries)


def test_the_queries_do_not_grow_with_the_news(coordinator, kept_persons):
    one = queries_to_tell([coordinator], kept_persons[:1])
    assert queries_to_tell([coordinator], kept_persons) == one
    # The gate (the recipient's organisations, then the persons), the choices, one insert,
    # one email.
    assert one == 5


def test_each_recipient_adds_the_gate_and_an_email(coordinator, kept_persons, world):
    colleague = network_fixtures.UserFactory(email="colleague@test.relais.example")
    network_fixtures.MembershipFactory(user=colleague, organisation=world.coordination_centre,
                                       function="coordinator")
    assert queries_to_tell([coordinator, colleague], kept_persons) == 5 + 3
