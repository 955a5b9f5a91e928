import pytest

from relais.interop.adt import unstored


@pytest.fixture(autouse=True)
def no_outage_remembered():
    """The listener remembers what it refused while the database was unreachable (in
    memory, to write it down later): a test's simulated outage stays in that test."""
    unstored.forget()
    yield
    unstored.forget()
