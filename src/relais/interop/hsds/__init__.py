"""The read-only Open Referral HSDS 3 API over the directory, at /hsds/, as the HSDS 3.0
OpenAPI describes it (tests/fixtures/hsds3/schema/openapi.json).

Endpoints: `/` (about), `/services`, `/service_at_locations`, `/organizations`,
`/taxonomies`, `/taxonomy_terms`, and `/{id}` of each. Lists are HSDS pages (`page`,
`per_page` up to 100, or 1,000 with `minimal`) or, with `format=ndjson`, every record
streamed; `search`; on services and services at locations `taxonomy_term_id`,
`taxonomy_id`, `organization_id`, `modified_after` (and `postcode` on the latter);
`minimal`, `full` and `full_service` choose the representation (records.py).

Who reads: the directory's rule (directory/rules.py): signed-in users, or everyone when
the deployment's directory is public (RELAIS_PUBLIC_DIRECTORY), then only active
services of active organisations. The API shows the directory and nothing else: no
person, and of the people behind a listing only the contact the listing names.

Errors are JSON, in the reader's language (errors.py); unknown or unreadable parameters
are a 400 that names each (params.py).

Files: urls.py, views.py (the endpoints), params.py, queries.py (rows and filters),
records.py (representations), paging.py (pages and NDJSON), errors.py.
"""
