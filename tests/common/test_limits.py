"""Login lockout and the public forms' rate limits behind the TLS proxy: counted per real client
(the address the proxy forwards), per username, and in a cache every process shares."""

import threading
import uuid

import pytest
from axes.handlers.proxy import AxesProxyHandler
from django.core import mail
from django.core.cache import cache, caches
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from common.ratelimits import limit
from tests.factories import UserFactory

PROXY = "10.0.0.2"  # the TLS proxy: REMOTE_ADDR of every request
ATTACKER, PARENT, OTHER = "203.0.113.9", "198.51.100.7", "192.0.2.44"
GOOD = "correct horse battery"
LOCKED = "Too many attempts"
WAIT = "Please wait a few minutes"


@pytest.fixture(autouse=True)
def behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


def through_proxy(address, forged=None) -> Client:
    """A browser at `address`; the proxy appends it to whatever X-Forwarded-For the browser sent."""
    chain = f"{forged}, {address}" if forged else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)


def sign_in(client, username, password, url="/login/"):
    return client.post(url, {"username": username, "password": password})


# --- lockout (django-axes) -------------------------------------------------------------------


def test_one_address_guessing_across_usernames_is_locked_and_nobody_else_is(db):
    users = [UserFactory(username=f"staff{i}") for i in range(6)]
    attacker = through_proxy(ATTACKER)
    codes = [sign_in(attacker, user.username, "guess").status_code for user in users[:5]]
    assert codes == [200] * 4 + [429]  # the fifth failure locks the address
    refused = sign_in(attacker, users[5].username, GOOD)  # even the right password, from that address
    assert refused.status_code == 429 and LOCKED in refused.content.decode()
    # everyone else comes through the same proxy, and is not locked out
    assert sign_in(through_proxy(PARENT), users[5].username, GOOD).status_code == 302
    assert sign_in(through_proxy(OTHER), users[4].username, GOOD, "/parents/sign-in/").status_code == 302


def test_a_forged_forwarded_for_does_not_dodge_the_address_lock(db):
    users = [UserFactory(username=f"staff{i}") for i in range(6)]
    for i, user in enumerate(users[:5]):
        sign_in(through_proxy(ATTACKER, forged=f"1.1.1.{i}"), user.username, "guess")
    assert sign_in(through_proxy(ATTACKER, forged="8.8.8.8"), users[5].username, GOOD).status_code == 429


def test_a_username_guessed_from_many_addresses_is_locked(db):
    UserFactory(username="head")
    for i in range(5):
        sign_in(through_proxy(f"203.0.113.{10 + i}"), "head", "guess")
    assert sign_in(through_proxy(PARENT), "head", GOOD).status_code == 429


# --- rate limits on the public forms (django-ratelimit) ---------------------------------------


def reset(client, email):
    return client.post(reverse("absences:password_reset"), {"email": email})


def test_password_reset_is_limited_per_address(db):
    attacker = through_proxy(ATTACKER)
    codes = [reset(attacker, f"nobody{i}@example.org").status_code for i in range(6)]
    assert codes == [302] * 5 + [429]
    assert WAIT in reset(attacker, "x@example.org").content.decode()
    assert reset(through_proxy(PARENT), "parent@example.org").status_code == 302  # another client is not


def test_password_reset_e_mails_to_one_address_are_limited(db):
    UserFactory(username="kim", email="kim@example.org")
    codes = [reset(through_proxy(f"203.0.113.{i}"), "Kim@Example.org ").status_code for i in range(4)]
    assert codes == [302, 302, 302, 429]
    assert len(mail.outbox) == 3  # nobody fills a parent's inbox from many addresses


def test_sign_in_posts_for_one_username_from_one_address_are_limited(db, settings):
    settings.AXES_ENABLED = False  # the rate limit alone, not the lockout
    attacker = through_proxy(ATTACKER)
    codes = [sign_in(attacker, "Head", "guess", "/parents/sign-in/").status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]
    refused = sign_in(attacker, "head ", "guess")  # the staff sign-in shares the count
    assert refused.status_code == 429 and refused["Retry-After"] == "600"
    assert sign_in(attacker, "head", "guess", "/admin/login/").status_code == 429
    assert sign_in(through_proxy(PARENT), "head", "guess").status_code == 200  # another client is not held up


def test_a_schools_staff_signing_in_from_one_address_are_never_held_up(db, settings):
    """Every teacher comes from the school's one public address at 8:40."""
    staff = [UserFactory(username=f"teacher{i}") for i in range(30)]
    school = through_proxy(OTHER)
    assert {sign_in(school, user.username, GOOD).status_code for user in staff} == {302}


def test_invitation_links_are_limited_per_address(db):
    attacker = through_proxy(ATTACKER)
    codes = [attacker.get(reverse("absences:invite", args=[f"guess{i}"])).status_code for i in range(21)]
    assert codes == [404] * 20 + [429]


# --- one count for every process (Redis) ------------------------------------------------------


@pytest.fixture
def redis_cache(settings):
    """The shared cache as production has it (CACHE_URL=redis://…), on this session's Redis database."""
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith("redis://"):
        pytest.skip("needs Redis (CELERY_BROKER_URL=redis://…)")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    # (the settings fixture's change signal gives `caches` fresh connections, before and after)
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": broker, "KEY_PREFIX": prefix}
    }
    yield
    client = caches["default"]._cache.get_client(write=True)  # only this test's keys (clear() flushes the db)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def in_another_process(work):
    """Run `work` on a thread of its own: its own cache connection, as another gunicorn worker has."""
    box = {}

    def run():
        try:
            box["result"] = work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return box["result"]


def test_two_processes_share_one_rate_limit_count_in_redis(redis_cache):
    view = limit("probe", "5/10m", key="ip")(lambda request: HttpResponse("ok"))

    def post(n):
        request = RequestFactory().post("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
        return [view(request).status_code for _ in range(n)]

    clients = []

    def first():
        clients.append(caches["default"])
        return post(3)

    def second():
        clients.append(caches["default"])
        return post(3)

    assert in_another_process(first) == [200, 200, 200]
    assert in_another_process(second) == [200, 200, 429]  # the second process sees the first's three
    assert clients[0] is not clients[1]  # two cache clients, as two processes have


def test_two_processes_share_one_lockout_count_in_redis(redis_cache, settings, db):
    settings.AXES_HANDLER = "axes.handlers.cache.AxesCacheHandler"

    def fail(n):
        AxesProxyHandler.get_implementation(force=True)  # a process of its own: its own handler and cache
        return [sign_in(through_proxy(ATTACKER), "office", "guess").status_code for _ in range(n)]

    try:
        assert in_another_process(lambda: fail(3)) == [200, 200, 200]
        assert in_another_process(lambda: fail(2)) == [200, 429]  # the fifth failure, counted across both
    finally:
        settings.AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
        AxesProxyHandler.get_implementation(force=True)
