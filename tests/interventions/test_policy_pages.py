"""The attendance policy pages: the policy in plain English, editing rules, bands and stages
with a reason kept in the history, presets, switching the active policy, "test this rule", and
who may do what."""

import datetime as dt
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions.models import Alert, Band, LadderStage, Policy, Rule
from interventions.policy import services as policy_services
from interventions.policy.forms import ParameterForm
from interventions.policy.history import policy_history
from interventions.policy.presets import PRESETS
from interventions.policy.selectors import band_views, sentence
from interventions.policy.services import band_set_errors, load_policy_preset
from interventions.policy.triggers import SCHEMAS, with_defaults
from registers.models import SchoolDay
from tests.factories import PupilFactory, StaffFactory, UserFactory, make_school, write

LONDON = zoneinfo.ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def url(name, **kwargs):
    return reverse(f"interventions:{name}", kwargs=kwargs or None)


@pytest.fixture
def officer(school):
    return StaffFactory(
        school=school,
        position="attendance_officer",
        user=UserFactory(username="officer", first_name="Priya", last_name="Shah"),
        title="Mrs",
    )


@pytest.fixture
def client_for(client):
    def login(staff_or_user):
        client.force_login(getattr(staff_or_user, "user", staff_or_user))
        return client

    return login


@pytest.fixture
def policy_b(school):
    return load_policy_preset(school=school, preset="B")


@pytest.fixture
def policy_c(school):
    return load_policy_preset(school=school, preset="C")


def persistent_rule(policy):
    return policy.rules.get(trigger="persistent_absence")


def rule_post(rule, **overrides):
    """The rule form as a browser with JavaScript would post it: the rule's fields, the chosen
    trigger's parameters (prefixed with the trigger) and a reason."""
    data = {
        "name": rule.name,
        "trigger": rule.trigger,
        "order": rule.order,
        "stage": rule.stage_id or "",
        "letter_template": rule.letter_template,
        "task_kind": rule.task_kind,
        "task_role": rule.task_role,
        "task_description": rule.task_description,
        "monitoring_weeks": rule.monitoring_weeks or "",
        "params_for": rule.trigger,
        "reason": "Agreed with the headteacher",
    }
    params = with_defaults(rule.trigger, rule.parameters)
    for name, (kind, *_rest) in SCHEMAS[rule.trigger].items():
        value = params.get(name)
        if kind is bool:
            if value:
                data[f"{rule.trigger}-{name}"] = "on"
        elif kind is list:
            data[f"{rule.trigger}-{name}"] = ", ".join(value or [])
        else:
            data[f"{rule.trigger}-{name}"] = "" if value is None else value
    data.update(overrides)
    return data


# --- reading the policy ------------------------------------------------------------------------------


