"""The two reports of `shared/seeds/` as demo sessions (idempotent): South-East,
22 April 2025, and North, December 2025.

What is the reports': the themes, agendas, expectations, participant totals, the
presentations' public addresses, the findings in their sections, the actions, the next
date of South-East. The reports are in Dutch (`language = "nl"`, the original); the
French texts are our translation. What the demo adds, and the reports do not say: the
split of the participants by sector (it sums to each report's total), the day of the
North session (the report gives the month), which requirement each finding concerns,
and for South-East's one action an owner, partners and a due date (the next session),
so the demo shows an action followed — and overdue.

Rows are written directly, not through the services: the South-East session's dates
have passed, and the seeds are history, not invitations to send. Each zone's session is
run by its support team of the demo (`north-team@` for North, `analyst@` for South-East).
"""

from datetime import date

from django.db import transaction

from relais.accounts import demo as zone
from relais.accounts.models import Organisation
from relais.accounts.models import OrganisationType as T
from relais.audit import log as audit
from relais.core.models import CareZone
from relais.thematic.models import (
    ActionStatus,
    Finding,
    JointAction,
    Presentation,
    Section,
    SectorCount,
    ThematicSession,
)

NEEDS, OFFER, PROSPECTS = Section.NEEDS, Section.OFFER, Section.PROSPECTS

