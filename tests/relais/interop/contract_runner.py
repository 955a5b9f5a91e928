"""What the FHIR and the HSDS contract runners share (fhir/contract.py, hsds/contract.py;
on demand at length: bench/fhir_contract.py, bench/hsds_contract.py): the tally of what
was sent and what failed, and the loop in which schemathesis generates cases for each
operation (hypothesis, from a seed) and each answer is checked.

A runner says what a case becomes (`_cases`), how it is sent (`send`) and what its answer
must be beyond schemathesis's checks (`_answer_problems`, `_checks`)."""

import json
from collections import Counter
from dataclasses import dataclass, field, fields

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup


@dataclass
class Tally:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    by_operation: Counter = field(default_factory=Counter)
    server_errors: int = 0
    failures: list = field(default_factory=list)  # (case as curl, what failed)
    not_generated: list = field(default_factory=list)  # operations without such a case

    def add(self, case, status: int) -> None:
        self.requests += 1
        self.statuses[status] += 1
        self.by_operation[label_of(case)] += 1
        self.server_errors += status >= 500

    def merge(self, other: "Tally") -> None:
        for name in (f.name for f in fields(self)):  # numbers, counters and lists alike
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def failed(self, most: int = 20) -> str:
        """The failed checks, each with the request as curl (an assertion's message)."""
        return "\n\n".join(f"{curl}\n" + "\n".join(f"  - {p[:1500]}" for p in problems[:4])
                           for curl, problems in self.failures[:most])

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return "; ".join([f"{self.requests} requests ({statuses})", *self._more(),
                          f"{self.server_errors} server errors",
                          f"{len(self.failures)} failed checks"])

    def _more(self) -> list[str]:
        return []


def label_of(case) -> str:
    return f"{case.method} {case.operation.path}"


class ContractRunner:
    """Generates cases for every operation of `self.schema` and checks the answers."""

    tally_class = Tally

    def __init__(self, client, leaks=()):
        self.client = client
        # Never in an answer, as UTF-8 or JSON-escaped (JsonResponse's ASCII).
        self.leaks = {marker: {marker.encode(), json.dumps(marker)[1:-1].encode()}
                      for marker in leaks}
        self.tally = self.tally_class()

    def operations(self):
        for result in self.schema.get_all_operations():
            yield result.ok()

    def _run_operation(self, operation, mode, examples: int, seed: int) -> None:
        @hypothesis_seed(seed)
        @settings(max_examples=examples, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], print_blob=False,
                  suppress_health_check=list(HealthCheck))
        @given(case=self._cases(operation, mode))
        def exercise(case):
            self.check(case)

        try:
            exercise()
        except Unsatisfiable:  # no parameter to get wrong (GET /metadata, when negative)
            self.tally.not_generated.append(f"{operation.method.upper()} {operation.path} "
                                            f"({mode})")

    def check(self, case) -> None:
        response, body = self.send(case)
        self.tally.add(case, response.status_code)
        problems = self._answer_problems(case, response, body)
        problems += [f"shows {marker!r}" for marker, forms in self.leaks.items()
                     if any(form in body for form in forms)]
        try:
            case.validate_response(response, checks=self._checks(case, response, body))
        except FailureGroup as group:
            problems += [f"{failure.title}: {failure.message}" for failure in group.exceptions]
        except AssertionError as error:
            problems.append(str(error))
        if problems:
            self.tally.failures.append((case.as_curl_command(), problems))
