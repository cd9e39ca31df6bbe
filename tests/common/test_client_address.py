"""The client's address behind the trusted proxies: what lockout, rate limits and throttles count."""

import pytest
from django.test import RequestFactory

from common.client_address import client_ip

PROXY = "10.0.0.2"


def request(xff=None, remote=PROXY):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    "proxies, xff, expected",
    [
        (0, "203.0.113.9", PROXY),  # nothing in front: the header is the client's own words, ignored
        (1, None, PROXY),  # not through the proxy
        (1, "203.0.113.9", "203.0.113.9"),  # the TLS proxy appended the client
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # a forged entry on the left is never believed
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.1", "203.0.113.9"),  # load balancer, then nginx
        (2, "203.0.113.9", "203.0.113.9"),  # fewer entries than proxies: all written by them
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "not-an-address", PROXY),  # garbage never reaches a cache key
    ],
)
def test_the_client_is_the_entry_the_outermost_trusted_proxy_wrote(settings, proxies, xff, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(xff)) == expected