SOUTH_EAST = {
    "zone": "south-east", "held_on": date(2025, 4, 22), "hours": "",
    "theme_nl": "Thematisch overleg verbinding ziekenhuis-ambulante zorg #1",
    "theme_fr": "Concertation thématique liaison hôpital-ambulatoire #1",
    "agenda_nl": "Verwachtingen van de deelnemers en doelstellingen van het thematisch "
                 "overleg; context; bespreking van twee onderwerpen: begeleiding van "
                 "slachtoffers van huiselijk geweld en ondersteuning van mantelzorgers; "
                 "identificatie van andere onderwerpen; nieuws delen.",
    "agenda_fr": "Attentes des participants et objectifs de la concertation thématique ; "
                 "contexte ; discussion de deux sujets : l'accompagnement des victimes de "
                 "violences intrafamiliales et le soutien aux aidants proches ; "
                 "identification d'autres sujets ; partage d'actualités.",
    "expectations_nl": "Connecties maken; de ambulante sector bewust maken van de gang van "
                       "zaken in ziekenhuizen; samenwerkingen binnen het netwerk verbeteren "
                       "in de context van kortere ziekenhuisverblijven.",
    "expectations_fr": "Créer des liens ; sensibiliser le secteur ambulatoire au "
                       "fonctionnement des hôpitaux ; améliorer les collaborations au sein "
                       "du réseau dans un contexte de séjours hospitaliers plus courts.",
    "next_on": date(2025, 9, 16), "next_hours": "13.00–16.00",
    "next_place": "Kerselarenlaan 241 / Avenue des Cerisiers 241, Sint-Lambrechts-Woluwe",
    "review_themes": ["caregiver_exhaustion", "isolation", "violence"],
    # The observatory's indicators each finding concerns, in the findings' order (ours).
    "indicators": [["admissions", "length_of_stay_median", "urgent_started_in_time"], [],
                   [], ["admissions_priority"], ["referrals"],
                   ["admissions_priority"], ["followup_contacts", "readmissions_30d"],
                   ["discharges_without_plan"], [], ["referrals"],
                   ["urgent_started_in_time"], ["admissions_priority", "watches"]],
    "action_indicators": ["watches"],
    "presentation": "https://www.zorgzone-zuid-oost.brussels/layout/uploads/2025/08/"
                    "20250422-PPT-CT-Hopital-Ambulatoire-TO-Ziekenhuis-Ambulante-zorg.pdf",
    # 23 professionals (the report); the split is the demo's.
    "sectors": {T.HOSPITAL: (3, 6), T.COORDINATION_CENTRE: (2, 4), T.HOME_NURSING: (2, 3),
                T.PUBLIC_SOCIAL_WELFARE: (2, 3), T.DOMESTIC_VIOLENCE: (1, 2),
                T.MENTAL_HEALTH: (1, 2), T.CARE_ZONE_TEAM: (1, 3)},
    "findings": [
        (OFFER, ["R13"],
         "Context: de meeste inwoners van de vier gemeenten van zorgzone Zuid-Oost geven de "
         "voorkeur aan ziekenhuislocaties binnen de zorgzone; druk op ziekenhuizen om de "
         "verblijfsduur te verkorten; belemmeringen voor dringende toegang tot thuishulp; "
         "verbindingssystemen die ziekenhuisontslagen organiseren zijn enkel aanwezig op "
         "bepaalde afdelingen.",
         "Contexte : la plupart des habitants des quatre communes du bassin Sud-Est "
         "préfèrent les sites hospitaliers situés dans le bassin ; pression sur les "
         "hôpitaux pour raccourcir les durées de séjour ; obstacles à l'accès urgent à "
         "l'aide à domicile ; les dispositifs de liaison qui organisent les sorties "
         "d'hôpital n'existent que dans certains services."),
        (OFFER, ["R22"],
         "Vanuit onze ervaring met het BOOST-project weten we hoe belangrijk het is om "
         "besluitvormers te betrekken bij de implementatie van verbeterpunten.",
         "Notre expérience du projet BOOST nous apprend combien il est important "
         "d'impliquer les décideurs dans la mise en œuvre des pistes d'amélioration."),
        (NEEDS, ["R14"],
         "Slachtoffers van huiselijk geweld begeleiden: er zijn aandachts- of "
         "verbeterpunten vastgesteld voor de vroegtijdige opsporing, opleiding en "
         "ondersteuning van hulpverleners, noodhulpdiensten, netwerkcoördinatie, "
         "begeleiding van kinderen en de behoefte aan gerichte preventie voor 12- tot "
         "14-jarigen.",
         "Accompagner les victimes de violences intrafamiliales : des points d'attention "
         "ou d'amélioration ont été relevés pour le dépistage précoce, la formation et le "
         "soutien des intervenants, les services d'urgence, la coordination du réseau, "
         "l'accompagnement des enfants et le besoin d'une prévention ciblée pour les 12 à "
         "14 ans."),
        (NEEDS, ["R15"],
         "Ondersteuning van mantelzorgers: het belang van continue informatieverstrekking "
         "aan mantelzorgers na ontslag uit het ziekenhuis; aan de voorwaarden voor ontslag "
         "van de patiënt wordt voldaan (anticipatie, coördinatie met mantelzorgers); "
         "erkenning van de rol van mantelzorgers, hun preventieve ondersteuning en "
         "specifieke aandacht voor geïsoleerde mensen zonder mantelzorger(s).",
         "Soutien aux aidants proches : l'importance d'informer les aidants de manière "
         "continue après la sortie de l'hôpital ; réunir les conditions de sortie du "
         "patient (anticipation, coordination avec les aidants) ; la reconnaissance du "
         "rôle des aidants, leur soutien préventif et une attention particulière aux "
         "personnes isolées sans aidant."),
        (NEEDS, ["R16"],
         "Gebrek aan coördinatie met belangrijke partners zoals het OCMW, sociale "
         "huisvestings- en noodhuisvestingsdiensten.",
         "Manque de coordination avec des partenaires clés comme le CPAS, les services de "
         "logement social et d'hébergement d'urgence."),
        (NEEDS, ["R17"],
         "Prioriteit voor bepaalde kwetsbare groepen bij de verbinding ziekenhuis-ambulante "
         "zorg (ouderen, geïsoleerde mensen zonder netwerk, mensen met een handicap, "
         "geïsoleerde ouders, chronisch zieken, daklozen).",
         "Priorité à certains groupes vulnérables dans la liaison hôpital-ambulatoire "
         "(personnes âgées, personnes isolées sans réseau, personnes handicapées, parents "
         "isolés, malades chroniques, personnes sans abri)."),
        (NEEDS, ["R18"],
         "Gedeelde monitoringprotocollen tussen ziekenhuizen en ambulante zorg, voor en na "
         "opname.",
         "Des protocoles de suivi partagés entre hôpitaux et ambulatoire, avant et après "
         "l'hospitalisation."),
        (NEEDS, ["R19"],
         "Kennis van de praktische problemen die patiënten ondervinden bij het verlaten van "
         "het ziekenhuis en hun verwachtingen rond ambulante zorg.",
         "Connaître les difficultés pratiques que rencontrent les patients à la sortie de "
         "l'hôpital et leurs attentes envers les soins ambulatoires."),
        (NEEDS, ["R19"], "Aandacht voor de gehele gezinscontext.",
         "Attention à l'ensemble du contexte familial."),
        (NEEDS, ["R21"],
         "Het is belangrijk om wederzijds begrip te stimuleren tussen ziekenhuis- en "
         "ambulante professionals om de continuïteit van de zorg te bevorderen.",
         "Il est important de favoriser la compréhension mutuelle entre professionnels "
         "hospitaliers et ambulatoires pour soutenir la continuité des soins."),
        (NEEDS, ["R19"],
         "Kwaliteit van spoedeisende hulp, waarin wordt rekening gehouden met medische, "
         "psychologische en sociale aspecten, m.a.w. de algehele situatie van de persoon.",
         "La qualité de l'aide urgente, qui tient compte des aspects médicaux, "
         "psychologiques et sociaux, c'est-à-dire de la situation globale de la personne."),
        (PROSPECTS, ["R17"],
         "Het is moeilijk om een duidelijke consensus te bereiken over welke onderwerpen "
         "prioriteit moeten krijgen, gezien de grote verscheidenheid aan situaties, "
         "professionele contexten en doelgroepen. Eén terugkerend aandachtspunt: de "
         "behoefte aan verhoogde waakzaamheid voor ouderen en/of geïsoleerden.",
         "Il est difficile de dégager un consensus clair sur les sujets prioritaires, vu "
         "la grande diversité des situations, des contextes professionnels et des publics. "
         "Un point d'attention revient toutefois : le besoin d'une vigilance accrue envers "
         "les personnes âgées et/ou isolées."),
    ],
    "actions": [
        ("Verhoogde waakzaamheid voor ouderen en/of geïsoleerden bij de verbinding "
         "ziekenhuis-ambulante zorg.",
         "Une vigilance accrue envers les personnes âgées et/ou isolées dans la liaison "
         "hôpital-ambulatoire.",
         "coordination", ["valfleuri", "zone"], date(2025, 9, 16), ActionStatus.IN_PROGRESS),
    ],
}

