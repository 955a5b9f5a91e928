"""A fictional social map around the demo care zone South-East (and beyond).

Everything here is invented. KBO and RIZIV numbers are computed to pass their check
digits; they may by chance belong to someone real, so never use them outside the demo.
It needs the demo organisations and the demo administrator of relais.accounts.demo
(`relais demo` loads both first).

Loading is idempotent: organisations are keyed on KBO number, services on
(organisation, French name) and agreements on (hospital, partner, kind). Services are
created through the same service as the screens (so the audit log tells the story), then
given their verification dates: most confirmed recently, a few stale, one never.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from relais.accounts import demo as zone
from relais.accounts.models import Organisation, User, Ward
from relais.accounts.models import OrganisationType as T
from relais.audit import log as audit
from relais.core.models import CareZone, Municipality
from relais.directory.models import Agreement, AgreementKind, Service, ServiceStatus
from relais.directory.models import Capacity as K
from relais.directory.models import Category as C
from relais.directory.models import UrgentStart as U
from relais.directory.services import create_service

# NIS codes used below.
ANDERLECHT, AUDERGHEM, BRUSSELS, ETTERBEEK, EVERE = "21001", "21002", "21004", "21005", "21006"
IXELLES, SAINT_GILLES, SAINT_JOSSE, SCHAERBEEK = "21009", "21013", "21014", "21015"
WATERMAEL, WOLUWE_ST_LAMBERT, WOLUWE_ST_PIERRE = "21017", "21018", "21019"
SOUTH_EAST, NORTH_EAST, NORTH, SOUTH, CENTRE_WEST = (
    "south-east", "north-east", "north", "south", "centre-west")

NEVER = None  # a listing nobody ever confirmed
WEEKDAYS = "Lun–ven 8h30–16h30 / Ma–vr 8.30–16.30 u"


@dataclass(frozen=True)
class DirectoryOrganisation:
    key: str
    name: str
    type: str
    kbo_base: int
    nis: str
    postcode: str
    street: str
    phone: str
    description: str


def _extra(n: int, key: str, name: str, type_: str, nis: str, postcode: str, street: str,
           phone: str, description: str) -> DirectoryOrganisation:
    return DirectoryOrganisation(key, name, type_, 10430000 + n, nis, postcode, street, phone,
                                 description)


# Organisations of the directory beyond the demo zone's own (relais.accounts.demo).
ORGANISATIONS = [
    _extra(1, "schaerbeek-nursing",
           "Soins Infirmiers Schaerbeek-Josaphat / Thuisverpleging Schaarbeek-Josaphat",
           T.HOME_NURSING, SCHAERBEEK, "1030",
           "Avenue Louis Bertrand 61 / Louis Bertrandlaan 61", "+32 2 556 10 00",
           "Twelve nurses around the Josaphat park; start within 24 hours, seven days a week."),
    _extra(2, "helmet-nursing", "Infirmières de quartier Helmet / Wijkverpleegkundigen Helmet",
           T.HOME_NURSING, SCHAERBEEK, "1030",
           "Chaussée de Helmet 210 / Helmetsesteenweg 210", "+32 2 556 20 00",
           "A small team of neighbourhood nurses; currently not taking new patients."),
    _extra(3, "benhaddou", "Leila Benhaddou – infirmière à domicile / thuisverpleegkundige",
           T.HOME_NURSING, IXELLES, "1050", "Rue du Page 18 / Pagestraat 18",
           "+32 2 556 30 00", "Self-employed home nurse in Ixelles and Saint-Gilles."),
    _extra(4, "verstraeten", "Dr Jan Verstraeten – huisarts / médecin généraliste",
           T.GP_PRACTICE, WOLUWE_ST_PIERRE, "1150",
           "Avenue de Tervueren 300 / Tervurenlaan 300", "+32 2 556 40 00",
           "Solo GP practice; consultations on appointment, home visits in the afternoon."),
    _extra(5, "demir", "Dr Aylin Demir – médecin généraliste / huisarts", T.GP_PRACTICE,
           SCHAERBEEK, "1030", "Rue Royale Sainte-Marie 95 / Koninklijke Sint-Mariastraat 95",
           "+32 2 556 50 00", "Solo GP practice, consultations in Turkish, French and Dutch."),
    _extra(6, "dupont", "Marc Dupont – kinésithérapeute / kinesitherapeut", T.PHYSIOTHERAPY,
           WOLUWE_ST_LAMBERT, "1200", "Rue Voot 7 / Vootstraat 7", "+32 2 556 60 00",
           "Self-employed physiotherapist, mostly at home after orthopaedic surgery."),
    _extra(7, "cinquantenaire",
           "Cabinet de kinésithérapie du Cinquantenaire / Kinesitherapiepraktijk Jubelpark",
           T.PHYSIOTHERAPY, ETTERBEEK, "1040", "Avenue de la Chevalerie 12 / Riddersschapslaan 12",
           "+32 2 556 70 00", "Five physiotherapists; geriatric physiotherapy and falls."),
    _extra(8, "le-pont",
           "Service de santé mentale Le Pont / Centrum voor Geestelijke Gezondheidszorg De Brug",
           T.MENTAL_HEALTH, WOLUWE_ST_LAMBERT, "1200",
           "Rue Saint-Lambert 120 / Sint-Lambertusstraat 120", "+32 2 556 80 00",
           "Outpatient mental-health centre with a mobile crisis team."),
    _extra(9, "point-jeunes", "Point Jeunes Schaerbeek / Jongerenpunt Schaarbeek",
           T.MENTAL_HEALTH, SCHAERBEEK, "1030", "Rue de Brabant 40 / Brabantstraat 40",
           "+32 2 556 90 00", "Free, anonymous psychological support for people aged 12–25."),
    _extra(10, "glycines", "Centre de jour Les Glycines / Dagcentrum De Blauweregen",
           T.SOCIAL_SERVICE, AUDERGHEM, "1160", "Rue du Vieux Moulin 8 / Oude Molenstraat 8",
           "+32 2 557 10 00", "Day care for older people and a monthly caregivers' café."),
    _extra(11, "tilleuls", "Résidence Les Tilleuls / Woonzorgcentrum De Linde", T.NURSING_HOME,
           WOLUWE_ST_PIERRE, "1150", "Rue au Bois 380 / Bosstraat 380", "+32 2 557 20 00",
           "Nursing home with six short-stay beds."),
    _extra(12, "escale",
           "Équipe de soutien palliatif L'Escale / Palliatief supportteam De Aanlegplaats",
           T.OTHER, IXELLES, "1050", "Rue de la Vanne 33 / Sluisstraat 33", "+32 2 557 30 00",
           "Second-line palliative support at home, day and night, anywhere in Brussels."),
    _extra(13, "taxi", "Taxi Social Bruxelles-Est / Sociale Taxi Brussel-Oost", T.SOCIAL_SERVICE,
           WOLUWE_ST_LAMBERT, "1200", "Rue Lola Bobesco 4 / Lola Bobescostraat 4",
           "+32 2 557 40 00", "Door-to-door rides for older people and people with low income."),
    _extra(14, "mobilite", "Mobilité Plus / Mobiliteit Plus", T.SOCIAL_SERVICE, ANDERLECHT,
           "1070", "Rue Wayez 150 / Wayezstraat 150", "+32 2 557 50 00",
           "Wheelchair-accessible minibuses for the whole region."),
    _extra(15, "pret-materiel", "Prêt-Matériel Bruxelles / Hulpmiddelenuitleen Brussel", T.OTHER,
           BRUSSELS, "1000", "Rue des Tanneurs 60 / Huidevettersstraat 60", "+32 2 557 60 00",
           "Rental of hospital beds, wheelchairs and walking aids; occupational-therapy advice."),
    _extra(16, "aidants", "Maison des Aidants Proches / Mantelzorghuis", T.SOCIAL_SERVICE,
           BRUSSELS, "1000", "Rue du Marché aux Herbes 20 / Grasmarkt 20", "+32 2 557 70 00",
           "Information and support for informal caregivers; dementia case management."),
    _extra(17, "marmite", "La Marmite Solidaire / De Solidaire Kookpot", T.SOCIAL_SERVICE,
           ETTERBEEK, "1040", "Rue Gérard 50 / Gerardstraat 50", "+32 2 557 80 00",
           "Social restaurant delivering hot meals at home, including diet and halal meals."),
    _extra(18, "cpas-schaerbeek", "CPAS de Schaerbeek (démo) / OCMW Schaarbeek (demo)",
           T.PUBLIC_SOCIAL_WELFARE, SCHAERBEEK, "1030",
           "Boulevard Lambermont 70 / Lambermontlaan 70", "+32 2 557 90 00",
           "Public social welfare centre (demo record)."),
    _extra(19, "coordination-ne",
           "Coordination Soins Nord-Est / Thuiszorgcoördinatie Noord-Oost",
           T.COORDINATION_CENTRE, SCHAERBEEK, "1030",
           "Avenue Rogier 200 / Rogierlaan 200", "+32 2 558 10 00",
           "Home-care coordination for Schaerbeek, Evere and Saint-Josse."),
    _extra(20, "ixelles-help", "Aide à Domicile Ixelles / Thuishulp Elsene", T.HOME_HELP,
           IXELLES, "1050", "Chaussée de Boondael 100 / Boondaalsesteenweg 100",
           "+32 2 558 20 00", "Home cleaning with service vouchers."),
    _extra(21, "abri", "Abri de Nuit du Canal / Nachtopvang Kanaal", T.HOUSING, BRUSSELS,
           "1000", "Quai des Charbonnages 12 / Koolmijnenkaai 12", "+32 2 558 30 00",
           "Night shelter, open every evening from 19:00."),
    _extra(22, "nora", "Espace Nora / Ruimte Nora", T.DOMESTIC_VIOLENCE, ANDERLECHT, "1070",
           "Address given by phone / Adres telefonisch meegedeeld", "+32 2 558 40 00",
           "Outpatient support for victims of domestic and family violence."),
    _extra(23, "colignon", "Pharmacie Colignon / Apotheek Colignon", T.PHARMACY, SCHAERBEEK,
           "1030", "Place Colignon 9 / Colignonplein 9", "+32 2 558 50 00",
           "Neighbourhood pharmacy; weekly pill organisers for people at home."),
]


def service(category: str, name_fr: str, name_nl: str, name_en: str, **fields) -> dict:
    """One listing; `nis`, `zones` and `verified` (days ago, or NEVER) are the demo's own."""
    return {"category": category, "name_fr": name_fr, "name_nl": name_nl, "name_en": name_en,
            **fields}


