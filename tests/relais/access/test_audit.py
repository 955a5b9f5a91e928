"""The audit log is append-only and its events carry their leaf hash; the tampering
cases of sealed batches are in tests/relais/audit/."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from relais.audit import log as audit
from relais.audit import sealing
from relais.audit.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def write_events(count: int) -> list[AuditEvent]:
    return [audit.record("test.event", detail={"n": n}) for n in range(count)]


def test_an_event_is_written_with_its_leaf_hash_and_no_chain():
    first, second = write_events(2)
    assert second.pk > first.pk and first.seq is None and first.prev_hash == ""
    assert first.hash == first.leaf_hash() != second.hash


def test_verify_accepts_a_sealed_untouched_log(capsys):
    write_events(5)
    sealing.seal(grace=timedelta(0))
    call_command("audit", "verify")
    assert "audit log OK: 5 events in 1 batches" in capsys.readouterr().out


def test_the_orm_refuses_to_change_or_delete_events():
    event = write_events(1)[0]
    event.action = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.skipif(not ON_POSTGRES, reason="the database trigger exists on PostgreSQL only")
def test_postgres_refuses_update_and_delete_in_sql():
    event = write_events(1)[0]
    for sql in ("UPDATE access_auditevent SET action = 'x' WHERE id = %s",
                "DELETE FROM access_auditevent WHERE id = %s"):
        with (pytest.raises(DatabaseError, match="append-only"), transaction.atomic(),
              connection.cursor() as cursor):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_request_id_and_address_are_recorded(client, home_nurse):
    client.force_login(home_nurse)
    client.post("/accounts/logout/", HTTP_X_REQUEST_ID="req-1234567890",
                REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.get(action="auth.logout")
    assert (event.request_id, event.ip_address) == ("req-1234567890", "10.1.2.3")


def test_changes_made_in_the_django_admin_are_audited(client, platform_admin, world):
    client.force_login(platform_admin)
    url = f"/admin/core/carezone/{world.hospital.municipality.care_zone_id}/change/"
    zone = world.hospital.municipality.care_zone
    response = client.post(url, {"code": zone.code, "name_fr": zone.name_fr,
                                 "name_nl": "Zuidoost", "name_en": zone.name_en})
    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(action="admin.change")
    assert event.actor == platform_admin and event.target_type == "core.carezone"
    assert event.detail == {"operation": "change", "fields": ["name_nl"]}


def test_the_admin_filters_the_audit_log(client, platform_admin):
    audit.record("auth.login_failed", outcome="failed", detail={"email": "x@y.z"})
    audit.record("organisation.change", actor=platform_admin)
    client.force_login(platform_admin)
    failed = client.get("/audit/", {"outcome": "failed"}).context["page"].object_list
    assert [e.action for e in failed] == ["auth.login_failed"]
    changes = client.get("/audit/", {"action": "organisation"}).context["page"].object_list
    assert [e.action for e in changes] == ["organisation.change"]
    mine = client.get("/audit/", {"actor": "admin@"}).context["page"].object_list
    assert {e.actor_label for e in mine} == {"admin@test.relais.example"}


# --- events gathered in one unit of work -----------------------------------------------


def test_gathered_events_are_written_together_at_the_end_of_the_block(
        django_assert_num_queries):
    before = write_events(1)[0]
    # One INSERT for both, no lock, no read of a head.
    with transaction.atomic(), django_assert_num_queries(1), audit.gathered():
        first = audit.record("test.gathered", detail={"n": 1})
        second = audit.record("test.gathered", detail={"n": 2})
    assert before.pk < first.pk < second.pk
    assert [first.hash, second.hash] == [first.leaf_hash(), second.leaf_hash()]


def test_a_gathering_block_that_fails_writes_none_of_its_events():
    with pytest.raises(RuntimeError), transaction.atomic(), audit.gathered():
        audit.record("test.lost")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(action="test.lost").exists()


def test_a_rolled_back_savepoint_drops_the_events_it_gathered():
    with transaction.atomic(), audit.gathered():
        audit.record("test.kept", detail={"n": 1})
        with pytest.raises(ValueError), audit.savepoint():
            audit.record("test.undone")
            raise ValueError("this part is refused")
        audit.record("test.kept", detail={"n": 2})
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "test.kept", "test.kept"]


# --- reads gathered per request --------------------------------------------------------


def test_a_requests_reads_become_one_event_per_kind_and_person(home_nurse):
    with audit.reads_gathered():
        audit.record_read("person.read", actor=home_nurse, target=home_nurse, person_id=7,
                          detail={"for": "view"})
        audit.record_read("person.read", actor=home_nurse, target=home_nurse, person_id=7,
                          detail={"for": "view"})
        audit.record_read("worklist.read", actor=home_nurse, persons=[3, 1])
        audit.record_read("worklist.read", actor=home_nurse, persons=[2, 3])
        assert not AuditEvent.objects.exists()
    person, worklist = AuditEvent.objects.order_by("id")
    assert (person.action, person.person_id, person.target_id, person.detail) == (
        "person.read", 7, str(home_nurse.pk), {"for": "view"})
    assert (worklist.action, worklist.detail) == (
        "worklist.read", {"persons": [1, 2, 3], "count": 3})


def test_reads_of_several_objects_are_named_in_one_event(home_nurse, outsider):
    with audit.reads_gathered():
        for user in (home_nurse, outsider):
            audit.record_read("user.read", actor=home_nurse, target=user,
                              detail={"for": "view"})
    [event] = AuditEvent.objects.all()
    assert (event.target_type, event.target_id) == ("accounts.user", "")
    assert event.detail == {
        "objects": [f"accounts.user:{home_nurse.pk}", f"accounts.user:{outsider.pk}"],
        "for": ["view"]}


def test_reads_made_before_an_error_are_still_audited(home_nurse):
    with pytest.raises(RuntimeError), audit.reads_gathered():
        audit.record_read("person.read", actor=home_nurse, person_id=7)
        raise RuntimeError("the view failed after reading")
    assert AuditEvent.objects.get().person_id == 7


def test_the_event_page_shows_its_inclusion_proof(client, platform_admin):
    event = audit.record("organisation.change", actor=platform_admin)
    client.force_login(platform_admin)
    assert "Not sealed yet" in client.get(f"/audit/{event.pk}/").content.decode()
    sealing.seal(grace=timedelta(0))
    page = client.get(f"/audit/{event.pk}/")
    assert page.context["proof"].holds and page.context["proof"].batch.number == 1
    assert "The proof holds" in page.content.decode()


def test_reads_written_early_are_not_written_twice(home_nurse):
    with audit.reads_gathered():
        audit.record_read("person.read", actor=home_nurse, person_id=7)
        audit.write_gathered_reads()  # a page that shows the log itself
        assert AuditEvent.objects.count() == 1
        audit.record_read("person.read", actor=home_nurse, person_id=8)
    assert sorted(AuditEvent.objects.values_list("person_id", flat=True)) == [7, 8]


def test_who_acted_and_for_whom_are_kept_without_database_constraints(home_nurse):
    # The database no longer checks them at each append (it locked the user's and the
    # organisation's rows): Django still refuses to delete them while events name them.
    from django.db.models import ProtectedError

    from relais.core import requestcontext

    organisation = home_nurse.memberships.first().organisation
    token = requestcontext.activate(requestcontext.RequestContext("r" * 32, "10.1.2.3",
                                                                  organisation))
    try:
        with audit.reads_gathered():
            audit.record_read("person.read", actor=home_nurse, person_id=3)
    finally:
        requestcontext.deactivate(token)
    event = AuditEvent.objects.get()
    assert (event.actor, event.organisation, event.ip_address, event.request_id) == (
        home_nurse, organisation, "10.1.2.3", "r" * 32)
    assert event.hash == event.leaf_hash()
    with pytest.raises(ProtectedError):
        home_nurse.delete()
    with pytest.raises(ProtectedError):
        organisation.delete()
