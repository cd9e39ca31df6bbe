import pytest

from tests.factories import make_school


@pytest.fixture
def school(db):
    return make_school()
