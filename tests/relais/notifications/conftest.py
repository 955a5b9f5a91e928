"""A person with a name and a diagnosis nobody may read in an email, news about them
(`tell`), a real SMTP server on loopback (aiosmtpd), and the real worker
(`relais worker --batch`).

Emails go through Django's SMTP backend to the server below; nothing is mocked.
"""

import signal
import socket
from datetime import date
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from relais.access.models import ConsentScope
from relais.booklet.models import Audience, Entry, EntryKind
from relais.network import services as network_services
from relais.network.models import MemberKind, NetworkMember
from relais.notifications import services
from relais.stays.models import Stay
from tests.factories import UserFactory

# Words that must never leave Relais by email.
SECRETS = ("Zébulon", "Quatremains", "pancreatic", "carcinoma", "Hôpital Test", "Geriatrics")
SECRET_DIAGNOSIS = "Metastatic pancreatic carcinoma: a fall this morning."


@pytest.fixture
def follower(db):
    """A GP who follows Zébulon and reads Relais in English."""
    return UserFactory(email="follower@test.relais.example", language="en")


@pytest.fixture
def zebulon(world, coordinator, follower):
    """Kept by the coordination centre, consented to share with his network, which the
    follower is in."""
    person = network_services.create_person(
        {"first_name": "Zébulon", "last_name": "Quatremains", "birth_date": date(1938, 5, 17),
         "sex": "M"},
        actor=coordinator, organisation=world.coordination_centre)
    network_services.record_consent(person, scope=ConsentScope.NETWORK, given_by="Zébulon",
                                    given_on=date(2026, 11, 1), actor=coordinator)
    join(person, follower)
    return person


def join(person, user) -> NetworkMember:
    """The user joins the person's network (directly: `add_member` would tell them)."""
    return NetworkMember.objects.create(person=person, kind=MemberKind.PROFESSIONAL, user=user)


@pytest.fixture
def stay(zebulon, world):
    return Stay.objects.create(person=zebulon, hospital=world.hospital, ward=world.ward)


@pytest.fixture
def alert(zebulon, coordinator, world):
    return Entry.objects.create(person=zebulon, kind=EntryKind.ALERT, audience=Audience.NETWORK,
                                body=SECRET_DIAGNOSIS, author=coordinator,
                                author_organisation=world.coordination_centre)


@pytest.fixture
def tell(zebulon, stay, alert):
    """`tell(user, kind, n)`: n notifications of that kind about Zébulon, as the features
    send them (person, target, parameters)."""
    events = {
        "stay.admitted": {"target": stay, "params": {"hospital": "Hôpital Test"}},
        "stay.discharged": {"target": stay, "params": {"hospital": "Hôpital Test"}},
        "booklet.alert": {"target": alert},
        "booklet.entry": {"target": alert},
        "network.added": {},
        "emergency.outdated": {},
    }

    def tell(user, kind="stay.admitted", n=1):
        return [services.notify(user, kind=kind, person=zebulon, **events[kind])
                for _ in range(n)]

    return tell


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse the next messages."""

    def __init__(self):
        self.messages = []
        self.refuse_next = 0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_next:
            self.refuse_next -= 1
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int):
        self.port = port
        self.mailbox = Mailbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    """Relais sends through SMTP to 127.0.0.1 on a free port; `smtp.start()` listens."""
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield server
    server.stop()


def run_worker() -> None:
    """`relais worker` until the queue has nothing ready (the worker sets signal handlers:
    put pytest's back)."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM,
                                                     signal.SIGQUIT)}
    try:
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay",
                     "--interval", "0")
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def waiting_tasks():
    return DBTaskResult.objects.filter(status=TaskResultStatus.READY)


def as_if_time_passed() -> None:
    """The clock moves on to every waiting task's time (the worker's retry delays)."""
    waiting_tasks().update(run_after=timezone.now())


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