def test_policy_page_reads_as_plain_english(client_for, officer, policy_c):
    response = client_for(officer).get(url("policy-page"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Primary trust template (2022): bands" in html
    # the ladder in order
    stages = ["Green: talk and letter", "Yellow: monitoring", "Amber: meeting", "Red: legal intervention"]
    positions = [html.index(f"Stage {i}: {name}") for i, name in enumerate(stages, start=1)]
    assert positions == sorted(positions)
    # bands, highest first, with a colour class, the range each really holds and the published one
    for css in ("band-purple", "band-green", "band-yellow", "band-amber", "band-red"):
        assert f'class="band-swatch {css}"' in html
    assert "95.5 % up to (not including) 97 %" in html
    assert "95.5–96.9 %" in html and "8.1–10 %" in html
    assert "below 92.5 %" in html
    # each rule as a sentence
    assert (
        "When attendance this academic year is in the green band, propose stage &#x27;Green: talk and letter&#x27;, "
        "letter &#x27;minutes_of_learning_lost&#x27; and a phone call by the class teacher "
        "(“Talk with the pupil and phone home”)."
    ) in html
    assert "When a 4-week monitoring period ends without improvement" in html
    # monitoring periods and their review date if started today (4 school weeks: Fri 18 Dec)
    assert "Friday 18 December 2026" in html
    # no inline styles or scripts (strict CSP)
    assert "style=" not in html and "<style" not in html and "<script>" not in html
    assert "Version 1" in html


def test_the_policy_page_names_the_letters_the_school_has(client_for, officer, policy_b, school):
    """Letters tells interventions which templates a school has (interventions.policy.letter_templates,
    filled in by LettersConfig.ready()): a rule's letter is named by its title, or flagged as missing."""
    from letters.models import LetterTemplate
    from letters.services import install_starter_templates

    key = policy_b.rules.exclude(letter_template="").values_list("letter_template", flat=True).first()
    missing = f"The school has no letter template called “{key}” yet."
    assert missing in client_for(officer).get(url("policy-page")).content.decode()
    install_starter_templates(school=school)
    title = LetterTemplate.objects.get(school=school, key=key).title
    page = client_for(officer).get(url("policy-page")).content.decode()
    assert missing not in page
    assert f"letter &#x27;{key}&#x27; ({title})" in page


def test_sentence_for_the_example_in_the_brief(school):
    policy = Policy.objects.create(school=school, name="Test")
    amber = LadderStage.objects.create(policy=policy, order=3, name="Amber: meeting")
    rule = Rule.objects.create(
        policy=policy,
        name="Below 90 % this term",
        trigger="attendance_below",
        parameters={"percent": 90, "period": "term"},
        stage=amber,
        letter_template="persistent_absence",
        task_kind="call",
        task_role="attendance_officer",
    )
    assert sentence(rule) == (
        "When attendance this term falls below 90 %, propose stage 'Amber: meeting', "
        "letter 'persistent_absence' and a phone call by the attendance officer."
    )


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_rule_has_a_sentence_and_round_trips_through_its_form(school, preset):
    """The parameter fields are generated from triggers.SCHEMAS: every preset rule's parameters
    come back unchanged from its form."""
    policy = load_policy_preset(school=school, preset=preset)
    for rule in policy.rules.all():
        assert sentence(rule).startswith("When ") and "None" not in sentence(rule)
        data = {k: v for k, v in rule_post(rule).items() if k.startswith(f"{rule.trigger}-")}
        form = ParameterForm(data, trigger=rule.trigger, policy=policy)
        assert form.is_valid(), (rule.name, form.errors)
        assert with_defaults(rule.trigger, form.parameters()) == with_defaults(rule.trigger, rule.parameters)


def test_no_active_policy_offers_the_presets(client_for, officer):
    response = client_for(officer).get(url("policy-page"))
    assert response.status_code == 200
    assert "has no active attendance policy" in response.content.decode()
    assert url("policy-presets") in response.content.decode()


def test_policy_page_query_count_does_not_grow_with_the_policy(client_for, officer, school):
    policy = load_policy_preset(school=school, preset="A")
    client = client_for(officer)
    counts = []
    for extra in (0, 15):
        for i in range(extra):
            policy_services.save_rule(
                rule=Rule(
                    policy=policy,
                    name=f"Extra {i}",
                    trigger="lates_in_week",
                    parameters={"count": i + 1},
                    stage=policy.stages.get(order=1 + i % 3),
                    monitoring_weeks=2,
                    letter_template="concern",
                ),
                user=officer.user,
                reason=f"Extra rule {i}",
            )
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("policy-page"))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20, counts


def test_changes_page_query_count_does_not_grow_with_the_history(client_for, officer, policy_b):
    client = client_for(officer)
    rule = persistent_rule(policy_b)
    counts = []
    for round_ in range(2):
        for i in range(5 * round_):
            rule.parameters = {"percent": 11 + i}
            policy_services.save_rule(rule=rule, user=officer.user, reason=f"Step {i}")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url("policy-changes", pk=policy_b.pk)).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


