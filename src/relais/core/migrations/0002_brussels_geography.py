"""Load the 19 Brussels municipalities and the 5 care zones (DOMAIN.md §3).

The split of Brussels-City between zones is unverified [U]: it is keyed on postcode here
and can be overridden with RELAIS_POSTCODE_ZONES or edited in the admin.
"""

from django.db import migrations

CARE_ZONES = [
    ("north", "Nord", "Noord", "North"),
    ("north-east", "Nord-Est", "Noord-Oost", "North-East"),
    ("south-east", "Sud-Est", "Zuid-Oost", "South-East"),
    ("south", "Sud", "Zuid", "South"),
    ("centre-west", "Centre-Ouest", "Centrum-West", "Centre-West"),
]

# NIS, FR, NL, zone (None when split), [(postcode, locality, zone override)]
MUNICIPALITIES = [
    ("21001", "Anderlecht", "Anderlecht", "centre-west", [("1070", "", None)]),
    ("21002", "Auderghem", "Oudergem", "south-east", [("1160", "", None)]),
    ("21003", "Berchem-Sainte-Agathe", "Sint-Agatha-Berchem", "north", [("1082", "", None)]),
    (
        "21004",
        "Bruxelles-Ville",
        "Brussel-Stad",
        None,
        [
            ("1000", "Bruxelles / Brussel", "centre-west"),
            ("1020", "Laeken / Laken", "north"),
            ("1120", "Neder-Over-Heembeek", "north"),
            ("1130", "Haren", "north"),
            ("1040", "Bruxelles (quartier européen) / Brussel (Europese wijk)", "centre-west"),
            ("1050", "Bruxelles (avenue Louise) / Brussel (Louizalaan)", "south"),
        ],
    ),
    ("21005", "Etterbeek", "Etterbeek", "south-east", [("1040", "", None)]),
    ("21006", "Evere", "Evere", "north-east", [("1140", "", None)]),
    ("21007", "Forest", "Vorst", "south", [("1190", "", None)]),
    ("21008", "Ganshoren", "Ganshoren", "north", [("1083", "", None)]),
    ("21009", "Ixelles", "Elsene", "south", [("1050", "", None)]),
    ("21010", "Jette", "Jette", "north", [("1090", "", None)]),
    ("21011", "Koekelberg", "Koekelberg", "north", [("1081", "", None)]),
    ("21012", "Molenbeek-Saint-Jean", "Sint-Jans-Molenbeek", "centre-west", [("1080", "", None)]),
    ("21013", "Saint-Gilles", "Sint-Gillis", "south", [("1060", "", None)]),
    ("21014", "Saint-Josse-ten-Noode", "Sint-Joost-ten-Node", "north-east", [("1210", "", None)]),
    ("21015", "Schaerbeek", "Schaarbeek", "north-east", [("1030", "", None)]),
    ("21016", "Uccle", "Ukkel", "south", [("1180", "", None)]),
    ("21017", "Watermael-Boitsfort", "Watermaal-Bosvoorde", "south", [("1170", "", None)]),
    ("21018", "Woluwe-Saint-Lambert", "Sint-Lambrechts-Woluwe", "south-east", [("1200", "", None)]),
    ("21019", "Woluwe-Saint-Pierre", "Sint-Pieters-Woluwe", "south-east", [("1150", "", None)]),
]


def load(apps, schema_editor):
    CareZone = apps.get_model("core", "CareZone")
    Municipality = apps.get_model("core", "Municipality")
    Postcode = apps.get_model("core", "Postcode")
    zones = {}
    for code, fr, nl, en in CARE_ZONES:
        zones[code], _ = CareZone.objects.update_or_create(
            code=code, defaults={"name_fr": fr, "name_nl": nl, "name_en": en}
        )
    for nis, fr, nl, zone, postcodes in MUNICIPALITIES:
        municipality, _ = Municipality.objects.update_or_create(
            nis_code=nis,
            defaults={"name_fr": fr, "name_nl": nl, "care_zone": zones.get(zone)},
        )
        for postcode, locality, override in postcodes:
            Postcode.objects.update_or_create(
                code=postcode,
                municipality=municipality,
                defaults={"locality": locality, "care_zone": zones.get(override)},
            )


def unload(apps, schema_editor):
    apps.get_model("core", "Postcode").objects.all().delete()
    apps.get_model("core", "Municipality").objects.all().delete()
    apps.get_model("core", "CareZone").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
