"""What synthetic booklet entries and referrals say, in the person's language: short,
plausible, never about a real person."""

ENTRIES = {
    "fr": {
        "note": ["Passage à domicile : {name} a bien mangé, se déplace avec le rollator.",
                 "Courses faites, frigo rempli. {name} demande des nouvelles de sa fille.",
                 "Toilette faite, peau en bon état. Moral correct aujourd'hui.",
                 "Pilulier préparé pour la semaine. Pas de changement de traitement."],
        "observation": ["Tension {a}/{b}, pouls {c}. Pas de plainte particulière.",
                        "Poids {c} kg, stable par rapport à la semaine passée.",
                        "Œdème léger aux chevilles, à surveiller. Jambes surélevées."],
        "alert": ["Chute ce matin dans la salle de bain, pas de blessure visible. "
                  "Médecin traitant prévenu.",
                  "{name} n'a pas pris ses médicaments depuis deux jours."],
        "handover": ["Retour d'hospitalisation : pansement à refaire tous les deux jours, "
                     "rendez-vous de contrôle dans trois semaines."],
        "question": ["Quelqu'un peut-il vérifier le rendez-vous chez le cardiologue ?"],
        "answer": ["C'est fait, rendez-vous confirmé."],
    },
    "nl": {
        "note": ["Huisbezoek: {name} heeft goed gegeten en stapt met de rollator.",
                 "Boodschappen gedaan, koelkast gevuld. {name} vraagt naar haar dochter.",
                 "Verzorging gedaan, huid in orde. Goed gemutst vandaag.",
                 "Pillendoos klaargezet voor de week. Geen wijziging in de medicatie."],
        "observation": ["Bloeddruk {a}/{b}, pols {c}. Geen bijzondere klachten.",
                        "Gewicht {c} kg, stabiel tegenover vorige week.",
                        "Lichte enkeloedeem, op te volgen. Benen hoog gelegd."],
        "alert": ["Vanmorgen gevallen in de badkamer, geen zichtbare letsels. "
                  "Huisarts verwittigd.",
                  "{name} heeft al twee dagen de medicatie niet genomen."],
        "handover": ["Terug uit het ziekenhuis: verband om de twee dagen verversen, "
                     "controle over drie weken."],
        "question": ["Kan iemand de afspraak bij de cardioloog nakijken?"],
        "answer": ["Gedaan, de afspraak is bevestigd."],
    },
}

REFERRALS = {
    "fr": ("Soins infirmiers après la sortie : pansement, médicaments, surveillance.",
           "Deux fois par jour la première semaine", "Retour à domicile après "
           "hospitalisation, vit seul(e).", "Rester chez soi le plus longtemps possible."),
    "nl": ("Verpleging na ontslag: wondzorg, medicatie, opvolging.",
           "Twee keer per dag de eerste week", "Terug naar huis na opname, woont alleen.",
           "Zo lang mogelijk thuis blijven wonen."),
}


def entry_text(rng, language: str, kind: str, first_name: str) -> str:
    texts = ENTRIES["nl" if language == "nl" else "fr"][kind]
    return rng.choice(texts).format(name=first_name, a=rng.randint(10, 16),
                                    b=rng.randint(6, 9), c=rng.randint(55, 95))


def referral_texts(language: str) -> tuple[str, str, str, str]:
    return REFERRALS["nl" if language == "nl" else "fr"]
