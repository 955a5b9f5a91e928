"""An HSDS file whose text is longer than the directory keeps, or whose dates cannot be
right, is refused whole with a clear problem per field (issue 12): never cut silently (the
file is the sender's to fix) and never a database error."""

import pytest

from relais.directory.hsds import HsdsImportError, export_hsds, import_hsds
from tests.relais.directory import test_hsds as hsds_tests
from tests.relais.directory.test_hsds import new_ids, soins_first, state

pytestmark = pytest.mark.django_db

actor = hsds_tests.actor
directory = hsds_tests.directory

FLOOD = "x" * 100_000

REFUSED = {
    "service description": (
        lambda d: d["services"][0].update(description=FLOOD),
        "services[0].description: Ensure this value has at most 4000 characters "
        "(it has 100000)."),
    "fees": (
        lambda d: d["services"][0].update(fees_description=FLOOD),
        "services[0].fees_description: Ensure this value has at most 2000 characters "
        "(it has 100000)."),
    "organisation description": (
        lambda d: d["organizations"][0].update(description=FLOOD),
        "organizations[0].description: Ensure this value has at most 4000 characters "
        "(it has 100000)."),
    "verified in the year 1000": (
        lambda d: d["services"][0].update(assured_date="1000-01-01"),
        "services[0].assured_date: Enter a date between 01/01/2000 and today."),
}


@pytest.mark.parametrize("case", REFUSED)
def test_too_long_or_impossible_is_refused_whole_and_says_where(directory, actor, case):
    change, problem = REFUSED[case]
    document = soins_first(new_ids(export_hsds()))
    change(document)
    before = state()

    with pytest.raises(HsdsImportError) as error:
        import_hsds(document, actor=actor)

    assert problem in error.value.problems
    assert state() == before


def test_text_at_the_limit_is_imported(directory, actor):
    document = soins_first(new_ids(export_hsds()))
    document["services"][0]["fees_description"] = "x" * 2000

    import_hsds(document, actor=actor)

    assert state()[1] == 6  # the three services again, under new ids
