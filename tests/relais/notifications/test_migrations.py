"""An installation that ran the old `followup` app: its tables, rows, content types, queued
email tasks and migration history become the `notifications` app's, and its old rows
are read in the reader's language. Run for real (SQLite, and PostgreSQL with
DATABASE_URL): the notifications tables are dropped, the old ones built as `followup`
0002 left them, filled with old rows in raw SQL, then `migrate` runs.
"""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from relais.booklet.models import Audience, Consultation, Entry, EntryKind, Invitation
from relais.notifications.models import EmailDelivery, Notification, NotificationPreference
from relais.stays.models import Stay
from tests.relais.notifications.conftest import join

pytestmark = pytest.mark.django_db(transaction=True)

OLD_TABLES = ("followup_notification", "followup_emaildelivery",
              "followup_notificationpreference")
OLD_MIGRATIONS = ("0001_initial", "0002_preferences_and_email_deliveries")
OLD_MODELS = ("notification", "emaildelivery", "notificationpreference")
TOKEN = "old-single-use-token"


def tables() -> set[str]:
    return set(connection.introspection.table_names())


def unapply_app(executor, app_label: str) -> None:
    """`executor.migrate([(app_label, None)])` more cheaply: the same plan (the app's
    migrations and those that depend on them, last first), each unapplied from the state
    of the migrations it depends on. Django's own way renders every model after each
    migration of the whole plan from the app's first one on (half of this test's 26 s)."""
    for migration, backwards in executor.migration_plan([(app_label, None)]):
        assert backwards
        before = executor.loader.project_state((migration.app_label, migration.name),
                                               at_end=False)
        executor.unapply_migration(before, migration)


def back_to_the_followup_app():
    """The database as the last release with `followup` left it."""
    executor = MigrationExecutor(connection)
    unapply_app(executor, "notifications")
    apps = executor.loader.project_state(("notifications", "0001_initial")).apps
    with connection.schema_editor() as editor:
        for name, table in zip(("Notification", "EmailDelivery", "NotificationPreference"),
                               OLD_TABLES, strict=True):
            model = apps.get_model("notifications", name)
            model._meta.db_table = table
            editor.create_model(model)
    recorder = MigrationRecorder(connection)
    for name in ("0001_initial", "0002_preferences_and_email_deliveries"):
        recorder.record_applied("followup", name)
    ContentType.objects.filter(app_label="notifications").update(app_label="followup")
    # As on the old release: the follow-up after discharge did not exist yet.
    recorder.migration_qs.filter(app="followup", name="0001_after_discharge").delete()
    ContentType.objects.clear_cache()


def old_row(recipient, person, kind, message, link="", read=False):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO followup_notification (recipient_id, person_id, kind, message, link,"
            " created_at, read_at, in_digest) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [recipient.pk, person.pk, kind, message, link, timezone.now(),
             timezone.now() if read else None, False])


@pytest.fixture
def old_world(follower, zebulon, world, coordinator):
    stay = Stay.objects.create(person=zebulon, hospital=world.hospital)
    entry = Entry.objects.create(person=zebulon, kind=EntryKind.ALERT, body="Fall",
                                 audience=Audience.NETWORK, author=coordinator)
    consultation = Consultation.objects.create(
        person=zebulon, question="Visit?", asked_by=coordinator,
        deadline=timezone.now() + timedelta(days=2))
    Invitation.objects.create(consultation=consultation, user=follower,
                              member=join(zebulon, coordinator),
                              token_hash=hashlib.sha256(TOKEN.encode()).hexdigest(),
                              expires_at=consultation.deadline)
    return stay, entry, consultation


