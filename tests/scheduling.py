"""The order tests are handed to the two xdist workers: the longest first, so the run does not end
with one worker busy on a two-minute test while the other is idle.

pytest-django sorts the suite as Django's runner does — tests in a transaction first, then the
transactional ones (the browser journeys, real workers, faults: each empties the database after
itself), then tests with no database — and each worker must keep that order for its own database.
Within each of those groups this hook moves the known long tests to the front (longest first),
which is the classic longest-first schedule. `make test` hands tests out two at a time
(`--maxschedchunk 2`) instead of in chunks of a quarter of what is left, so no worker is left
holding a queue of long journeys at the end.

The list is by path, from `--durations` of a whole run; a new long test only costs balance, never
correctness, when it is missing from it."""

from __future__ import annotations

import pytest

# Longest first, by what one of them costs (seconds, from --durations on the 2-core machine).
LONG = (
    "tests/test_reachability.py",  # ~50: the demo school, then every role's pages
    "tests/demo/",  # 5-10 each: the demo school seeded
    "tests/letters/test_starters.py::test_the_demo_school_has_the_starters",
    "tests/e2e/test_governors_report.py",
    "tests/faults/test_database_restart.py",
    "tests/e2e/test_letters_journey.py",
    "tests/e2e/test_imports_journey.py",
    "tests/e2e/test_officer_legal_journey.py",
    "tests/e2e/test_truancy_journey.py",
    "tests/e2e/test_parent_journey.py",
    "tests/faults/",
    "tests/reports/test_disclosure_property.py",
    "tests/reports/test_selectors.py::test_trust",
    "tests/e2e/",
    "tests/test_deployment.py",
    "tests/api/test_schemathesis.py",
    "tests/interventions/test_dashboard.py",
)


def _group(item: pytest.Item) -> int:
    """pytest-django's order: 0 in a transaction, 1 transactional, 2 no database."""
    fixtures = getattr(item, "fixturenames", ())
    marker = item.get_closest_marker("django_db")
    transactional = "transactional_db" in fixtures or "live_server" in fixtures
    if marker is not None:
        transactional = (
            transactional or marker.kwargs.get("transaction", False) or marker.kwargs.get("reset_sequences", False)
        )
    if transactional:
        return 1
    return 0 if marker is not None or "db" in fixtures else 2


def _rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(LONG):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONG)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: (_group(item), _rank(item)))  # stable: the rest keep their order
