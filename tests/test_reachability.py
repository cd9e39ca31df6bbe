"""Nothing out of reach: every page a role may use is reachable from that role's home page by
following links (breadth-first, same site).

For each role of the demo school (every position the permissions know, and a parent/carer), the
test works out which URL patterns the role may use — from the URL resolver itself: each pattern's
address (with sample objects for patterns that need an id, chosen below) is asked for, and a page
that answers 200 with HTML, a PDF or a CSV is one the role may use — then crawls from "/" and fails
naming every such pattern never reached. A pattern that needs an id counts as reached when any
instance of it is. Actions (POST only: 405 to a GET), JSON for scripts, sign-in and password pages,
the admin and the API are not pages a role navigates to, and are left out."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import NoReverseMatch, Resolver404

from demo.school import seed_demo
from registers.models import Pupil, RegisterDeletion, Staff
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)  # a Monday in the autumn term
NOW = dt.datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Europe/London"))
PAGE_TYPES = ("text/html", "application/pdf", "text/csv")
NOT_NAVIGATED = re.compile(r"^(admin:|admin-login$|api|login$|logout$|absences:(sign_in|invite|password_reset))")
VISITS_PER_PATTERN = 4  # a crawl follows at most this many addresses of one pattern
SAMPLES = 6  # objects tried per pattern that needs an id


def _patterns(resolver=None, namespace=""):
    """(name, pattern) for every named route, with its namespace."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n) if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def _route_key(match) -> str:
    return match.view_name


