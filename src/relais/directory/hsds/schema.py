"""The HSDS 3.0 schema, embedded: each object's CSV table, required fields, scalar fields
and nested objects, and the enumerations.

Production has no copy of the specification (../shared), so the schema lives in the code;
tests/relais/directory/test_hsds.py compares it with the specification field for field.
`validate` turns it into a JSON Schema, `tables` into the CSV datapackage, `export` reads
the required fields from it.
"""


HSDS_VERSION = "3.0"


# --- The HSDS 3.0 schema -------------------------------------------------------------------
# Each object: CSV file, required fields, scalar fields ("name:kind", in the order of the
# specification's CSV columns) and nested lists/objects ("name:object"). Kinds: uuid, email,
# uri, date-time (JSON formats), number, enum, date/time (datapackage types), else string.
# tests/relais/directory/test_hsds.py checks this against the specification's schema files;
# organization.services and service_at_location.service come from its compiled schemas.
SCHEMA_OBJECTS = {
    "accessibility": ("accessibility.csv", "id",
        "id:uuid location_id:uuid description details url:uri",
        "attributes:attribute metadata:metadata"),
    "address": ("addresses.csv", "id address_1 city state_province postal_code country "
        "address_type", "id:uuid location_id:uuid attention address_1 address_2 city region "
        "state_province postal_code country address_type:enum",
        "attributes:attribute metadata:metadata"),
    "attribute": ("attributes.csv", "id",
        "id:uuid link_id:uuid taxonomy_term_id:uuid link_type link_entity value",
        "metadata:metadata taxonomy_term:taxonomy_term"),
    "contact": ("contacts.csv", "id",
        "id:uuid organization_id:uuid service_id:uuid service_at_location_id:uuid "
        "location_id:uuid name title department email:email",
        "phones:phone attributes:attribute metadata:metadata"),
    "cost_option": ("cost_options.csv", "id",
        "id:uuid service_id:uuid valid_from:date valid_to:date option currency amount:number "
        "amount_description", "attributes:attribute metadata:metadata"),
    "funding": ("funding.csv", "id",
        "id:uuid organization_id:uuid service_id:uuid source",
        "attributes:attribute metadata:metadata"),
    "language": ("languages.csv", "id",
        "id:uuid service_id:uuid location_id:uuid phone_id:uuid name code note",
        "attributes:attribute metadata:metadata"),
    "location": ("locations.csv", "id location_type",
        "id:uuid location_type:enum url:uri organization_id:uuid name alternate_name "
        "description transportation latitude:number longitude:number external_identifier "
        "external_identifier_type",
        "languages:language addresses:address contacts:contact accessibility:accessibility "
        "phones:phone schedules:schedule attributes:attribute metadata:metadata"),
    "meta_table_description": ("meta_table_descriptions.csv", "id",
        "id:uuid name language character_set", "attributes:attribute metadata:metadata"),
    "metadata": ("metadata.csv", "id last_action_date last_action_type field_name "
        "previous_value replacement_value updated_by",
        "id:uuid resource_id:uuid resource_type last_action_date:date last_action_type "
        "field_name previous_value replacement_value updated_by", ""),
    "organization": ("organizations.csv", "id name description",
        "id:uuid name alternate_name description email:email website:uri tax_status tax_id "
        "year_incorporated:number legal_status logo uri:uri parent_organization_id:uuid",
        "funding:funding contacts:contact phones:phone locations:location programs:program "
        "organization_identifiers:organization_identifier attributes:attribute "
        "metadata:metadata services:service"),
    "organization_identifier": ("organization_identifiers.csv", "id identifier_type identifier",
        "id:uuid organization_id:uuid identifier_scheme identifier_type identifier",
        "attributes:attribute metadata:metadata"),
    "phone": ("phones.csv", "id number",
        "id:uuid location_id:uuid service_id:uuid organization_id:uuid contact_id:uuid "
        "service_at_location_id:uuid number extension:number type description",
        "languages:language attributes:attribute metadata:metadata"),
    "program": ("programs.csv", "id name description",
        "id:uuid organization_id:uuid name alternate_name description",
        "attributes:attribute metadata:metadata"),
    "required_document": ("required_documents.csv", "id",
        "id:uuid service_id:uuid document uri:uri", "attributes:attribute metadata:metadata"),
    "schedule": ("schedules.csv", "id",
        "id:uuid service_id:uuid location_id:uuid service_at_location_id:uuid valid_from:date "
        "valid_to:date dtstart:date timezone:number until:date count:number wkst:enum "
        "freq:enum interval:number byday byweekno bymonthday byyearday description "
        "opens_at:time closes_at:time schedule_link:uri attending_type notes",
        "attributes:attribute metadata:metadata"),
    "service": ("services.csv", "id name status",
        "id:uuid organization_id:uuid program_id:uuid name alternate_name description url:uri "
        "email:email status:enum interpretation_services application_process fees_description "
        "wait_time fees accreditations eligibility_description minimum_age:number "
        "maximum_age:number assured_date:date assurer_email:email licenses alert "
        "last_modified:date-time",
        "phones:phone schedules:schedule service_areas:service_area "
        "service_at_locations:service_at_location languages:language funding:funding "
        "cost_options:cost_option required_documents:required_document contacts:contact "
        "attributes:attribute metadata:metadata organization:organization program:program"),
    "service_area": ("service_areas.csv", "id",
        "id:uuid service_id:uuid name description extent extent_type uri",
        "attributes:attribute metadata:metadata"),
    "service_at_location": ("service_at_location.csv", "id",
        "id:uuid service_id:uuid location_id:uuid description",
        "contacts:contact phones:phone schedules:schedule attributes:attribute "
        "metadata:metadata location:location service:service"),
    "taxonomy": ("taxonomies.csv", "id name description",
        "id:uuid name description uri:uri version", "metadata:metadata"),
    "taxonomy_term": ("taxonomy_terms.csv", "id name description",
        "id:uuid code name description parent_id:uuid taxonomy language taxonomy_id:uuid "
        "term_uri:uri", "metadata:metadata taxonomy_detail:taxonomy"),
}
SCHEMA_ENUMS = {
    ("address", "address_type"): ["physical", "postal", "virtual"],
    ("location", "location_type"): ["physical", "postal", "virtual"],
    ("schedule", "wkst"): ["MO", "TU", "WE", "TH", "FR", "SA", "SU"],
    ("schedule", "freq"): ["WEEKLY", "MONTHLY"],
    ("service", "status"): ["active", "inactive", "defunct", "temporarily closed"],
}


def _pairs(text: str) -> list[tuple[str, str]]:
    return [tuple((item + ":").split(":")[:2]) for item in text.split()]


def schema_fields(kind: str) -> list[tuple[str, str]]:
    """[(field, kind)] of an object's scalar fields, in CSV column order."""
    return _pairs(SCHEMA_OBJECTS[kind][2])


def schema_children(kind: str) -> dict[str, str]:
    """{key: object kind} of an object's nested lists and objects."""
    return dict(_pairs(SCHEMA_OBJECTS[kind][3]))


def schema_required(kind: str) -> list[str]:
    return SCHEMA_OBJECTS[kind][1].split()


def schema_table(kind: str) -> str:
    return SCHEMA_OBJECTS[kind][0]