# --- who may see and change it ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "position, can_read, can_edit",
    [
        ("attendance_officer", True, True),
        ("headteacher", True, True),
        ("senior_attendance_champion", True, True),
        ("dsl", True, False),
        ("head_of_year", True, False),
        ("class_teacher", False, False),
        ("form_tutor", False, False),
        ("office", False, False),
        ("governor", False, False),
        ("trust_leader", False, False),
    ],
)
def test_who_may_read_and_edit(client_for, school, policy_b, position, can_read, can_edit):
    client = client_for(StaffFactory(school=school, position=position))
    rule = persistent_rule(policy_b)
    reads = [url("policy-page"), url("policy-changes", pk=policy_b.pk), url("policy-presets")]
    reads.append(url("policy-rule-test", pk=rule.pk))
    for page in reads:
        assert client.get(page).status_code == (200 if can_read else 403), page
    edits = [
        url("policy-rule-edit", pk=rule.pk),
        url("policy-rule-new", pk=policy_b.pk),
        url("policy-bands", pk=policy_b.pk),
        url("policy-stages", pk=policy_b.pk),
        url("policy-preset-load", key="C"),
        url("policy-edit", pk=policy_b.pk),
        url("policy-rule-active", pk=rule.pk),
    ]
    for page in edits:
        assert client.get(page).status_code == (200 if can_edit else 403), page
    response = client.post(url("policy-rule-edit", pk=rule.pk), rule_post(rule, **{"persistent_absence-percent": 12}))
    assert response.status_code in ((302,) if can_edit else (403,))
    if can_read:
        page = client.get(url("policy-page")).content.decode()
        assert ("Add a rule" in page) is can_edit


def test_parents_and_strangers_are_refused(client, school, policy_b):
    assert client.get(url("policy-page")).status_code == 302  # to the sign-in page
    client.force_login(UserFactory(username="a-parent"))
    assert client.get(url("policy-page")).status_code == 403


def test_another_schools_policy_is_not_found(client_for, school, policy_b):
    other = make_school(urn="100002", name="Elm Academy", establishment_number="2001")
    stranger = StaffFactory(school=other, position="attendance_officer")
    client = client_for(stranger)
    rule = persistent_rule(policy_b)
    band_policy = load_policy_preset(school=school, preset="C", activate=False)
    for page in (
        url("policy-detail", pk=policy_b.pk),
        url("policy-changes", pk=policy_b.pk),
        url("policy-rule-edit", pk=rule.pk),
        url("policy-rule-test", pk=rule.pk),
        url("policy-rule-active", pk=rule.pk),
        url("policy-rule-new", pk=policy_b.pk),
        url("policy-bands", pk=band_policy.pk),
        url("policy-stages", pk=policy_b.pk),
        url("policy-activate", pk=band_policy.pk),
    ):
        assert client.get(page).status_code == 404, page
    response = client.post(url("policy-rule-edit", pk=rule.pk), rule_post(rule, **{"persistent_absence-percent": 12}))
    assert response.status_code == 404
    # and their own page does not show it
    assert "Secondary academy policy" not in client.get(url("policy-page")).content.decode()


# --- editing a rule ---------------------------------------------------------------------------------------


