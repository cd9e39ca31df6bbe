"""The officer's dashboard reads the year-long figures from the last check run's snapshot: the
same pupils as working them out live, in a bounded number of queries, saying when they were
computed, and live again when the checks have not run."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse

from interventions import services
from interventions.evaluation.run import run_checks
from interventions.evaluation.snapshot import SNAPSHOT_KEEP_DAYS
from interventions.models import Alert, CheckRun, PupilSnapshot
from interventions.selectors.dashboard import Filters, dashboard
from registers.models import SchoolDay
from registers.selectors import AttendanceFigures, penalty_threshold, pupil_figures
from tests.factories import PupilFactory, write

D = dt.date
LONDON = zoneinfo.ZoneInfo("Europe/London")
FRIDAY = D(2026, 3, 20)  # spring term 2025/26
MONDAY = D(2026, 3, 23)
NOW = dt.datetime(2026, 3, 23, 9, 30, tzinfo=LONDON)


def days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


def present(session):
    return "/" if session == "AM" else "\\"


def record(school, absent: dict):
    """Present every session from 2 to 20 March 2026 (30 sessions) except `absent`."""
    marks = {(d, s): present(s) for d in days(school, D(2026, 3, 2), FRIDAY) for s in ("AM", "PM")}
    marks.update(absent)
    return marks


def sessions(school, start, end, code):
    return {(d, s): code for d in days(school, start, end) for s in ("AM", "PM")}


def populate(school, n):
    """n pupils of each kind the year-long lists tell apart; returns {kind: [pupils]}."""
    kinds = {}

    def pupil(kind, year, **extra):
        extra.setdefault("date_of_birth", D(2025 - 5 - year, 3, 14))
        created = PupilFactory(school=school, year=year, **extra)
        kinds.setdefault(kind, []).append(created)
        return created

    for i in range(n):
        year = 1 + i % 6
        # 4 of 30 absent, all in the last week: newly persistent
        write(school, pupil("newly_pa", year), record(school, sessions(school, D(2026, 3, 18), D(2026, 3, 19), "I")))
        # 3 of 20 absent a week before, 3 of 30 now: still persistent, not newly
        absent = {**sessions(school, D(2026, 3, 2), D(2026, 3, 2), "M"), (D(2026, 3, 3), "AM"): "M"}
        write(school, pupil("already_pa", year), record(school, absent))
        # 8 of 20 a week before (persistent), 18 of 30 now: newly severe
        absent = sessions(school, D(2026, 3, 9), D(2026, 3, 12), "I")
        absent.update(sessions(school, D(2026, 3, 16), FRIDAY, "O"))
        write(school, pupil("newly_sa", year, child_in_need=True), record(school, absent))
        # 10 unauthorised sessions, one still N: at the penalty threshold (and newly persistent)
        absent = sessions(school, D(2026, 3, 16), FRIDAY, "O")
        absent[(FRIDAY, "PM")] = "N"
        write(school, pupil("threshold", year), record(school, absent))
        # the same record in Reception (four on 31 August, five in January 2026): not of
        # compulsory school age until 31 March, so in neither list
        write(school, pupil("reception", 0, date_of_birth=D(2021, 1, 15)), record(school, absent))
    return kinds


def lines(d):
    return {
        name: [(line.pupil_id, line.detail, line.figure, line.extra) for line in getattr(d, name)]
        for name in ("newly_persistent", "newly_severe", "threshold")
    }


@pytest.mark.parametrize("filters", [Filters(), Filters(year=2), Filters(characteristic="child_in_need")])
def test_the_snapshot_lists_the_same_pupils_as_the_live_computation(school, filters):
    kinds = populate(school, 6)
    run_checks(school=school, on=FRIDAY)
    from_snapshot = dashboard(school=school, today=FRIDAY, now=NOW, filters=filters)
    live = dashboard(school=school, today=FRIDAY, now=NOW, filters=filters, live=True)
    assert not from_snapshot.figures.live and from_snapshot.figures.on == FRIDAY
    assert live.figures.live
    assert lines(from_snapshot) == lines(live)
    if filters.active:
        return
    ids = {name: {line.pupil_id for line in getattr(live, name)} for name in ("newly_persistent", "newly_severe")}
    assert ids["newly_persistent"] == {p.pk for p in kinds["newly_pa"] + kinds["threshold"]}
    assert ids["newly_severe"] == {p.pk for p in kinds["newly_sa"]}
    assert {line.pupil_id for line in live.threshold} == {p.pk for p in kinds["threshold"] + kinds["newly_sa"]}
    assert all(
        line.extra["unresolved"] == 1 for line in live.threshold if line.pupil_id in {p.pk for p in kinds["threshold"]}
    )
    reception = {p.pk for p in kinds["reception"]}
    assert not reception & {line.pupil_id for name in lines(live) for line in getattr(live, name)}
    # and both agree with the statistics selectors, asked directly for the two dates
    now = pupil_figures(school=school, date_from=D(2025, 9, 1), date_to=FRIDAY)
    before = pupil_figures(school=school, date_from=D(2025, 9, 1), date_to=FRIDAY - dt.timedelta(days=7))
    empty = AttendanceFigures()
    for kind, name in (("persistent", "newly_persistent"), ("severe", "newly_severe")):
        newly = {
            pupil_id
            for pupil_id, f in now.items()
            if pupil_id not in reception and getattr(f, kind) and not getattr(before.get(pupil_id, empty), kind)
        }
        assert newly == ids[name] if kind == "severe" else newly - ids["newly_severe"] == ids[name]
    at_threshold = {r.pupil_id for r in penalty_threshold(school=school, on=FRIDAY)} - reception
    assert at_threshold == {line.pupil_id for line in from_snapshot.threshold}


def test_rerunning_the_checks_replaces_the_days_snapshot(school):
    kinds = populate(school, 2)
    run_checks(school=school, on=FRIDAY)
    first = CheckRun.objects.get()
    pupils = PupilSnapshot.objects.filter(run=first).count()
    assert pupils == 10 and first.pupils == 10
    pupil = kinds["newly_pa"][0]
    write(school, pupil, {(FRIDAY, "AM"): "O", (FRIDAY, "PM"): "O"}, reason="Not in school after all")
    run_checks(school=school, on=FRIDAY)
    run = CheckRun.objects.get()  # still one run for the date, one row per pupil
    assert run.pk == first.pk and run.computed_at > first.computed_at
    assert PupilSnapshot.objects.filter(run=run).count() == pupils
    row = PupilSnapshot.objects.get(run=run, pupil=pupil)
    assert (row.unauthorised, row.authorised, row.possible) == (2, 4, 30)
    assert (row.possible_week_before, row.absent_week_before) == (20, 0)


def test_old_runs_are_pruned(school):
    populate(school, 1)
    run_checks(school=school, on=D(2026, 3, 2))
    run_checks(school=school, on=D(2026, 3, 16))
    assert CheckRun.objects.count() == 2
    run_checks(school=school, on=D(2026, 3, 2) + dt.timedelta(days=SNAPSHOT_KEEP_DAYS + 1))
    assert sorted(CheckRun.objects.values_list("date", flat=True)) == [D(2026, 3, 16), D(2026, 3, 17)]
    assert not PupilSnapshot.objects.filter(run__date=D(2026, 3, 2)).exists()


def test_a_run_from_the_previous_school_day_is_current_an_older_one_is_not(school):
    populate(school, 1)
    run_checks(school=school, on=D(2026, 3, 19))  # Thursday
    assert dashboard(school=school, today=FRIDAY, now=NOW).figures.on == D(2026, 3, 19)
    assert dashboard(school=school, today=MONDAY, now=NOW).figures.live  # Friday's run is missing
    run_checks(school=school, on=D(2026, 3, 21))  # the nightly run on Saturday
    assert dashboard(school=school, today=MONDAY, now=NOW).figures.on == D(2026, 3, 21)
    assert dashboard(school=school, today=D(2026, 3, 22), now=NOW).figures.on == D(2026, 3, 21)


@pytest.mark.parametrize("live", [False, True])
def test_the_dashboard_takes_a_bounded_number_of_queries_whatever_the_size(
    school, officer, client, django_assert_max_num_queries, live
):
    services.load_policy_preset(school=school, preset="B")
    client.force_login(officer.user)
    for n in (2, 12):
        populate(school, n)
        run_checks(school=school, on=FRIDAY)
        alert = Alert.objects.filter(status="new").order_by("id").first()
        case = services.accept_alert(alert=alert, user=officer.user, on=FRIDAY)
        services.start_monitoring(case=case, weeks=1, start=D(2026, 3, 16))
        with django_assert_max_num_queries(30):
            d = dashboard(school=school, today=FRIDAY, now=NOW, live=live)
        assert d.figures.live == live and d.threshold and d.newly_persistent and d.reviews_due
        if not live:
            at_four = dt.datetime(2026, 3, 20, 16, 0, tzinfo=LONDON)
            with time_machine.travel(at_four, tick=False), django_assert_max_num_queries(30):
                response = client.get(reverse("interventions:dashboard"))
            assert response.status_code == 200


@time_machine.travel(dt.datetime(2026, 3, 23, 9, 30, tzinfo=LONDON), tick=False)
def test_the_page_says_when_the_figures_were_computed(school, officer, client):
    populate(school, 1)
    client.force_login(officer.user)
    html = client.get(reverse("interventions:dashboard")).content.decode()
    assert "worked out just now" in html
    with time_machine.travel(dt.datetime(2026, 3, 22, 18, 5, tzinfo=LONDON), tick=False):
        run_checks(school=school, on=D(2026, 3, 22))
    html = client.get(reverse("interventions:dashboard")).content.decode()
    assert "figures as at the checks run at 18:05 on Sunday 22 March" in html


@time_machine.travel(NOW, tick=False)
def test_the_worklist_lists_its_most_urgent_rows_and_the_rest_on_request(school, officer, client, monkeypatch):
    from interventions.selectors import dashboard as module

    monkeypatch.setattr(module, "ROWS_SHOWN", 5)
    services.load_policy_preset(school=school, preset="B")
    populate(school, 6)
    run_checks(school=school, on=FRIDAY)
    client.force_login(officer.user)
    url = reverse("interventions:dashboard")
    d = client.get(url).context["d"]
    pupils = Alert.objects.filter(status="new").values("pupil").distinct().count()
    assert d.worklist_total == pupils > 5 and len(d.worklist) == 5
    assert f"Show all {pupils} pupils" in client.get(url).content.decode()
    everyone = client.get(url, {"all": "1"}).context["d"].worklist
    assert len(everyone) == pupils and everyone[:5] == d.worklist
    assert all(row.urgent for row in d.worklist)  # the threshold and severe absence first


@time_machine.travel(NOW, tick=False)
def test_a_notice_to_improve_ending_is_a_review_due(school, officer, client):
    from interventions.models import Case, NoticeToImprove
    from registers.models import Contact

    pupil = PupilFactory(school=school)
    parent = Contact.objects.create(pupil=pupil, forename="Pat", surname="Parent", relationship="Mother")
    case = Case.objects.create(school=school, pupil=pupil, opened_on=D(2026, 2, 2))
    NoticeToImprove.objects.create(
        case=case,
        parent=parent,
        issued_on=D(2026, 2, 23),
        record_summary="12 unauthorised sessions",
        support_offered="Meetings",
        improvement_weeks=4,
        sufficient_improvement="No unauthorised absence",
        period_ends_on=D(2026, 3, 20),
    )
    client.force_login(officer.user)
    response = client.get(reverse("interventions:dashboard"))
    assert response.context["d"].notices_due and "improvement period ended 20 Mar" in response.content.decode()