# Objects to try for a pattern that needs an id: the objects (read only for the pattern asked about,
# when it is asked: building every pattern's queryset on each of ~700 calls was a fifth of the test),
# and which attribute fills each argument.
def _sample_kwargs(name: str, school) -> list[dict] | None:
    from absences.models import AbsenceReport, EvidenceFile, LeaveRequest
    from interventions.models import Action, Alert, Case, NoticeToImprove, PenaltyNotice, Policy, Rule
    from lessons.models import Lesson, LessonRegister, Period, Room, TeachingGroup, TruancyAlert
    from letters.models import Batch, Letter, LetterTemplate
    from registers.models import Contact, ImportRun, Notification, Register, RegistrationGroup

    def spread(queryset, group_field):
        """One object per registration group first (so a teacher's own group is among them)."""
        seen, picked = set(), []
        for obj in queryset:
            key = getattr(obj, group_field)
            if key not in seen:
                seen.add(key)
                picked.append(obj)
        return picked

    def pupils():
        return spread(Pupil.objects.filter(school=school).order_by("pk"), "group_id")

    table = {
        "pupil-detail": (pupils, {"pk": "pk"}),
        "absences:child": (pupils, {"pk": "pk"}),
        "absences:office_pupil": (pupils, {"pk": "pk"}),
        "reports:ctf-export": (lambda: pupils()[:2], {"pupil_id": "pk"}),
        "registers:register": (
            lambda: spread(Register.objects.filter(school=school, date=TODAY).order_by("pk"), "group_id"),
            {"pk": "pk"},
        ),
        "registers:register_for": (
            lambda: list(RegistrationGroup.objects.filter(school=school).order_by("year", "name")),
            {"group_id": "pk", "day": lambda g: TODAY.isoformat(), "session": lambda g: "AM"},
        ),
        "lessons:register": (
            lambda: LessonRegister.objects.filter(school=school, date=TODAY).order_by("pk"),
            {"pk": "pk"},
        ),
        "lessons:register_for": (
            lambda: Lesson.objects.filter(school=school).order_by("pk"),
            {"lesson_id": "pk", "day": lambda lesson: TODAY.isoformat()},
        ),
        "absences:report_detail": (lambda: AbsenceReport.objects.filter(school=school), {"pk": "pk"}),
        "absences:report_edit": (lambda: AbsenceReport.objects.filter(school=school), {"pk": "pk"}),
        "absences:report_done": (lambda: AbsenceReport.objects.filter(school=school), {"key": "submission_key"}),
        "absences:office_report": (lambda: AbsenceReport.objects.filter(school=school), {"pk": "pk"}),
        "absences:leave_detail": (lambda: LeaveRequest.objects.filter(school=school), {"pk": "pk"}),
        "absences:office_leave": (lambda: LeaveRequest.objects.filter(school=school), {"pk": "pk"}),
        "absences:evidence": (lambda: EvidenceFile.objects.filter(school=school), {"pk": "pk"}),
        "absences:letter": (lambda: Letter.objects.filter(school=school).exclude(pdf=""), {"pk": "pk"}),
        "absences:office_invite": (lambda: Contact.objects.filter(pupil__school=school), {"pk": "pk"}),
        "imports:run": (lambda: ImportRun.objects.filter(school=school), {"pk": "pk"}),
        "interventions:alert": (lambda: Alert.objects.filter(school=school), {"pk": "pk"}),
        "interventions:case": (lambda: Case.objects.filter(school=school), {"pk": "pk"}),
        "interventions:support-plan": (
            lambda: Action.objects.filter(case__school=school, kind="support_plan"),
            {"pk": "case_id", "plan": "pk"},
        ),
        "interventions:notice-to-improve": (lambda: NoticeToImprove.objects.filter(case__school=school), {"pk": "pk"}),
        "interventions:notice-to-improve-new": (lambda: Case.objects.filter(school=school), {"pk": "pk"}),
        "interventions:penalty-notice": (lambda: PenaltyNotice.objects.filter(school=school), {"pk": "pk"}),
        "interventions:policy-detail": (lambda: Policy.objects.filter(school=school), {"pk": "pk"}),
        "interventions:policy-edit": (lambda: Policy.objects.filter(school=school), {"pk": "pk"}),
        "interventions:policy-changes": (lambda: Policy.objects.filter(school=school), {"pk": "pk"}),
        "interventions:policy-bands": (lambda: Policy.objects.filter(school=school), {"pk": "pk"}),
        "interventions:policy-stages": (lambda: Policy.objects.filter(school=school), {"pk": "pk"}),
        "interventions:policy-rule-new": (lambda: Policy.objects.filter(school=school), {"pk": "pk"}),
        "interventions:policy-rule-edit": (lambda: Rule.objects.filter(policy__school=school), {"pk": "pk"}),
        "interventions:policy-rule-test": (lambda: Rule.objects.filter(policy__school=school), {"pk": "pk"}),
        "interventions:policy-preset-load": (lambda: ["A"], {"key": lambda k: k}),
        "letters:template-edit": (lambda: LetterTemplate.objects.filter(school=school), {"pk": "pk"}),
        "letters:template-preview": (lambda: LetterTemplate.objects.filter(school=school), {"pk": "pk"}),
        "letters:template-history": (lambda: LetterTemplate.objects.filter(school=school), {"pk": "pk"}),
        "letters:template-draft-pdf": (lambda: LetterTemplate.objects.filter(school=school), {"pk": "pk"}),
        "letters:batch": (lambda: Batch.objects.filter(school=school), {"pk": "pk"}),
        "letters:batch-pdf": (lambda: Batch.objects.filter(school=school), {"pk": "pk"}),
        "letters:letter": (lambda: Letter.objects.filter(school=school), {"pk": "pk"}),
        "letters:letter-view": (lambda: Letter.objects.filter(school=school), {"pk": "pk"}),
        "letters:letter-pdf": (lambda: Letter.objects.filter(school=school), {"pk": "pk"}),
        "reports:trust-detail": (lambda: [school.trust] if school.trust_id else [], {"pk": "pk"}),
        "reports:export-table": (lambda: ["attendance"], {"table": lambda t: t}),
        "registers:dismiss_notification": (lambda: Notification.objects.all(), {"pk": "pk"}),
        "roll:delete": (lambda: Pupil.objects.filter(school=school), {"pk": "pk"}),
        "roll:deletion": (lambda: RegisterDeletion.objects.filter(school=school), {"pk": "pk"}),
        "lessons:truancy-alert": (lambda: TruancyAlert.objects.filter(school=school), {"pk": "pk"}),
        "lessons:timetable:period": (lambda: Period.objects.filter(school=school).order_by("pk"), {"pk": "pk"}),
        "lessons:timetable:room": (lambda: Room.objects.filter(school=school).order_by("pk"), {"pk": "pk"}),
        "lessons:timetable:group": (lambda: TeachingGroup.objects.filter(school=school).order_by("pk"), {"pk": "pk"}),
        "lessons:timetable:lesson": (lambda: Lesson.objects.filter(school=school).order_by("pk"), {"pk": "pk"}),
    }
    if name not in table:
        return None
    objects, fields = table[name]
    objects = objects()  # only the pattern asked about, read now (a page fetched before may have added one)
    objects = list(objects[:SAMPLES]) if not isinstance(objects, list) else objects[: max(SAMPLES, 12)]
    return [
        {arg: (attr(obj) if callable(attr) else getattr(obj, attr)) for arg, attr in fields.items()} for obj in objects
    ]


def _is_page(response) -> bool:
    return response.status_code == 200 and response.get("Content-Type", "").split(";")[0] in PAGE_TYPES


def allowed_patterns(client, school, *, skip=(), answered=None) -> tuple[set[str], list[str]]:
    """The patterns `client`'s user may use as pages (leaving out those in `skip`, already known
    to be reached), and the patterns with arguments that have no sample here (so a new page
    cannot slip past unnoticed). `answered`: whether each address the crawl fetched as this user
    was a page, so it is not fetched again."""
    answered = answered or {}
    allowed, unsampled = set(), []
    for name, pattern in _patterns():
        if NOT_NAVIGATED.match(name) or name in skip:
            continue
        if not pattern.pattern.converters:
            try:
                urls = [reverse(name)]
            except NoReverseMatch:
                continue
        else:
            kwargs = _sample_kwargs(name, school)
            if kwargs is None:
                if name not in ACTIONS_AND_SCRIPTS:
                    unsampled.append(name)
                kwargs = []
            urls = []
            for kw in kwargs:
                try:
                    urls.append(reverse(name, kwargs=kw))
                except NoReverseMatch:
                    continue
        if name in ACTIONS_AND_SCRIPTS:
            continue
        if any(answered[url] if url in answered else _is_page(client.get(url)) for url in urls):
            allowed.add(name)
    return allowed, unsampled


