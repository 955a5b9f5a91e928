"""The FHIR API against its own OpenAPI document, at length (on demand, not in CI).

    .venv/bin/python bench/fhir_contract.py [--requests 5000] [--seed 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/relais_fhir_contract \\
        .venv/bin/python bench/fhir_contract.py

On a throw-away database (bench/throwaway.py) with the demo care zone loaded (`relais
demo`: persons with their networks, stays at Val-Fleuri, referrals, booklets, the
directory), schemathesis generates requests for every operation of /fhir/openapi.json,
positive and negative, through tests/relais/interop/fhir/contract.py (the suite's
contract test runs the same with a few cases). Each request carries a real system
client's access token, got from the token endpoint for each round. Rounds repeat with the
next seed until --requests requests were sent, in turn as:

- the coordination centre's system (it keeps most demo records): reads, writes booklet
  entries; the hospital's system writes the stays (Encounter), the home-help service's
  answers its referral (Task);
- the hospital's system (its stays, its patients during the stay);
- the system of an organisation related to no one: no demo person's name or national
  number may appear in any of its answers.

Prints the requests by status and by operation, the server errors and the failed checks
(each as a curl command); exit code 1 if there is any.
"""

import logging
import os
import sys
import time

from contract_rounds import person_markers, report, start

EXAMPLES = 12  # cases per operation and mode in a round


def main() -> int:
    options = start(logging.CRITICAL)  # 4xx are the point
    return run(options.requests, options.seed)


def run(target: int, first_seed: int) -> int:
    from schemathesis import GenerationMode

    from tests.relais.interop.fhir.contract import Contract, Tally

    systems = Systems()
    markers = person_markers()
    overall, seed, started = Tally(), first_seed, time.monotonic()
    while overall.requests < target:
        for name, reader, writers, leaks in systems.rounds(markers):
            contract = Contract(reader, writers=writers, leaks=leaks)
            if seed == first_seed:
                found = ", ".join(f"{kind} {len(rows)}" for kind, rows in
                                  sorted(contract.known.resources.items()) if rows)
                print(f"{name} reads: {found or 'nothing'}")
            tally = contract.run(examples=EXAMPLES, seed=seed,
                                 modes=(GenerationMode.POSITIVE, GenerationMode.NEGATIVE))
            print(f"seed {seed}, {name}: {tally.summary()}", flush=True)
            overall.merge(tally)
        seed += 1
    return report("fhir_contract", overall, time.monotonic() - started)


class Systems:
    """The demo organisations' system clients, registered once; a fresh token each round
    (a token lives five minutes)."""

    def __init__(self):
        from relais.accounts.demo import kbo
        from relais.accounts.models import Organisation, OrganisationType
        from relais.interop.fhir import clients

        def organisation(base):
            return Organisation.objects.get(kbo_number=kbo(base))

        unrelated, _ = Organisation.objects.get_or_create(
            kbo_number=kbo(99000017), defaults={"name": "Bench unrelated",
                                                 "type": OrganisationType.HOME_NURSING})
        wanted = {"centre": (organisation(10420003), "system/*.rs system/Communication.c"),
                  "hospital": (organisation(10420001), "system/*.rs system/Encounter.cu"),
                  "home help": (organisation(10420005), "system/*.rs system/Task.u"),
                  "unrelated": (unrelated, "system/*.rs system/Communication.c")}
        self.registered = {
            name: clients.register_client(name=f"Bench {name}", organisation=org,
                                          allowed=allowed)
            for name, (org, allowed) in wanted.items()}

    def client(self, name: str):
        from django.test import Client

        from tests.relais.interop.fhir.conftest import get_token

        registered, secret = self.registered[name]
        token = get_token(registered.application.client_id, secret)["access_token"]
        return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="fr")

    def rounds(self, markers: list[str]):
        centre, hospital, home_help = (self.client(n) for n in ("centre", "hospital",
                                                                 "home help"))
        writers = {"Encounter": hospital, "Task": home_help, "Communication": centre}
        yield "coordination centre", centre, writers, ()
        yield "hospital", hospital, {}, ()
        yield "unrelated organisation", self.client("unrelated"), {}, markers


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relais.config.settings")
    sys.exit(main())