def test_changing_a_rule_parameter_is_saved_with_the_reason_and_the_user(client_for, officer, policy_b):
    client = client_for(officer)
    rule = persistent_rule(policy_b)
    before = rule.history.count()
    response = client.post(
        url("policy-rule-edit", pk=rule.pk),
        rule_post(rule, **{"persistent_absence-percent": "12", "reason": "Governors lowered the bar to 12 %"}),
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#rule-{rule.pk}")
    rule.refresh_from_db()
    assert rule.parameters == {"percent": 12}
    assert rule.history.count() == before + 1
    latest = rule.history.order_by("-history_id").first()
    assert latest.history_change_reason == "Governors lowered the bar to 12 %"
    assert latest.history_user == officer.user

    changes = client.get(url("policy-changes", pk=policy_b.pk)).content.decode()
    assert "Governors lowered the bar to 12 %" in changes
    assert "Mrs Priya Shah" in changes
    assert "Absence %" in changes and "<del>10</del>" in changes and "<ins>12</ins>" in changes
    page = client.get(url("policy-page")).content.decode()
    assert "reaches 12 % (persistent absence)" in page
    assert "Version 2" in page and "Governors lowered the bar to 12 %" in page


def test_a_percentage_of_120_is_refused_with_the_field_named(client_for, officer, policy_b):
    client = client_for(officer)
    rule = persistent_rule(policy_b)
    before = rule.history.count()
    response = client.post(url("policy-rule-edit", pk=rule.pk), rule_post(rule, **{"persistent_absence-percent": 120}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Absence %: Ensure this value is less than or equal to 100." in html
    assert 'href="#id_persistent_absence-percent"' in html
    assert 'id="id_persistent_absence-percent_error"' in html
    rule.refresh_from_db()
    assert rule.parameters == {"percent": 10.0}
    assert rule.history.count() == before


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("persistent_absence-percent", "-1", "Ensure this value is greater than or equal to 0."),
        ("persistent_absence-period", "weeks", "With period &#x27;weeks&#x27;, give the number of school weeks."),
        ("persistent_absence-weeks", "0", "Ensure this value is greater than or equal to 1."),
        ("persistent_absence-period", "fortnight", "Select a valid choice."),
        ("monitoring_weeks", "13", "Ensure this value is less than or equal to 12."),
        ("task_role", "", "Say who carries out the task."),
        ("name", "", "This field is required."),
    ],
)
def test_rule_validation(client_for, officer, policy_b, field, value, message):
    rule = persistent_rule(policy_b)
    response = client_for(officer).post(url("policy-rule-edit", pk=rule.pk), rule_post(rule, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    rule.refresh_from_db()
    assert rule.parameters == {"percent": 10.0}


def test_unknown_attendance_codes_are_refused(client_for, officer, school):
    policy = load_policy_preset(school=school, preset="D")
    rule = policy.rules.get(trigger="lates_in_half_term")
    response = client_for(officer).post(
        url("policy-rule-edit", pk=rule.pk), rule_post(rule, **{"lates_in_half_term-codes": "L, QQ"})
    )
    assert response.status_code == 400
    assert "Not attendance codes: QQ." in response.content.decode()


def test_a_change_without_a_reason_is_refused(client_for, officer, policy_b):
    rule = persistent_rule(policy_b)
    before = rule.history.count()
    response = client_for(officer).post(
        url("policy-rule-edit", pk=rule.pk), rule_post(rule, **{"persistent_absence-percent": 12, "reason": "  "})
    )
    assert response.status_code == 400
    assert "Say why you are making this change" in response.content.decode()
    rule.refresh_from_db()
    assert rule.parameters == {"percent": 10.0} and rule.history.count() == before


def test_the_service_refuses_a_blank_reason_too(officer, policy_b):
    from django.core.exceptions import ValidationError

    rule = persistent_rule(policy_b)
    rule.parameters = {"percent": 15}
    with pytest.raises(ValidationError, match="Say why"):
        policy_services.save_rule(rule=rule, user=officer.user, reason="")


def test_a_new_rule_without_javascript_is_two_steps(client_for, officer, policy_b):
    client = client_for(officer)
    new_url = url("policy-rule-new", pk=policy_b.pk)
    first = client.get(new_url).content.decode()
    # step 1: no trigger chosen, so every parameter fieldset is hidden and disabled
    assert first.count('class="policy-params"') == len(SCHEMAS)
    assert first.count("hidden disabled") == len(SCHEMAS)
    assert "Show the settings for this trigger" in first

    chose = client.post(new_url, {"name": "Late twice this week", "trigger": "lates_in_week", "choose": "1"})
    assert chose.status_code == 200
    html = chose.content.decode()
    assert '<fieldset class="policy-params" data-trigger="lates_in_week">' in html
    assert html.count("hidden disabled") == len(SCHEMAS) - 1
    assert 'value="Late twice this week"' in html  # what was typed is kept
    assert not policy_b.rules.filter(name="Late twice this week").exists()

    saved = client.post(
        new_url,
        {
            "name": "Late twice this week",
            "trigger": "lates_in_week",
            "params_for": "lates_in_week",
            "lates_in_week-count": "2",
            "lates_in_week-codes": "L, U",
            "task_kind": "detention",
            "task_role": "head_of_year",
            "reason": "New lateness rule for the spring term",
        },
    )
    assert saved.status_code == 302
    rule = policy_b.rules.get(name="Late twice this week")
    assert rule.parameters == {"count": 2}
    assert rule.order == policy_b.rules.count()
    created = rule.history.get()
    assert created.history_type == "+" and created.history_change_reason == "New lateness rule for the spring term"
    assert created.history_user == officer.user


def test_changing_the_trigger_without_javascript_asks_for_its_parameters_first(client_for, officer, policy_b):
    rule = persistent_rule(policy_b)
    data = rule_post(rule, trigger="absence_sessions_over")  # parameters still those of the old trigger
    response = client_for(officer).post(url("policy-rule-edit", pk=rule.pk), data)
    assert response.status_code == 200
    assert '<fieldset class="policy-params" data-trigger="absence_sessions_over">' in response.content.decode()
    rule.refresh_from_db()
    assert rule.trigger == "persistent_absence"


def test_a_band_rule_offers_the_policys_bands(client_for, officer, policy_c):
    rule = policy_c.rules.get(name="Green band")
    html = client_for(officer).get(url("policy-rule-edit", pk=rule.pk)).content.decode()
    for name in ("purple", "green", "yellow", "amber", "red"):
        assert f'<option value="{name}"' in html
    response = client_for(officer).post(url("policy-rule-edit", pk=rule.pk), rule_post(rule, **{"band-band": "teal"}))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_deactivating_a_rule_keeps_it_with_the_reason(client_for, officer, policy_b):
    client = client_for(officer)
    rule = persistent_rule(policy_b)
    assert client.post(url("policy-rule-active", pk=rule.pk), {"reason": ""}).status_code == 400
    response = client.post(url("policy-rule-active", pk=rule.pk), {"reason": "Covered by the LA's own check"})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.active is False
    latest = rule.history.order_by("-history_id").first()
    assert (latest.history_change_reason, latest.history_user) == ("Covered by the LA's own check", officer.user)
    page = client.get(url("policy-page")).content.decode()
    assert "1 inactive rule" in page and "Reactivate" in page
    client.post(url("policy-rule-active", pk=rule.pk), {"reason": "Back in use"})
    rule.refresh_from_db()
    assert rule.active is True


# --- bands ---------------------------------------------------------------------------------------------------


def band_post(policy, rows, reason="Trust updated its bands"):
    data = {
        "bands-TOTAL_FORMS": str(len(rows)),
        "bands-INITIAL_FORMS": str(policy.bands.count()),
        "bands-MIN_NUM_FORMS": "0",
        "bands-MAX_NUM_FORMS": "1000",
        "reason": reason,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "delete":
                if value:
                    data[f"bands-{i}-delete"] = "on"
            else:
                data[f"bands-{i}-{key}"] = "" if value is None else value
    return data


def band_rows(policy):
    return [
        {
            "id": b.pk,
            "name": b.name,
            "attendance_from": b.attendance_from,
            "attendance_to": b.attendance_to,
            "absence_from": b.absence_from,
            "absence_to": b.absence_to,
            "action": b.action,
        }
        for b in policy.bands.order_by("-attendance_from")
    ]


def test_published_bands_with_gaps_are_a_valid_set(policy_c):
    assert band_set_errors(band_rows(policy_c)) == []
    views = band_views(policy_c.bands.all())
    assert [v.band.name for v in views] == ["purple", "green", "yellow", "amber", "red"]
    assert views[0].effective == "97 % and above"


def test_overlapping_bands_are_refused(client_for, officer, policy_c):
    rows = band_rows(policy_c)
    rows[1]["attendance_to"] = "97.5"  # green reaching into purple (from 97 %)
    before = Band.history.filter(policy_id=policy_c.pk).count()
    response = client_for(officer).post(url("policy-bands", pk=policy_c.pk), band_post(policy_c, rows))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The green band&#x27;s published range reaches 97.5 %, which overlaps the purple band (from 97 %)." in html
    assert 'href="#id_bands-1-attendance_to"' in html
    assert Band.objects.get(policy=policy_c, name="green").attendance_to == Decimal("96.9")
    assert Band.history.filter(policy_id=policy_c.pk).count() == before


@pytest.mark.parametrize(
    "change, message",
    [
        ({2: {"attendance_from": "95.5"}}, "Two bands start at 95.5 %"),
        ({2: {"absence_from": "9"}}, "absence must rise as attendance falls"),
        ({2: {"name": "Green"}}, "Two bands are called “Green”."),
        ({2: {"attendance_to": "93"}}, "The upper bound is below the lower bound."),
        ({2: {"attendance_from": "101"}}, "Ensure this value is less than or equal to 100."),
    ],
)
def test_band_set_validation(client_for, officer, policy_c, change, message):
    rows = band_rows(policy_c)
    for index, values in change.items():
        rows[index].update(values)
    response = client_for(officer).post(url("policy-bands", pk=policy_c.pk), band_post(policy_c, rows))
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")


def test_editing_bands_renames_the_rules_band_and_adds_a_band(client_for, officer, policy_c):
    rows = band_rows(policy_c)
    rows[2]["name"] = "gold"  # yellow → gold: the "Yellow band" rule follows
    rows[0]["attendance_from"] = "97.5"
    rows[0]["absence_to"] = "7.5"
    rows.append({"name": "platinum", "attendance_from": "99.5", "attendance_to": "100", "action": "Certificate"})
    rows[0]["attendance_to"] = "99.4"
    response = client_for(officer).post(
        url("policy-bands", pk=policy_c.pk), band_post(policy_c, rows, "Gold replaces yellow")
    )
    assert response.status_code == 302, response.content.decode()
    names = list(policy_c.bands.order_by("-attendance_from").values_list("name", flat=True))
    assert names == ["platinum", "purple", "green", "gold", "amber", "red"]
    assert policy_c.rules.get(name="Yellow band").parameters == {"band": "gold"}
    reasons = set(
        Band.history.filter(policy_id=policy_c.pk, history_user=officer.user).values_list(
            "history_change_reason", flat=True
        )
    )
    assert reasons == {"Gold replaces yellow"}
    rule_row = policy_c.rules.get(name="Yellow band").history.order_by("-history_id").first()
    assert rule_row.history_change_reason == "Gold replaces yellow"
    change = policy_history(policy_c)[0]  # one change: the bands and the rule that follows its band
    assert {row.kind for row in change.rows} == {"band", "rule"}
    # no history row ever held a placeholder name
    assert not Band.history.filter(name__startswith="~").exists()


def test_swapping_two_bands_lower_bounds_is_one_audited_change(officer, policy_c):
    rows = band_rows(policy_c)
    rows[3]["name"], rows[4]["name"] = "red", "amber"  # amber ↔ red by name (rules follow)
    policy_services.save_bands(policy=policy_c, rows=rows, user=officer.user, reason="Swap")
    assert Band.objects.get(policy=policy_c, name="red").attendance_from == Decimal("92.5")
    history = policy_history(policy_c)
    assert history[0].reason.startswith("Swap")


def test_a_band_a_rule_uses_cannot_be_removed(client_for, officer, policy_c):
    rows = band_rows(policy_c)
    rows[3]["delete"] = True  # amber
    response = client_for(officer).post(url("policy-bands", pk=policy_c.pk), band_post(policy_c, rows))
    assert response.status_code == 400
    assert "The amber band cannot be removed: “Amber band” uses it." in response.content.decode()
    assert policy_c.bands.filter(name="amber").exists()


# --- ladder stages --------------------------------------------------------------------------------------------


def stage_post(policy, rows, reason="Ladder agreed by governors"):
    data = {
        "stages-TOTAL_FORMS": str(len(rows)),
        "stages-INITIAL_FORMS": str(policy.stages.count()),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
        "reason": reason,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "delete":
                if value:
                    data[f"stages-{i}-delete"] = "on"
            else:
                data[f"stages-{i}-{key}"] = value
    return data


def stage_rows(policy):
    return [{"id": s.pk, "order": s.order, "name": s.name, "description": s.description} for s in policy.stages.all()]


def test_reordering_stages_is_audited_and_stage_bound_rules_follow(client_for, officer, school):
    policy = load_policy_preset(school=school, preset="A")
    rows = stage_rows(policy)
    rows[3]["order"], rows[4]["order"] = 5, 4  # "Meeting in school with targets" ↔ "Final written warning"
    rows[0]["name"] = "Pastoral conversation, then a phone call home"
    response = client_for(officer).post(url("policy-stages", pk=policy.pk), stage_post(policy, rows))
    assert response.status_code == 302
    assert policy.stages.get(order=4).name == "Final written warning"
    assert policy.stages.get(order=5).name == "Meeting in school with targets"
    targets = policy.rules.get(name="Targets not met after 4 weeks' monitoring")
    assert targets.parameters["at_stage"] == 5  # still the "meeting with targets" stage
    final = policy.rules.get(name="No improvement 4 weeks after the final warning")
    assert final.parameters["at_stage"] == 4
    rows_written = LadderStage.history.filter(policy_id=policy.pk, history_type="~")
    assert rows_written.count() == 3
    assert {r.history_change_reason for r in rows_written} == {"Ladder agreed by governors"}
    assert not LadderStage.history.filter(order__gte=1000).exists()  # the temporary places left no trace
    change = policy_history(policy)[0]
    assert change.who == "Mrs Priya Shah"
    labels = {(row.kind, f.label) for row in change.rows for f in row.fields}
    assert ("stage", "Order") in labels and ("rule", "Only while the case is at ladder stage") in labels


def test_stage_validation(client_for, officer, school):
    policy = load_policy_preset(school=school, preset="A")
    client = client_for(officer)
    rows = stage_rows(policy)
    rows[1]["order"] = 1
    response = client.post(url("policy-stages", pk=policy.pk), stage_post(policy, rows))
    assert response.status_code == 400
    assert "Stage 1 is used twice" in response.content.decode()

    rows = stage_rows(policy)
    rows[1]["delete"] = True  # "Concern letter": a rule proposes it
    response = client.post(url("policy-stages", pk=policy.pk), stage_post(policy, rows))
    assert response.status_code == 400
    assert "Stage 2 (Concern letter) cannot be removed: a rule proposes it." in response.content.decode()

    rows = stage_rows(policy) + [{"order": 7, "name": "Prosecution considered", "description": ""}]
    response = client.post(url("policy-stages", pk=policy.pk), stage_post(policy, rows, reason=""))
    assert response.status_code == 400
    assert not policy.stages.filter(order=7).exists()
    response = client.post(url("policy-stages", pk=policy.pk), stage_post(policy, rows))
    assert response.status_code == 302
    assert policy.stages.get(order=7).history.get().history_change_reason == "Ladder agreed by governors"


# --- the policy's details, presets and the active policy ---------------------------------------------------------


def test_editing_the_policys_details(client_for, officer, policy_b):
    client = client_for(officer)
    response = client.post(
        url("policy-edit", pk=policy_b.pk),
        {"name": "Academy policy 2026", "target_percent": "96.5", "notes": "", "reason": "New academic year"},
    )
    assert response.status_code == 302
    policy_b.refresh_from_db()
    assert (policy_b.name, policy_b.target_percent) == ("Academy policy 2026", Decimal("96.5"))
    assert policy_b.history.order_by("-history_id").first().history_change_reason == "New academic year"
    assert (
        client.post(
            url("policy-edit", pk=policy_b.pk), {"name": "x", "target_percent": "101", "reason": "r"}
        ).status_code
        == 400
    )


def test_loading_a_preset_replaces_the_active_policy_and_keeps_the_old_one(client_for, officer, policy_b, school):
    client = client_for(officer)
    confirm = client.get(url("policy-preset-load", key="C")).content.decode()
    assert "This replaces the school's active policy." in confirm
    assert "Secondary academy policy (2024)" in confirm and "It is not deleted" in confirm
    assert client.post(url("policy-preset-load", key="C"), {"reason": ""}).status_code == 400
    assert Policy.objects.filter(school=school).count() == 1

    response = client.post(url("policy-preset-load", key="C"), {"reason": "Joined the trust"})
    assert response.status_code == 302
    new = Policy.objects.get(school=school, active=True)
    assert new.preset == "C"
    policy_b.refresh_from_db()
    assert policy_b.active is False and policy_b.rules.count() == len(PRESETS["B"]["rules"])
    rows = list(Rule.history.filter(policy_id=new.pk)) + list(Band.history.filter(policy_id=new.pk))
    assert rows and {(r.history_change_reason, r.history_user_id) for r in rows} == {
        ("Preset C loaded: Joined the trust", officer.user.pk)
    }
    old_row = policy_b.history.order_by("-history_id").first()
    assert old_row.active is False and old_row.history_change_reason == "Preset C loaded: Joined the trust"
    # one change, one version
    page = client.get(url("policy-page")).content.decode()
    assert re.search(r"Version 1\b", page)
    assert client.get(url("policy-preset-load", key="Z")).status_code == 404


def test_switching_back_to_an_old_policy(client_for, officer, policy_b, school):
    client = client_for(officer)
    policy_services.load_preset(school=school, preset="E", user=officer.user, reason="Trying E")
    response = client.post(url("policy-activate", pk=policy_b.pk), {"reason": "Back to B after the trial"})
    assert response.status_code == 302
    assert Policy.objects.get(school=school, active=True) == policy_b
    assert Policy.objects.filter(school=school).count() == 2
    e = Policy.objects.get(school=school, preset="E")
    assert e.history.order_by("-history_id").first().history_change_reason.startswith("Replaced by")
    assert client.post(url("policy-activate", pk=policy_b.pk), {"reason": "again"}).status_code == 400


# --- test this rule -----------------------------------------------------------------------------------------------


def school_days(school, start, end):
    return list(SchoolDay.objects.filter(school=school, date__range=(start, end)).values_list("date", flat=True))


@pytest.fixture
def pupils(school):
    days = school_days(school, dt.date(2026, 9, 3), TODAY)
    absent = PupilFactory(school=school, legal_forename="Ben", legal_surname="Okafor", year=4)
    present = PupilFactory(school=school, legal_forename="Ada", legal_surname="Okafor", year=4)
    # recorded once today's afternoon has begun: attendance can't be recorded ahead of its session
    with time_machine.travel(NOW.replace(hour=16), tick=False):
        write(
            school,
            absent,
            {
                (d, s): "I" if i % 4 == 0 else ("/" if s == "AM" else "\\")
                for i, d in enumerate(days)
                for s in ("AM", "PM")
            },
        )
        write(school, present, {(d, s): "/" if s == "AM" else "\\" for d in days for s in ("AM", "PM")})
    return absent, present


def test_testing_a_rule_shows_the_evidence_and_records_nothing(client_for, officer, policy_b, pupils):
    from simple_history.models import registered_models

    ben, ada = pupils
    rule = persistent_rule(policy_b)
    client = client_for(officer)
    history_before = {m: m.history.count() for m in registered_models.values() if hasattr(m, "history")}
    response = client.get(url("policy-rule-test", pk=rule.pk), {"pupil": ben.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The rule would meet Ben Okafor" in html
    assert "Absence %" in html and "The sessions behind it" in html
    response = client.get(url("policy-rule-test", pk=rule.pk), {"pupil": ada.pk})
    assert "The rule would not meet Ada Okafor" in response.content.decode()
    assert Alert.objects.count() == 0
    assert {m: m.history.count() for m in history_before} == history_before

    # searching by name: two matches, so a choice; a unique match is tested at once
    listing = client.get(url("policy-rule-test", pk=rule.pk), {"q": "Okafor"}).content.decode()
    assert "Which pupil?" in listing and f"?pupil={ben.pk}" in listing
    one = client.get(url("policy-rule-test", pk=rule.pk), {"q": "Ben Okafor"}).content.decode()
    assert "The rule would meet Ben Okafor" in one
    future = client.get(url("policy-rule-test", pk=rule.pk), {"pupil": ben.pk, "on": "2026-12-01"})
    assert "cannot see the future" in future.content.decode()
    other = make_school(urn="100002", name="Elm Academy", establishment_number="2001")
    stranger = PupilFactory(school=other)
    assert client.get(url("policy-rule-test", pk=rule.pk), {"pupil": stranger.pk}).status_code == 404


def test_testing_a_rule_on_a_past_date(client_for, officer, policy_b, pupils):
    ben, _ada = pupils
    rule = persistent_rule(policy_b)
    html = (
        client_for(officer)
        .get(url("policy-rule-test", pk=rule.pk), {"pupil": ben.pk, "on": "2026-09-01"})
        .content.decode()
    )
    assert "No school days yet" not in html  # 2025/26 days exist
    assert "Tuesday 1 September 2026" in html
