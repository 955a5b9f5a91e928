"""The audit log is append-only and hash-chained; `relais audit verify` names tampering."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from relais.audit import log as audit
from relais.audit.models import AppendOnlyError, AuditEvent

pytestmark = pytest.mark.django_db

ON_POSTGRES = connection.vendor == "postgresql"


def write_events(count: int) -> list[AuditEvent]:
    return [audit.record("test.event", detail={"n": n}) for n in range(count)]


def tamper(sql: str, params=()) -> None:
    """Change rows behind Relais's back, as someone with database access could."""
    with connection.cursor() as cursor:
        if ON_POSTGRES:  # a superuser can switch triggers off; that is what we simulate
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if ON_POSTGRES:
            cursor.execute("SET session_replication_role = origin")


def verify_output(capsys) -> str:
    with pytest.raises(CommandError) as error:
        call_command("audit", "verify")
    return capsys.readouterr().err + str(error.value)


def test_events_form_a_chain():
    first, second, third = write_events(3)
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert list(audit.verify_chain()) == []


def test_verify_accepts_an_untouched_log(capsys):
    write_events(5)
    call_command("audit", "verify")
    assert "audit log OK: 5 events" in capsys.readouterr().out


def test_verify_names_an_edited_row(capsys):
    events = write_events(5)
    tamper("UPDATE access_auditevent SET action = 'harmless.thing' WHERE id = %s",
           [events[2].pk])
    output = verify_output(capsys)
    assert f"event #3 (id {events[2].pk}): content was changed" in output
    assert "#4" not in output  # only the edited row is named


def test_verify_names_a_deleted_row(capsys):
    events = write_events(5)
    tamper("DELETE FROM access_auditevent WHERE id = %s", [events[1].pk])
    output = verify_output(capsys)
    assert "event #3" in output and "#2 are missing (deleted)" in output


def test_verify_names_a_deleted_row_even_when_the_numbers_are_closed_up(capsys):
    events = write_events(4)
    tamper("DELETE FROM access_auditevent WHERE id = %s", [events[1].pk])
    tamper("UPDATE access_auditevent SET seq = seq - 1 WHERE seq > 2")
    output = verify_output(capsys)
    assert "event #2" in output and "deleted" in output


def test_verify_names_reordered_rows(capsys):
    events = write_events(5)
    tamper("UPDATE access_auditevent SET seq = -1 WHERE id = %s", [events[1].pk])
    tamper("UPDATE access_auditevent SET seq = 2 WHERE id = %s", [events[2].pk])
    tamper("UPDATE access_auditevent SET seq = 3 WHERE id = %s", [events[1].pk])
    output = verify_output(capsys)
    assert "event #2" in output and "event #3" in output and "out of order" in output


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


def test_gathered_events_are_chained_together_at_the_end_of_the_block():
    before = write_events(1)[0]
    with transaction.atomic(), audit.gathered():
        first = audit.record("test.gathered", detail={"n": 1})
        second = audit.record("test.gathered", detail={"n": 2})
        assert not AuditEvent.objects.filter(action="test.gathered").exists()
    assert (first.seq, second.seq) == (before.seq + 1, before.seq + 2)
    assert first.prev_hash == before.hash and second.prev_hash == first.hash
    assert list(audit.verify_chain()) == []


def test_a_gathering_block_that_fails_writes_none_of_its_events():
    with pytest.raises(RuntimeError), transaction.atomic(), audit.gathered():
        audit.record("test.lost")
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.filter(action="test.lost").exists()
    audit.record("test.after")
    assert list(audit.verify_chain()) == []


def test_a_rolled_back_savepoint_drops_the_events_it_gathered():
    with transaction.atomic(), audit.gathered():
        audit.record("test.kept", detail={"n": 1})
        with pytest.raises(ValueError), audit.savepoint():
            audit.record("test.undone")
            raise ValueError("this part is refused")
        audit.record("test.kept", detail={"n": 2})
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.kept", "test.kept"]
    assert list(audit.verify_chain()) == []
