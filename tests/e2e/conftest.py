"""Browser journeys: Playwright (PyPI) driving Debian's Chromium against the live test server.

Screenshots land in test-artifacts/screenshots/ so a person can look at every page at
desktop and phone sizes."""

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# (setting up data) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(
        viewport=DESKTOP, base_url=live_server.url, locale="en-GB", timezone_id="Europe/London"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(
        viewport=PHONE,
        base_url=live_server.url,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        timezone_id="Europe/London",
        device_scale_factor=2,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _signing_in(response):
    return response.request.method == "POST" and urlsplit(response.url).path == "/login/"


def login(page, username, password="correct horse battery", then=None):
    """Sign in through the form and wait for the page it leads to (home, or `then`) to load.

    A refused sign-in fails here, with the form's message, rather than on a later page. The wait
    is for the next page's load event, not for network silence: that costs half a second per
    sign-in, and what a test needs next it waits for itself."""
    page.goto("/login/" + (f"?{urlencode({'next': then})}" if then else ""))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_response(_signing_in) as answer:
        page.get_by_role("button", name="Sign in").click()
    if answer.value.status != 302:
        html = answer.value.text()
        said = re.search(r'<ul class="errorlist".*?</ul>', html, re.S) or re.search(r"<h1>.*?</h1>", html, re.S)
        reason = " ".join(re.sub(r"<[^>]+>", " ", said.group(0) if said else "").split())
        raise AssertionError(f"could not sign in as {username!r} (HTTP {answer.value.status}): {reason}")
    page.wait_for_url(lambda url: urlsplit(url).path != "/login/")


def signed_in_like(page, other):
    """The person signed in on `other` (the desktop) picks up `page` (their phone): the phone gets
    the same session cookie rather than a second trip through the sign-in form (two page loads).
    Signing in on a phone is a journey of its own (test_pupil_pages, test_imports_journey and
    the parent's phone journey)."""
    page.context.add_cookies(other.context.cookies())


def click_and_load(page, target):
    """Click `target` (a link or a button that leads to another page) and wait for that page's
    load event. Playwright's click does not wait for the page it leads to, and the checks that
    follow (`is_visible`, `content`) read whatever page is there at once."""
    with page.expect_event("load"):
        target.click()


def screenshot(page, name):
    """The whole page, one image pixel to a CSS pixel: a phone drawn at two device pixels to one
    would be four times the pixels to draw and encode (three times as slow) for a picture a person
    reads just as well."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, scale="css")


SERIOUS = ("serious", "critical")


def serious_violations(page) -> list[str]:
    """axe's serious and critical findings on the page as it is now, each with the first elements
    it names (the journeys assert there are none)."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in Axe().run(page).response["violations"]
        if v["impact"] in SERIOUS
    ]


def accessible(page, name):
    """No serious or critical axe finding on the page `name` as it is now."""
    bad = serious_violations(page)
    assert bad == [], f"{name}: {bad}"
