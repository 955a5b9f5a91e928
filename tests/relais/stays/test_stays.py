"""Stays: opening, the admission alert, the plan, discharge, and who sees what."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relais.accounts.models import Ward
from relais.audit.models import AuditEvent
from relais.network.models import Person
from relais.notifications.models import Notification
from relais.stays import referrals, services, views
from relais.stays.checklist import DEFAULT_ITEMS
from relais.stays.models import ItemStatus, Stay
from tests.conftest import login_as
from tests.helpers import SIGNED_IN_QUERIES
from tests.relais.stays.conftest import NEEDS

pytestmark = pytest.mark.django_db


def test_opening_a_stay_copies_the_checklist_in_three_languages(stay):
    items = list(stay.plan_items.all())
    assert len(items) == len(DEFAULT_ITEMS)
    first = items[0]
    assert first.text_en == "Medication reconciled and explained"
    assert first.text_nl and first.text_fr and first.text_nl != first.text_en
    assert AuditEvent.objects.filter(action="stay.open", person_id=stay.person_id).exists()


def test_admission_alert_reaches_gp_and_coordination_but_not_excluded(
        stay, gp, coordinator, excluded_pro, caregiver, django_capture_on_commit_callbacks):
    told = set(Notification.objects.filter(kind="stay.admitted").values_list("recipient__email",
                                                                             flat=True))
    assert gp.email in told
    assert excluded_pro.email not in told


def test_admission_email_has_no_name_and_no_hospital(madeleine, world, liaison_nurse, gp,
                                                     hospital_consent, settings,
                                                     django_capture_on_commit_callbacks):
    # The worker's task runs at once, in this thread (tests/relais/notifications runs the real
    # worker against a real SMTP server).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        services.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)
    to_gp = [m for m in mail.outbox if m.to == [gp.email]]
    assert to_gp
    text = to_gp[0].subject + to_gp[0].body
    for secret in ("Madeleine", "Lambert", "Hôpital", "Geriatrics"):
        assert secret not in text


def test_no_alert_without_consent_to_share_with_the_network(madeleine, world, liaison_nurse,
                                                            coordinator, gp):
    for consent in madeleine.consents.all():
        consent.revoked_at = timezone.now()
        consent.save()
    services.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)
    assert not Notification.objects.filter(kind="stay.admitted").exists()


def test_one_open_stay_per_hospital(stay, world, liaison_nurse):
    with pytest.raises(ValidationError):
        services.open_stay(stay.person, hospital=world.hospital, actor=liaison_nurse)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stay.objects.create(person=stay.person, hospital=world.hospital)


def test_dates_are_checked(madeleine, world, liaison_nurse, stay):
    with pytest.raises(ValidationError) as error:
        services.discharge(stay, actor=liaison_nurse, reason="x",
                           discharged_at=stay.admitted_at - timedelta(hours=1))
    assert "discharged_at" in error.value.message_dict
    stay.refresh_from_db()
    assert stay.discharged_at is None


def test_discharge_with_blocking_items_needs_a_reason(stay, liaison_nurse):
    with pytest.raises(ValidationError) as error:
        services.discharge(stay, actor=liaison_nurse, destination="home")
    assert "reason" in error.value.message_dict
    services.discharge(stay, actor=liaison_nurse, destination="home",
                       reason="The person insists on leaving today.")
    stay.refresh_from_db()
    assert stay.discharged_at and stay.discharge_reason.startswith("The person")


def test_discharge_when_every_blocking_item_is_done(stay, liaison_nurse, gp):
    for item in stay.plan_items.filter(blocking=True):
        services.set_item_status(item, status=ItemStatus.DONE, actor=liaison_nurse,
                                 expected_version=item.version)
    services.discharge(stay, actor=liaison_nurse, destination="home_services",
                       followup_within_days=2, followup_needs="Call within 48 h")
    stay.refresh_from_db()
    assert not stay.is_open and stay.followup_within_days == 2
    assert Notification.objects.filter(kind="stay.discharged", recipient=gp).exists()


# --- who sees the person through a stay ---------------------------------------------


def test_hospital_staff_see_the_person_only_with_hospital_consent(madeleine, world,
                                                                  liaison_nurse):
    visible = Person.objects.visible_to(liaison_nurse)
    assert madeleine not in visible
    services.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)
    assert madeleine not in Person.objects.visible_to(liaison_nurse)  # no hospital consent


def test_with_hospital_consent_the_liaison_sees_the_home_network(client, stay, liaison_nurse):
    client.force_login(liaison_nurse)
    page = client.get(reverse("stays:stay_detail", args=[stay.pk])).content.decode()
    assert "Sophie Lambert" in page  # the daughter, trusted person
    assert "Trusted person" in page
    assert "excluded" not in page.lower() or "Social Test" not in page


def test_after_discharge_the_hospital_no_longer_sees_the_record(stay, liaison_nurse):
    services.discharge(stay, actor=liaison_nurse, reason="Leaves against advice")
    assert stay.person not in Person.objects.visible_to(liaison_nurse)
    # ... but still sees its own stay (its patient's file)
    assert stay in Stay.objects.visible_to(liaison_nurse)


@pytest.mark.parametrize("persona, status", [
    ("liaison_nurse", 200), ("gp", 200), ("home_nurse", 200), ("coordinator", 200),
    ("outsider", 404), ("excluded_pro", 404), ("anonymous", 302)])
def test_stay_page_permissions(persona_client, request, stay, persona, status):
    if persona == "excluded_pro":
        request.getfixturevalue("excluded_pro")
    response = persona_client(persona).get(reverse("stays:stay_detail", args=[stay.pk]))
    assert response.status_code == status


@pytest.mark.parametrize("name", ["discharge", "referral_new"])
def test_only_hospital_staff_change_the_stay(persona_client, stay, name):
    url = reverse(f"stays:{name}", args=[stay.pk])
    assert persona_client("liaison_nurse").get(url).status_code == 200
    for persona in ("gp", "home_nurse", "coordinator", "outsider"):
        assert persona_client(persona).get(url).status_code == 404


def test_plan_item_status_by_staff_only(persona_client, stay):
    item = stay.plan_items.first()
    url = reverse("stays:item_status", args=[item.pk])
    data = {"status": "done", "version": item.version}
    assert persona_client("gp").post(url, data).status_code == 404
    item.refresh_from_db()
    assert item.status == ItemStatus.TODO
    assert persona_client("liaison_nurse").post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE


def test_worklist_shows_what_blocks(persona_client, stay):
    page = persona_client("liaison_nurse").get(reverse("stays:worklist"))
    assert page.status_code == 200
    assert stay in page.context["leaving_soon"].rows and stay in page.context["not_ready"].rows
    assert stay in page.context["not_screened"].rows
    assert persona_client("home_nurse").get(reverse("stays:worklist")).status_code == 404


def test_worklist_query_count_does_not_grow_with_stays(persona_client, stay, world,
                                                       liaison_nurse, nursing_service):
    """The same queries for one stay as for six, each with a referral waiting: the rows
    read only the columns shown (views.WORKLIST_SHOWN, AWAITING_SHOWN), and a column the
    page used but did not read would cost a query per row."""
    def send(stay):
        referrals.send(person=stay.person, service=nursing_service, stay=stay, needs=NEEDS,
                       urgency="24h", actor=liaison_nurse, sender_organisation=world.hospital,
                       person_agrees=True)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("stays:worklist"))
        assert len(page.context["awaiting"]) == Stay.objects.count()
        return len(captured)

    client = persona_client("liaison_nurse")
    send(stay)
    client.get(reverse("stays:worklist"))  # statements kept from the first visit
    one = queries()
    for n in range(5):
        person = Person.objects.create(first_name=f"P{n}", last_name="Test",
                                       created_by=liaison_nurse,
                                       owner_organisation=world.hospital)
        send(services.open_stay(person, hospital=world.hospital, actor=liaison_nurse))
    assert queries() == one <= SIGNED_IN_QUERIES + 8


@pytest.fixture
def full_hospital(world, liaison_nurse):
    """57 persons in hospital now, none screened, the last 12 leaving tomorrow."""
    tomorrow = timezone.localdate() + timedelta(days=1)
    stays = []
    for n in range(57):
        person = Person.objects.create(first_name=f"P{n:02}", last_name="Full",
                                       created_by=liaison_nurse,
                                       owner_organisation=world.hospital)
        stays.append(services.open_stay(
            person, hospital=world.hospital, actor=liaison_nurse,
            expected_discharge_on=tomorrow if n >= 45 else None))
    return stays


def test_a_full_hospitals_worklist_comes_in_pages_naming_only_those_shown(
        persona_client, full_hospital):
    client = persona_client("liaison_nurse")

    first = client.get(reverse("stays:worklist"))
    second = client.get(reverse("stays:worklist"), {"page": 2})

    assert first.context["page"].paginator.count == 57
    assert len(first.context["rows"]) == 50 and len(second.context["rows"]) == 7
    assert {s.pk for s in first.context["rows"] + second.context["rows"]} == {
        s.pk for s in full_hospital}
    assert 'rel="next"' in first.content.decode()
    listed = AuditEvent.objects.filter(action="stay.list").order_by("pk")
    shown_first = set(listed[0].detail["persons"])
    assert shown_first == {s.person_id for s in first.context["rows"]} | {
        s.person_id for s in first.context["leaving_soon"].rows}
    assert len(shown_first) < 57  # not every open stay of the hospital


def test_a_list_that_fits_in_a_page_is_read_whole_in_one_statement(persona_client,
                                                                   full_hospital, monkeypatch):
    """Narrow keys and then the rows shown for a list longer than a page; the whole rows
    in one statement for one that fit at the last open (a ward's list), the same page."""
    client = persona_client("liaison_nurse")

    def opened():
        with CaptureQueriesContext(connection) as captured:
            page = client.get(reverse("stays:worklist"))
        shown = ([s.pk for s in page.context["rows"]],
                 [[s.pk for s in card.rows] for card in (page.context["leaving_soon"],
                                                         page.context["not_screened"])])
        return shown, len(captured)

    opened()  # statements built, the wards kept a minute
    _, two_statements = opened()  # 57 stays, 50 a page
    monkeypatch.setattr(views, "WORKLIST_PAGE", 60)
    in_two, learnt = opened()  # this open finds that the list fits
    whole, one_statement = opened()
    assert learnt == two_statements and one_statement == two_statements - 1
    assert whole == in_two and len(whole[0]) == 57
    # The list no longer fits: read whole once more (what the last open found), the page
    # still right, then in two statements again.
    monkeypatch.setattr(views, "WORKLIST_PAGE", 50)
    (rows, cards), still_whole = opened()
    assert still_whole == one_statement and rows == whole[0][:50] and cards == whole[1]
    assert opened()[1] == two_statements


def test_a_card_shows_its_first_ten_and_leads_to_all_of_them(persona_client, full_hospital):
    client = persona_client("liaison_nurse")

    page = client.get(reverse("stays:worklist")).content.decode()
    listed = client.get(reverse("stays:worklist"), {"show": "leaving"})
    unknown = client.get(reverse("stays:worklist"), {"show": "colour", "ward": "x" * 40})

    assert "show=leaving" in page and "All 12" in page
    assert "show=not_screened" in page and "All 57" in page
    assert page.count("Full</a>") <= 50 + 3 * 10
    assert [s.pk for s in listed.context["rows"]] == [s.pk for s in full_hospital[45:]]
    assert listed.context["page"].paginator.count == 12
    assert unknown.status_code == 200 and unknown.context["page"].paginator.count == 57


def test_manual_admission_form_refuses_expected_date_before_admission(persona_client, stay,
                                                                      world):
    from relais.network import services as network_services

    person = network_services.create_person({"first_name": "Jan", "last_name": "Peeters"},
                                            actor=stay.created_by, organisation=world.hospital)
    client = persona_client("liaison_nurse")
    response = client.post(reverse("stays:stay_new", args=[person.pk]), {
        "hospital": world.hospital.pk, "admitted_at": "2026-11-20T10:00",
        "expected_discharge_on": "2026-11-19"})
    assert response.status_code == 200
    assert "cannot be before the admission" in response.content.decode()
    assert not Stay.objects.filter(person=person).exists()
    response = client.post(reverse("stays:stay_new", args=[person.pk]), {
        "hospital": world.hospital.pk, "ward": world.ward.pk,
        "admitted_at": "2026-11-20T10:00", "expected_discharge_on": "2026-11-24"})
    assert response.status_code == 302
    assert Stay.objects.get(person=person).ward == world.ward


# --- the checklist: the hospital's own, items of one plan, owners ----------------------


def test_a_hospital_adapts_its_checklist_and_new_plans_follow(persona_client, world,
                                                              madeleine, hospital_consent,
                                                              liaison_nurse):
    url = reverse("stays:checklist_template", args=[world.hospital.pk])
    assert persona_client("liaison_nurse").get(url).status_code == 404  # not a manager
    assert persona_client("coordinator").get(url).status_code == 404
    manager = persona_client("hospital_manager")
    assert manager.get(url).status_code == 200
    manager.post(url, {"action": "adopt"})
    template = world.hospital.checklist_templates.get()
    assert template.items.count() == len(DEFAULT_ITEMS)
    response = manager.post(url, {"action": "add", "domain": "practical", "text_nl": "Sleutels",
                                  "text_fr": "Clés", "text_en": "Keys given back",
                                  "blocking": "on"})
    assert response.status_code == 302
    first = template.items.order_by("position").first()
    manager.post(reverse("stays:template_item_remove", args=[first.pk]))
    stay = services.open_stay(madeleine, hospital=world.hospital, actor=liaison_nurse)
    texts = list(stay.plan_items.values_list("text_en", flat=True))
    assert "Keys given back" in texts and first.text_en not in texts
    assert len(texts) == len(DEFAULT_ITEMS)


def test_a_bad_template_item_is_refused(persona_client, world):
    manager = persona_client("hospital_manager")
    url = reverse("stays:checklist_template", args=[world.hospital.pk])
    manager.post(url, {"action": "adopt"})
    response = manager.post(url, {"action": "add", "domain": "nonsense", "text_nl": "x",
                                  "text_fr": "", "text_en": "x"})
    assert response.status_code == 200
    assert world.hospital.checklist_templates.get().items.count() == len(DEFAULT_ITEMS)


def test_staff_add_an_item_and_give_it_an_owner(persona_client, stay, liaison_nurse, gp):
    client = persona_client("liaison_nurse")
    client.post(reverse("stays:plan_item_add", args=[stay.pk]),
                {"domain": "family", "text": "Call the son in Ghent", "blocking": "on"})
    item = stay.plan_items.get(text_en="Call the son in Ghent")
    assert item.text_fr == item.text_nl == "Call the son in Ghent" and item.blocking
    url = reverse("stays:item_status", args=[item.pk])
    client.post(url, {"status": "in_progress", "owner": liaison_nurse.pk,
                      "version": item.version})
    item.refresh_from_db()
    assert (item.status, item.owner) == ("in_progress", liaison_nurse)
    client.post(url, {"status": "done", "owner": gp.pk, "version": item.version})
    item.refresh_from_db()
    assert (item.status, item.owner) == ("in_progress", liaison_nurse)  # GP: not staff
    assert persona_client("gp").post(reverse("stays:plan_item_add", args=[stay.pk]), {
        "domain": "family", "text": "x"}).status_code == 404


def test_the_work_list_offers_a_new_ward_within_a_minute(monkeypatch, client, liaison_nurse,
                                                         world):
    """The wards are kept a minute per process (stays.views.WARDS_KEPT_SECONDS)."""
    from relais.access import decisions

    login_as(client, liaison_nurse)
    url = reverse("stays:worklist")
    before = [w.name for w in client.get(url).context["wards"]]
    Ward.objects.create(organisation=world.hospital, name="Zz New ward")
    assert [w.name for w in client.get(url).context["wards"]] == before  # kept
    later = decisions.time.monotonic() + views.WARDS_KEPT_SECONDS + 1
    # The gate's clock only: the process's own (psycopg, the replica's health) stays.
    monkeypatch.setattr(decisions, "time", SimpleNamespace(monotonic=lambda: later))
    assert [w.name for w in client.get(url).context["wards"]] == [*before, "Zz New ward"]
