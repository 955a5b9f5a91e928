"""Communication: Madeleine's booklet entries, each read by its audience only, exactly as
the booklet's page decides (booklet/rules.py)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.booklet.models import Entry
from relais.interop.fhir.resources.communication import entry_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(madeleine, coordinator, world, gp):
    """One entry per audience, written by the coordinator; a named one for the
    home-nursing service and one for the GP alone."""
    nursing = madeleine.members.get(organisation=world.home_nursing)
    gp_member = madeleine.members.get(user=gp)

    def write(body, **options):
        return booklet.write(madeleine, author=coordinator, body=body, **options).pk

    return {
        "network": write("For everyone."),
        "health": write("For health professionals.", audience="health"),
        "nursing": write("For the nurses.", audience="named", named_members=[nursing]),
        "gp": write("For the GP.", audience="named", named_members=[gp_member]),
        "circle": write("For the circle.", audience="safeguarding", kind="alert"),
    }


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {int(e["resource"]["id"]) for e in response.json().get("entry", [])
            if e["search"]["mode"] == "match"}


def test_a_system_reads_the_entries_addressed_to_its_organisation(api, world, entries):
    found = _ids(api(world.home_nursing).get("/fhir/Communication"))

    # not "health": a system's account is no health professional; not the GP's, not the
    # safeguarding circle's (home nursing is not in it)
    assert found == {entries["network"], entries["nursing"]}


def test_the_safeguarding_circle_reads_its_entries(api, world, madeleine, entries):
    madeleine.members.filter(organisation=world.home_nursing).update(
        in_safeguarding_circle=True)

    found = _ids(api(world.home_nursing).get("/fhir/Communication"))

    assert found == {entries["network"], entries["nursing"], entries["circle"]}


def test_a_health_professional_reads_what_the_booklet_page_shows(client, gp, entries,
                                                                  madeleine):
    client.force_login(gp)

    found = _ids(client.get("/fhir/Communication", {"patient": f"Patient/{madeleine.pk}"}))

    assert found == {entries["network"], entries["health"], entries["gp"]}
    page = client.get(f"/persons/{madeleine.pk}/booklet/")
    shown = {e.pk for e in page.context["page"].object_list}
    assert shown == found


def test_an_entry_outside_the_audience_is_a_404(api, world, entries):
    caller = api(world.home_nursing)

    assert caller.get(f"/fhir/Communication/{entries['gp']}").status_code == 404
    assert caller.get(f"/fhir/Communication/{entries['nursing']}").status_code == 200


def test_the_entry_as_a_communication(api, world, madeleine, coordinator, entries):
    question = Entry.objects.get(pk=entries["network"])
    answer = booklet.write(madeleine, author=coordinator, kind="answer", body="Yes.",
                           reply_to=question)

    got = api(world.coordination_centre).get(f"/fhir/Communication/{answer.pk}").json()

    assert got["status"] == "completed"
    assert got["subject"] == {"reference": f"Patient/{madeleine.pk}"}
    assert got["sender"] == {"reference": f"Practitioner/{coordinator.pk}",
                             "display": answer.author_label}
    assert got["sent"] == answer.created_at.isoformat(timespec="seconds")
    assert [c["coding"][0]["code"] for c in got["category"]] == ["answer", "network"]
    assert got["priority"] == "routine"
    assert got["payload"] == [{"contentString": "Yes."}]
    assert got["inResponseTo"] == [{"reference": f"Communication/{question.pk}"}]
    assert got["meta"]["lastUpdated"] == answer.created_at.isoformat(timespec="milliseconds")
    assert entry_resource(answer) == {k: v for k, v in got.items()
                                      if k not in ("resourceType", "id", "meta")}


def test_search_by_category_and_sent(client, coordinator, entries):
    client.force_login(coordinator)  # the author reads all they wrote
    today = timezone.localdate()

    def found(**query):
        return _ids(client.get("/fhir/Communication", query))

    assert found(category="alert") == {entries["circle"]}
    assert found(category="urn:relais:booklet-audience|health") == {entries["health"]}
    assert found(category="urn:other|alert") == set()
    assert found(sent=today.isoformat()) == set(entries.values())
    assert found(sent=f"gt{today.isoformat()}") == set()
    assert found(sent=f"lt{(today + timedelta(days=1)).isoformat()}") == set(entries.values())


def test_an_unreadable_date_or_patient_is_a_400(api, world, entries):
    caller = api(world.coordination_centre)

    assert caller.get("/fhir/Communication", {"sent": "yesterday"}).status_code == 400
    assert caller.get("/fhir/Communication", {"patient": "Group/1"}).status_code == 400
    huge = "9" * 30  # no database key is that long
    assert caller.get("/fhir/Communication", {"patient": huge}).status_code == 400
    assert caller.get("/fhir/Communication", {"_id": huge}).json()["total"] == 0


def test_a_read_is_audited_as_opening_the_booklet(api, world, madeleine, entries):
    api(world.home_nursing).get(f"/fhir/Communication/{entries['network']}")

    event = AuditEvent.objects.get(action="booklet.read")
    assert event.person_id == madeleine.pk
    assert event.organisation == world.home_nursing
    assert event.detail == {"for": "fhir"}


def test_a_search_is_audited_naming_the_person(api, world, madeleine, entries):
    api(world.home_nursing).get("/fhir/Communication", {"category": "note"})

    event = AuditEvent.objects.get(action="fhir.communication.search")
    assert event.detail["persons"] == [madeleine.pk]
    assert "note" not in str(event.detail)


def test_a_search_costs_the_same_queries_for_one_or_many(api, world, madeleine,
                                                         coordinator):
    caller = api(world.coordination_centre)
    booklet.write(madeleine, author=coordinator, body="One.")
    with CaptureQueriesContext(connection) as one:
        caller.get("/fhir/Communication")
    for n in range(5):
        booklet.write(madeleine, author=coordinator, body=f"More {n}.", kind="alert")

    with CaptureQueriesContext(connection) as many:
        bundle = caller.get("/fhir/Communication").json()

    assert bundle["total"] == 6
    assert len(many.captured_queries) == len(one.captured_queries)


def test_nothing_once_the_organisation_is_excluded(api, world, madeleine, entries):
    madeleine.members.filter(organisation=world.home_nursing).update(never_inform=True)

    assert _ids(api(world.home_nursing).get("/fhir/Communication")) == set()
