"""Old notifications stored their sentence, in the language of whoever caused them, and
a link. This derives the event instead (target and parameters) so that old rows are
read in the reader's language like new ones: an inbox is never in two languages.

* The target comes from the link, by the URL shapes Relais used (`/stays/7/`,
  `/referrals/7/`, `/persons/3/booklet/#entry-7`, `/consultations/7/`, and the
  consultation reply link `/c/<token>/`, whose token is looked up by its SHA-256 and then
  forgotten: it is no longer stored anywhere).
* The parameters are read from the sentence with the patterns below: the sentences as
  they were in English, Dutch and French when this migration was written (frozen here,
  like any migration). A consultation's deadline is read from the consultation.
  A parameter that cannot be read shows as "…".
"""

import hashlib
import re

from django.db import migrations

SPACES = re.compile(r"[\s\u00a0\u202f]+")

# kind → the old sentences (en, nl, fr); %(name)s was the person.
SENTENCES = {
    "network.contact_point": [
        "%(name)s is now the contact point for %(person)s.",
        "%(name)s is nu het aanspreekpunt voor %(person)s.",
        "%(name)s est désormais la personne de contact de %(person)s.",
    ],
    "network.break_glass": [
        "%(who)s opened the record of %(person)s in an emergency.",
        "%(who)s heeft het dossier van %(person)s geopend via noodtoegang.",
        "%(who)s a ouvert le dossier de %(person)s par un accès d'urgence.",
    ],
    "referral.received": [
        "New referral for %(service)s.",
        "Nieuwe doorverwijzing voor %(service)s.",
        "Nouvelle orientation vers %(service)s.",
    ],
    "referral.*": [
        "Referral to %(service)s: %(status)s.",
        "Doorverwijzing naar %(service)s: %(status)s.",
        "Orientation vers %(service)s : %(status)s.",
    ],
    "stay.admitted": [
        "%(name)s was admitted to %(hospital)s.",
        "%(name)s is opgenomen in %(hospital)s.",
        "Admission de %(name)s à %(hospital)s.",
    ],
    "stay.discharged": [
        "%(name)s left %(hospital)s.",
        "%(name)s heeft %(hospital)s verlaten.",
        "%(name)s a quitté %(hospital)s.",
    ],
    "consultation.invited": [
        "%(asker)s asks a question about %(name)s: please answer by %(deadline)s.",
        "%(asker)s stelt een vraag over %(name)s: antwoord graag tegen %(deadline)s.",
        "%(asker)s pose une question concernant %(name)s : merci de répondre au plus tard "
        "le %(deadline)s.",
    ],
    "consultation.answered": [
        "%(who)s answered your question about %(name)s.",
        "%(who)s heeft uw vraag over %(name)s beantwoord.",
        "%(who)s a répondu à votre question concernant %(name)s.",
    ],
}
# What each kind keeps (the person is the row's own; a deadline comes from the row).
KEEP = {"network.contact_point": ("name",), "network.break_glass": ("who",),
        "referral.received": ("service",), "referral.*": ("service",),
        "stay.admitted": ("hospital",), "stay.discharged": ("hospital",),
        "consultation.invited": ("asker",), "consultation.answered": ("who",)}
WITH_DEADLINE = ("consultation.invited", "consultation.reminder")

LINKS = [
    (re.compile(r"^/stays/(\d+)/"), "stays.stay"),
    (re.compile(r"^/referrals/(\d+)/"), "stays.referral"),
    (re.compile(r"^/persons/\d+/booklet/#entry-(\d+)$"), "booklet.entry"),
    (re.compile(r"^/consultations/(\d+)/"), "booklet.consultation"),
]
REPLY_LINK = re.compile(r"^/c/([^/]+)/$")
BATCH = 1000


def _pattern(sentence: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", SPACES.sub(" ", sentence))
    regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
                    for i, part in enumerate(parts))
    return re.compile(f"^{regex}$")


PATTERNS = {kind: [_pattern(s) for s in sentences] for kind, sentences in SENTENCES.items()}


def _family(kind: str) -> str:
    if kind.startswith("referral.") and kind != "referral.received":
        return "referral.*"
    return kind


def params_from(kind: str, message: str) -> dict:
    family = _family(kind)
    text = SPACES.sub(" ", message).strip()
    for pattern in PATTERNS.get(family, []):
        found = pattern.match(text)
        if found:
            return {name: found.group(name) for name in KEEP[family]}
    return {}


def target_from(link: str, invitations) -> tuple[str, int | None]:
    for pattern, label in LINKS:
        found = pattern.match(link)
        if found:
            return label, int(found.group(1))
    found = REPLY_LINK.match(link)
    if found:
        digest = hashlib.sha256(found.group(1).encode()).hexdigest()
        consultation_id = invitations.filter(token_hash=digest).values_list(
            "consultation_id", flat=True).first()
        return "booklet.consultation", consultation_id
    return "", None


def derive_events(apps, schema_editor):
    notifications = apps.get_model("notifications", "Notification")
    invitations = apps.get_model("booklet", "Invitation").objects.all()
    deadlines = dict(apps.get_model("booklet", "Consultation").objects.values_list(
        "pk", "deadline"))
    batch = []
    for row in notifications.objects.order_by("pk").iterator(chunk_size=BATCH):
        row.target_type, row.target_id = target_from(row.link, invitations)
        row.params = params_from(row.kind, row.message)
        if row.kind in WITH_DEADLINE and deadlines.get(row.target_id) is not None:
            row.params["deadline"] = deadlines[row.target_id].isoformat()
        batch.append(row)
        if len(batch) == BATCH:
            notifications.objects.bulk_update(batch, ["target_type", "target_id", "params"])
            batch = []
    notifications.objects.bulk_update(batch, ["target_type", "target_id", "params"])


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_event_fields'),
        ('booklet', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(derive_events, migrations.RunPython.noop),
    ]
