"""Demo booklet (idempotent): Jozef Verhaegen's booklet, emergency sheet and a question
to his network, so that a demo login shows what a week at home looks like.

The booklet test in the browser journey starts from an empty booklet for Jozef; this
loader is separate (relais demo calls it) so tests choose whether they want it.
"""

from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from relais.accounts import demo as zone
from relais.accounts.models import User
from relais.booklet import consultations, emergency, services
from relais.booklet.models import Audience, Entry
from relais.network.models import Person

ENTRIES = [
    # (author key, kind, audience, text, days ago)
    ("home-nurse", "observation", Audience.HEALTH,
     "Plaie au talon gauche en bonne voie. Pansement refait, prochain passage jeudi.", 6),
    ("gp", "handover", Audience.HEALTH,
     "Bisoprolol verlaagd naar 2,5 mg. Bloeddruk opvolgen bij elk bezoek aub.", 5),
    ("case-manager", "note", Audience.NETWORK,
     "Zorgoverleg gepland op de 28e bij Jozef thuis, 14 uur. Marc komt ook.", 3),
    ("home-nurse", "alert", Audience.HEALTH,
     "Chute dans la salle de bain ce matin, pas de fracture apparente. Médecin prévenu.", 1),
]


@transaction.atomic
def load_demo_booklet() -> int:
    jozef = Person.objects.filter(first_name="Jozef", last_name="Verhaegen").first()
    if jozef is None or Entry.objects.filter(person=jozef).exists():
        return 0
    users = {key: User.objects.get(email=f"{key}@{zone.DEMO_DOMAIN}")
             for key in ("home-nurse", "gp", "case-manager", "coordinator")}
    for key, kind, audience, text, days_ago in ENTRIES:
        author = users[key]
        entry = services.write(jozef, author=author, body=text, kind=kind, audience=audience,
                               organisation=services.acting_organisation(author))
        _backdate(entry, days_ago)
    emergency.save_sheet(jozef, {
        "conditions": "Hartfalen; diabetes type 2; lichte dementie",
        "allergies": "Penicilline",
        "medication": "Bisoprolol 2,5 mg 1x/dag 's morgens\nMetformine 500 mg 2x/dag\n"
                      "Furosemide 40 mg 's morgens",
        "care_planning": "Negatieve wilsverklaring (geen reanimatie)",
        "care_planning_location": "In de gele doos in de koelkast, en bij de huisarts",
    }, actor=users["gp"])
    coordinator = users["case-manager"]
    consultations.ask(
        jozef, question="Kan iemand op de dag van het zorgoverleg de bloeddruk meten?",
        choices=["Ja, ik", "Nee"], deadline=timezone.now() + timedelta(days=2),
        members=list(jozef.members.active().filter(user=users["gp"])) + list(
            jozef.members.active().filter(roles__role="home_nurse", user__isnull=False)),
        actor=coordinator, organisation=services.acting_organisation(coordinator))
    return len(ENTRIES)


def _backdate(entry, days_ago: int) -> None:
    """Spread the demo over the week. The model refuses updates (append-only); the demo
    loader alone writes the date through SQL, before anyone has read the entry."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE booklet_entry SET created_at = %s WHERE id = %s",
                       [timezone.now() - timedelta(days=days_ago, hours=2), entry.pk])
