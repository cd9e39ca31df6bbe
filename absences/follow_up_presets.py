"""Presets for a school's follow-up and leave policy: the five reference policies (A–E in
school-policies.md), and `policy_for`, which fills the school's rows from the default preset the
first time they are needed. A school's policy is rows it edits; a preset only fills them in."""

from __future__ import annotations

from django.db import transaction

from .models import FollowUpPolicy, FollowUpStep

A = FollowUpStep.Action

PRESETS: dict[str, dict] = {
    # A primary trust: call on day 1; leave 2 weeks ahead; refusals in assessment periods, with
    # unauthorised absence, or above 10 % authorised absence; LA told after 15 days' illness.
    "A": {
        "leave_notice_days": 14,
        "refuse_leave_in_assessment_periods": True,
        "leave_authorised_limit_percent": 10,
        "leave_refuse_if_unauthorised": True,
        "steps": [(1, A.CALL, False), (2, A.FOLLOW_UP_CALL, True), (10, A.CME_REFERRAL, False)],
    },
    # B: call on day 1 and every further day; home visit if no contact.
    "B": {
        "leave_notice_days": 14,
        "steps": [(1, A.CALL, True), (3, A.HOME_VISIT, False), (10, A.CME_REFERRAL, False)],
    },
    "C": {"leave_notice_days": 14, "steps": [(1, A.CALL, False), (2, A.FOLLOW_UP_CALL, True)]},
    # D: safe-and-well decision recorded each day for 3 days; referral after a week.
    "D": {
        "leave_notice_days": 14,
        "steps": [
            (1, A.CALL, False),
            (1, A.PREPARE_VISIT, True),
            (3, A.HOME_VISIT, False),
            (6, A.REFERRAL, False),
            (10, A.CME_REFERRAL, False),
        ],
    },
    # E: the all-through school's unexplained absence ladder, leave 6 weeks ahead.
    "E": {
        "leave_notice_days": 42,
        "steps": [
            (1, A.CALL, False),
            (2, A.FOLLOW_UP_CALL, False),
            (3, A.LETTER, False),
            (4, A.PREPARE_VISIT, False),
            (5, A.HOME_VISIT, False),
            (5, A.REFERRAL, False),
            (6, A.FOLLOW_UP_CALL, True),
            (10, A.CME_REFERRAL, False),
        ],
    },
}
DEFAULT_PRESET = "E"


@transaction.atomic
def apply_preset(school, preset: str = DEFAULT_PRESET) -> FollowUpPolicy:
    data = dict(PRESETS[preset])
    steps = data.pop("steps")
    policy, _ = FollowUpPolicy.objects.update_or_create(school=school, defaults={**data, "preset": preset})
    for step in policy.steps.all():
        step.delete()
    for day, action, repeat in steps:
        FollowUpStep.objects.create(policy=policy, day=day, action=action, repeat_daily=repeat)
    return policy


def policy_for(school) -> FollowUpPolicy:
    """The school's policy, created from the default preset the first time it is needed."""
    policy = FollowUpPolicy.objects.filter(school=school).first()
    return policy or apply_preset(school)