# Patterns that are not pages to navigate to: forms' POST targets (a GET is 405 or redirects) and
# JSON read by the pages' scripts. Named here so the test says so rather than guessing.
ACTIONS_AND_SCRIPTS = {
    "interventions:run-checks",
    "interventions:worklist-decide",
    "interventions:policy-activate",
    "interventions:policy-rule-active",
    "interventions:alert-accept",
    "interventions:alert-dismiss",
    "interventions:case-action",
    "interventions:case-monitoring",
    "interventions:case-stage",
    "interventions:case-legal-step",
    "interventions:case-close",
    "interventions:case-reopen",
    "interventions:case-owner",
    "interventions:support-plan-new",
    "interventions:support-plan-targets",
    "interventions:support-target-result",
    "interventions:penalty-consider",
    "interventions:notice-to-improve-outcome",
    "interventions:penalty-notice-status",
    "interventions:penalty-notice-prosecution",
    "interventions:policy-preset-load",
    "letters:install-starters",
    "letters:pupil-search",
    "letters:batch-progress",
    "letters:letter-email",
    "letters:letterhead-logo",
    "imports:confirm",
    "lessons:timetable:group-join",
    "lessons:timetable:lesson-add",
    "lessons:timetable:membership-end",
    "absences:report_withdraw",
    "registers:dismiss_notification",
    "registers:office_remind",
    "absences:report_done",  # shown once, straight after sending a report (the redirect's target)
    "letters:template-preview",  # the editor's Preview button posts the draft to it (into a frame)
}
# Another address of a page reached under its own name: the trust leader's trust is
# reports:trust; reports:trust-detail names any trust (for an administrator choosing one).
ALIASES = {"reports:trust-detail": "reports:trust"}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def crawl(client, answered: dict[str, bool] | None = None) -> dict[str, str]:
    """Breadth-first from "/", following same-site links and redirects: pattern → first address.
    `answered` is given whether each address fetched was a page."""
    answered = {} if answered is None else answered
    reached: dict[str, str] = {}
    visits: dict[str, int] = defaultdict(int)
    files: set[str] = set()  # patterns answered with a PDF or CSV
    queue, seen = deque(["/"]), {"/"}
    while queue:
        url = queue.popleft()
        path = urlsplit(url).path
        try:
            match = resolve(path)
        except Resolver404:
            continue
        name = _route_key(match)
        if NOT_NAVIGATED.match(name or "") or visits[name] >= VISITS_PER_PATTERN or name in files:
            continue
        visits[name] += 1
        response = client.get(url)
        answered[url] = _is_page(response)
        if response.status_code in (301, 302):
            target = urljoin(url, response["Location"])
            if target not in seen:
                seen.add(target)
                queue.append(target)
            continue
        if not _is_page(response):
            continue
        reached.setdefault(name, url)
        if not response.get("Content-Type", "").startswith("text/html"):
            files.add(name)  # a PDF or CSV has no links: one address of it is enough
            continue
        parser = _Links()
        parser.feed(response.content.decode())
        for href in parser.hrefs:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target.startswith(("/static/", "/media/")) or target in seen:
                continue
            seen.add(target)
            queue.append(target)
    return reached


@pytest.fixture
def demo():
    with time_machine.travel(NOW, tick=False):
        result = seed_demo(pupils=35, seed=7, today=TODAY, log=lambda *_: None)
        school = result["school"]
        # positions the demo has no login for
        for username, position in [
            ("hoy", Staff.Position.HEAD_OF_YEAR),
            ("champion", Staff.Position.SENIOR_ATTENDANCE_CHAMPION),
            ("data", Staff.Position.DATA_MANAGER),
        ]:
            StaffFactory(school=school, position=position, user__username=username)
        yield school


ROLES = ["teacher", "office", "officer", "head", "dsl", "hoy", "champion", "data", "governor", "trust", "parent"]


def test_every_page_a_role_may_use_is_reachable_from_its_home_page(demo):
    users = get_user_model().objects.in_bulk(ROLES, field_name="username")
    assert set(users) == set(ROLES)
    problems, unsampled_all = [], set()
    with time_machine.travel(NOW, tick=False):
        for role in ROLES:
            client = Client()
            client.force_login(users[role])
            answered = {}
            reached = crawl(client, answered)
            assert len(reached) > 1, f"{role}: no page beyond the home page"
            reached.update({alias: reached[name] for alias, name in ALIASES.items() if name in reached})
            allowed, unsampled = allowed_patterns(client, demo, skip=set(reached), answered=answered)
            unsampled_all.update(unsampled)
            missing = sorted(allowed - set(reached))
            if missing:
                problems.append(f"{role} may use but cannot reach: {', '.join(missing)}")
    assert not unsampled_all, f"add sample objects for: {', '.join(sorted(unsampled_all))}"
    assert not problems, "\n".join(problems)
