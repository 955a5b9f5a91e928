"""Open Referral HSDS 3.0 in and out: the directory as JSON or as a CSV datapackage.

The document (what `export_hsds` returns, `import_hsds` takes and `load_hsds_file` gives):

    {"version": "3.0",
     "organizations": [<HSDS organization>, ...],   # those offering the services below
     "services": [<HSDS service, with organization_id>, ...]}

Each object validates against the HSDS 3.0 JSON schema (every id a UUID). How Relais fields
map (DOMAIN.md §7):

- organization: id (the stored `Organisation.hsds_id`, else uuid5 of "relais:organisation:
  kbo:<KBO>" or, without a KBO, "…:pk:<pk>"), name, description, email, website,
  phones[0].number, organization_identifiers [{identifier_scheme "BE-BCE_KBO",
  identifier_type "KBO", identifier}], one location with external_identifier "<NIS code>"
  (external_identifier_type "NIS") and a Belgian address (street, postcode); the
  organisation type and "active" flag are attributes (taxonomies
  "relais-organisation-type" and "relais").
- service: id (Service.hsds_id), organization_id, name / description / application_process
  in the best language (fr, then nl, then en; alternate_name lists the other names for
  plain HSDS readers), every translation also as an attribute of taxonomy "relais-i18n"
  (term code = the HSDS field, term language = the language), status, email,
  eligibility_description, minimum_age, maximum_age, fees_description, assured_date
  (verified on), languages [{code, name}], phones [{number}], contacts [{name, email,
  phones}], service_areas [{name, extent_type "text", extent "NIS 21015" | "CARE-ZONE
  north-east" | "NIS 04000" for the whole region}], schedules [{description}], the
  category as an attribute of taxonomy "relais-category", and capacity, urgent start,
  typical wait, capacity confirmed on and RIZIV number as attributes of taxonomy "relais"
  (HSDS 3.0 has no service_capacity: it came in 3.1).
- Child objects get ids derived from their parent's (uuid5), so an export is stable.

Import validates the whole document (schema, references, duplicates, Relais rules) and
raises HsdsImportError listing every problem before anything is written; then it writes
everything in one transaction. Organisations match on HSDS id, then KBO; services on id.
A service is replaced as a whole by what the file says (its standard HSDS fields);
Relais-only attributes and an organisation's fields are only changed when present.

The CSV datapackage has one file per HSDS table (organizations.csv, services.csv,
phones.csv, …) with the column names of the specification's tabular examples, and a
datapackage.json describing them; `read_csv` turns it back into the document above.

The package, one file per step:

- schema.py: the embedded HSDS 3.0 schema (tables, fields, enumerations);
  validate.py: an object checked against it (JSON Schema).
- mapping.py: where Relais fields go (taxonomies, languages, region); ids.py: stable ids.
- export.py: the directory as the HSDS document; tables.py: the CSV datapackage (write
  and read); document.py: any HSDS shape or file read into the document.
- importer.py: import_hsds (check all, then write in one transaction), helped by plan.py,
  plan_organisations.py and plan_services.py (records turned into unsaved instances);
  errors.py: HsdsImportError.
"""

from relais.directory.hsds.document import load_hsds_file, normalise
from relais.directory.hsds.errors import HsdsImportError
from relais.directory.hsds.export import export_hsds, export_organisation, export_service
from relais.directory.hsds.ids import child_id, organisation_hsds_id, term_id
from relais.directory.hsds.importer import ImportReport, import_csv, import_hsds
from relais.directory.hsds.schema import (
    HSDS_VERSION,
    SCHEMA_ENUMS,
    SCHEMA_OBJECTS,
    schema_children,
    schema_fields,
    schema_required,
    schema_table,
)
from relais.directory.hsds.tables import datapackage, export_csv, from_tables, read_csv
from relais.directory.hsds.validate import json_schema, schema_problems

__all__ = [
    "HSDS_VERSION", "SCHEMA_ENUMS", "SCHEMA_OBJECTS", "HsdsImportError", "ImportReport",
    "child_id", "datapackage", "export_csv", "export_hsds", "export_organisation",
    "export_service", "from_tables", "import_csv", "import_hsds", "json_schema",
    "load_hsds_file", "normalise", "organisation_hsds_id", "read_csv", "schema_children",
    "schema_fields", "schema_problems", "schema_required", "schema_table", "term_id",
]
