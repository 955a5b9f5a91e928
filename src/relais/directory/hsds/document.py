"""Reading files: the HSDS document {"organizations", "services"} from any shape HSDS comes
in (our document, single objects, lists, API pages, tables) or from a file (JSON, or a
CSV datapackage directory). Nested organizations and services are lifted out and linked
by id.
"""

import copy
import json
from pathlib import Path

from relais.directory.hsds.errors import HsdsImportError
from relais.directory.hsds.schema import HSDS_VERSION
from relais.directory.hsds.tables import from_tables, read_csv

TAXONOMY_KEYS = {"version", "code", "taxonomy", "term_uri", "taxonomy_detail", "parent_id"}


def normalise(data) -> dict:
    """{"organizations", "services"} from any HSDS shape: our document, one organization,
    service or service_at_location, a list or an API page ({"contents": [...]}) of them, or
    tables ({"services.csv": [rows], …}, like the specification's tabular.json). Nested
    organizations and services are lifted out and linked by id."""
    data = copy.deepcopy(data)
    problems = []
    if isinstance(data, dict) and any(str(k).endswith(".csv") for k in data):
        return from_tables(data)
    if isinstance(data, dict) and "id" not in data and (
            "organizations" in data or "services" in data):
        organizations, services = data.get("organizations", []), data.get("services", [])
        for key, value in (("organizations", organizations), ("services", services)):
            if not isinstance(value, list):
                problems.append(f"{key}: expected a list, got {type(value).__name__}")
        if problems:
            raise HsdsImportError(problems)
    else:
        where, items = "document", data
        if isinstance(data, dict) and isinstance(data.get("contents"), list):
            where, items = "contents", data["contents"]
        elif isinstance(data, dict):
            where, items = "", [data]
        elif not isinstance(data, list):
            raise HsdsImportError([f"document: expected a JSON object or array, got "
                                   f"{type(data).__name__}"])
        organizations, services = [], []
        for index, item in enumerate(items):
            path = f"{where}[{index}]" if where else "document"
            kind = _kind_of(item)
            if kind == "organization":
                organizations.append(item)
            elif kind == "service":
                services.append(item)
            elif kind == "service_at_location" and isinstance(item.get("service"), dict):
                services.append(item["service"])
            else:
                problems.append(f"{path}: not an HSDS organization, service or "
                                f"service_at_location with its service")
        if problems:
            raise HsdsImportError(problems)
    return _lift_nested(organizations, services)


def _kind_of(item) -> str:
    if not isinstance(item, dict):
        return ""
    if "status" in item:
        return "service"
    if "service" in item or "location" in item or "service_id" in item:
        return "service_at_location"
    if "name" in item and not TAXONOMY_KEYS & item.keys():
        return "organization"
    return ""


def _lift_nested(organizations: list, services: list) -> dict:
    organizations, services = list(organizations), list(services)
    for organization in list(organizations):
        nested = organization.pop("services", None) if isinstance(organization, dict) else None
        for service in nested if isinstance(nested, list) else []:
            if isinstance(service, dict):
                service.setdefault("organization_id", organization.get("id"))
                services.append(service)
    known = {o.get("id") for o in organizations if isinstance(o, dict)}
    for service in services:
        nested = service.pop("organization", None) if isinstance(service, dict) else None
        if isinstance(nested, dict):
            service.setdefault("organization_id", nested.get("id"))
            nested.pop("services", None)
            if nested.get("id") not in known:
                known.add(nested.get("id"))
                organizations.append(nested)
    return {"version": HSDS_VERSION, "organizations": organizations, "services": services}


def load_hsds_file(path) -> dict:
    """Read a JSON file (any shape `normalise` knows) or a CSV datapackage directory."""
    path = Path(path)
    if path.is_dir():
        return read_csv(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise HsdsImportError([f"{path.name}: not UTF-8 text"]) from None
    except json.JSONDecodeError as error:
        raise HsdsImportError([f"{path.name}: not valid JSON ({error.msg} at line "
                               f"{error.lineno}, column {error.colno})"]) from None
    except OSError as error:
        raise HsdsImportError([f"{path}: cannot be read ({error.strerror})"]) from None
    return normalise(data)
