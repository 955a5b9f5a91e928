"""Where Relais fields go in HSDS 3.0, shared by export and import: the KBO identifier, the
Brussels region, the languages of names and texts, and the taxonomies of the attributes
that carry what HSDS 3.0 has no field for (see the package docstring for the full map).
"""


KBO_SCHEME, KBO_TYPE = "BE-BCE_KBO", "KBO"
BRUSSELS_REGION_NIS = "04000"
BRUSSELS_REGION_NAME = "Région de Bruxelles-Capitale / Brussels Hoofdstedelijk Gewest"
LANGUAGE_ORDER = ("fr", "nl", "en")  # the service's "own best language" for plain HSDS
TRANSLATED = {"name": "name", "description": "description", "how_to_refer": "application_process"}
I18N, RELAIS, CATEGORY_TAXONOMY, ORG_TYPE_TAXONOMY = (
    "relais-i18n", "relais", "relais-category", "relais-organisation-type")
SERVICE_EXTRAS = ("capacity", "urgent_start", "typical_wait_days", "capacity_confirmed_on",
                  "riziv_number")


# iCal weekdays (RRULE BYDAY), Monday first as `OpeningHours.weekday`.
ICAL_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
