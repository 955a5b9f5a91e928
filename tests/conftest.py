"""Test personas, created once per test and reused everywhere (cf. healthchecks' hc/test.py).

The world they live in: a hospital with a liaison ward, a coordination centre, a GP
practice, a home-nursing service and the care-zone team.
"""

import os
from dataclasses import dataclass

import pytest
from django.test import Client
from django.utils import translation

from relais.accounts.models import Function, OrganisationType, Profession, UserKind
from tests.factories import (
    HospitalFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    WardFactory,
)
from tests.var_dirs import VarDirs


@pytest.hookimpl(trylast=True)  # after pytest-django has put transactional tests last
def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, leave out what runs the same on every database: it ran on SQLite.
    Then the longest transactional tests first among them (see longest_first)."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        once = [item for item in items if item.get_closest_marker("sqlite_only")]
        if once:
            config.hook.pytest_deselected(items=once)
            items[:] = [item for item in items if not item.get_closest_marker("sqlite_only")]
    longest_first(items)


# The transactional tests' longest, by module: the browser journeys, the page matrix first.
LONGEST_TRANSACTIONAL = ("tests/browser/test_page_matrix.py", "tests/browser/",
                         "tests/relais/notifications/test_several_workers.py",
                         "tests/relais/notifications/test_migrations.py",
                         "tests/relais/core/test_clock.py")


def transactional(item) -> bool:
    """pytest-django's own test for a test that flushes the database after itself."""
    marker = item.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or marker.args[:1] == (True,))) \
        or {"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ()))


def longest_first(items) -> None:
    """pytest-django runs the transactional tests after the others (each empties the
    database when it ends), the page matrix and the browser journeys among them. The
    longest go first within that block, so that xdist hands them out while the rest can
    still fill the other workers: last in the run, the page matrix (two minutes) kept one
    worker busy long after the other had finished (make test hands tests out two at a
    time: --maxschedchunk in pyproject.toml)."""
    block = [i for i, item in enumerate(items) if transactional(item)]
    if not block:
        return
    start, end = block[0], block[-1] + 1

    def rank(item) -> int:
        path = item.nodeid.split("::")[0]
        return next((n for n, prefix in enumerate(LONGEST_TRANSACTIONAL)
                     if path.startswith(prefix)), len(LONGEST_TRANSACTIONAL))

    items[start:end] = sorted(items[start:end], key=rank)


@pytest.fixture
def client():
    """Anonymous visitors' pages come in English unless a test asks otherwise."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def english_outside_requests():
    """Code run outside a request (services, validators, the worker) speaks the language
    active in the thread; a request's middleware activates its own. Each test starts in
    English, whatever an earlier test in the same worker left active (the site's default
    is Dutch, so a test alone and a test after a French page read differently)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_kept_statements():
    """The gate's statements kept across requests (`decisions.statement`) are kept per
    process: each test starts with none, so what a page builds is the same alone or after
    another test. Those built per shape of user (the person statements) name no one and
    run no query when built: they are kept from test to test, as across requests (a
    test that counts them forgets them: tests/relais/access/test_decide_once.py)."""
    from relais.access import decisions

    decisions.forget_statements(per_shape_too=False)


@pytest.fixture(scope="session")
def var_dirs(tmp_path_factory, worker_id) -> VarDirs:
    """`relais migrate` (and the demo) on a SQLite file, run once for the whole test run and
    copied into each test that runs `relais` in a subprocess (tests/var_dirs.py)."""
    shared = tmp_path_factory.getbasetemp()
    return VarDirs(shared if worker_id == "master" else shared.parent)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Argon2 stays the production hasher (tested in test_settings); tests use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    hospital: object
    ward: object
    coordination_centre: object
    gp_practice: object
    home_nursing: object
    care_zone_team: object


@pytest.fixture
def world(db):
    hospital = HospitalFactory(name="Hôpital Test")
    return World(
        hospital=hospital,
        ward=WardFactory(organisation=hospital, name="Geriatrics", has_liaison=True),
        coordination_centre=OrganisationFactory(
            name="Coordination Test", type=OrganisationType.COORDINATION_CENTRE
        ),
        gp_practice=OrganisationFactory(name="Dr Test", type=OrganisationType.GP_PRACTICE),
        home_nursing=OrganisationFactory(name="Home Nursing Test"),
        care_zone_team=OrganisationFactory(
            name="Care Zone Team Test", type=OrganisationType.CARE_ZONE_TEAM
        ),
    )


def _member(organisation, function, *, manager=False, **user_fields):
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organisation=organisation, function=function,
                      is_manager=manager)
    return user


@pytest.fixture
def liaison_nurse(world):
    return _member(world.hospital, Function.LIAISON_NURSE, email="liaison@test.relais.example")


@pytest.fixture
def hospital_manager(world):
    return _member(world.hospital, Function.MANAGER, manager=True,
                   email="hospital-manager@test.relais.example")


@pytest.fixture
def coordinator(world):
    return _member(world.coordination_centre, Function.COORDINATOR, manager=True,
                   email="coordinator@test.relais.example")


@pytest.fixture
def gp(world):
    """A self-employed GP: the only member, and so the manager, of their practice."""
    return _member(world.gp_practice, Function.GENERAL_PRACTITIONER, manager=True,
                   email="gp@test.relais.example", profession=Profession.GENERAL_PRACTITIONER)


@pytest.fixture
def home_nurse(world):
    return _member(world.home_nursing, Function.HOME_NURSE, email="nurse@test.relais.example",
                   profession=Profession.NURSE)


@pytest.fixture
def analyst(world):
    return _member(world.care_zone_team, Function.CARE_ZONE_ANALYST,
                   email="analyst@test.relais.example")


@pytest.fixture
def platform_admin(db):
    return UserFactory(email="admin@test.relais.example", is_superuser=True, is_staff=True)


@pytest.fixture
def outsider(db):
    """Signed in, but belongs to no organisation."""
    return UserFactory(email="outsider@test.relais.example")


@pytest.fixture
def caregiver(db):
    """An informal caregiver with portal access (no organisation)."""
    return UserFactory(email="daughter@test.relais.example", kind=UserKind.PORTAL)


PERSONAS = ["liaison_nurse", "hospital_manager", "coordinator", "gp", "home_nurse", "analyst",
            "platform_admin", "outsider", "anonymous"]


@pytest.fixture
def persona_client(request, db):
    """`persona_client("gp")` → a Client logged in as that persona (anonymous: not)."""

    def make(name: str) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if name != "anonymous":
            client.force_login(request.getfixturevalue(name))
        return client

    return make


def login_as(client, user) -> Client:
    client.force_login(user)
    return client