NORTH = {
    "zone": "north", "held_on": date(2025, 12, 2), "hours": "",
    "theme_nl": "Thematisch overleg verbinding ziekenhuis-ambulante zorg",
    "theme_fr": "Concertation thématique liaison hôpital-ambulatoire",
    "agenda_nl": "Presentatie over de coördinatie van thuishulp en -zorg, casemanagement en "
                 "de ‘Protocol 3’-projecten die in Brussel worden uitgevoerd door Brusano en "
                 "Alzheimer Belgique; daarna brachten de deelnemers hun professionele "
                 "netwerk in kaart en bespraken ze hun praktijken.",
    "agenda_fr": "Présentation de la coordination de l'aide et des soins à domicile, du "
                 "case management et des projets « Protocole 3 » menés à Bruxelles par "
                 "Brusano et Alzheimer Belgique ; les participants ont ensuite cartographié "
                 "leur réseau professionnel et discuté de leurs pratiques.",
    "expectations_nl": "", "expectations_fr": "",
    "next_on": None, "next_hours": "", "next_place": "",
    "review_themes": ["refusal_of_help", "information_not_passed", "isolation"],
    "indicators": [[], ["refusals", "restarts"], ["screenings"], [], [], ["consultations"], [],
                   ["referrals"], ["referrals"], ["consultations"],
                   ["watches"], []],
    "action_indicators": ["consultations", "", "screenings", "referrals",
                          "consultations", "refusals"],
    "presentation": "https://www.bassin-nord.brussels/layout/uploads/2026/01/"
                    "202512_CT_LAH_TO_AZH.pdf",
    # 18 participants (the report); the split is the demo's.
    "sectors": {T.HOSPITAL: (2, 5), T.COORDINATION_CENTRE: (3, 4), T.HOME_NURSING: (1, 2),
                T.GP_PRACTICE: (1, 1), T.PUBLIC_SOCIAL_WELFARE: (1, 2),
                T.MENTAL_HEALTH: (1, 2), T.CARE_ZONE_TEAM: (1, 2)},
    "findings": [
        (NEEDS, ["R1"],
         "Er blijven problemen bestaan in de manier waarop ziekenhuizen communiceren met "
         "patiënten en hun mantelzorgers. De informatie kan complex zijn en vereist vaak de "
         "tussenkomst van een relaisprofessional om begrip en continuïteit te garanderen.",
         "Des difficultés persistent dans la manière dont les hôpitaux communiquent avec "
         "les patients et leurs aidants. L'information transmise peut être complexe et "
         "demande souvent l'intervention d'un professionnel relais pour garantir la "
         "compréhension et la continuité."),
        (NEEDS, ["R2"],
         "Weigering van hulp, onderbrekingen in de opvolging of het niet bieden van "
         "ondersteuning werpen praktische en ethische uitdagingen op.",
         "Le refus d'aide, les interruptions de suivi ou l'absence de soutien proposé "
         "posent des défis pratiques et éthiques."),
        (NEEDS, ["R3"],
         "Rekening houden met de factoren die leiden tot kwetsbaarheid (isolement, "
         "psychosociale kwetsbaarheid, vermogen om een netwerk in te schakelen), vooral bij "
         "ziekenhuisontslag, en niet alleen met de medische of administratieve "
         "complexiteit.",
         "Tenir compte des facteurs de vulnérabilité (isolement, fragilité psychosociale, "
         "capacité à mobiliser un réseau), surtout à la sortie de l'hôpital, et pas "
         "seulement de la complexité médicale ou administrative."),
        (NEEDS, ["R4"],
         "Er is nog steeds onduidelijkheid over de rol van de vertrouwenspersoon en de "
         "gemachtigde, wat een directe impact heeft op de continuïteit van de begeleiding.",
         "Le rôle de la personne de confiance et du mandataire reste flou, ce qui pèse "
         "directement sur la continuité de l'accompagnement."),
        (NEEDS, ["R5"],
         "Omdat er geen duidelijk contactpunt is, heeft het ziekenhuis vaak weinig "
         "informatie over het eigenlijke netwerk van de patiënt.",
         "Faute de personne de contact claire, l'hôpital dispose souvent de peu "
         "d'informations sur le réseau réel du patient."),
        (OFFER, ["R6"],
         "Onvoldoende beveiliging van informatiestromen: bestaande tools (communicatieboekje, "
         "gele doos) voornamelijk op papier, moeilijk bij te werken; onzekerheid over het "
         "sturen van de juiste informatie naar de juiste persoon op het juiste moment.",
         "Des flux d'information insuffisamment sécurisés : les outils existants (carnet de "
         "liaison, boîte jaune) sont surtout sur papier et difficiles à mettre à jour ; "
         "incertitude quant à l'envoi de la bonne information à la bonne personne au bon "
         "moment."),
        (OFFER, ["R7"],
         "De familie wordt systematisch betrokken bij hulp- en zorgvragen, maar de "
         "begunstigde blijft het eerste aanspreekpunt.",
         "La famille est systématiquement associée aux demandes d'aide et de soins, mais le "
         "bénéficiaire reste le premier interlocuteur."),
        (OFFER, ["R8", "R21"],
         "Wettelijke kaders en overeenkomsten maken samenwerking mogelijk tussen bepaalde "
         "ziekenhuisdiensten en ambulante diensten (diabetes, geriatrie en RVT's, "
         "levenseinde), maar in de praktijk is er weinig effectieve samenwerking; de "
         "betrokkenen noemen een gebrek aan kennis over de ambulante sector.",
         "Des cadres légaux et des conventions permettent des collaborations entre certains "
         "services hospitaliers et ambulatoires (diabète, gériatrie et MRS, fin de vie), "
         "mais la collaboration effective reste faible en pratique ; les acteurs évoquent "
         "une méconnaissance du secteur ambulatoire."),
        (OFFER, ["R9"],
         "Veelvuldig en soms automatisch doorschuiven van situaties aan maatschappelijk "
         "werkers in ziekenhuizen, zonder gedetailleerde analyse van specifieke behoeften.",
         "Des situations sont souvent, parfois automatiquement, renvoyées aux assistants "
         "sociaux hospitaliers sans analyse détaillée des besoins spécifiques."),
        (OFFER, ["R10"],
         "Interactie tussen de coördinatie en zelfstandigen is vaak moeilijk: overleg "
         "moeilijk te organiseren door tijdgebrek, gefragmenteerde feedback.",
         "L'interaction entre la coordination et les indépendants est souvent difficile : "
         "concertations difficiles à organiser faute de temps, retours fragmentés."),
        (OFFER, ["R11"],
         "Wanneer een situatie dreigt te verslechteren, kunnen de diensten voor coördinatie "
         "van thuishulp en -zorg een oogje in het zeil houden.",
         "Quand une situation risque de se dégrader, les services de coordination de l'aide "
         "et des soins à domicile peuvent garder un œil sur elle."),
        (PROSPECTS, [],
         "Er zijn verschillende acties naar voren gekomen, waarvan de concrete invulling "
         "niet noodzakelijkerwijs binnen de opdracht van het ondersteuningsteam van de "
         "zorgzone valt.",
         "Plusieurs actions ont émergé, dont la mise en œuvre concrète ne relève pas "
         "nécessairement de la mission de l'équipe d'appui du bassin."),
    ],
    "actions": [
        ("Versterken van gestructureerde processen om informatie door te geven, als "
         "aanvulling op bestaande papieren tools.",
         "Renforcer des processus structurés de transmission d'information, en complément "
         "des outils papier existants.", "", [], None, ActionStatus.PROPOSED),
        ("De rollen en wettelijke kaders rond de vertrouwenspersoon en de gemachtigde "
         "verduidelijken.",
         "Clarifier les rôles et les cadres légaux de la personne de confiance et du "
         "mandataire.", "", [], None, ActionStatus.PROPOSED),
        ("Het begrip kwetsbaarheid definiëren en systematisch het opsporen ervan integreren "
         "in de voorbereiding op ziekenhuisontslag.",
         "Définir la notion de vulnérabilité et intégrer systématiquement son repérage dans "
         "la préparation de la sortie d'hôpital.", "", [], None, ActionStatus.PROPOSED),
        ("Het bevorderen van wederzijdse kennis tussen ziekenhuizen en ambulante zorg.",
         "Favoriser la connaissance mutuelle entre hôpitaux et ambulatoire.", "", [], None,
         ActionStatus.PROPOSED),
        ("Flexibelere overlegvormen ontwikkelen die verenigbaar zijn met de beperkingen van "
         "zelfstandigen.",
         "Développer des formes de concertation plus souples, compatibles avec les "
         "contraintes des indépendants.", "", [], None, ActionStatus.PROPOSED),
        ("Professionals ondersteunen wanneer ze worden geconfronteerd met weigering van "
         "hulp of falen, door ruimtes te bieden voor reflectie en discussie tussen "
         "professionals.",
         "Soutenir les professionnels confrontés à un refus d'aide ou à un échec, en leur "
         "offrant des espaces de réflexion et d'échange entre professionnels.", "", [],
         None, ActionStatus.PROPOSED),
    ],
}