def test_an_installation_of_the_followup_app_is_carried_over(follower, zebulon, world,
                                                            old_world):
    stay, entry, consultation = old_world
    content_types = dict(ContentType.objects.filter(app_label="notifications")
                         .values_list("model", "pk"))
    back_to_the_followup_app()
    assert set(OLD_TABLES) <= tables()
    assert "notifications_notification" not in tables()
    # Written by three readers in three languages, as the old code did.
    old_row(follower, zebulon, "stay.admitted",
            "Admission de Zébulon Quatremains à Hôpital Test.", f"/stays/{stay.pk}/")
    old_row(follower, zebulon, "booklet.alert",
            "Waarschuwing in het communicatieschrift van Zébulon Quatremains.",
            f"/persons/{zebulon.pk}/booklet/#entry-{entry.pk}", read=True)
    old_row(follower, zebulon, "consultation.invited",
            "Dr Test stelt een vraag over Zébulon Quatremains: antwoord graag tegen "
            "24-12-2026 10:00.", f"/c/{TOKEN}/")
    old_row(follower, zebulon, "network.contact_point",
            "Sophie Q. est désormais la personne de contact de Zébulon Quatremains.",
            f"/persons/{zebulon.pk}/")
    old_row(follower, zebulon, "stay.discharged", "Zébulon went home (an older wording).",
            f"/stays/{stay.pk}/")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO followup_notificationpreference (user_id, \"group\", mode)"
                       " VALUES (%s, 'stays', 'digest')", [follower.pk])
        cursor.execute("INSERT INTO followup_emaildelivery (recipient_id, kind, items, status,"
                       " attempts, last_error, created_at) VALUES (%s, 'stay.admitted', 1,"
                       " 'failed', 2, 'busy', %s)", [follower.pk, timezone.now()])
    task = DBTaskResult.objects.create(
        task_path="relais.followup.tasks.send_email", args_kwargs={"args": [1], "kwargs": {}},
        backend_name="default", run_after=timezone.now(), exception_class_path="",
        traceback="")

    call_command("migrate", verbosity=0)

    assert not set(OLD_TABLES) & tables()
    assert not MigrationRecorder.Migration.objects.filter(
        app="followup", name__in=OLD_MIGRATIONS).exists()
    # The follow-up after discharge, which now holds the name, keeps its own history.
    assert MigrationRecorder.Migration.objects.filter(
        app="followup", name="0001_after_discharge").exists()
    assert dict(ContentType.objects.filter(app_label="notifications")
                .values_list("model", "pk")) == content_types
    assert not ContentType.objects.filter(app_label="followup", model__in=OLD_MODELS).exists()
    task.refresh_from_db()
    assert task.task_path == "relais.notifications.tasks.send_email"
    assert NotificationPreference.objects.get().mode == "digest"
    assert EmailDelivery.objects.get().last_error == "busy"

    rows = {n.kind: n for n in Notification.objects.select_related("person")}
    assert [(kind, rows[kind].target_type, rows[kind].target_id, rows[kind].params)
            for kind in sorted(rows)] == [
        ("booklet.alert", "booklet.entry", entry.pk, {}),
        ("consultation.invited", "booklet.consultation", consultation.pk,
         {"asker": "Dr Test", "deadline": consultation.deadline.isoformat()}),
        ("network.contact_point", "", None, {"name": "Sophie Q."}),
        ("stay.admitted", "stays.stay", stay.pk, {"hospital": "Hôpital Test"}),
        ("stay.discharged", "stays.stay", stay.pk, {}),
    ]
    # One reader, one language, whatever language each row was written in.
    with translation.override("en"):
        assert [rows[kind].sentence for kind in sorted(rows)] == [
            "Alert in the booklet of Zébulon Quatremains.",
            f"Dr Test asks a question about Zébulon Quatremains: please answer by "
            f"{rows['consultation.invited'].sentence.rsplit(' by ', 1)[1]}",
            "Sophie Q. is now the contact point for Zébulon Quatremains.",
            "Zébulon Quatremains was admitted to Hôpital Test.",
            "Zébulon Quatremains left ….",
        ]
    assert rows["consultation.invited"].link == f"/consultations/{consultation.pk}/"
    assert rows["booklet.alert"].link == f"/persons/{zebulon.pk}/booklet/#entry-{entry.pk}"
    assert list(Notification.objects.visible_to(follower).unread()
                .order_by("kind").values_list("kind", flat=True)) == [
        "consultation.invited", "network.contact_point", "stay.admitted", "stay.discharged"]


def test_a_fresh_database_gets_the_tables(db):
    assert {"notifications_notification", "notifications_emaildelivery",
            "notifications_notificationpreference"} <= tables()
    assert not set(OLD_TABLES) & tables()
    assert "followup_contact" in tables()   # the follow-up after discharge's own
