"""Issue 6's journey: a home nurse, in French, writes an alert in Jozef's booklet; the GP,
in Dutch, sees it, acknowledges it and answers a consultation from its link; the
coordinator records the decision, which lands in the booklet for everyone."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import expect

from relais.accounts import demo
from relais.accounts.models import User
from relais.booklet import consultations
from relais.booklet.models import Entry, ReadReceipt
from relais.network.demo import load_demo_persons
from relais.network.models import Person
from relais.notifications.models import Notification

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load


@pytest.fixture
def jozef(transactional_db):
    load_geography(django_apps, None)
    demo.load_demo()
    load_demo_persons()
    return Person.objects.get(first_name="Jozef", last_name="Verhaegen")


def user(key):
    return User.objects.get(email=f"{key}@{demo.DEMO_DOMAIN}")


def log_in(page, url, key):
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", f"{key}@{demo.DEMO_DOMAIN}")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def test_alert_acknowledged_consultation_answered_and_decided(live_server, jozef,
                                                              page_factory, screenshot):
    booklet = f"{live_server.url}/persons/{jozef.pk}/booklet/"

    nurse = page_factory(locale="fr-BE")
    log_in(nurse, live_server.url, "home-nurse")
    assert nurse.locator("html").get_attribute("lang") == "fr"
    nurse.goto(booklet)
    writer = nurse.locator("main details").first
    if writer.get_attribute("open") is None:  # open already when the booklet is empty
        writer.locator("summary").click()
    nurse.select_option("main select[name=entry-kind]", "alert")
    nurse.select_option("main select[name=entry-audience]", "health")
    nurse.fill("main textarea[name=entry-body]", "Chute ce matin, hématome à la hanche droite.")
    nurse.locator("main form[enctype] button[type=submit]").click()
    nurse.wait_for_load_state()
    alert = Entry.objects.get(person=jozef, kind="alert")
    screenshot(nurse, "booklet-fr-alert")

    gp = page_factory(locale="nl-BE")
    log_in(gp, live_server.url, "gp")
    assert gp.locator("html").get_attribute("lang") == "nl"
    assert Notification.objects.filter(recipient=user("gp"), kind="booklet.alert").exists()
    gp.goto(booklet)
    expect(gp.locator("main [role=alert]")).to_contain_text("Chute ce matin")
    gp.locator(f"form[action$='/booklet/entries/{alert.pk}/acknowledge/'] button").click()
    gp.wait_for_load_state()
    assert ReadReceipt.objects.get(entry=alert, user=user("gp")).acknowledged_at

    coordinator = user("coordinator")
    gp_member = jozef.members.get(user=user("gp"))
    consultation = consultations.ask(
        jozef, question="Kan iemand langsgaan op de dag van ontslag?", choices=["Ja", "Nee"],
        deadline=timezone.now() + timedelta(days=2), members=[gp_member], actor=coordinator,
        organisation=coordinator.memberships.get().organisation)
    link = Notification.objects.get(recipient=user("gp"), kind="consultation.invited").link
    assert link == f"/consultations/{consultation.pk}/"
    gp.goto(f"{live_server.url}{link}")
    gp.locator("main input[type=radio][value=Ja]").check()
    gp.fill("main textarea[name=text]", "Ik kom om 17 uur.")
    gp.locator("main form button[type=submit]").click()
    gp.wait_for_load_state()
    invitation = consultation.invitations.get()
    invitation.refresh_from_db()
    assert invitation.choice == "Ja"

    coord = page_factory(locale="fr-BE")
    log_in(coord, live_server.url, "coordinator")
    coord.goto(f"{live_server.url}/consultations/{consultation.pk}/")
    expect(coord.locator("main")).to_contain_text("Ik kom om 17 uur.")
    coord.fill("main textarea[name=decision]", "Le médecin passe le jour de la sortie à 17 h.")
    coord.locator("main form[action$='/decide/'] button").click()
    coord.wait_for_load_state()
    consultation.refresh_from_db()
    assert consultation.decision_entry is not None
    gp.goto(booklet)
    expect(gp.locator("main .entries")).to_contain_text("17 h")
    assert nurse.console_errors == [] and gp.console_errors == []
    assert coord.console_errors == []


def test_seen_by_on_a_phone_names_the_first_readers_and_opens_all_of_them(
        live_server, jozef, page_factory, screenshot):
    """An entry the whole ward read: at 360 px the line names five readers and counts the
    others; its link opens every reader, in a table that fits the screen."""
    from relais.booklet import services

    entry = services.write(jozef, author=user("home-nurse"), body="Sleeps badly since Monday.")
    readers = User.objects.bulk_create([
        User(email=f"ward-{n}@test.relais.example", first_name=f"Nurse{n:02d}",
             last_name="Ward") for n in range(12)])
    ReadReceipt.objects.bulk_create([ReadReceipt(entry=entry, user=reader)
                                     for reader in readers])
    phone = page_factory(width=360, height=740, locale="nl-BE")
    log_in(phone, live_server.url, "gp")
    phone.goto(f"{live_server.url}/persons/{jozef.pk}/booklet/")
    seen = phone.locator(f"#entry-{entry.pk} p.small.muted").last
    expect(seen).to_contain_text("en 8 anderen")  # the author and four named, the GP counted
    screenshot(phone, "booklet-seen-by-360")
    seen.locator("a").click()
    phone.wait_for_load_state()
    expect(phone.locator("main h1")).to_have_text("Wie dit bericht gezien heeft")
    expect(phone.locator("main tbody tr")).to_have_count(14)  # the author, 12, the GP
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the readers page is {width} px wide"
    screenshot(phone, "booklet-readers-360")
    assert phone.console_errors == []
