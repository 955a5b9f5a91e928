"""The rules of a person's network: identity, one contact point, exclusions, legal order."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from relais.access import decisions
from relais.audit.models import AuditEvent
from relais.network import legal, services
from relais.network.forms import MemberForm
from relais.network.models import MemberKind, NetworkMember, Person, Relation, Role
from relais.network.rules import is_in_safeguarding_circle
from relais.notifications.models import Notification
from tests.helpers import AUDIT_EVENT_QUERIES, SIGNED_IN_QUERIES

pytestmark = pytest.mark.django_db


def person_form(**changes) -> dict:
    data = {"first_name": "Jan", "last_name": "Peeters", "birth_date": "1975-01-02", "sex": "M",
            "niss": "", "language": "nl", "living_situation": "alone", "version": ""}
    return data | changes


# --- identity --------------------------------------------------------------------------


@pytest.mark.parametrize(("niss", "error"), [
    ("12345678901", "is not a valid national register or BIS number"),
    ("75010200365", "is not a valid national register or BIS number"),
    ("75010200364", None),                      # valid, born 2 Jan 1975, male
])
def test_the_national_number_is_validated(client, coordinator, niss, error):
    client.force_login(coordinator)
    response = client.post(reverse("network:person_create"), person_form(niss=niss))
    if error:
        assert response.status_code == 200 and error in response.content.decode()
        assert not Person.objects.exists()
    else:
        assert response.status_code == 302
        assert Person.objects.get().niss == "75010200364"


def test_the_number_must_agree_with_birth_date_and_sex(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("network:person_create"),
                           person_form(niss="75010200364", birth_date="1975-01-03", sex="F"))
    body = response.content.decode()
    assert "born on 02/01/1975" in body and "does not match the sex" in body
    assert not Person.objects.exists()


def test_a_person_without_a_national_number_can_be_recorded(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("network:person_create"),
                           person_form(birth_date="", living_situation="homeless"))
    assert response.status_code == 302
    person = Person.objects.get()
    assert (person.niss, person.birth_date) == ("", None)


def test_the_same_number_is_refused(client, coordinator, madeleine):
    client.force_login(coordinator)
    response = client.post(reverse("network:person_create"), person_form(
        first_name="Madeleine", last_name="Lambert", birth_date="1941-03-02", sex="F",
        niss="41030200244"))
    assert "already exists" in response.content.decode()
    assert Person.objects.count() == 1


def test_a_similar_name_and_birth_date_asks_for_confirmation(client, coordinator, madeleine):
    client.force_login(coordinator)
    data = person_form(first_name="Madeleine", last_name="Lambert-Dupont",
                       birth_date="1941-03-02", sex="F")
    warned = client.post(reverse("network:person_create"), data)
    assert warned.status_code == 200
    assert [p.pk for p in warned.context["form"].similar] == [madeleine.pk]
    assert Person.objects.count() == 1
    confirmed = client.post(reverse("network:person_create"), data | {"confirm_new": "on"})
    assert confirmed.status_code == 302 and Person.objects.count() == 2


def test_duplicate_candidates_are_only_those_the_user_may_see(madeleine, analyst):
    found = services.similar_persons(analyst, first_name="Madeleine", last_name="Lambert",
                                     birth_date=date(1941, 3, 2))
    assert list(found) == []


def test_a_stale_edit_gets_a_conflict_and_changes_nothing(client, coordinator, madeleine):
    client.force_login(coordinator)
    url = reverse("network:person_edit", args=[madeleine.pk])
    stale = person_form(first_name="Madeleine", last_name="Lambert", birth_date="1941-03-02",
                        sex="F", niss="41030200244", language="fr", version=1)
    client.post(url, stale | {"phone": "+32 2 111"})
    response = client.post(url, stale | {"phone": "+32 2 222"})
    assert response.status_code == 409
    madeleine.refresh_from_db()
    assert madeleine.phone == "+32 2 111"


def test_person_changes_are_audited_without_their_values(client, coordinator, madeleine):
    client.force_login(coordinator)
    client.post(reverse("network:person_edit", args=[madeleine.pk]), person_form(
        first_name="Madeleine", last_name="Lambert", birth_date="1941-03-02", sex="F",
        niss="41030200244", language="fr", version=1, phone="+32 2 333",
        priority_groups=["elderly"]))
    event = AuditEvent.objects.filter(action="person.change").get()
    assert event.person_id == madeleine.pk and event.detail == {"fields": ["phone"]}


# --- one contact point -----------------------------------------------------------------


def test_a_new_person_is_their_own_contact_point(madeleine):
    contact = madeleine.members.get(is_contact_point=True)
    assert (contact.relation, contact.name) == (Relation.SELF, "Madeleine Lambert")


def test_the_database_refuses_a_second_contact_point(madeleine, member_of):
    daughter = member_of(name="Sophie Lambert")
    with pytest.raises(IntegrityError), transaction.atomic():
        NetworkMember.objects.filter(pk=daughter.pk).update(is_contact_point=True)


def test_changing_the_contact_point_is_one_action_audited_and_told(
    client, coordinator, madeleine, member_of, gp
):
    gp_member = member_of(user=gp)
    client.force_login(coordinator)
    client.post(reverse("network:member_contact_point", args=[gp_member.pk]))
    daughter = member_of(name="Sophie Lambert")
    client.post(reverse("network:member_contact_point", args=[daughter.pk]))
    assert list(madeleine.members.filter(is_contact_point=True)) == [daughter]
    assert AuditEvent.objects.filter(action="network.contact_point").count() == 2
    [told] = Notification.objects.filter(recipient=gp, kind="network.contact_point")
    with translation.override("en"):
        assert told.sentence == "Sophie Lambert is now the contact point for Madeleine Lambert."


def test_the_contact_point_cannot_be_removed_or_excluded(client, coordinator, madeleine):
    contact = madeleine.members.get(is_contact_point=True)
    client.force_login(coordinator)
    for action in ("member_end", "member_exclude"):
        response = client.post(reverse(f"network:{action}", args=[contact.pk]), follow=True)
        assert "Choose another contact point first" in response.content.decode()
    contact.refresh_from_db()
    assert contact.is_contact_point and contact.ended_on is None and not contact.never_inform


# --- exclusion holds everywhere ---------------------------------------------------------


def test_an_excluded_member_appears_nowhere(client, coordinator, madeleine, excluded_pro,
                                            member_of):
    excluded = member_of(user=excluded_pro)
    client.force_login(coordinator)
    page = client.get(reverse("network:person_detail", args=[madeleine.pk]))
    assert excluded not in page.context["members"] and excluded in page.context["excluded"]
    assert str(excluded_pro) not in page.context["map_svg"]
    printed = client.get(reverse("network:network_map", args=[madeleine.pk])).content.decode()
    assert str(excluded_pro) not in printed
    told_before = Notification.objects.filter(recipient=excluded_pro).count()
    services.set_contact_point(member_of(name="Sophie Lambert"), actor=coordinator)
    services.set_contact_point(member_of(relation=Relation.SELF), actor=coordinator)
    services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Neighbour", roles=[Role.OTHER],
                        actor=coordinator)
    assert Notification.objects.filter(recipient=excluded_pro).count() == told_before
    client.force_login(excluded_pro)
    search = client.get(reverse("network:person_list"), {"q": "Lambert"})
    assert search.context["page"].paginator.count == 0


def test_the_portal_user_does_not_see_exclusions(client, caregiver, madeleine):
    client.force_login(caregiver)
    page = client.get(reverse("network:person_detail", args=[madeleine.pk]))
    assert page.context["excluded"] == [] and page.context["may_change"] is False


def test_an_excluded_family_member_with_a_legal_role_is_shown_as_a_conflict(
    client, coordinator, madeleine, member_of
):
    daughter = member_of(name="Sophie Lambert")
    services.set_contact_point(madeleine.members.get(relation=Relation.SELF), actor=coordinator)
    services.exclude_member(daughter, actor=coordinator)
    client.force_login(coordinator)
    page = client.get(reverse("network:person_detail", args=[madeleine.pk]))
    assert page.context["conflicts"] == [daughter]
    assert "must never be informed, yet is family or holds a legal role" in page.content.decode()


def test_the_safeguarding_flag_is_seen_only_by_the_circle(client, coordinator, gp, madeleine,
                                                          member_of):
    Person.objects.filter(pk=madeleine.pk).update(safeguarding=True)
    gp_member = member_of(user=gp)
    client.force_login(gp)
    url = reverse("network:person_detail", args=[madeleine.pk])
    edit = reverse("network:person_edit", args=[madeleine.pk])
    assert "safeguarding concern" not in client.get(url).content.decode()
    assert "safeguarding" not in client.get(edit).context["form"].fields
    NetworkMember.objects.filter(pk=gp_member.pk).update(in_safeguarding_circle=True)
    assert "safeguarding concern" in client.get(url).content.decode()
    assert "safeguarding" in client.get(edit).context["form"].fields


# --- the legal order of representatives (DOMAIN.md §1) ----------------------------------


def informal(person, name, relation, roles=(), *, minor=False, excluded=False):
    member = services.add_member(person, kind=MemberKind.INFORMAL, name=name, relation=relation,
                                 is_minor=minor, roles=list(roles) or [Role.FAMILY],
                                 actor=person.created_by)
    if excluded:
        services.exclude_member(member, actor=person.created_by)
    return member


@pytest.fixture
def bare_person(world, coordinator):
    return services.create_person({"first_name": "Jan", "last_name": "Test", "sex": "M"},
                                  actor=coordinator, organisation=world.coordination_centre)


def order_of(person, orders=()):
    members = list(person.members.active().prefetch_related("roles"))
    return [(rank.number, [m.name for m in rank.members])
            for rank in legal.legal_order(members, orders)]


def test_legal_order_follows_the_law(bare_person, coordinator):
    informal(bare_person, "Sister", Relation.SIBLING)
    informal(bare_person, "Mother", Relation.PARENT)
    informal(bare_person, "Son", Relation.CHILD)
    informal(bare_person, "Wife", Relation.PARTNER)
    guardian = informal(bare_person, "Guardian", Relation.OTHER, [Role.ADMINISTRATOR])
    # The role alone is not the court's order: without it the administrator has no rank.
    assert order_of(bare_person) == [(2, ["Wife"]), (3, ["Son"]), (4, ["Mother"]),
                                     (5, ["Sister"])]
    today = timezone.localdate()
    order = services.record_protection_order(
        bare_person, administrator=guardian, court="Justice of the peace, Uccle",
        ordered_on=today, covers_patient_rights=True, starts_on=today, actor=coordinator)
    assert order_of(bare_person, [order]) == [(1, ["Guardian"]), (2, ["Wife"]), (3, ["Son"]),
                                              (4, ["Mother"]), (5, ["Sister"])]


def test_minors_are_not_in_the_order_and_excluded_members_neither(bare_person):
    informal(bare_person, "Young son", Relation.CHILD, minor=True)
    informal(bare_person, "Partner", Relation.PARTNER, excluded=True)
    informal(bare_person, "Brother", Relation.SIBLING)
    assert order_of(bare_person) == [(5, ["Brother"])]


def test_several_at_the_first_rank_is_a_conflict_to_decide_together(bare_person):
    informal(bare_person, "Daughter", Relation.CHILD)
    informal(bare_person, "Son", Relation.CHILD)
    members = list(bare_person.members.active().prefetch_related("roles"))
    basis, people = legal.who_represents(members)
    assert basis == "legal_order" and {m.name for m in people} == {"Daughter", "Son"}
    assert legal.legal_order(members)[0].is_conflict


def test_a_representative_needs_a_mandate_in_force_to_come_first(bare_person):
    informal(bare_person, "Wife", Relation.PARTNER)
    friend = informal(bare_person, "Friend", Relation.FRIEND, [Role.REPRESENTATIVE])
    members = list(bare_person.members.active().prefetch_related("roles"))
    assert legal.who_represents(members)[0] == "legal_order"  # the role alone is not enough
    assert legal.missing_mandates(members) == [friend]
    mandate = services.record_mandate(
        bare_person, representative=friend, scope="All patient rights",
        signed_on=date(2026, 1, 5), signed_by_person=True, signed_by_representative=True,
        starts_on=date(2026, 1, 5), actor=bare_person.created_by)
    basis, people = legal.who_represents(members, [mandate])
    assert (basis, [m.name for m in people]) == ("designated", ["Friend"])
    services.revoke_mandate(mandate, actor=bare_person.created_by)
    assert legal.who_represents(members, [mandate])[0] == "legal_order"


def test_nobody_in_the_network_leaves_it_to_the_practitioner(bare_person):
    members = list(bare_person.members.active().prefetch_related("roles"))
    assert legal.who_represents(members) == ("practitioner", [])


# --- search and speed -----------------------------------------------------------------


@pytest.mark.parametrize("query", ["lambert", "Madeleine Lambert", "02/03/1941", "1941-03-02",
                                   "41.03.02-002.44"])
def test_coordinators_find_persons_by_name_birth_date_or_number(client, coordinator, madeleine,
                                                                query):
    client.force_login(coordinator)
    page = client.get(reverse("network:person_list"), {"q": query}).context["page"]
    assert [p.pk for p in page.object_list] == [madeleine.pk]


def test_person_list_query_count_does_not_grow(client, coordinator, world, madeleine,
                                               django_assert_num_queries):
    for n in range(30):
        services.create_person({"first_name": f"P{n}", "last_name": "Many", "sex": "X"},
                               actor=coordinator, organisation=world.coordination_centre)
    client.force_login(coordinator)
    # the persons a grant may show the coordinator (found from their side), the first of
    # them in order, the gate on them, the page's rows; the audit event
    with django_assert_num_queries(SIGNED_IN_QUERIES + 4 + AUDIT_EVENT_QUERIES):
        response = client.get(reverse("network:person_list"))
    assert len(response.context["page"].object_list) == 25


def test_person_page_query_count_does_not_grow_with_members(client, coordinator, madeleine,
                                                            django_assert_num_queries):
    client.force_login(coordinator)
    url = reverse("network:person_detail", args=[madeleine.pk])
    client.get(url)
    # The person with the gate's questions (may the coordinator read it, and change it:
    # a relationship, which also opens the access log link), its audited read, members,
    # roles, consents; one statement saying which of the sections' rows exist at all
    # (network.sections.person_has: none here, so no mandates, assessments, stays,
    # follow-ups, watches, refusals or refused referrals are asked for, and the
    # before-admission summary is known absent), with the page's other small questions in
    # it (core.kept.asking_together: the header's unread count, safeguarding, the
    # booklet's unread entries, asked early by network.sections.ask_person_questions).
    with django_assert_num_queries(SIGNED_IN_QUERIES + AUDIT_EVENT_QUERIES + 4):
        client.get(url)
    for n in range(10):
        informal(madeleine, f"Cousin {n}", Relation.OTHER_FAMILY)
    with django_assert_num_queries(SIGNED_IN_QUERIES + AUDIT_EVENT_QUERIES + 4):
        response = client.get(url)
    assert len(response.context["members"]) == 15


@pytest.mark.parametrize(("last_name", "query"), [
    ("Öztürk", "ozturk"), ("Öztürk", "ÖZT"), ("Van den Broeck", "broeck"),
    ("Van den Broeck", "van den"), ("El Amrani", "amrani"), ("Wiśniewska", "wisniew"),
])
def test_name_search_ignores_accents_and_case_and_finds_compound_surnames(
    client, coordinator, world, last_name, query
):
    person = services.create_person({"first_name": "Ayşe", "last_name": last_name, "sex": "F"},
                                    actor=coordinator, organisation=world.coordination_centre)
    client.force_login(coordinator)
    page = client.get(reverse("network:person_list"), {"q": query}).context["page"]
    assert [p.pk for p in page.object_list] == [person.pk]
    assert client.get(reverse("network:person_list"), {"q": "ayse " + query}).context[
        "page"].paginator.count == 1


def test_a_relative_cannot_be_put_in_the_safeguarding_circle(client, coordinator, madeleine):
    """DOMAIN.md: safeguarding is hidden from family and proxies. The form says why and
    changes nothing; the service refuses too; a portal account is never in the circle, even
    on a record from before."""
    daughter = madeleine.members.get(kind=MemberKind.INFORMAL, user__isnull=False)
    client.force_login(coordinator)
    edit = reverse("network:member_edit", args=[daughter.pk])
    form = MemberForm.initial_for(daughter)
    answer = client.post(edit, {**form, "roles": list(daughter.role_codes()),
                                "in_safeguarding_circle": "on"})
    assert answer.status_code == 200
    assert "for professionals only" in answer.content.decode()
    daughter.refresh_from_db()
    assert daughter.in_safeguarding_circle is False
    with pytest.raises(ValidationError):
        services.add_member(madeleine, kind=MemberKind.INFORMAL, name="Paul Lambert",
                            roles=[Role.FAMILY], actor=coordinator, in_safeguarding_circle=True)
    assert not madeleine.members.filter(name="Paul Lambert").exists()
    NetworkMember.objects.filter(pk=daughter.pk).update(in_safeguarding_circle=True)
    with decisions.deciding_once():
        assert not is_in_safeguarding_circle(daughter.user, madeleine)


def test_a_missing_mandate_is_asked_only_of_someone_close_to_the_person(bare_person, world):
    # The mandate form names only relatives and friends: a warning about an organisation
    # called representative could never be cleared (as for court orders).
    friend = informal(bare_person, "Friend", Relation.FRIEND, [Role.REPRESENTATIVE])
    services.add_member(bare_person, kind=MemberKind.ORGANISATION, roles=[Role.REPRESENTATIVE],
                        organisation=world.coordination_centre, actor=bare_person.created_by)
    members = list(bare_person.members.active().prefetch_related("roles"))
    assert len([m for m in members if Role.REPRESENTATIVE in m.role_codes()]) == 2
    assert legal.missing_mandates(members) == [friend]