SESSIONS = (SOUTH_EAST, NORTH)


@transaction.atomic
def load_demo_sessions() -> int:
    """How many of the two sessions were written now (0 when both were there)."""
    organisations = _demo_organisations()
    return sum(_load(seed, organisations) for seed in SESSIONS)


def _demo_organisations() -> dict[str, Organisation]:
    by_kbo = {o.kbo_number: o for o in Organisation.objects.filter(
        kbo_number__in=[zone.kbo(o.kbo_base) for o in zone.ORGANISATIONS])}
    return {o.key: by_kbo.get(zone.kbo(o.kbo_base)) for o in zone.ORGANISATIONS}


def _load(seed: dict, organisations: dict) -> int:
    care_zone = CareZone.objects.get(code=seed["zone"])
    if ThematicSession.objects.filter(care_zone=care_zone, held_on=seed["held_on"]).exists():
        return 0
    fields = ["theme_nl", "theme_fr", "agenda_nl", "agenda_fr", "expectations_nl",
              "expectations_fr", "hours", "next_on", "next_hours", "next_place",
              "review_themes"]
    session = ThematicSession.objects.create(
        care_zone=care_zone, held_on=seed["held_on"], language="nl",
        place="", **{name: seed[name] for name in fields})
    SectorCount.objects.bulk_create(
        SectorCount(session=session, sector=sector, organisations=orgs, participants=people)
        for sector, (orgs, people) in seed["sectors"].items())
    Presentation.objects.create(session=session, title="Presentatie / Présentation",
                                url=seed["presentation"])
    positions = {}
    for (section, requirements, text_nl, text_fr), codes in zip(
            seed["findings"], seed["indicators"], strict=True):
        positions[section] = positions.get(section, 0) + 1
        Finding.objects.create(session=session, section=section, position=positions[section],
                               text_nl=text_nl, text_fr=text_fr, requirements=requirements,
                               indicators=codes)
    for number, ((nl, fr, owner, partners, due, status), code) in enumerate(
            zip(seed["actions"], seed["action_indicators"], strict=True), 1):
        action = JointAction.objects.create(
            session=session, position=number, title_nl=nl, title_fr=fr, indicator=code,
            owner=organisations.get(owner), due_on=due, status=status)
        action.partners.set([organisations[key] for key in partners if organisations.get(key)])
    audit.record("thematic.demo_session_loaded", target=session,
                 detail={"care_zone": care_zone.code, "held_on": session.held_on.isoformat()})
    return 1
