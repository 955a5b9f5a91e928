"""The booklet: audiences for every persona, append-only, corrections, receipts, alerts."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from relais.audit.models import AuditEvent
from relais.booklet import services, views
from relais.booklet.models import AppendOnlyEntry, Audience, Entry, ReadReceipt
from relais.notifications.models import Notification
from tests.factories import UserFactory
from tests.files import PDF
from tests.relais.network import conftest as network_fixtures

pytestmark = pytest.mark.django_db

madeleine = network_fixtures.madeleine
former_member = network_fixtures.former_member
excluded_pro = network_fixtures.excluded_pro

PERSONAS = ["coordinator", "gp", "home_nurse", "caregiver", "liaison_nurse", "analyst",
            "platform_admin", "outsider", "former_member", "excluded_pro"]


@pytest.fixture
def entries(madeleine, coordinator, member_of):
    """One entry for each audience, by the coordinator; the named one for the GP."""
    gp_member = madeleine.members.get(roles__role="gp")
    return {
        Audience.NETWORK: services.write(madeleine, author=coordinator, body="Network news"),
        Audience.HEALTH: services.write(madeleine, author=coordinator, body="Wound worse",
                                        audience=Audience.HEALTH),
        Audience.NAMED: services.write(madeleine, author=coordinator, body="For the GP",
                                       audience=Audience.NAMED, named_members=[gp_member]),
        Audience.SAFEGUARDING: services.write(madeleine, author=coordinator,
                                              body="Circle only",
                                              audience=Audience.SAFEGUARDING),
    }


@pytest.fixture
def member_of(madeleine):
    return lambda **lookup: madeleine.members.get(**lookup)


# What each persona reads: the coordinator wrote everything (the author reads their own).
READS = {
    "coordinator": {"network", "health", "named", "safeguarding"},
    "gp": {"network", "health", "named"},
    "home_nurse": {"network", "health"},
    "caregiver": {"network"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_only_its_audiences(request, client, entries, persona):
    user = request.getfixturevalue(persona)
    visible = Entry.objects.visible_to(user)
    expected = READS.get(persona, set())
    assert {e.audience for e in visible} == expected, persona
    client.force_login(user)
    response = client.get(reverse("booklet:booklet", args=[entries["network"].person_id]))
    if expected:
        shown = {e.audience for e in response.context["page"]}
        assert shown == expected
        search = client.get(reverse("booklet:booklet", args=[entries["network"].person_id]),
                            {"q": "circle"})
        assert bool(list(search.context["page"])) == ("safeguarding" in expected)
    else:
        assert response.status_code == 404


def test_the_safeguarding_circle_reads_its_entries_and_family_never(entries, caregiver, gp,
                                                                     madeleine, client):
    """DOMAIN.md: safeguarding entries are hidden from family and proxies. A professional
    put in the circle reads them; a relative never, even one a record from before put
    there (a relative can no longer be: test_network_rules)."""
    madeleine.members.filter(user=gp).update(in_safeguarding_circle=True)
    madeleine.members.filter(user=caregiver).update(in_safeguarding_circle=True)
    assert Entry.objects.visible_to(gp).filter(audience="safeguarding").exists()
    assert not Entry.objects.visible_to(caregiver).filter(audience="safeguarding").exists()
    client.force_login(caregiver)
    for name in ("booklet:booklet", "booklet:timeline"):
        page = client.get(reverse(name, args=[madeleine.pk]))
        assert page.status_code == 200
        assert "Network news" in page.content.decode(), name
        assert "Circle only" not in page.content.decode(), name


def test_entries_cannot_be_changed_or_deleted(entries):
    entry = entries["network"]
    entry.body = "rewritten"
    with pytest.raises(AppendOnlyEntry):
        entry.save()
    with pytest.raises(AppendOnlyEntry):
        entry.delete()
    with pytest.raises(AppendOnlyEntry):
        Entry.objects.filter(pk=entry.pk).update(body="x")
    with pytest.raises(AppendOnlyEntry):
        Entry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.body == "Network news"


def test_a_correction_supersedes_and_both_stay(entries, coordinator, gp, client):
    old = entries["network"]
    new = services.correct(old, author=coordinator, body="Network news, corrected")
    assert new.supersedes == old and Entry.objects.filter(pk=old.pk).exists()
    with pytest.raises(ValidationError):
        services.correct(old, author=coordinator, body="again")
    with pytest.raises(ValidationError):
        services.correct(new, author=gp, body="not mine")
    client.force_login(gp)
    page = client.get(reverse("booklet:booklet", args=[old.person_id])).content.decode()
    assert "Corrected by a newer entry" in page and "Network news, corrected" in page


def test_an_audience_naming_an_excluded_member_is_refused(madeleine, coordinator):
    excluded = madeleine.members.get(never_inform=True)
    with pytest.raises(ValidationError):
        services.write(madeleine, author=coordinator, body="x", audience=Audience.NAMED,
                       named_members=[excluded])
    assert not Entry.objects.exists()


def test_caregivers_write_notes_and_questions_not_alerts(madeleine, caregiver, client):
    with pytest.raises(ValidationError):
        services.write(madeleine, author=caregiver, body="x", kind="alert")
    client.force_login(caregiver)
    client.post(reverse("booklet:entry_new", args=[madeleine.pk]),
                {"entry-kind": "question", "entry-audience": "network",
                 "entry-body": "When does the nurse come?"})
    entry = Entry.objects.get()
    assert entry.author == caregiver and "Informal caregiver" in entry.author_label


def test_an_attachment_of_the_wrong_type_is_refused(client, madeleine, coordinator):
    client.force_login(coordinator)
    bad = SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    client.post(reverse("booklet:entry_new", args=[madeleine.pk]),
                {"entry-kind": "note", "entry-audience": "network", "entry-body": "See file",
                 "entry-attachment": bad})
    assert not Entry.objects.exists()
    good = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    client.post(reverse("booklet:entry_new", args=[madeleine.pk]),
                {"entry-kind": "note", "entry-audience": "network", "entry-body": "See file",
                 "entry-attachment": good})
    entry = Entry.objects.get()
    response = client.get(reverse("booklet:entry_attachment", args=[entry.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(
        b"%PDF")


def test_alerts_reach_readers_and_are_acknowledged(madeleine, home_nurse, gp, caregiver,
                                                   excluded_pro, client):
    alert = services.write(madeleine, author=home_nurse, body="Fell this morning", kind="alert",
                           audience=Audience.HEALTH)
    told = set(Notification.objects.filter(kind="booklet.alert").values_list(
        "recipient__email", flat=True))
    assert gp.email in told
    assert caregiver.email not in told and excluded_pro.email not in told  # audience, exclusion
    assert list(services.unacknowledged_alerts(gp, madeleine)) == [alert]
    client.force_login(gp)
    client.post(reverse("booklet:entry_acknowledge", args=[alert.pk]))
    assert not services.unacknowledged_alerts(gp, madeleine).exists()
    assert ReadReceipt.objects.get(entry=alert, user=gp).acknowledged_at is not None


def test_the_booklet_page_shows_the_alerts_to_acknowledge_until_acknowledged(
        madeleine, home_nurse, gp, caregiver, client):
    """Whether any alert waits is asked with the header's count; the alerts are read only
    then, and each reader sees their own."""
    alert = services.write(madeleine, author=home_nurse, body="Fell this morning", kind="alert",
                           audience=Audience.HEALTH)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    client.force_login(gp)
    assert [e.pk for e in client.get(url).context["alerts"]] == [alert.pk]
    client.force_login(caregiver)  # not in the alert's audience
    assert client.get(url).context["alerts"] == []
    client.force_login(gp)
    client.post(reverse("booklet:entry_acknowledge", args=[alert.pk]))
    assert client.get(url).context["alerts"] == []
    assert [e.pk for e in client.get(url).context["page"]] == [alert.pk]


def test_an_alert_to_acknowledge_shows_its_first_words(madeleine, home_nurse, gp, client):
    """The list reads the first words only, and cuts them as it cut the whole text."""
    long = "Fell this morning in the kitchen, " * 5
    services.write(madeleine, author=home_nurse, body=long, kind="alert")
    services.write(madeleine, author=home_nurse, body="x" * 90, kind="alert")
    client.force_login(gp)
    page = client.get(reverse("booklet:booklet", args=[madeleine.pk])).content.decode()
    section = page[page.index('id="alerts"'):page.index("</section>")]
    assert f">{long[:89]}…</a>" in section
    assert f">{'x' * 90}</a>" in section  # ninety: not cut


def test_reading_leaves_a_receipt(entries, gp, client):
    client.force_login(gp)
    client.get(reverse("booklet:booklet", args=[entries["network"].person_id]))
    assert ReadReceipt.objects.filter(user=gp, entry=entries["network"]).exists()
    page = client.get(reverse("booklet:booklet", args=[entries["network"].person_id]))
    assert gp.get_full_name() in page.content.decode()


def _readers(entry, count: int, *, acknowledging=()) -> list:
    """`count` readers of `entry`, a minute apart from 9:00 yesterday (before anyone who
    reads it in the test, at any hour), after its author's receipt; those at the places
    in `acknowledging` acknowledged it."""
    start = (timezone.localtime() - timedelta(days=1)).replace(hour=9, minute=0, second=0,
                                                               microsecond=0)
    users = [UserFactory(first_name=f"Reader{n:02d}", last_name="Test") for n in range(count)]
    ReadReceipt.objects.bulk_create([ReadReceipt(
        entry=entry, user=user, read_at=start + timedelta(minutes=n),
        acknowledged_at=start + timedelta(minutes=n) if n in acknowledging else None)
        for n, user in enumerate(users)])
    ReadReceipt.objects.filter(entry=entry, user=entry.author).update(
        read_at=start - timedelta(hours=1))
    return users


def test_seen_by_names_the_first_readers_and_counts_the_others(madeleine, home_nurse, gp,
                                                               client,
                                                               django_assert_num_queries):
    from tests.helpers import AUDIT_EVENT_QUERIES, SIGNED_IN_QUERIES

    alert = services.write(madeleine, author=home_nurse, body="Fell this morning", kind="alert")
    note = services.write(madeleine, author=home_nurse, body="Groceries done")
    readers = _readers(alert, 9, acknowledging={1, 6})
    _readers(note, 2)
    client.force_login(gp)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    page = client.get(url).content.decode()
    seen = {entry.pk: entry.seen_by for entry in client.get(url).context["page"]}
    # The author first, then the first four readers; the GP (now a reader too) among the
    # others, counted; the acknowledgements counted among everyone.
    assert str(seen[alert.pk]).startswith(f"{home_nurse.get_full_name()} 08:00, Reader00 Test")
    assert "Reader01 Test 09:01 ✓" in str(seen[alert.pk])
    assert "Reader04" not in str(seen[alert.pk]) and gp.get_full_name() not in str(
        seen[alert.pk])
    assert "and 6 others (2 acknowledged)" in str(seen[alert.pk])
    assert reverse("booklet:entry_readers", args=[alert.pk]) in page
    # Four readers in all: every name, no link.
    assert "Reader01 Test" in str(seen[note.pk]) and "others" not in str(seen[note.pk])
    # The GP's own receipts are known from the same rows although not named: the second
    # visit adds none (an INSERT would be one query more).
    assert ReadReceipt.objects.filter(user=gp, entry__in=[alert, note]).count() == 2
    # As test_a_long_booklet_opens_in_as_many_queries_as_a_short_one, and the alerts the
    # GP has not acknowledged.
    with django_assert_num_queries(SIGNED_IN_QUERIES + AUDIT_EVENT_QUERIES + 6 + 1):
        client.get(url)
    assert ReadReceipt.objects.filter(entry=alert).count() == len(readers) + 2


def test_the_readers_page_lists_everyone_by_pages_through_the_gate(madeleine, home_nurse, gp,
                                                                   outsider, client,
                                                                   monkeypatch):
    monkeypatch.setattr(views, "READERS_PAGE", 4)
    alert = services.write(madeleine, author=home_nurse, body="Fell this morning", kind="alert")
    _readers(alert, 6, acknowledging={2})
    url = reverse("booklet:entry_readers", args=[alert.pk])
    client.force_login(gp)
    first = client.get(url)
    assert [name for name, _, _ in first.context["readers"]] == [
        home_nurse.get_full_name(), "Reader00 Test", "Reader01 Test", "Reader02 Test"]
    assert "Seen by 7 people." in first.content.decode()
    assert "Acknowledged" in first.content.decode()
    second = client.get(url, {"page": 2})
    assert [name for name, _, _ in second.context["readers"]] == [
        "Reader03 Test", "Reader04 Test", "Reader05 Test"]
    assert AuditEvent.objects.filter(actor=gp, action="booklet.read",
                                     target_id=str(alert.pk)).count() == 2
    # Reading the readers leaves no receipt: the entry itself was not shown.
    assert not ReadReceipt.objects.filter(user=gp, entry=alert).exists()
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(actor=outsider, outcome="denied").exists()


def test_search_and_filters(entries, coordinator, client):
    client.force_login(coordinator)
    url = reverse("booklet:booklet", args=[entries["network"].person_id])
    assert [e.body for e in client.get(url, {"q": "WOUND"}).context["page"]] == ["Wound worse"]
    assert client.get(url, {"kind": "alert"}).context["page"].paginator.count == 0
    assert client.get(url, {"author": coordinator.pk}).context["page"].paginator.count == 4
    assert client.get(url, {"since": "2999-01-01"}).context["page"].paginator.count == 0


def test_a_long_booklet_opens_in_as_many_queries_as_a_short_one(madeleine, coordinator, client,
                                                                django_assert_num_queries):
    from tests.helpers import AUDIT_EVENT_QUERIES, SIGNED_IN_QUERIES

    # person, its audited read, the page (ranked keys with the count, then its rows),
    # their receipts (the user's own among them: which to add needs no query more), the
    # write form's members (with their users and organisations: one query whatever the
    # network's size), whether any alert awaits the reader's acknowledgement (none here:
    # not read), with the header's unread count (core.kept.asking_together), the
    # authors, the receipts added; the booklet's visibility check and the write check are
    # answered by loading the person (the gate decides once per request:
    # relais.access.decisions), the gate's question and the row in one query
    # (persons.one_if_visible)
    expected = SIGNED_IN_QUERIES + AUDIT_EVENT_QUERIES + 6
    for n in range(3):
        services.write(madeleine, author=coordinator, body=f"Entry {n}")
    # A reply, a correction and an attachment: what each row shows of them comes with it.
    first = Entry.objects.filter(person=madeleine).order_by("pk").first()
    reply = services.write(madeleine, author=coordinator, body="A reply", reply_to=first)
    services.correct(reply, author=coordinator, body="A reply, corrected")
    services.write(madeleine, author=coordinator, body="The letter", attachment=SimpleUploadedFile(
        "letter.pdf", PDF, content_type="application/pdf"))
    client.force_login(coordinator)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    with django_assert_num_queries(expected):
        page = client.get(url).content.decode()
    assert "A reply, corrected" in page and "letter.pdf" in page
    assert "Answer to: Entry 0" in page and "Correction of the entry of" in page
    for n in range(60):
        services.write(madeleine, author=coordinator, body=f"More {n}")
    with django_assert_num_queries(expected):
        assert len(client.get(url).context["page"]) == 25


def test_timeline_shows_the_story_and_hides_it_from_strangers(entries, client, coordinator,
                                                              outsider):
    client.force_login(coordinator)
    response = client.get(reverse("booklet:timeline", args=[entries["network"].person_id]))
    assert response.status_code == 200
    assert "<svg" in response.content.decode() and "Network news" in response.content.decode()
    client.force_login(outsider)
    assert client.get(reverse("booklet:timeline", args=[entries["network"].person_id])
                      ).status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_timeline_shows_each_persona_only_its_audiences(request, client, entries, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("booklet:timeline", args=[entries["network"].person_id]))
    expected = READS.get(persona, set())
    if not expected:
        assert response.status_code == 404
        return
    shown = {e.title.split(": ", 1)[1] for e in response.context["events"]
             if e.kind == "booklet"}
    bodies = {audience: entry.body for audience, entry in entries.items()}
    assert shown == {bodies[a] for a in expected}


def test_the_write_form_offers_the_network_of_now_in_the_readers_language(madeleine, coordinator,
                                                                         client):
    """The form's HTML is rendered once per set of choices and kept (booklet/views.py):
    a member added since, or another language, renders it again."""
    from relais.network import services as network_services
    from relais.network.models import MemberKind, Role

    client.force_login(coordinator)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    assert "Karel Physio" not in client.get(url).content.decode()
    network_services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Karel Physio",
                                roles=[Role.FAMILY], actor=coordinator)
    assert "Karel Physio" in client.get(url).content.decode()
    coordinator.language = "fr"
    coordinator.save(update_fields=["language"])
    assert "Membres désignés" in client.get(url).content.decode()


def test_the_alerts_to_acknowledge_are_the_newest_ten_the_reader_has_not_acknowledged(
        madeleine, home_nurse, gp, client):
    """Read newest first a few dozen at a time (booklet.views._alerts): past the first
    reading when the reader acknowledged the newest ones; a corrected alert is gone."""
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() - timedelta(days=30)
    Entry.objects.bulk_create([
        Entry(person=madeleine, kind="alert", audience=Audience.NETWORK, author=home_nurse,
              author_label="Nurse", body=f"Alert {n}", search_text=f"alert {n}",
              created_at=start + timedelta(hours=n)) for n in range(55)])
    newest_first = list(Entry.objects.filter(person=madeleine, kind="alert").order_by(
        "-created_at", "-pk"))
    ReadReceipt.objects.bulk_create([ReadReceipt(entry=alert, user=gp,
                                                 acknowledged_at=timezone.now())
                                     for alert in newest_first[:44]])
    services.correct(newest_first[44], author=home_nurse, body="Not an alert after all")
    client.force_login(gp)
    shown = client.get(reverse("booklet:booklet", args=[madeleine.pk])).context["alerts"]
    correction = "Not an alert after all"  # an alert too, the newest
    assert [alert.opening for alert in shown] == [correction,
                                                  *(f"Alert {n}" for n in range(9, 0, -1))]
    client.force_login(home_nurse)  # acknowledged nothing
    shown = client.get(reverse("booklet:booklet", args=[madeleine.pk])).context["alerts"]
    assert [alert.opening for alert in shown] == [correction,
                                               *(f"Alert {n}" for n in range(54, 45, -1))]


def test_the_author_filter_offers_who_wrote_what_the_reader_may_read(
        entries, madeleine, coordinator, gp, home_nurse, member_of, client):
    """One index probe per author (booklet.views.AUTHOR_IDS), each kept only if one of
    their entries is readable: an author whose only entry is named to someone else is not
    offered."""
    gp_member = member_of(roles__role="gp")
    services.write(madeleine, author=home_nurse, body="For the GP only",
                   audience=Audience.NAMED, named_members=[gp_member])
    url = reverse("booklet:booklet", args=[madeleine.pk])
    client.force_login(gp)
    by_name = sorted([coordinator, home_nurse], key=lambda u: (u.first_name, u.last_name))
    assert [u.pk for u in client.get(url).context["authors"]] == [u.pk for u in by_name]
    client.force_login(coordinator)  # not named: the home nurse's entry is not theirs to read
    assert [u.pk for u in client.get(url).context["authors"]] == [coordinator.pk]


def test_a_long_booklet_counts_its_entries_up_to_a_point(monkeypatch, madeleine, home_nurse,
                                                          client):
    """The count stops `COUNTED_AHEAD` entries past the page's first: "More than …"."""
    from relais.booklet import views

    monkeypatch.setattr(views, "COUNTED_AHEAD", 30)
    Entry.objects.bulk_create([
        Entry(person=madeleine, kind="note", audience=Audience.NETWORK, author=home_nurse,
              author_label="Nurse", body=f"Visit {n}", search_text=f"visit {n}")
        for n in range(40)])
    client.force_login(home_nurse)
    url = reverse("booklet:booklet", args=[madeleine.pk])
    first = client.get(url)
    assert first.context["entry_count"] == "More than 30 entries"
    assert "Page 1 of more than 2" in first.content.decode()
    assert len(first.context["page"].object_list) == 25
    second = client.get(url, {"page": 2})  # counted from its first row: all 40 now
    assert second.context["entry_count"] == "40 entries"
    assert "Page 2 of 2" in second.content.decode()
    assert len(second.context["page"].object_list) == 15
    filtered = client.get(url, {"q": "visit"})  # the ranking of a search stops there too
    assert filtered.context["entry_count"] == "More than 30 entries"
    monkeypatch.setattr(views, "COUNTED_AHEAD", 1000)
    assert client.get(url).context["entry_count"] == "40 entries"


def test_the_kept_write_form_is_the_form_rendered_for_each_person(madeleine, coordinator):
    """The form around the members' list is rendered once and kept; each person's list
    is written into it: the same HTML as the whole form rendered for that person."""
    from django.utils.safestring import SafeData

    from relais.booklet.forms import EntryForm
    from relais.network import services as network_services
    from relais.network.models import MemberKind, Role

    other = network_services.create_person(
        {"first_name": "Odile", "last_name": "Autre", "sex": "F"}, actor=coordinator,
        organisation=coordinator.memberships.first().organisation)
    network_services.add_member(other, kind=MemberKind.INFORMAL, name="Zoé <Nièce>",
                                roles=[Role.FAMILY], actor=coordinator)
    views._write_forms.clear()
    for person in (madeleine, other, madeleine):
        form = EntryForm(user=coordinator, person=person, prefix="entry")
        whole = form.as_div()
        kept = views._write_form_html(coordinator, person)
        assert kept == whole and isinstance(kept, SafeData)  # the page prints it as HTML
    assert "Zoé &lt;Nièce&gt;" in views._write_form_html(coordinator, other)
    frames = [key for key in views._write_forms if len(key) == 2]
    assert len(frames) == 1  # one frame for both persons
