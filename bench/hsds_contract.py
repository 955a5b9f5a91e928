"""The HSDS API against the published HSDS 3.0 OpenAPI, at length (on demand, not in CI).

    .venv/bin/python bench/hsds_contract.py [--requests 5000] [--seed 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_hsds_contract \\
        .venv/bin/python bench/hsds_contract.py

On a throw-away database (bench/throwaway.py) with the demo loaded (`relais demo`: its
directory, and persons, stays and referrals that must never show through the API),
schemathesis generates requests for every operation of the published OpenAPI, positive
and negative, through tests/relais/interop/hsds/contract.py (the suite's contract test
runs the same with a few cases). Rounds repeat with the next seed until --requests
requests were sent, in turn as a demo home nurse and anonymously with a public directory
(and, in the first round, anonymously without one: every answer a JSON 401).

Prints the requests by status and by operation, the server errors and the failed checks
(each as a curl command); exit code 1 if there is any. Also checks that no demo
person's name or national number appears in any answer.
"""

import logging
import os
import sys
import time

from contract_rounds import person_markers, report, start

EXAMPLES = 25  # cases per operation and mode in a round


def main() -> int:
    options = start(logging.ERROR)  # not each 400/404, a 500
    return run(options.requests, options.seed)


def run(target: int, first_seed: int) -> int:
    from django.conf import settings
    from schemathesis import GenerationMode

    from tests.relais.interop.contract_runner import Tally
    from tests.relais.interop.hsds.contract import Contract

    ids, markers = known_ids(), person_markers()
    print(f"directory: {len(ids['services'])} services of {len(ids['organizations'])} "
          f"organisations; {len(markers)} names and national numbers of demo persons")
    readers = [("home nurse", signed_in(), False), ("public", anonymous(), True)]
    closed = [("anonymous, directory not public", anonymous(), False)]  # 401s: one round
    overall, seed, started = Tally(), first_seed, time.monotonic()
    while overall.requests < target:
        for name, client, public in readers + (closed if seed == first_seed else []):
            settings.RELAIS_PUBLIC_DIRECTORY = public
            contract = Contract(client, ids, leaks=markers)
            tally = contract.run(examples=EXAMPLES, seed=seed,
                                 modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE))
            print(f"seed {seed}, {name}: {tally.summary()}")
            overall.merge(tally)
        seed += 1
    return report("hsds_contract", overall, time.monotonic() - started)


def known_ids() -> dict:
    from relais.accounts.models import Organisation
    from relais.directory.hsds.ids import organisation_hsds_id, taxonomy_id
    from relais.directory.hsds.taxonomy import TAXONOMIES, all_terms
    from relais.directory.models import Service
    from relais.interop.hsds.records import service_at_location_id

    services = [str(pk) for pk in Service.objects.values_list("hsds_id", flat=True)]
    offering = Organisation.objects.filter(services__isnull=False).distinct()
    return {"services": services,
            "service_at_locations": [service_at_location_id(s) for s in services],
            "organizations": [organisation_hsds_id(o) for o in offering],
            "taxonomies": [taxonomy_id(name) for name in TAXONOMIES],
            "taxonomy_terms": [term.id for term in all_terms()]}


def signed_in():
    from django.test import Client

    from relais.accounts.demo import DEMO_DOMAIN
    from relais.accounts.models import User

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(email=f"home-nurse@{DEMO_DOMAIN}"))
    return client


def anonymous():
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="fr")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relais.config.settings")
    sys.exit(main())
