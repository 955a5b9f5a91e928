"""The retention policy (docs/retention.md): who is anonymised, what is blanked, what is
kept for the observatory, the audit log still verifies, idempotence, the dry run.

Madeleine (tests/relais/network/conftest.py) is admitted, discharged home, and her
follow-up ends; "now" is then moved years ahead instead of ageing the rows."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from relais.accounts.models import User
from relais.audit import sealing
from relais.audit.models import AuditEvent
from relais.booklet import services as booklet
from relais.booklet.models import Entry
from relais.core import clock
from relais.followup.models import Contact, FollowUp
from relais.followup.watch import record_refusal
from relais.network import services as network_services
from relais.network.models import NetworkMember, Person
from relais.notifications.models import Notification
from relais.rights import retention, tasks
from relais.rights.models import Anonymisation, ClosedBecause
from relais.stays import screening
from relais.stays import services as stays
from relais.stays.models import Destination, Referral, Screening, Stay
from tests.files import PDF
from tests.relais.network import conftest as network_fixtures
from tests.relais.stays import conftest as stay_fixtures

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro
hospital_consent = stay_fixtures.hospital_consent
stay = stay_fixtures.stay
nursing_service = stay_fixtures.nursing_service
NEEDS = stay_fixtures.NEEDS
SOCIAL = {"living": "with_others", "caregiver": "yes", "contacts": "weekly", "network": "yes",
          "psychosocial": "no", "cognition": "no", "housing": "ready", "finances": "no",
          "language": "yes", "refusal": "no", "dependants": "no", "priority": "no",
          "violence": "no"}

YEARS = 10


def years_ahead(years: float):
    return timezone.now() + timedelta(days=round(365.25 * years))


def end_followups(person) -> None:
    FollowUp.objects.filter(person=person).update(closed_at=timezone.now())


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def closed(madeleine, stay, liaison_nurse, coordinator, nursing_service, media):
    """Madeleine went home; a referral was completed; her booklet holds a note with a PDF;
    the follow-up ended. Nothing is open."""
    booklet.write(madeleine, author=coordinator, body="Madeleine fell on the stairs",
                  attachment=SimpleUploadedFile("letter.pdf", PDF))
    referral = Referral.objects.create(
        person=madeleine, stay=stay, service=nursing_service,
        organisation=nursing_service.organisation, sender=coordinator,
        sender_organisation=coordinator.memberships.first().organisation,
        respond_by=timezone.now(), status="completed", **NEEDS)
    stays.discharge(stay, actor=liaison_nurse, destination=Destination.HOME,
                    reason="Went home at her request")
    end_followups(madeleine)
    return referral


def due_pks(years_later: float) -> set[int]:
    return set(retention.due(years_ahead(years_later), YEARS).values_list("pk", flat=True))


# --- who qualifies ---------------------------------------------------------------------


def test_a_closed_record_is_due_only_after_the_retention_period(closed, madeleine):
    assert due_pks(9) == set()
    assert due_pks(10.1) == {madeleine.pk}


def test_a_stay_never_discharged_keeps_the_record_no_longer_than_the_period(madeleine, stay):
    """An admission the hospital never closed: while it is recent, the record is not quiet
    anyway; once it is older than the period, it is a discharge never recorded, which
    used to keep the record forever."""
    assert Stay.objects.get().discharged_at is None
    assert due_pks(9) == set()
    assert due_pks(10.1) == {madeleine.pk}
    assert retention.run(now=years_ahead(10.1), years=YEARS) == 1
    assert Anonymisation.objects.get().closed_because == ClosedBecause.NOTHING_OPEN


def test_a_running_follow_up_keeps_the_record(closed, madeleine):
    FollowUp.objects.filter(person=madeleine).update(closed_at=None)
    assert due_pks(30) == set()


def test_an_open_referral_keeps_the_record(closed, madeleine):
    Referral.objects.update(status="started")
    assert due_pks(30) == set()


def test_a_watch_keeps_the_record(closed, madeleine, gp):
    record_refusal(madeleine, offered="Home help", reasons=["manages"], capacity="yes",
                   actor=gp)
    assert due_pks(30) == set()


def test_a_recent_contact_keeps_the_record(closed, madeleine):
    now = years_ahead(12)
    contact = Contact.objects.filter(followup__person=madeleine).first()
    Contact.objects.filter(pk=contact.pk).update(updated_at=now - timedelta(days=365))
    assert set(retention.due(now, YEARS).values_list("pk", flat=True)) == set()


def test_a_recent_booklet_entry_keeps_the_record(closed, madeleine):
    now = years_ahead(12)
    Entry._base_manager.filter(person=madeleine).update(created_at=now - timedelta(days=30))
    assert set(retention.due(now, YEARS).values_list("pk", flat=True)) == set()


def test_a_deceased_person_is_due_even_with_things_left_open(
        madeleine, stay, liaison_nurse, gp):
    record_refusal(madeleine, offered="Home help", reasons=["manages"], capacity="yes",
                   actor=gp)  # a watch, never ended
    stays.discharge(stay, actor=liaison_nurse, destination=Destination.DECEASED,
                    reason="Died on the ward")
    assert due_pks(9) == set()
    retention.run(now=years_ahead(11), years=YEARS)
    assert Anonymisation.objects.get().closed_because == ClosedBecause.DECEASED


def test_a_person_never_admitted_with_nothing_open_is_due(madeleine):
    assert due_pks(10.1) == {madeleine.pk}


# --- what is blanked, what is kept ------------------------------------------------------


def test_anonymising_blanks_who_she_was_and_every_word_written(
        closed, madeleine, caregiver, django_capture_on_commit_callbacks, media):
    stored = Entry.objects.get().attachment.name
    assert (media / stored).exists()
    before = {"stays": Stay.objects.count(), "referrals": Referral.objects.count(),
              "entries": Entry.objects.count(), "members": NetworkMember.objects.count()}
    with django_capture_on_commit_callbacks(execute=True):
        assert retention.run(now=years_ahead(11), years=YEARS) == 1

    person = Person.objects.get(pk=madeleine.pk)
    assert (person.first_name, person.last_name, person.niss, person.birth_date,
            person.street, person.phone) == ("", f"#{madeleine.pk}", "", None, "", "")
    # Kept for the observatory: where she lived and whom she counts for.
    assert person.municipality_id == madeleine.municipality_id
    assert person.postcode == madeleine.postcode
    assert person.priority_groups == ["elderly"]
    daughter = NetworkMember.objects.get(person=madeleine, user=caregiver)
    assert (daughter.name, daughter.phone, daughter.email) == ("", "", "")
    entry = Entry.objects.get()
    assert (entry.body, entry.search_text, entry.attachment.name) == ("", "", "")
    assert not (media / stored).exists()
    referral = Referral.objects.get()
    assert (referral.help_needed, referral.reason, referral.person_wishes) == ("", "", "")
    assert referral.status == "completed"
    assert set(madeleine.consents.values_list("given_by", flat=True)) == {""}
    assert {"stays": Stay.objects.count(), "referrals": Referral.objects.count(),
            "entries": Entry.objects.count(),
            "members": NetworkMember.objects.count()} == before
    assert not Notification.objects.filter(person=madeleine).exists()


def test_a_screenings_answers_go_and_what_the_observatory_counts_stays(
        closed, madeleine, stay, liaison_nurse):
    screening.record_screening(stay, "relais-social", {**SOCIAL, "living": "alone",
                                                       "violence": "suspected"},
                               actor=liaison_nurse, organisation=stay.hospital)
    before = Screening.objects.get()
    assert before.answers["violence"] == "suspected"
    assert retention.run(now=years_ahead(11), years=YEARS) == 1
    after = Screening.objects.get()
    assert after.answers == {}
    assert (after.instrument, after.score, after.band, after.flagged, after.recommendations,
            after.done_on) == (before.instrument, before.score, before.band, before.flagged,
                               before.recommendations, before.done_on)


def test_the_portal_account_of_a_relative_who_followed_only_her_is_closed(
        closed, madeleine, caregiver):
    retention.run(now=years_ahead(11), years=YEARS)
    account = User.objects.get(pk=caregiver.pk)
    assert not account.is_active and not account.has_usable_password()
    assert account.email == f"anonymised-{caregiver.pk}@invalid"
    assert account.first_name == ""


def test_a_relative_who_follows_someone_else_keeps_her_account(
        closed, madeleine, caregiver, coordinator, world):
    other = network_services.create_person(
        {"first_name": "Jean", "last_name": "Lambert", "sex": "M"},
        actor=coordinator, organisation=world.coordination_centre)
    network_services.add_member(other, kind="informal", user=caregiver, name="Sophie",
                                relation="child", roles=["informal_caregiver"],
                                actor=coordinator)
    later = years_ahead(11)
    Person.objects.filter(pk=other.pk).update(updated_at=later - timedelta(days=30))
    assert retention.run(now=later, years=YEARS) == 1
    assert User.objects.get(pk=caregiver.pk).is_active


# --- the audit log ----------------------------------------------------------------------


def test_each_anonymisation_is_audited_and_the_log_still_verifies(closed, madeleine, capsys):
    sealing.seal(grace=timedelta(0))
    retention.run(now=years_ahead(11), years=YEARS)
    event = AuditEvent.objects.get(action=retention.ANONYMISE)
    assert event.person_id == madeleine.pk and event.actor_id is None
    assert event.detail["retention_years"] == YEARS
    assert event.detail["closed_because"] == "nothing_open"
    assert event.detail["booklet_entries"] == 1 and event.detail["files_deleted"] == 1
    assert "Madeleine" not in str(event.detail) and "Lambert" not in str(event.detail)
    # Events written before about her still name her id: the log is not rewritten.
    assert AuditEvent.objects.filter(person_id=madeleine.pk).count() > 1
    sealing.seal(grace=timedelta(0))
    call_command("audit", "verify")
    assert "0 not sealed yet" in capsys.readouterr().out


# --- idempotence and the dry run --------------------------------------------------------


def test_a_second_run_does_nothing(closed, madeleine):
    later = years_ahead(11)
    assert retention.run(now=later, years=YEARS) == 1
    events = AuditEvent.objects.count()
    assert retention.run(now=later, years=YEARS) == 0
    assert retention.anonymise_if_due(madeleine.pk, now=later, years=YEARS) is False
    assert AuditEvent.objects.count() == events
    assert Anonymisation.objects.count() == 1


def test_the_dry_run_counts_and_changes_nothing(closed, madeleine, settings, monkeypatch):
    settings.RELAIS_RETENTION_YEARS = YEARS
    later = years_ahead(11)
    monkeypatch.setattr(retention.timezone, "now", lambda: later)
    events = AuditEvent.objects.count()
    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "1 person(s) would be anonymised (0 deceased, 1 with nothing open)" in text
    assert "booklet entries: 1" in text and "stored files: 1" in text
    assert "portal accounts: 1" in text
    assert "Madeleine" not in text and "Lambert" not in text
    assert Person.objects.get(pk=madeleine.pk).first_name == "Madeleine"
    assert Entry.objects.get().body == "Madeleine fell on the stairs"
    assert AuditEvent.objects.count() == events and not Anonymisation.objects.exists()


def test_the_command_anonymises_and_refuses_a_period_under_a_year(closed, madeleine):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("retention", "--years", "0")
    out = StringIO()
    call_command("retention", "--years", "1", stdout=out)
    assert "anonymised 0 person(s)" in out.getvalue()  # her record was written today


def _queued_sweeps() -> list:
    return list(DBTaskResult.objects.filter(task_path="relais.rights.tasks.sweep")
                .order_by("enqueued_at", "pk"))


def test_the_worker_queues_a_daily_sweep_that_stops_in_time_and_goes_on(
        closed, madeleine, settings, monkeypatch):
    """The clock only queues the sweep (anonymising takes ~50 ms a record: the first run
    over a decade takes hours, and the audit sealer must not wait); a sweep out of time
    puts the rest back in the queue, from the next id on, until every record is done."""
    settings.RELAIS_RETENTION_YEARS = YEARS
    quiet = [Person.objects.create(first_name=f"Quiet {n}", last_name="Person",
                                   created_by=madeleine.created_by,
                                   owner_organisation=madeleine.owner_organisation)
             for n in range(4)]
    monkeypatch.setattr(retention, "BATCH", 2)
    monkeypatch.setattr(tasks, "SWEEP_SECONDS", 0)  # each sweep stops after one record
    job = clock.JOBS["rights.retention"]
    later = years_ahead(11)

    assert job.every == timedelta(days=1)
    assert job.run(later) == 1

    assert Person.objects.get(pk=madeleine.pk).first_name == "Madeleine"  # not by the clock
    sweeps, done = 0, []
    while queued := _queued_sweeps():
        task = queued[0]
        task.delete()
        done.append(tasks.sweep.call(*task.task_result.args))
        sweeps += 1
    due_ids = sorted([madeleine.pk, *(person.pk for person in quiet)])
    assert done == [1, 1, 1, 1, 1, 0]  # one record each, then a last look finds none
    assert sweeps == 6
    assert sorted(Anonymisation.objects.values_list("person_id", flat=True)) == due_ids
    assert not Person.objects.filter(pk__in=due_ids).exclude(first_name="").exists()


def test_a_sweep_with_time_does_everything_at_once(closed, madeleine, settings):
    settings.RELAIS_RETENTION_YEARS = YEARS

    assert tasks.sweep.call(years_ahead(11).isoformat()) == 1

    assert Person.objects.get(pk=madeleine.pk).first_name == ""
    assert not _queued_sweeps()


def test_the_person_page_says_the_record_was_anonymised(closed, madeleine, coordinator,
                                                       client):
    client.force_login(coordinator)
    before = client.get(f"/persons/{madeleine.pk}/")
    assert "was anonymised" not in before.content.decode()
    later = years_ahead(11)
    retention.run(now=later, years=YEARS)

    page = client.get(f"/persons/{madeleine.pk}/")

    text = " ".join(page.content.decode().split())
    assert page.status_code == 200
    assert f"#{madeleine.pk}" in text
    assert (f"This record was anonymised on {timezone.localtime(later):%-d %B %Y}, under the "
            f"retention policy: nothing had been written about the person for {YEARS} "
            "years.") in text
    assert "Nothing was open any more" in text
