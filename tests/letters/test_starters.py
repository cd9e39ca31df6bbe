"""The starter templates: one for every letter the issue and the policy presets name, each valid
in the sandbox, installed once per school (the demo school has them), supportive first and firm
only as far as the law goes."""

import datetime as dt
import re

import pytest

from interventions.policy.presets import PRESETS
from letters.models import LetterTemplate
from letters.rendering import compile_text, preview_html
from letters.services.templates import install_starter_templates, save_template
from letters.starters import parse, starter, starters

ISSUE_KEYS = {
    "concern",
    "support_offer",
    "persistent_absence",
    "monitoring",
    "meeting_invitation",
    "congratulations",
    "final_warning",
    "notice_to_improve",
    "penalty_warning",
    "leave_granted",
    "leave_refused",
    "medical_evidence_request",
    "certificate_100",
    "certificate_97",
    "return_to_school",
}
ON = dt.date(2026, 11, 23)


def text(key: str) -> str:
    s = starter(key)
    return re.sub(r"<[^>]+>|{%.*?%}", " ", f"{s.subject} {s.body}")


def test_there_is_a_starter_for_every_letter_the_issue_and_the_presets_name():
    keys = {s.key for s in starters()}
    preset_keys = {
        rule["letter_template"] for p in PRESETS.values() for rule in p["rules"] if rule.get("letter_template")
    }
    assert keys >= ISSUE_KEYS
    assert preset_keys <= keys, preset_keys - keys


@pytest.mark.parametrize("key", sorted(s.key for s in starters()))
def test_each_starter_is_valid_and_previews_with_sample_data(key, letters_school):
    s = starter(key)
    compile_text(s.subject, s.body)
    assert s.kind in ("letter", "certificate") and s.title and s.purpose
    html = preview_html(school=letters_school, subject=s.subject, body=s.body, kind=s.kind, on=ON)
    assert "No data" not in html and "{{" not in html
    if s.kind == "letter":
        assert s.body.lstrip().startswith("<p>Dear {{ parent.salutation }},</p>")
        assert "Yours sincerely," in s.body


def test_certificates_are_certificates():
    assert {s.key for s in starters() if s.kind == "certificate"} == {"certificate_100", "certificate_97"}


FIRST_LETTERS = [
    "concern",
    "support_offer",
    "monitoring",
    "congratulations",
    "minutes_of_learning_lost",
    "meeting_invitation",
    "return_to_school",
    "persistent_lateness",
    "medical_evidence_request",
]


@pytest.mark.parametrize("key", FIRST_LETTERS)
def test_early_letters_threaten_nothing(key):
    words = text(key).lower()
    for threat in ("prosecut", "penalty", "£", "court", "legal action", "offence"):
        assert threat not in words, (key, threat)


def test_the_penalty_warning_explains_the_threshold_amounts_and_that_nothing_is_automatic():
    words = " ".join(text("penalty_warning").split())
    assert "{{ penalty.threshold_sessions }} sessions of unauthorised absence" in words
    assert "rolling period of {{ penalty.threshold_weeks }} school weeks" in words
    assert "must consider" in words and "does not mean a penalty notice is issued" in words
    assert "{{ penalty.first_reduced }} if paid within 21 days" in words
    assert "{{ penalty.first_full }} if paid within 28 days" in words
    assert "each parent, for each child" in words
    assert "Support" in words and "prosecut" not in words.lower()


def test_the_notice_to_improve_has_what_the_framework_requires():
    words = " ".join(text("notice_to_improve").split())
    assert "section 7 of the Education Act 1996" in words  # the parent's duty
    assert "{{ improvement.weeks }} weeks" in words and "{{ improvement.ends }}" in words  # the period
    assert "improvement.support_offered" in starter("notice_to_improve").body  # support so far
    assert "further_support" in starter("notice_to_improve").body
    assert "Sufficient improvement means" in words
    assert "penalty notice may be issued" in words  # the clear warning


def test_install_is_idempotent_and_never_overwrites_a_schools_edits(school):
    assert install_starter_templates(school=school) == len(starters())
    concern = LetterTemplate.objects.get(school=school, key="concern")
    save_template(
        school=school,
        user=None,
        key="concern",
        title="Ours",
        template=concern,
        subject="Ours",
        body="<p>Our own words</p>",
    )
    assert install_starter_templates(school=school) == 0
    concern.refresh_from_db()
    assert (concern.subject, concern.version) == ("Ours", 2)
    assert LetterTemplate.objects.filter(school=school).count() == len(starters())


def test_the_demo_school_has_the_starters(db):
    from demo.school import seed_demo

    result = seed_demo(pupils=14, seed=3, today=dt.date(2026, 9, 24), log=lambda *_: None)
    keys = set(LetterTemplate.objects.filter(school=result["school"]).values_list("key", flat=True))
    assert keys == {s.key for s in starters()}


def test_a_starter_file_needs_its_header():
    with pytest.raises(ValueError):
        parse("x", "title: X\n---\n<p>x</p>")
    assert parse("x", "title: T\npurpose: P\nkind: letter\nsubject: S\n---\n<p>B</p>").body == "<p>B</p>\n"
