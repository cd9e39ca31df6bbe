"""The demo school must look like a real one and obey the same rules as real data."""

import datetime as dt

from django.core.management import call_command

from demo.school import DEMO_URN, seed_demo
from registers.models import Closure, Mark, Register, SchoolDay, Staff
from registers.selectors import attendance_statistics, total_figures


def test_demo_school_is_realistic_and_audited(db):
    today = dt.date(2026, 9, 24)  # early in the autumn term: last summer term plus three weeks
    result = seed_demo(pupils=35, seed=7, today=today, log=lambda *_: None)
    school = result["school"]
    assert school.urn == DEMO_URN
    # every mark falls on a school day, before today
    school_days = set(SchoolDay.objects.filter(school=school).values_list("date", flat=True))
    assert set(Mark.objects.filter(school=school).values_list("date", flat=True)) <= school_days
    assert not Mark.objects.filter(school=school, date__gte=today, code__code__in=["/", "\\"]).exists()
    # taken registers are attributed to the class teacher
    register = Register.objects.filter(school=school, state=Register.State.TAKEN).first()
    assert register.taken_by.staff.position == Staff.Position.CLASS_TEACHER
    # some office amendments, each with a reason and the original kept in history
    amended = Mark.objects.filter(school=school, version__gt=1).first()
    assert amended is not None and amended.reason and amended.recorded_by_position == "Office"
    assert amended.history.count() == 2
    # the planned closure is coded # for everyone on roll that day
    closure = Closure.objects.get(school=school, kind=Closure.Kind.CLOSURE)
    on_closure = Mark.objects.filter(school=school, date=closure.date)
    if closure.date < today:
        assert on_closure.exists() and set(on_closure.values_list("code__code", flat=True)) == {"#"}
    figures = total_figures(school=school, date_from=dt.date(2026, 4, 1), date_to=today)
    assert 92 < figures.attendance_percent < 98.5
    rows = attendance_statistics(school=school, date_from=dt.date(2026, 4, 1), date_to=today)
    assert 0 < sum(r.figures.persistent for r in rows) < len(rows) / 3
    # a parent of two children can sign in; the policy is loaded and its checks have run
    from django.contrib.auth import get_user_model

    from interventions.models import Alert, Policy

    parent = get_user_model().objects.get(username="parent")
    assert parent.contacts.values("pupil").distinct().count() == 2
    assert Policy.objects.filter(school=school, active=True).exists()
    assert Alert.objects.filter(school=school).exists()


def test_seed_demo_if_empty_leaves_existing_data(school, capsys):
    call_command("seed_demo", "--if-empty")
    assert "already loaded" in capsys.readouterr().out