# Listings per organisation key (demo zone organisations and the ones above).
SERVICES = {
    "homenursing": [
        service(
            C.HOME_NURSING, "Soins infirmiers à domicile", "Thuisverpleging", "Home nursing",
            description_fr="Toilettes, injections, pansements, suivi du diabète et des "
            "traitements, 7 jours sur 7. Nous pouvons commencer dans les 24 heures à Woluwe "
            "et Etterbeek.",
            description_nl="Hygiënische zorg, inspuitingen, wondzorg, opvolging van diabetes "
            "en medicatie, 7 dagen op 7. In Woluwe en Etterbeek starten we binnen 24 uur.",
            how_to_refer_fr="Appelez la permanence ou envoyez la prescription par messagerie "
            "sécurisée ; l'infirmière de liaison peut nous appeler directement.",
            how_to_refer_nl="Bel de permanentie of stuur het voorschrift via beveiligde "
            "berichten; de liaisonverpleegkundige kan ons rechtstreeks bellen.",
            languages=["fr", "nl", "ar"], urgent_start=U.WITHIN_24H, capacity=K.ACCEPTING,
            nis=[WOLUWE_ST_PIERRE, WOLUWE_ST_LAMBERT, ETTERBEEK],
            schedule="7/7, 7h–21h ; permanence téléphonique 24h/24 / 7/7, 7–21 u; "
            "telefonische permanentie 24/24",
            fees="Tarif INAMI, sans supplément / RIZIV-tarief, zonder supplement",
            eligibility="Sur prescription médicale / Op medisch voorschrift",
            contact_name="Fatima El Amrani", contact_phone="+32 2 555 40 01", verified=3),
        service(
            C.HOME_NURSING, "Soins de plaies complexes à domicile", "Complexe wondzorg aan huis",
            "Complex wound care at home",
            description_fr="Une infirmière référente en plaies (ulcères, escarres, plaies "
            "diabétiques) passe à domicile et conseille l'équipe habituelle.",
            description_nl="Een referentieverpleegkundige wondzorg (ulcera, doorligwonden, "
            "diabetische voet) komt aan huis en adviseert de vaste verpleegkundigen.",
            how_to_refer_fr="Demande du médecin traitant ou de l'infirmière à domicile, avec "
            "photos de la plaie via la messagerie sécurisée.",
            how_to_refer_nl="Aanvraag door de huisarts of thuisverpleegkundige, met foto's van "
            "de wonde via beveiligde berichten.",
            languages=["fr", "nl", "en"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST], schedule=WEEKDAYS,
            fees="Tarif INAMI / RIZIV-tarief",
            contact_name="Thomas Leroy", contact_phone="+32 2 555 40 02", verified=20),
    ],
    "homehelp": [
        service(
            C.HOME_HELP, "Aide familiale et aide ménagère", "Gezinszorg en poetshulp",
            "Family and home help",
            description_fr="Aides familiales pour la toilette, les repas et les courses ; "
            "aides ménagères pour l'entretien du logement. Liste d'attente d'environ deux "
            "semaines.",
            description_nl="Verzorgenden helpen bij wassen, maaltijden en boodschappen; "
            "poetshulp voor het onderhoud van de woning. Wachtlijst van ongeveer twee weken.",
            how_to_refer_fr="Appelez notre assistante sociale : elle passe à domicile pour "
            "évaluer les besoins et calculer la contribution.",
            how_to_refer_nl="Bel onze maatschappelijk werker: zij komt op huisbezoek om de "
            "noden te bekijken en de bijdrage te berekenen.",
            languages=["fr", "nl", "it", "es"], capacity=K.WAITING_LIST, typical_wait_days=14,
            zones=[SOUTH_EAST], schedule=WEEKDAYS,
            fees="Selon les revenus, de 1 à 9 € de l'heure / Volgens inkomen, 1 tot 9 € per "
            "uur", contact_name="Lucia Rossi", contact_phone="+32 2 555 50 01", verified=10),
        service(
            C.HOME_HELP, "Courses et accompagnement", "Boodschappen en begeleiding",
            "Shopping and accompaniment",
            description_fr="Une aide fait les courses avec ou pour vous et vous accompagne à "
            "un rendez-vous à pied ou en transport en commun.",
            description_nl="Een helper doet boodschappen met of voor u en gaat mee naar een "
            "afspraak, te voet of met het openbaar vervoer.",
            how_to_refer_fr="Un appel suffit, par la personne, un proche ou un professionnel.",
            how_to_refer_nl="Eén telefoontje volstaat, door de persoon, een naaste of een "
            "hulpverlener.",
            languages=["fr", "nl"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            nis=[AUDERGHEM, WATERMAEL], schedule=WEEKDAYS,
            fees="6 € par sortie / 6 € per uitstap", contact_phone="+32 2 555 50 02",
            verified=35),
    ],
    "coordination": [
        service(
            C.HOME_CARE_COORDINATION, "Coordination des soins à domicile",
            "Coördinatie van de thuiszorg", "Home care coordination",
            description_fr="Nous évaluons les besoins au domicile, organisons les soins et "
            "services et animons la concertation avec le médecin, les infirmiers et la famille.",
            description_nl="We bekijken de noden thuis, organiseren zorg en diensten en leiden "
            "het overleg met de huisarts, de verpleegkundigen en de familie.",
            how_to_refer_fr="Par téléphone ou via Relais (réseau de la personne) ; pour une "
            "sortie d'hôpital, au moins 48 heures à l'avance si possible.",
            how_to_refer_nl="Telefonisch of via Relais (netwerk van de persoon); bij ontslag uit "
            "het ziekenhuis liefst 48 uur vooraf.",
            languages=["fr", "nl", "en"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST], schedule=WEEKDAYS, fees="Gratuit / Gratis",
            contact_name="Isabelle Dubois", contact_phone="+32 2 555 30 01", verified=6),
        service(
            C.CASE_MANAGEMENT, "Case management pour situations complexes",
            "Casemanagement bij complexe situaties", "Case management for complex situations",
            description_fr="Un case manager suit durablement les personnes âgées dont la "
            "situation à domicile est complexe ou fragile, et reste leur point de contact.",
            description_nl="Een casemanager volgt ouderen met een complexe of wankele "
            "thuissituatie langdurig op en blijft hun vaste aanspreekpunt.",
            how_to_refer_fr="Demande écrite via Relais après une première évaluation par la "
            "coordination ; l'équipe décide en réunion hebdomadaire.",
            how_to_refer_nl="Schriftelijke aanvraag via Relais na een eerste inschatting door "
            "de coördinatie; het team beslist op het wekelijkse overleg.",
            languages=["fr", "nl"], capacity=K.WAITING_LIST, typical_wait_days=21,
            zones=[SOUTH_EAST], minimum_age=60, schedule=WEEKDAYS, fees="Gratuit / Gratis",
            eligibility="60 ans et plus, situation complexe à domicile / 60 jaar en ouder, "
            "complexe thuissituatie",
            contact_name="Tom Wouters", contact_phone="+32 2 555 30 02", verified=12),
    ],
    "gp": [
        service(
            C.GP, "Médecine générale au forfait", "Huisartsgeneeskunde met forfait",
            "General practice (flat-fee)",
            description_fr="Quatre médecins généralistes et une infirmière ; visites à domicile "
            "pour les patients inscrits qui ne peuvent pas se déplacer.",
            description_nl="Vier huisartsen en een verpleegkundige; huisbezoeken voor "
            "ingeschreven patiënten die zich niet kunnen verplaatsen.",
            how_to_refer_fr="Inscription à l'accueil, sur rendez-vous ; liste d'attente pour "
            "les nouveaux patients, priorité aux sorties d'hôpital du quartier.",
            how_to_refer_nl="Inschrijving aan het onthaal, op afspraak; wachtlijst voor nieuwe "
            "patiënten, voorrang bij ontslag uit het ziekenhuis in de wijk.",
            languages=["fr", "nl", "en", "ar"], capacity=K.WAITING_LIST, typical_wait_days=30,
            nis=[ETTERBEEK], schedule="Lun–ven 8h–19h / Ma–vr 8–19 u",
            fees="Forfait mutuelle : rien à payer par consultation / Forfait ziekenfonds: "
            "niets te betalen per raadpleging",
            eligibility="Habiter Etterbeek / In Etterbeek wonen",
            contact_name="Dr Pieter Janssens", contact_phone="+32 2 555 60 01", verified=40),
    ],
    "pharmacy": [
        service(
            C.PHARMACY, "Pharmacie et bilan de médication", "Apotheek en medicatienazicht",
            "Pharmacy and medication review",
            description_fr="Bilan de médication après une hospitalisation, schéma de "
            "médication partagé et livraison à domicile le jour même.",
            description_nl="Medicatienazicht na een ziekenhuisopname, gedeeld medicatieschema "
            "en levering aan huis op dezelfde dag.",
            how_to_refer_fr="Envoyez la lettre de sortie et les prescriptions électroniques ; "
            "nous appelons la personne.",
            how_to_refer_nl="Stuur de ontslagbrief en de elektronische voorschriften; wij "
            "bellen de persoon op.",
            languages=["fr", "nl", "en", "pl"], urgent_start=U.WITHIN_24H, capacity=K.ACCEPTING,
            nis=[WOLUWE_ST_PIERRE, WOLUWE_ST_LAMBERT],
            schedule="Lun–sam 8h30–19h / Ma–za 8.30–19 u", contact_name="Elke Maes",
            contact_phone="+32 2 555 70 01", verified=2),
        service(
            C.MEDICAL_EQUIPMENT, "Livraison de matériel médical à domicile",
            "Levering van medisch materiaal aan huis", "Medical equipment delivered at home",
            description_fr="Location et livraison de lits médicalisés, chaises percées, "
            "déambulateurs et matelas anti-escarres, installés le lendemain.",
            description_nl="Verhuur en levering van ziekenhuisbedden, toiletstoelen, rollators "
            "en antidecubitusmatrassen, de volgende dag geïnstalleerd.",
            how_to_refer_fr="Téléphonez avant 15h pour une livraison le lendemain.",
            how_to_refer_nl="Bel vóór 15 uur voor levering de volgende dag.",
            languages=["fr", "nl"], urgent_start=U.WITHIN_24H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST], schedule="Lun–sam 8h30–19h / Ma–za 8.30–19 u",
            fees="Location de 15 à 60 € par mois, livraison gratuite dans le bassin / Huur 15 "
            "tot 60 € per maand, gratis levering in de zorgzone",
            contact_phone="+32 2 555 70 02", verified=30),
    ],
    "cpas": [
        service(
            C.SOCIAL_SERVICE, "Service social général", "Algemene sociale dienst",
            "General social service",
            description_fr="Revenu d'intégration, aide financière, médicale et au logement, "
            "médiation de dettes ; permanences sans rendez-vous.",
            description_nl="Leefloon, financiële en medische hulp, hulp bij huisvesting en "
            "schuldbemiddeling; permanenties zonder afspraak.",
            how_to_refer_fr="Venez à la permanence avec une pièce d'identité, ou appelez pour "
            "une visite à domicile si la personne ne peut pas se déplacer.",
            how_to_refer_nl="Kom naar de permanentie met een identiteitsbewijs, of bel voor een "
            "huisbezoek als de persoon zich niet kan verplaatsen.",
            languages=["fr", "nl", "en", "ar", "tr"], urgent_start=U.WITHIN_72H,
            capacity=K.ACCEPTING, zones=[SOUTH_EAST],
            schedule="Permanences lun, mer, ven 9h–12h / Permanenties ma, wo, vr 9–12 u",
            fees="Gratuit / Gratis", eligibility="Habiter la commune / In de gemeente wonen",
            contact_name="Nadia Haddad", contact_phone="+32 2 555 80 01", verified=8),
        service(
            C.MEALS, "Repas chauds à domicile", "Warme maaltijden aan huis", "Hot meals at home",
            description_fr="Un repas chaud livré chaque jour de la semaine, avec menus sans sel, "
            "diabétique ou mixé.",
            description_nl="Elke weekdag een warme maaltijd aan huis, ook zoutarm, diabetisch "
            "of gemalen.",
            how_to_refer_fr="Appelez le service repas avant 11h : livraison possible dès le "
            "surlendemain.",
            how_to_refer_nl="Bel de maaltijddienst vóór 11 uur: levering vanaf overmorgen.",
            languages=["fr", "nl"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST], schedule="Livraison lun–ven 11h–13h / Levering ma–vr 11–13 u",
            fees="5,50 à 9 € le repas selon les revenus / 5,50 tot 9 € per maaltijd volgens "
            "inkomen", contact_phone="+32 2 555 80 02", verified=25),
    ],
    "housing": [
        service(
            C.SOCIAL_HOUSING, "Logements sociaux", "Sociale woningen", "Social housing",
            description_fr="Appartements sociaux à Auderghem et Woluwe. Aucun logement libre "
            "actuellement : les candidatures restent inscrites au registre régional.",
            description_nl="Sociale appartementen in Oudergem en Woluwe. Momenteel geen vrije "
            "woningen: kandidaturen blijven op het gewestelijk register.",
            how_to_refer_fr="Inscription au registre régional des candidats-locataires ; nous "
            "informons sur la procédure.",
            how_to_refer_nl="Inschrijving in het gewestelijk register van kandidaat-huurders; "
            "wij geven uitleg over de procedure.",
            languages=["fr", "nl"], capacity=K.FULL, nis=[AUDERGHEM, WOLUWE_ST_LAMBERT],
            schedule="Mar et jeu 9h–12h / Di en do 9–12 u",
            eligibility="Revenus sous le plafond régional / Inkomen onder de gewestelijke "
            "grens", contact_name="Bruno Lefèvre", contact_phone="+32 2 555 90 01",
            verified=15),
        service(
            C.EMERGENCY_HOUSING, "Logements de transit d'urgence", "Noodwoningen",
            "Emergency flats",
            description_fr="Quatre appartements meublés pour des personnes qui ne peuvent pas "
            "rentrer chez elles (incendie, expulsion, logement insalubre), pour trois mois.",
            description_nl="Vier gemeubelde appartementen voor wie niet naar huis kan (brand, "
            "uithuiszetting, onbewoonbare woning), voor drie maanden.",
            how_to_refer_fr="Par un travailleur social (CPAS, hôpital) ; réponse dans les 72 "
            "heures.",
            how_to_refer_nl="Via een maatschappelijk werker (OCMW, ziekenhuis); antwoord binnen "
            "72 uur.",
            languages=["fr", "nl", "en"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST], schedule=WEEKDAYS,
            fees="Loyer adapté aux revenus / Huur aangepast aan het inkomen",
            contact_name="Bruno Lefèvre", contact_phone="+32 2 555 90 02", verified=15),
    ],
    "dv": [
        service(
            C.DOMESTIC_VIOLENCE, "Accueil et hébergement des victimes de violences conjugales",
            "Opvang en begeleiding van slachtoffers van partnergeweld",
            "Shelter and support for victims of domestic violence",
            description_fr="Hébergement sécurisé pour femmes et enfants, écoute, "
            "accompagnement juridique et social. Ne communiquez jamais l'adresse.",
            description_nl="Veilige opvang voor vrouwen en kinderen, gesprekken, juridische en "
            "sociale begeleiding. Geef het adres nooit door.",
            how_to_refer_fr="Appelez d'abord, 24h/24 ; la personne peut appeler elle-même.",
            how_to_refer_nl="Bel eerst, 24 uur op 24; de persoon kan ook zelf bellen.",
            languages=["fr", "nl", "en", "ar"], urgent_start=U.WITHIN_24H,
            capacity=K.ACCEPTING, serves_all_brussels=True, schedule="24h/24, 7j/7 / 24/7",
            fees="Gratuit / Gratis", contact_name="Sarah Vermeulen",
            contact_phone="+32 2 555 99 01", verified=5),
    ],
    "valfleuri": [
        service(
            C.PALLIATIVE, "Équipe de soutien palliatif hospitalière",
            "Palliatief supportteam van het ziekenhuis", "Hospital palliative support team",
            description_fr="Médecin, infirmières et psychologue qui soutiennent les services "
            "pour les patients en fin de vie et préparent un retour à domicile avec "
            "l'équipe de soutien palliatif de première ligne.",
            description_nl="Arts, verpleegkundigen en psycholoog die de afdelingen ondersteunen "
            "bij patiënten in hun laatste levensfase en een terugkeer naar huis voorbereiden "
            "met de palliatieve thuiszorg.",
            how_to_refer_fr="Demande du médecin du service ou du médecin traitant, par "
            "téléphone.",
            how_to_refer_nl="Aanvraag door de arts van de afdeling of de huisarts, telefonisch.",
            languages=["fr", "nl", "en"], urgent_start=U.WITHIN_24H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST], schedule=WEEKDAYS, fees="Gratuit / Gratis",
            contact_phone="+32 2 555 10 50", verified=18),
    ],
    "etangs": [
        service(
            C.RESPITE, "Hôpital de jour gériatrique", "Geriatrisch dagziekenhuis",
            "Geriatric day hospital",
            description_fr="Bilan gériatrique en une journée (chutes, mémoire, nutrition) et "
            "revalidation de jour, pour éviter ou raccourcir une hospitalisation.",
            description_nl="Geriatrisch onderzoek op één dag (vallen, geheugen, voeding) en "
            "dagrevalidatie, om een opname te vermijden of in te korten.",
            how_to_refer_fr="Lettre du médecin traitant ; le secrétariat fixe la date.",
            how_to_refer_nl="Verwijsbrief van de huisarts; het secretariaat legt de datum vast.",
            languages=["fr", "nl"], capacity=K.WAITING_LIST, typical_wait_days=10,
            zones=[SOUTH_EAST], minimum_age=75, schedule="Lun–ven 8h–16h / Ma–vr 8–16 u",
            fees="Ticket modérateur hospitalier / Remgeld voor daghospitalisatie",
            eligibility="75 ans et plus / 75 jaar en ouder", contact_phone="+32 2 555 20 12",
            verified=22),
        service(
            C.PHYSIOTHERAPY, "Revalidation respiratoire ambulatoire",
            "Ambulante respiratoire revalidatie", "Outpatient pulmonary rehabilitation",
            description_fr="Programme de 12 semaines pour personnes atteintes de BPCO ou après "
            "une hospitalisation respiratoire : kinésithérapie, éducation, reprise d'activité.",
            description_nl="Programma van 12 weken voor mensen met COPD of na een opname voor "
            "longproblemen: kinesitherapie, educatie, opnieuw bewegen.",
            how_to_refer_fr="Prescription du pneumologue ou du médecin traitant.",
            how_to_refer_nl="Voorschrift van de longarts of de huisarts.",
            languages=["fr", "nl", "en"], capacity=K.WAITING_LIST, typical_wait_days=28,
            zones=[SOUTH_EAST], schedule="Lun, mer, ven 9h–12h / Ma, wo, vr 9–12 u",
            fees="Remboursé par la mutuelle / Terugbetaald door het ziekenfonds",
            contact_phone="+32 2 555 20 11", verified=50),
    ],
    "zone": [
        service(
            C.SOCIAL_SERVICE, "Point info social-santé du bassin",
            "Sociaal-gezondheidsinfopunt van de zorgzone", "Care-zone social and health desk",
            description_fr="Un numéro pour les professionnels et les habitants qui ne savent "
            "pas à qui s'adresser : nous orientons vers le bon service du bassin.",
            description_nl="Eén nummer voor hulpverleners en inwoners die niet weten bij wie "
            "ze terecht kunnen: wij verwijzen door naar de juiste dienst in de zorgzone.",
            how_to_refer_fr="Appelez ou écrivez ; réponse le jour ouvrable suivant.",
            how_to_refer_nl="Bel of schrijf; antwoord de volgende werkdag.",
            languages=["fr", "nl", "en"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST], schedule=WEEKDAYS, fees="Gratuit / Gratis",
            contact_name="Hélène Martin", contact_phone="+32 2 555 11 12", verified=1),
    ],
    "schaerbeek-nursing": [
        service(
            C.HOME_NURSING, "Soins infirmiers à domicile – Schaerbeek",
            "Thuisverpleging – Schaarbeek", "Home nursing – Schaerbeek",
            description_fr="Soins d'hygiène, injections, pansements, soins de stomie et "
            "perfusions, 7 jours sur 7. Premier passage dans les 24 heures, y compris le "
            "week-end.",
            description_nl="Hygiënische zorg, inspuitingen, wondzorg, stomazorg en infusen, 7 "
            "dagen op 7. Eerste bezoek binnen 24 uur, ook in het weekend.",
            how_to_refer_fr="Appelez la permanence (24h/24) avec la prescription et la lettre "
            "de sortie ; nous confirmons l'heure du premier passage.",
            how_to_refer_nl="Bel de permanentie (24/24) met het voorschrift en de ontslagbrief; "
            "wij bevestigen het uur van het eerste bezoek.",
            languages=["fr", "nl", "ar", "tr"], urgent_start=U.WITHIN_24H,
            capacity=K.ACCEPTING, nis=[SCHAERBEEK, SAINT_JOSSE, EVERE],
            schedule="7/7, 6h30–22h / 7/7, 6.30–22 u",
            fees="Tarif INAMI, tiers payant / RIZIV-tarief, derdebetalersregeling",
            eligibility="Sur prescription médicale / Op medisch voorschrift",
            contact_name="Yasmina Ouali", contact_phone="+32 2 556 10 01", verified=4),
    ],
    "helmet-nursing": [
        service(
            C.HOME_NURSING, "Soins infirmiers de quartier", "Wijkverpleging",
            "Neighbourhood nursing",
            description_fr="Petite équipe d'infirmières qui suit les mêmes patients depuis des "
            "années. Complet : nous ne prenons plus de nouveaux patients pour le moment.",
            description_nl="Klein team van verpleegkundigen dat al jaren dezelfde patiënten "
            "volgt. Volzet: momenteel geen nieuwe patiënten.",
            how_to_refer_fr="Appelez pour vérifier si une place s'est libérée.",
            how_to_refer_nl="Bel om na te gaan of er een plaats vrijgekomen is.",
            languages=["fr", "es", "pt"], capacity=K.FULL, nis=[SCHAERBEEK],
            schedule="Lun–sam 7h–19h / Ma–za 7–19 u", fees="Tarif INAMI / RIZIV-tarief",
            contact_name="Carmen Delgado", contact_phone="+32 2 556 20 01", verified=200),
    ],
    "benhaddou": [
        service(
            C.HOME_NURSING, "Infirmière indépendante – Leila Benhaddou",
            "Zelfstandig verpleegkundige – Leila Benhaddou", "Self-employed nurse – Leila "
            "Benhaddou",
            description_fr="Infirmière à domicile indépendante : soins de diabète, injections, "
            "pansements et suivi après une hospitalisation.",
            description_nl="Zelfstandig thuisverpleegkundige: diabeteszorg, inspuitingen, "
            "wondzorg en opvolging na een ziekenhuisopname.",
            how_to_refer_fr="Appelez ou envoyez un SMS avec le nom, l'adresse et les soins "
            "prescrits.",
            how_to_refer_nl="Bel of stuur een sms met naam, adres en voorgeschreven zorg.",
            languages=["fr", "en", "ar"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            nis=[IXELLES, SAINT_GILLES], riziv_number=zone.riziv(4, 13001, "401"),
            schedule="7/7, 7h–20h / 7/7, 7–20 u", fees="Tarif INAMI / RIZIV-tarief",
            contact_name="Leila Benhaddou", contact_phone="+32 2 556 30 01", verified=45),
    ],
    "verstraeten": [
        service(
            C.GP, "Cabinet de médecine générale – Dr Jan Verstraeten",
            "Huisartsenpraktijk – Dr. Jan Verstraeten", "GP practice – Dr Jan Verstraeten",
            description_fr="Médecin généraliste solo ; consultations sur rendez-vous le matin, "
            "visites à domicile l'après-midi.",
            description_nl="Solo huisarts; raadplegingen op afspraak 's ochtends, huisbezoeken "
            "in de namiddag.",
            how_to_refer_fr="Prenez rendez-vous par téléphone ; nouveaux patients après un "
            "premier entretien.",
            how_to_refer_nl="Maak telefonisch een afspraak; nieuwe patiënten na een "
            "kennismakingsgesprek.",
            languages=["nl", "fr", "en", "de"], capacity=K.WAITING_LIST, typical_wait_days=20,
            nis=[WOLUWE_ST_PIERRE, WOLUWE_ST_LAMBERT], riziv_number=zone.riziv(1, 13002, "004"),
            schedule="Lun–ven 8h–12h, visites 14h–18h / Ma–vr 8–12 u, huisbezoeken 14–18 u",
            fees="Conventionné / Geconventioneerd", contact_name="Dr Jan Verstraeten",
            contact_phone="+32 2 556 40 01", verified=260),
    ],
    "demir": [
        service(
            C.GP, "Médecine générale – Dr Aylin Demir", "Huisarts – Dr. Aylin Demir",
            "General practitioner – Dr Aylin Demir",
            description_fr="Médecin généraliste ; consultations en turc, français et "
            "néerlandais, visites à domicile dans le quartier.",
            description_nl="Huisarts; raadplegingen in het Turks, Frans en Nederlands, "
            "huisbezoeken in de wijk.",
            how_to_refer_fr="Rendez-vous par téléphone ou en ligne ; accepte de nouveaux "
            "patients.",
            how_to_refer_nl="Afspraak telefonisch of online; neemt nieuwe patiënten aan.",
            languages=["tr", "fr", "nl", "en"], urgent_start=U.WITHIN_24H,
            capacity=K.ACCEPTING, nis=[SCHAERBEEK, SAINT_JOSSE],
            riziv_number=zone.riziv(1, 13003, "004"),
            schedule="Lun–ven 9h–18h, sam 9h–12h / Ma–vr 9–18 u, za 9–12 u",
            fees="Conventionnée, tiers payant / Geconventioneerd, derdebetalersregeling",
            contact_name="Dr Aylin Demir", contact_phone="+32 2 556 50 01", verified=14),
    ],
    "dupont": [
        service(
            C.PHYSIOTHERAPY, "Kinésithérapie à domicile – Marc Dupont",
            "Kinesitherapie aan huis – Marc Dupont", "Home physiotherapy – Marc Dupont",
            description_fr="Rééducation à domicile après une prothèse de hanche ou de genou, "
            "une fracture ou un AVC.",
            description_nl="Revalidatie aan huis na een heup- of knieprothese, een breuk of "
            "een beroerte.",
            how_to_refer_fr="Prescription du médecin ; appelez pour fixer la première séance.",
            how_to_refer_nl="Voorschrift van de arts; bel om de eerste sessie af te spreken.",
            languages=["fr", "nl"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            nis=[WOLUWE_ST_LAMBERT, WOLUWE_ST_PIERRE], riziv_number=zone.riziv(5, 13004, "000"),
            schedule="Lun–ven 8h–19h / Ma–vr 8–19 u", fees="Conventionné / Geconventioneerd",
            contact_name="Marc Dupont", contact_phone="+32 2 556 60 01", verified=28),
    ],
    "cinquantenaire": [
        service(
            C.PHYSIOTHERAPY, "Kinésithérapie gériatrique et prévention des chutes",
            "Geriatrische kinesitherapie en valpreventie",
            "Geriatric physiotherapy and fall prevention",
            description_fr="Séances individuelles et groupes d'équilibre au cabinet ou à "
            "domicile pour les personnes âgées qui sont tombées ou craignent de tomber.",
            description_nl="Individuele sessies en evenwichtsgroepen in de praktijk of aan huis "
            "voor ouderen die gevallen zijn of bang zijn om te vallen.",
            how_to_refer_fr="Prescription du médecin traitant ou du service de gériatrie.",
            how_to_refer_nl="Voorschrift van de huisarts of de dienst geriatrie.",
            languages=["fr", "nl", "pl", "en"], capacity=K.WAITING_LIST, typical_wait_days=7,
            zones=[SOUTH_EAST], minimum_age=65, schedule="Lun–sam 8h–20h / Ma–za 8–20 u",
            fees="Conventionné / Geconventioneerd", contact_phone="+32 2 556 70 01",
            verified=60),
    ],
    "le-pont": [
        service(
            C.MENTAL_HEALTH, "Consultations psychologiques et psychiatriques pour adultes",
            "Psychologische en psychiatrische consultaties voor volwassenen",
            "Psychological and psychiatric consultations for adults",
            description_fr="Psychologues, psychiatres et assistants sociaux ; une attention "
            "particulière aux personnes âgées isolées et à la dépression.",
            description_nl="Psychologen, psychiaters en maatschappelijk werkers; bijzondere "
            "aandacht voor geïsoleerde ouderen en depressie.",
            how_to_refer_fr="Premier contact par téléphone avec l'accueil ; entretien "
            "d'orientation sous deux semaines.",
            how_to_refer_nl="Eerste contact telefonisch met het onthaal; oriëntatiegesprek "
            "binnen twee weken.",
            languages=["fr", "nl", "en", "es"], capacity=K.WAITING_LIST, typical_wait_days=45,
            zones=[SOUTH_EAST], minimum_age=18, schedule="Lun–ven 9h–19h / Ma–vr 9–19 u",
            fees="11 € par consultation, réduit sur demande / 11 € per consultatie, "
            "verminderd op vraag", contact_phone="+32 2 556 80 01", verified=33),
        service(
            C.MENTAL_HEALTH, "Équipe mobile de crise", "Mobiel crisisteam", "Mobile crisis team",
            description_fr="Intervention à domicile en cas de crise psychique, pendant quatre "
            "à six semaines, pour éviter une hospitalisation.",
            description_nl="Interventie aan huis bij een psychische crisis, vier tot zes weken "
            "lang, om een opname te vermijden.",
            how_to_refer_fr="Par le médecin traitant, un psychiatre ou les urgences, par "
            "téléphone ; réponse le jour même.",
            how_to_refer_nl="Door de huisarts, een psychiater of de spoed, telefonisch; "
            "antwoord dezelfde dag.",
            languages=["fr", "nl", "en", "ar"], urgent_start=U.WITHIN_24H,
            capacity=K.ACCEPTING, zones=[SOUTH_EAST, NORTH_EAST], minimum_age=16,
            schedule="7/7, 9h–21h / 7/7, 9–21 u", fees="Gratuit / Gratis",
            contact_phone="+32 2 556 80 02", verified=9),
    ],
    "point-jeunes": [
        service(
            C.MENTAL_HEALTH, "Écoute et accompagnement psychologique des jeunes",
            "Psychologische begeleiding voor jongeren", "Psychological support for young people",
            description_fr="Entretiens gratuits et anonymes pour les jeunes de 12 à 25 ans : "
            "stress, harcèlement, idées noires, conflits familiaux.",
            description_nl="Gratis en anonieme gesprekken voor jongeren van 12 tot 25 jaar: "
            "stress, pesten, donkere gedachten, conflicten thuis.",
            how_to_refer_fr="Le jeune peut passer sans rendez-vous ou appeler ; un "
            "professionnel peut l'accompagner.",
            how_to_refer_nl="De jongere kan zonder afspraak langskomen of bellen; een "
            "hulpverlener mag meekomen.",
            languages=["fr", "nl", "ar", "tr"], urgent_start=U.WITHIN_72H,
            capacity=K.ACCEPTING, zones=[NORTH_EAST], minimum_age=12, maximum_age=25,
            schedule="Lun–ven 12h–19h / Ma–vr 12–19 u", fees="Gratuit / Gratis",
            contact_phone="+32 2 556 90 01", verified=16),
    ],
    "glycines": [
        service(
            C.RESPITE, "Centre d'accueil de jour pour personnes âgées",
            "Dagverzorgingscentrum voor ouderen", "Day care centre for older people",
            description_fr="Accueil de jour avec repas, activités et soins, pour que la "
            "personne garde un rythme et que l'aidant proche puisse souffler.",
            description_nl="Dagopvang met maaltijd, activiteiten en verzorging, zodat de "
            "persoon een ritme houdt en de mantelzorger even op adem kan komen.",
            how_to_refer_fr="Visite de découverte sur rendez-vous, puis inscription.",
            how_to_refer_nl="Kennismakingsbezoek op afspraak, daarna inschrijving.",
            languages=["fr", "nl", "it"], capacity=K.WAITING_LIST, typical_wait_days=21,
            zones=[SOUTH_EAST], minimum_age=60, schedule="Lun–ven 9h–17h / Ma–vr 9–17 u",
            fees="32 € par jour, repas compris / 32 € per dag, maaltijd inbegrepen",
            contact_name="Giulia Conti", contact_phone="+32 2 557 10 01", verified=11),
        service(
            C.CAREGIVER_SUPPORT, "Café des aidants", "Mantelzorgcafé", "Caregivers' café",
            description_fr="Chaque premier jeudi du mois, les aidants proches se retrouvent "
            "autour d'un café et d'un thème, avec une psychologue.",
            description_nl="Elke eerste donderdag van de maand komen mantelzorgers samen rond "
            "een koffie en een thema, met een psycholoog.",
            how_to_refer_fr="Entrée libre ; garde de la personne aidée possible au centre de "
            "jour sur demande.",
            how_to_refer_nl="Vrije toegang; opvang van de zorgvrager in het dagcentrum "
            "mogelijk op vraag.",
            languages=["fr", "nl"], capacity=K.ACCEPTING, nis=[AUDERGHEM, WATERMAEL],
            schedule="1er jeudi du mois 14h–16h / 1ste donderdag van de maand 14–16 u",
            fees="Gratuit / Gratis", contact_phone="+32 2 557 10 02", verified=70),
    ],
    "tilleuls": [
        service(
            C.RESPITE, "Court séjour", "Kortverblijf", "Short-stay respite",
            description_fr="Six lits de court séjour (jusqu'à trois mois par an) après une "
            "hospitalisation ou pendant l'absence de l'aidant. Complet jusqu'à nouvel ordre.",
            description_nl="Zes bedden kortverblijf (tot drie maanden per jaar) na een "
            "ziekenhuisopname of tijdens de afwezigheid van de mantelzorger. Volzet tot "
            "nader bericht.",
            how_to_refer_fr="Demande du médecin ou de l'assistant social de l'hôpital, avec "
            "l'échelle de Katz.",
            how_to_refer_nl="Aanvraag door de arts of de sociale dienst van het ziekenhuis, met "
            "de Katz-schaal.",
            languages=["fr", "nl"], capacity=K.FULL, zones=[SOUTH_EAST], minimum_age=65,
            schedule=WEEKDAYS,
            fees="68 € par jour / 68 € per dag", contact_name="Anne-Marie Claessens",
            contact_phone="+32 2 557 20 01", verified=7),
    ],
    "escale": [
        service(
            C.PALLIATIVE, "Soutien palliatif à domicile", "Palliatieve thuiszorgbegeleiding",
            "Palliative care at home",
            description_fr="Médecins et infirmières de deuxième ligne qui soutiennent le "
            "médecin traitant et les soignants à domicile : douleur, symptômes, fin de vie, "
            "garde 24h/24.",
            description_nl="Artsen en verpleegkundigen van de tweede lijn die de huisarts en "
            "de thuiszorg ondersteunen: pijn, symptomen, levenseinde, wachtdienst 24/24.",
            how_to_refer_fr="Appel du médecin traitant, de l'hôpital ou de la famille ; "
            "première visite sous 24 heures.",
            how_to_refer_nl="Oproep van de huisarts, het ziekenhuis of de familie; eerste "
            "bezoek binnen 24 uur.",
            languages=["fr", "nl", "en", "es"], urgent_start=U.WITHIN_24H,
            capacity=K.ACCEPTING, serves_all_brussels=True, schedule="24h/24, 7j/7 / 24/7",
            fees="Gratuit / Gratis", contact_name="Dr Claire Mathieu",
            contact_phone="+32 2 557 30 01", verified=13),
        service(
            C.CAREGIVER_SUPPORT, "Accompagnement du deuil", "Rouwbegeleiding",
            "Bereavement support",
            description_fr="Entretiens individuels et groupe de parole pour les proches après "
            "un décès.",
            description_nl="Individuele gesprekken en een praatgroep voor naasten na een "
            "overlijden.",
            how_to_refer_fr="Le proche nous appelle lui-même.",
            how_to_refer_nl="De naaste belt ons zelf.",
            languages=["fr", "nl", "en"], capacity=K.WAITING_LIST, typical_wait_days=14,
            serves_all_brussels=True, schedule=WEEKDAYS, fees="Gratuit / Gratis",
            contact_phone="+32 2 557 30 02", verified=48),
    ],
    "taxi": [
        service(
            C.TRANSPORT, "Taxi social pour rendez-vous médicaux",
            "Sociale taxi naar medische afspraken", "Social taxi to medical appointments",
            description_fr="Transport porte-à-porte avec aide à la marche vers l'hôpital, le "
            "médecin ou le centre de jour.",
            description_nl="Deur-tot-deurvervoer met hulp bij het stappen naar het ziekenhuis, "
            "de arts of het dagcentrum.",
            how_to_refer_fr="Réservez par téléphone au moins 48 heures à l'avance.",
            how_to_refer_nl="Reserveer telefonisch minstens 48 uur vooraf.",
            languages=["fr", "nl"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            zones=[SOUTH_EAST, NORTH_EAST], schedule=WEEKDAYS,
            fees="0,50 € par km, minimum 5 € / 0,50 € per km, minimum 5 €",
            eligibility="65 ans et plus ou mobilité réduite, sous plafond de revenus / 65+ of "
            "beperkte mobiliteit, onder inkomensgrens", contact_phone="+32 2 557 40 01",
            verified=19),
    ],
    "mobilite": [
        service(
            C.TRANSPORT, "Transport adapté en fauteuil roulant",
            "Aangepast vervoer voor rolstoelgebruikers", "Wheelchair-accessible transport",
            description_fr="Minibus adaptés avec chauffeur formé, dans toute la Région "
            "bruxelloise.",
            description_nl="Aangepaste minibussen met opgeleide chauffeur, in het hele Brussels "
            "Gewest.",
            how_to_refer_fr="Réservez au moins cinq jours ouvrables à l'avance.",
            how_to_refer_nl="Reserveer minstens vijf werkdagen vooraf.",
            languages=["fr", "nl", "en", "ro"], capacity=K.WAITING_LIST, typical_wait_days=5,
            serves_all_brussels=True, schedule="Lun–sam 7h–20h / Ma–za 7–20 u",
            fees="Tarif STIB + 2 € / MIVB-tarief + 2 €", contact_phone="+32 2 557 50 01",
            verified=300),
    ],
    "pret-materiel": [
        service(
            C.MEDICAL_EQUIPMENT, "Location de lits médicalisés et chaises roulantes",
            "Verhuur van ziekenhuisbedden en rolstoelen", "Hospital bed and wheelchair rental",
            description_fr="Lits médicalisés, lève-personnes, chaises roulantes et aides à la "
            "marche, livrés et installés dans les 48 heures.",
            description_nl="Ziekenhuisbedden, tilliften, rolstoelen en loophulpmiddelen, "
            "geleverd en geïnstalleerd binnen 48 uur.",
            how_to_refer_fr="Commande par téléphone ou par mail avec l'adresse et l'étage.",
            how_to_refer_nl="Bestelling telefonisch of per mail met adres en verdieping.",
            languages=["fr", "nl", "en"], urgent_start=U.WITHIN_72H, capacity=K.ACCEPTING,
            serves_all_brussels=True, schedule=WEEKDAYS,
            fees="Tarifs réduits pour les membres de mutuelles / Verminderd tarief voor leden "
            "van ziekenfondsen", contact_phone="+32 2 557 60 01", verified=24),
        service(
            C.MEDICAL_EQUIPMENT, "Conseil en aménagement du domicile (ergothérapie)",
            "Woningaanpassingsadvies (ergotherapie)", "Home adaptation advice",
            description_fr="Une ergothérapeute visite le domicile et conseille barres d'appui, "
            "douche de plain-pied ou monte-escalier, et les aides financières.",
            description_nl="Een ergotherapeut bezoekt de woning en adviseert over handgrepen, "
            "inloopdouche of traplift, en over financiële tegemoetkomingen.",
            how_to_refer_fr="Demande par la personne, un proche ou un professionnel.",
            how_to_refer_nl="Aanvraag door de persoon, een naaste of een hulpverlener.",
            languages=["fr", "nl"], capacity=K.WAITING_LIST, typical_wait_days=30,
            serves_all_brussels=True, schedule=WEEKDAYS, fees="Gratuit / Gratis",
            contact_phone="+32 2 557 60 02", verified=NEVER),
    ],
    "aidants": [
        service(
            C.CAREGIVER_SUPPORT, "Ligne d'écoute et conseil pour aidants proches",
            "Luister- en adviespunt voor mantelzorgers", "Helpline for informal caregivers",
            description_fr="Information sur la reconnaissance d'aidant proche, le congé pour "
            "aidant, les solutions de répit ; écoute quand c'est trop lourd.",
            description_nl="Informatie over de erkenning als mantelzorger, mantelzorgverlof en "
            "respijtzorg; een luisterend oor als het te zwaar wordt.",
            how_to_refer_fr="L'aidant appelle lui-même, ou un professionnel avec son accord.",
            how_to_refer_nl="De mantelzorger belt zelf, of een hulpverlener met zijn akkoord.",
            languages=["fr", "nl", "en", "pl"], capacity=K.ACCEPTING, serves_all_brussels=True,
            schedule="Lun–ven 9h–17h, jeu jusqu'à 20h / Ma–vr 9–17 u, do tot 20 u",
            fees="Gratuit / Gratis", contact_phone="+32 2 557 70 01", verified=21),
        service(
            C.CASE_MANAGEMENT, "Case management démence", "Casemanagement dementie",
            "Dementia case management",
            description_fr="Un case manager spécialisé accompagne la personne atteinte de "
            "démence et sa famille, du diagnostic à l'entrée éventuelle en maison de repos.",
            description_nl="Een gespecialiseerde casemanager begeleidt de persoon met dementie "
            "en de familie, van de diagnose tot een eventuele opname in een woonzorgcentrum.",
            how_to_refer_fr="Demande du médecin traitant ou de la famille, avec le diagnostic "
            "si disponible.",
            how_to_refer_nl="Aanvraag door de huisarts of de familie, met de diagnose indien "
            "beschikbaar.",
            languages=["fr", "nl"], capacity=K.WAITING_LIST, typical_wait_days=30,
            zones=[CENTRE_WEST, NORTH, NORTH_EAST], schedule=WEEKDAYS, fees="Gratuit / Gratis",
            contact_phone="+32 2 557 70 02", verified=55),
    ],
    "marmite": [
        service(
            C.MEALS, "Repas livrés à domicile", "Maaltijden aan huis geleverd",
            "Meals delivered at home",
            description_fr="Repas du jour cuisinés sur place, livrés en liaison froide ; menus "
            "diabétique, sans sel et halal.",
            description_nl="Dagschotels ter plaatse gekookt en gekoeld geleverd; ook "
            "diabetisch, zoutarm en halal.",
            how_to_refer_fr="Commandez par téléphone avant le jeudi pour la semaine suivante.",
            how_to_refer_nl="Bestel telefonisch vóór donderdag voor de week erna.",
            languages=["fr", "nl", "ar"], capacity=K.WAITING_LIST, typical_wait_days=7,
            nis=[ETTERBEEK, IXELLES], schedule="Livraison lun–sam / Levering ma–za",
            fees="7,50 € le repas / 7,50 € per maaltijd", contact_phone="+32 2 557 80 01",
            verified=27),
    ],
    "cpas-schaerbeek": [
        service(
            C.SOCIAL_SERVICE, "Permanence sociale", "Sociale permanentie", "Social desk",
            description_fr="Aide sociale et financière, revenu d'intégration, carte médicale, "
            "aide au logement.",
            description_nl="Sociale en financiële hulp, leefloon, medische kaart, hulp bij "
            "huisvesting.",
            how_to_refer_fr="Sans rendez-vous aux heures de permanence, avec une pièce "
            "d'identité.",
            how_to_refer_nl="Zonder afspraak tijdens de permanentie, met een identiteitsbewijs.",
            languages=["fr", "nl", "tr", "ar", "ro"], urgent_start=U.WITHIN_72H,
            capacity=K.ACCEPTING, nis=[SCHAERBEEK],
            schedule="Lun–ven 8h30–11h30 / Ma–vr 8.30–11.30 u", fees="Gratuit / Gratis",
            eligibility="Habiter Schaerbeek / In Schaarbeek wonen",
            contact_phone="+32 2 557 90 01", verified=38),
        service(
            C.HOME_HELP, "Aide familiale du CPAS", "Gezinshulp van het OCMW",
            "Family help from the CPAS",
            description_fr="Aides familiales pour les personnes âgées et les familles en "
            "difficulté : toilette, repas, entretien, courses.",
            description_nl="Gezinshulp voor ouderen en gezinnen in moeilijkheden: wassen, "
            "maaltijden, onderhoud, boodschappen.",
            how_to_refer_fr="Demande auprès de l'assistant social de la permanence.",
            how_to_refer_nl="Aanvraag bij de maatschappelijk werker van de permanentie.",
            languages=["fr", "nl", "tr"], capacity=K.WAITING_LIST, typical_wait_days=21,
            nis=[SCHAERBEEK], schedule=WEEKDAYS,
            fees="Selon les revenus / Volgens inkomen", contact_phone="+32 2 557 90 02",
            verified=220),
    ],
    "coordination-ne": [
        service(
            C.HOME_CARE_COORDINATION, "Coordination de soins et services à domicile",
            "Coördinatie van zorg en diensten aan huis", "Coordination of care at home",
            description_fr="Évaluation à domicile, plan de soins, concertation avec le "
            "médecin traitant et les services, pour Schaerbeek, Evere et Saint-Josse.",
            description_nl="Inschatting aan huis, zorgplan, overleg met de huisarts en de "
            "diensten, voor Schaarbeek, Evere en Sint-Joost.",
            how_to_refer_fr="Par téléphone ; pour une sortie d'hôpital, prévenez-nous la "
            "veille au plus tard.",
            how_to_refer_nl="Telefonisch; bij ontslag uit het ziekenhuis ten laatste de dag "
            "ervoor.",
            languages=["fr", "nl", "tr", "ar"], urgent_start=U.WITHIN_72H,
            capacity=K.ACCEPTING, zones=[NORTH_EAST], schedule=WEEKDAYS,
            fees="Gratuit / Gratis", contact_phone="+32 2 558 10 01", verified=400),
    ],
    "ixelles-help": [
        service(
            C.HOME_HELP, "Aide-ménagère en titres-services", "Poetshulp met dienstencheques",
            "Home cleaning with service vouchers",
            description_fr="Aide-ménagère payée en titres-services. Service temporairement "
            "fermé pendant sa réorganisation : aucune nouvelle demande.",
            description_nl="Poetshulp betaald met dienstencheques. Tijdelijk gesloten wegens "
            "reorganisatie: geen nieuwe aanvragen.",
            how_to_refer_fr="Contactez-nous après la réouverture.",
            how_to_refer_nl="Neem contact op na de heropening.",
            languages=["fr", "nl", "es", "pt", "pl"], capacity=K.FULL,
            status=ServiceStatus.TEMPORARILY_CLOSED, nis=[IXELLES], schedule=WEEKDAYS,
            fees="Titres-services / Dienstencheques", contact_phone="+32 2 558 20 01",
            verified=42),
    ],
    "abri": [
        service(
            C.EMERGENCY_HOUSING, "Hébergement de nuit d'urgence", "Nachtopvang voor daklozen",
            "Emergency night shelter",
            description_fr="Lit, repas du soir, douche et petit-déjeuner pour les personnes "
            "sans abri, chaque nuit ; présence d'une infirmière deux soirs par semaine.",
            description_nl="Bed, avondmaal, douche en ontbijt voor daklozen, elke nacht; twee "
            "avonden per week is er een verpleegkundige.",
            how_to_refer_fr="Présentez-vous à partir de 19h ou appelez pour réserver une place "
            "au nom de la personne.",
            how_to_refer_nl="Kom vanaf 19 uur langs of bel om een plaats te reserveren op naam "
            "van de persoon.",
            languages=["fr", "nl", "en", "ar", "ro", "pl"], urgent_start=U.WITHIN_24H,
            capacity=K.ACCEPTING, serves_all_brussels=True, minimum_age=18,
            schedule="Tous les jours 19h–8h / Elke dag 19–8 u", fees="Gratuit / Gratis",
            contact_phone="+32 2 558 30 01", verified=6),
    ],
    "nora": [
        service(
            C.DOMESTIC_VIOLENCE, "Consultations pour victimes de violences intrafamiliales",
            "Ambulante hulp bij intrafamiliaal geweld",
            "Outpatient support for victims of family violence",
            description_fr="Entretiens individuels, groupes de parole et accompagnement vers "
            "la police, l'avocat ou un hébergement sûr.",
            description_nl="Individuele gesprekken, praatgroepen en begeleiding naar politie, "
            "advocaat of een veilige opvang.",
            how_to_refer_fr="La personne appelle elle-même ; un professionnel peut appeler "
            "avec elle.",
            how_to_refer_nl="De persoon belt zelf; een hulpverlener kan samen met haar bellen.",
            languages=["fr", "nl", "ar", "tr", "es"], capacity=K.WAITING_LIST,
            typical_wait_days=10, zones=[CENTRE_WEST, SOUTH], schedule=WEEKDAYS,
            fees="Gratuit / Gratis", contact_phone="+32 2 558 40 01", verified=17),
    ],
    "colignon": [
        service(
            C.PHARMACY, "Pharmacie de quartier et préparation des piluliers",
            "Buurtapotheek en medicatierol", "Neighbourhood pharmacy and pill organisers",
            description_fr="Préparation hebdomadaire des médicaments en piluliers, livraison "
            "gratuite à domicile dans le quartier.",
            description_nl="Wekelijkse klaarzetting van geneesmiddelen in een medicatierol, "
            "gratis levering aan huis in de wijk.",
            how_to_refer_fr="Appelez avec la liste de médicaments ou les prescriptions "
            "électroniques.",
            how_to_refer_nl="Bel met de medicatielijst of de elektronische voorschriften.",
            languages=["fr", "nl", "tr", "ar"], urgent_start=U.WITHIN_24H,
            capacity=K.ACCEPTING, nis=[SCHAERBEEK],
            schedule="Lun–sam 8h30–19h / Ma–za 8.30–19 u",
            fees="Pilulier : 3 € par semaine / Medicatierol: 3 € per week",
            contact_phone="+32 2 558 50 01", verified=29),
    ],
}


@dataclass(frozen=True)
class DemoAgreement:
    hospital: str
    partner: str
    kind: str
    ward: str
    starts_on: date
    ends_on: date | None
    hospital_contact: str
    partner_contact: str
    description: str


AGREEMENTS = [
    DemoAgreement(
        "valfleuri", "coordination", AgreementKind.GERIATRICS, "Gériatrie / Geriatrie",
        date(2023, 2, 1), None, "Sofie Claes, +32 2 555 10 40",
        "Isabelle Dubois, +32 2 555 30 01",
        "The liaison nurse calls the coordination centre 48 hours before discharge of every "
        "patient over 75; a joint home visit within a week."),
    DemoAgreement(
        "valfleuri", "gp", AgreementKind.DIABETES, "Médecine interne / Interne geneeskunde",
        date(2024, 5, 1), date(2028, 4, 30), "Diabetes educator, +32 2 555 10 41",
        "Dr Pieter Janssens, +32 2 555 60 01",
        "Shared diabetes care pathway: start of insulin at the day hospital, follow-up by the "
        "practice, a yearly joint review."),
    DemoAgreement(
        "valfleuri", "escale", AgreementKind.END_OF_LIFE, "",
        date(2022, 9, 15), None, "Palliative support team, +32 2 555 10 50",
        "Dr Claire Mathieu, +32 2 557 30 01",
        "Palliative patients going home are announced to the home team the day before; the "
        "hospital takes them back directly without passing through the emergency department."),
    DemoAgreement(
        "etangs", "tilleuls", AgreementKind.NURSING_HOMES,
        "Hôpital de jour gériatrique / Geriatrisch dagziekenhuis",
        date(2024, 1, 15), date(2028, 12, 31), "Anne Lambert, +32 2 555 20 12",
        "Anne-Marie Claessens, +32 2 557 20 01",
        "Geriatric advice by phone for the nursing home's doctor, and priority day-hospital "
        "assessments for its residents."),
]


@transaction.atomic
def load_demo_directory() -> int:
    """Create the demo directory where missing; returns how many services were created."""
    actor = User.objects.get(email=zone.email_of(zone.ADMIN))
    organisations = {
        demo.key: Organisation.objects.get(kbo_number=zone.kbo(demo.kbo_base))
        for demo in zone.ORGANISATIONS
    }
    organisations |= {demo.key: _organisation(demo) for demo in ORGANISATIONS}
    municipalities = {m.nis_code: m for m in Municipality.objects.all()}
    zones = {z.code: z for z in CareZone.objects.all()}
    today = timezone.localdate()
    created = 0
    for key, specs in SERVICES.items():
        organisation = organisations[key]
        for spec in specs:
            if Service.objects.filter(organisation=organisation,
                                      name_fr=spec["name_fr"]).exists():
                continue
            data = dict(spec)
            days_ago = data.pop("verified")
            data["municipalities"] = [municipalities[nis] for nis in data.pop("nis", [])]
            data["care_zones"] = [zones[code] for code in data.pop("zones", [])]
            created_service = create_service(organisation, data, actor=actor)
            # create_service vouches for it today; the demo needs a history instead.
            verified_on = None if days_ago is NEVER else today - timedelta(days=days_ago)
            Service.objects.filter(pk=created_service.pk).update(
                verified_on=verified_on, capacity_confirmed_on=verified_on,
                verified_by=None if verified_on is None else actor)
            created += 1
    _agreements(organisations)
    if created:
        audit.record("demo.directory", detail={"services": created})
    return created


def _organisation(demo: DirectoryOrganisation) -> Organisation:
    organisation, _ = Organisation.objects.get_or_create(
        kbo_number=zone.kbo(demo.kbo_base),
        defaults={
            "name": demo.name, "type": demo.type, "street": demo.street,
            "postcode": demo.postcode, "phone": demo.phone, "description": demo.description,
            "municipality": Municipality.objects.get(nis_code=demo.nis),
            "email": f"contact-{demo.key}@{zone.DEMO_DOMAIN}",
        },
    )
    return organisation


def _agreements(organisations: dict) -> None:
    for demo in AGREEMENTS:
        hospital = organisations[demo.hospital]
        ward = Ward.objects.filter(organisation=hospital, name=demo.ward).first()
        Agreement.objects.get_or_create(
            hospital=hospital, partner=organisations[demo.partner], kind=demo.kind,
            defaults={
                "ward": ward, "starts_on": demo.starts_on, "ends_on": demo.ends_on,
                "hospital_contact": demo.hospital_contact,
                "partner_contact": demo.partner_contact, "description": demo.description,
            },
        )
