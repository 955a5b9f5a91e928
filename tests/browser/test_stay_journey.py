"""The journey Relais exists for (issue 5): an ADT A01 arrives over MLLP → the liaison nurse, in
Dutch, sees the home network, screens and refers to home nursing → the home-nursing
nurse, in French, accepts → the going-home sheet prints to PDF in French → A03 closes
the stay."""

import importlib
from datetime import date

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import expect

from relais.access.models import ConsentScope
from relais.accounts import demo
from relais.accounts.models import User
from relais.directory.demo import load_demo_directory
from relais.interop import adt as feed
from relais.network import services as network_services
from relais.network.demo import load_demo_persons
from relais.network.models import Person
from relais.stays.demo import FACILITY
from relais.stays.models import AdtSource, Referral, Stay

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

load_geography = importlib.import_module("relais.core.migrations.0002_brussels_geography").load
HOSPITAL_NAME = "Hôpital du Val-Fleuri / Ziekenhuis Bloemendal"


@pytest.fixture
def yvonne(transactional_db):
    load_geography(django_apps, None)
    demo.load_demo()
    load_demo_persons()
    load_demo_directory()
    person = Person.objects.get(first_name="Yvonne", last_name="Renard")
    coordinator = User.objects.get(email=f"coordinator@{demo.DEMO_DOMAIN}")
    network_services.record_consent(person, scope=ConsentScope.HOSPITALS,
                                    given_by="Yvonne Renard", given_on=date(2026, 11, 2),
                                    actor=coordinator)
    hospital = User.objects.get(email=f"liaison@{demo.DEMO_DOMAIN}").memberships.get() \
        .organisation
    AdtSource.objects.create(sending_facility=FACILITY, hospital=hospital)
    return person


def adt(event: str, niss: str, control: str) -> bytes:
    now = timezone.localtime().strftime("%Y%m%d%H%M")
    segments = [
        f"MSH|^~\\&|HIS|{FACILITY}|RELAIS|RELAIS|{now}||ADT^{event}|{control}|P|2.5",
        f"EVN|{event}|{now}",
        f"PID|1||{niss}^^^NISS^NN~H-0042^^^VALFLEURI^PI||RENARD^YVONNE||19320909|F",
        f"PV1|1|I|||||||||||||||||V-2026-0042|||||||||||||||||||||||||{now}"
        + (f"|{now}" if event == "A03" else ""),
    ]
    return "\r".join(segments).encode() + b"\r"


@pytest.fixture
def mllp(yvonne):
    """The real listener on a loopback port; `send(bytes)` frames, sends, waits for the ACK."""
    import socket

    from relais.interop import adt
    from relais.interop.mllp import Deframer, MllpServer, frame

    server = MllpServer(("127.0.0.1", 0), adt.Feed(), poll_seconds=0.05)
    server.start_in_thread()

    def send(message: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(frame(message))
            deframer = Deframer()
            while True:
                chunk = sock.recv(4096)
                assert chunk, "the listener closed the connection without answering"
                if answers := deframer.feed(chunk):
                    return answers[0].data

    yield send
    server.stop()


def log_in(page, url, email):
    page.goto(f"{url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()


def test_admission_to_going_home(live_server, yvonne, mllp, page_factory, screenshot,
                                 tmp_path):
    assert b"MSA|AA" in mllp(adt("A01", yvonne.niss, "MSG-1"))  # stored: applied behind
    assert feed.drain() == 1  # the applier's turn (relais adt-apply in production)
    stay = Stay.objects.get(person=yvonne)

    # The liaison nurse, in Dutch, sees the home network from the work list.
    nurse = page_factory(locale="nl-BE")
    log_in(nurse, live_server.url, f"liaison@{demo.DEMO_DOMAIN}")
    with nurse.expect_navigation():
        nurse.select_option("#language-select", label="Nederlands")
    nurse.goto(f"{live_server.url}/hospital/worklist/")
    nurse.locator("main table a", has_text="Yvonne Renard").click()
    nurse.wait_for_load_state()
    expect(nurse.locator("main")).to_contain_text("Kevin Renard")  # grandson, contact point
    screenshot(nurse, "stay-nl-home-network")

    # She screens with Relais's social screen.
    nurse.goto(f"{live_server.url}/stays/{stay.pk}/screening/relais-social/new/")
    for fieldset in nurse.locator("main fieldset").all():
        if not fieldset.locator("input:checked").count():
            fieldset.locator("input[type=radio]").first.check()
    nurse.locator("main form button[type=submit]").click()
    nurse.wait_for_load_state()
    assert stay.screenings.count() == 1

    # She refers to home nursing that can start within 24 hours.
    nurse.goto(f"{live_server.url}/stays/{stay.pk}/refer/")
    nurse.select_option("main select[name=category]", "home_nursing")
    nurse.select_option("main select[name=urgency]", "24h")
    nurse.locator("main form button[type=submit]").click()
    nurse.wait_for_load_state()
    nurse.locator(".service-list > li", has_text="Soins Infirmiers Woluwe").first.locator(
        "a.button").click()
    nurse.wait_for_load_state()
    nurse.fill("textarea[name=help_needed]", "Wondzorg en hulp bij het wassen")
    nurse.fill("input[name=frequency]", "elke ochtend")
    nurse.fill("input[name=start_on]", "2026-12-01")
    nurse.fill("textarea[name=reason]", "Beenwonde na operatie")
    nurse.fill("textarea[name=person_wishes]", "Een bezoek voor 10 uur")
    nurse.check("input[name=person_agrees]")
    nurse.locator("main form button[type=submit]").click()
    nurse.wait_for_load_state()
    referral = Referral.objects.get(person=yvonne)
    assert referral.status == "sent"

    # The home nurse, in French, accepts from her inbox.
    home = page_factory(locale="fr-BE")
    log_in(home, live_server.url, f"home-nurse@{demo.DEMO_DOMAIN}")
    assert home.locator("html").get_attribute("lang") == "fr"
    home.goto(f"{live_server.url}/referrals/")
    home.locator("main table a", has_text="Yvonne Renard").click()
    home.wait_for_load_state()
    home.locator(f"form[action$='/referrals/{referral.pk}/accepted/'] button").click()
    home.wait_for_load_state()
    referral.refresh_from_db()
    assert referral.status == "accepted"
    screenshot(home, "referral-fr-accepted")

    # The going-home sheet, in Yvonne's French, prints to PDF.
    nurse.goto(f"{live_server.url}/stays/{stay.pk}/going-home/")
    assert nurse.locator("main article").get_attribute("lang") == "fr"
    expect(nurse.locator("main article")).to_contain_text("Soins Infirmiers Woluwe")
    pdf = tmp_path / "going-home.pdf"
    nurse.emulate_media(media="print")
    nurse.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5_000
    # Only the sheet was French: the page around it and the nurse's next page are Dutch.
    assert nurse.locator("html").get_attribute("lang") == "nl"
    nurse.emulate_media(media="screen")
    nurse.goto(f"{live_server.url}/hospital/worklist/")
    assert nurse.locator("html").get_attribute("lang") == "nl"

    # The discharge arrives from the feed and closes the stay.
    assert b"MSA|AA" in mllp(adt("A03", yvonne.niss, "MSG-2"))
    assert feed.drain() == 1
    stay.refresh_from_db()
    assert stay.discharged_at is not None
    assert nurse.console_errors == [] and home.console_errors == []
