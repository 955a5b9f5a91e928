"""The emergency sheet, for the yellow box at the home (R6).

Each save is a new version; none is ever changed or deleted. The contacts (GP, contact
point, trusted person, representatives) come from the network: the current sheet shows
them live, and each version and each print keeps a snapshot. Excluded ("never inform")
and former members never appear, nor does anything about safeguarding (DOMAIN.md §6).

A print records what went into the box. When the medication list changes, or the
contacts differ from what was printed, the print is marked outdated and the contact
point is told, once per print.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relais.accounts.models import Membership
from relais.audit import log as audit
from relais.booklet.models import EmergencySheet, SheetPrint
from relais.core.models import VersionConflict
from relais.core.uploads import validate_document
from relais.network.legal import designated_representatives, ordered_administrators
from relais.network.models import NetworkMember, Person, Relation, Role
from relais.network.services import NETWORK_CHANGED
from relais.notifications.services import notify

SHEET_FIELDS = ["conditions", "allergies", "medication", "medication_updated_on",
                "medication_author", "care_planning", "care_planning_location"]
PHOTO_TYPES = {"image/png", "image/jpeg"}

# Who is on the sheet, in the order emergency services need them.
CONTACT_POINT = "contact_point"
SHEET_ROLES = [Role.GP, Role.TRUSTED_PERSON, Role.REPRESENTATIVE, Role.LEGAL_REPRESENTATIVE,
               Role.ADMINISTRATOR]
ORDER = [CONTACT_POINT, *SHEET_ROLES]


def current_sheet(person) -> EmergencySheet | None:
    return person.emergency_sheets.select_related("created_by").order_by("-number").first()


# --- contacts ----------------------------------------------------------------------------


def sheet_members(person) -> list[NetworkMember]:
    """Active, not excluded members; the safeguarding circle is not a reason to be shown."""
    return list(NetworkMember.objects.active().filter(person=person, never_inform=False)
                .select_related("user", "organisation").prefetch_related("roles")
                .order_by("pk"))


def contacts_snapshot(person) -> dict:
    """{"contacts": [{"member", "name", "phone", "roles", "is_person"}]}: the contact
    point, GP(s), trusted person and representatives, with the numbers to call. A
    representative counts only with a mandate in force, an administrator only with a
    court order in force that names them (legal.py): the role alone designates nobody,
    and emergency services would act on it."""
    members = sheet_members(person)
    mandated = {m.pk for m in designated_representatives(members, person.mandates.all())}
    ordered = {m.pk for m in ordered_administrators(members, person.protection_orders.all())}
    rows = []
    for member in members:
        codes = member.role_codes()
        if member.pk not in mandated:
            codes.discard(Role.REPRESENTATIVE)
        if member.pk not in ordered:
            codes.discard(Role.ADMINISTRATOR)
        roles = [CONTACT_POINT] if member.is_contact_point else []
        roles += [role.value for role in SHEET_ROLES if role in codes]
        if roles:
            rows.append({"member": member.pk, "name": member.display_name,
                         "phone": member.phone_to_call, "roles": roles,
                         "is_person": member.relation == Relation.SELF})
    rows.sort(key=lambda row: (ORDER.index(row["roles"][0]), row["member"]))
    return {"contacts": rows}


def labelled(snapshot: dict) -> list[dict]:
    """A snapshot's contacts as the sheet shows them: each row with its roles' labels (in
    the active language) and whether it is the GP. The sheet's pages and the person's copy
    of their data (its versions and prints) show them so."""
    labels = {CONTACT_POINT: _("Contact point"),
              **{role.value: role.label for role in SHEET_ROLES}}
    return [row | {"role_labels": [str(labels[r]) for r in row["roles"] if r in labels],
                   "is_gp": Role.GP in row["roles"]}
            for row in snapshot.get("contacts", [])]


def without_members(snapshot: dict, member_pks) -> dict:
    """A saved snapshot less the contacts of the members in `member_pks` (those a reader
    must not see named: network.rules.members_hidden_from)."""
    return snapshot | {"contacts": [row for row in snapshot.get("contacts", [])
                                    if row.get("member") not in member_pks]}


def contacts_with(snapshot: dict, role: str) -> list[dict]:
    return [row for row in snapshot.get("contacts", []) if role in row["roles"]]


# --- versions ----------------------------------------------------------------------------


@transaction.atomic
def save_sheet(person, data: dict, *, actor, expected_number: int | None = None
               ) -> EmergencySheet:
    """Write a new version (number + 1); fields not in `data` are kept from the previous
    one. `data["photo"]` is a new PNG/JPEG upload, `data["remove_photo"]` drops the photo.
    When the medication list changes and its date or author were left as they were,
    today and the actor are filled in. A stale `expected_number` raises VersionConflict."""
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one writer at a time
    previous = current_sheet(person)
    if expected_number is not None and expected_number != (previous.number if previous else 0):
        raise VersionConflict
    sheet = _next_version(person, previous, data, actor)
    sheet.save()
    audit.record("emergency_sheet.save", actor=actor, target=sheet, person_id=person.pk,
                 detail={"number": sheet.number, "fields": _changed_fields(previous, sheet)})
    check_outdated(person)
    return sheet


def _next_version(person, previous, data: dict, actor) -> EmergencySheet:
    sheet = EmergencySheet(person=person, number=(previous.number if previous else 0) + 1,
                           contacts=contacts_snapshot(person), created_by=actor)
    for name in SHEET_FIELDS:
        empty = None if name == "medication_updated_on" else ""
        value = data.get(name, getattr(previous, name) if previous else empty)
        setattr(sheet, name, empty if value is None else value)
    if previous and previous.photo:
        sheet.photo, sheet.photo_type = previous.photo.name, previous.photo_type
    if data.get("remove_photo"):
        sheet.photo, sheet.photo_type = "", ""
    if data.get("photo"):
        sheet.photo_type = validate_photo(data["photo"])
        sheet.photo = data["photo"]
    _stamp_medication(sheet, previous, actor)
    return sheet


def validate_photo(upload) -> str:
    """A PNG or JPEG within the upload limit, judged by its content; else ValidationError."""
    try:
        content_type = validate_document(upload)
    except ValidationError as error:
        if error.code != "file_type":
            raise  # too large: that message says so
        content_type = None
    if content_type not in PHOTO_TYPES:
        raise ValidationError(_("A photo must be a JPEG or PNG image."), code="file_type")
    return content_type


def _stamp_medication(sheet, previous, actor) -> None:
    if not medication_changed(previous, sheet):
        return
    if not sheet.medication_updated_on or (
            previous and sheet.medication_updated_on == previous.medication_updated_on):
        sheet.medication_updated_on = timezone.localdate()
    if not sheet.medication_author or (
            previous and sheet.medication_author == previous.medication_author):
        sheet.medication_author = str(actor)[:200]


def _normalised(medication: str) -> list[str]:
    return [" ".join(line.split()).casefold() for line in medication.splitlines() if line.strip()]


def medication_changed(before, after) -> bool:
    return _normalised(before.medication if before else "") != _normalised(after.medication)


def _changed_fields(previous, sheet) -> list[str]:
    # Field names only: the values are health data, kept out of the audit log.
    names = [*SHEET_FIELDS, "photo"]
    if previous is None:
        return [name for name in names if getattr(sheet, name)]
    return [name for name in names if getattr(previous, name) != getattr(sheet, name)]


# --- prints and the outdated check -------------------------------------------------------


class NothingToPrint(Exception):
    """There is no emergency sheet yet."""


@transaction.atomic
def record_print(person, *, actor) -> SheetPrint:
    """The current sheet was printed for the box; earlier prints are replaced by it (they
    are closed without a notification: the new paper is what is at the home)."""
    sheet = current_sheet(person)
    if sheet is None:
        raise NothingToPrint
    now = timezone.now()
    SheetPrint.objects.filter(person=person, outdated_at__isnull=True).update(outdated_at=now)
    printed = SheetPrint.objects.create(person=person, sheet=sheet, printed_at=now,
                                        contacts=contacts_snapshot(person), printed_by=actor)
    audit.record("emergency_sheet.print", actor=actor, target=sheet, person_id=person.pk,
                 detail={"number": sheet.number, "print": printed.pk})
    return printed


def open_prints(person):
    return SheetPrint.objects.filter(person=person, outdated_at__isnull=True).select_related(
        "sheet")


@transaction.atomic
def check_outdated(person) -> list[SheetPrint]:
    """Mark prints outdated whose medication list or contacts are no longer current, and
    tell the contact point once per print. Safe to call after any network change."""
    prints = list(open_prints(person).select_for_update(of=("self",)))
    if not prints:
        return []
    sheet, contacts = current_sheet(person), contacts_snapshot(person)
    stale = [p for p in prints if medication_changed(p.sheet, sheet) or p.contacts != contacts]
    now = timezone.now()
    for printed in stale:
        printed.outdated_at = now
        printed.save(update_fields=["outdated_at"])
        audit.record("emergency_sheet.outdated", target=printed.sheet, person_id=person.pk,
                     detail={"print": printed.pk,
                             "medication": medication_changed(printed.sheet, sheet),
                             "contacts": printed.contacts != contacts})
        _tell_contact_point(person)
    return stale


def _tell_contact_point(person) -> None:
    for user in contact_point_users(person):
        notify(user, kind="emergency.outdated", person=person)


def contact_point_users(person) -> list:
    """The contact point's account; for an organisation, its active staff."""
    member = NetworkMember.objects.active().filter(
        person=person, is_contact_point=True, never_inform=False).select_related("user").first()
    if member is None:
        return []
    if member.user_id:
        return [member.user]
    if member.organisation_id:
        return [m.user for m in Membership.objects.active().filter(
            organisation_id=member.organisation_id).select_related("user")]
    return []


def network_changed(person) -> list[SheetPrint]:
    """For the network services: call after a member is added, changed, ended, excluded or
    made contact point, so a printed sheet with old contacts is flagged."""
    return check_outdated(person)


def register() -> None:
    """The network tells the sheet of every change (the network does not know the sheet)."""
    if network_changed not in NETWORK_CHANGED:
        NETWORK_CHANGED.append(network_changed)
