"""The school day's length on the letterhead (it turns sessions missed into hours of learning
lost in letters): implausible values are refused with a message and nothing is saved."""

import pytest
from django.urls import reverse

from letters.models import Letterhead
from tests.letters.test_views import letterhead_post


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer.user)
    return client


@pytest.mark.parametrize("minutes, message", [("99999999", "at most 600 minutes"), ("5", "at least 180 minutes")])
def test_an_implausible_school_day_is_refused_with_a_message(officer_client, school, minutes, message):
    response = officer_client.post(reverse("letters:letterhead"), letterhead_post(school_day_minutes=minutes))
    assert response.status_code == 400 and message in response.content.decode()
    assert Letterhead.for_school(school).school_day_minutes == 390


def test_a_real_school_day_is_kept(officer_client, school):
    response = officer_client.post(reverse("letters:letterhead"), letterhead_post(school_day_minutes="375"))
    assert response.status_code == 302 and Letterhead.for_school(school).school_day_minutes == 375
