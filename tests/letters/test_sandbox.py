"""The template sandbox: staff cannot read settings, include files, load tag libraries, call
methods or inject markup; mistakes are named with their line when the template is saved."""

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe

from letters import sandbox
from letters.errors import LetterError
from letters.fields.catalogue import sandbox_catalogue
from letters.rendering import compile_text
from letters.services.templates import save_template

CATALOGUE = sandbox_catalogue()


def refused(body: str) -> LetterError:
    with pytest.raises(LetterError) as caught:
        compile_text("Subject", body)
    return caught.value


def test_settings_cannot_be_read():
    error = refused("{{ settings.SECRET_KEY }}")
    assert error.field == "settings.SECRET_KEY"
    assert 'Unknown merge field "settings.SECRET_KEY" on line 1' in error.message


@pytest.mark.parametrize(
    "source, tag",
    [
        ('{% include "/etc/passwd" %}', "include"),
        ("{% load static %}", "load"),
        ("{% debug %}", "debug"),
        ('{% extends "base.html" %}', "extends"),
        ("{% ssi '/etc/passwd' %}", "ssi"),
        ("{% url 'login' %}", "url"),
        ('{% now "Y" %}', "now"),
        ("{% autoescape off %}{{ pupil.first_name }}{% endautoescape %}", "autoescape"),
        ("{% with x=pupil.first_name %}{{ x }}{% endwith %}", "with"),
    ],
)
def test_forbidden_tags_are_refused_by_name(source, tag):
    error = refused(f"Dear parent,\n{source}")
    assert f"{{% {tag} %}}" in error.message and "line 2" in error.message
    assert error.line == 2 and error.part == "body"


def test_the_engine_has_no_loaders_libraries_or_default_tags():
    engine = sandbox.engine()
    assert engine.loaders == [] and engine.template_libraries == {}
    assert engine.template_builtins == [sandbox.register]
    assert set(sandbox.register.tags) == set(sandbox.TAGS)
    assert not {"safe", "safeseq", "escape", "pprint", "json_script"} & set(sandbox.register.filters)


@pytest.mark.parametrize("source", ["{{ pupil.delete }}", "{{ pupil.first_name.upper }}"])
def test_methods_and_attributes_beyond_the_catalogue_are_unknown_fields(source):
    error = refused(source)
    assert error.message.startswith("Unknown merge field")


def test_private_attributes_are_refused():
    assert "may not begin with underscores" in refused("{{ school.__class__ }}").message
    assert "may not begin with underscores" in refused("{{ parent._lines }}").message


def test_render_data_exposes_no_methods_even_without_validation():
    """Defence in depth: a compiled template that skipped validation still finds no dict or
    list method (which Django would call) in the data."""
    template = sandbox.compile_template("[{{ pupil.clear }}{{ pupil.items }}{{ rows.pop }}]")
    data = {"pupil": {"first_name": "Sam"}, "rows": [1, 2]}
    with pytest.raises(sandbox.SandboxError):
        sandbox.render(template, data)
    assert data == {"pupil": {"first_name": "Sam"}, "rows": [1, 2]}  # nothing was called


def test_data_is_escaped_on_output():
    compiled = compile_text("{{ pupil.first_name }}", "<p>{{ pupil.first_name }}</p>")
    body = sandbox.render(compiled.body, {"pupil": {"first_name": "<script>alert(1)</script>"}})
    assert body == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    # `|safe` does not exist here, so data can never be marked safe
    assert refused("{{ pupil.first_name|safe }}").message.startswith("The filter |safe is not allowed")


def test_unknown_field_named_with_its_line_and_part():
    error = refused("<p>Dear {{ parent.salutation }},</p>\n<p>Shoes: {{ pupil.shoe_size }}</p>")
    assert error.message == 'Unknown merge field "pupil.shoe_size" on line 2.'
    assert (error.field, error.line, error.part) == ("pupil.shoe_size", 2, "body")
    with pytest.raises(LetterError) as caught:
        compile_text("About {{ pupil.nickname }}", "<p>Hello</p>")
    assert caught.value.part == "subject" and caught.value.field == "pupil.nickname"


def test_fields_in_conditions_loops_and_filter_arguments_are_checked():
    assert refused("{% if pupil.secret %}x{% endif %}").field == "pupil.secret"
    assert refused("{{ pupil.first_name|default:settings.DEBUG }}").field == "settings.DEBUG"
    error = refused("{% for row in marks.rows %}{{ row.password }}{% endfor %}")
    assert error.field == "marks.rows item password"
    assert "can only go through a list field" in refused("{% for c in pupil.first_name %}{% endfor %}").message


def test_html_is_limited_to_structure_and_emphasis():
    assert refused("<p>Hi</p>\n<script>alert(1)</script>").message.startswith("The HTML tag <script> is not allowed")
    assert "<img>" in refused('<img src="https://tracker.example/x.png">').message
    assert 'style="…"' in refused('<p style="display:none">x</p>').message
    assert "onclick" in refused('<p onclick="x()">x</p>').message
    assert "<a>" in refused('<a href="https://example.com">link</a>').message
    compile_text("S", '<p class="small"><strong>Fine</strong> <em>text</em></p><ul><li>one</li></ul>')


def test_syntax_errors_are_reported_with_the_line():
    error = refused("<p>one</p>\n<p>{% if pupil.first_name %}unclosed</p>")
    assert error.line == 2 and "line 2" in error.message


def test_which_fields_are_required():
    usage = sandbox.validate(
        "{{ pupil.first_name }} {% if meeting.place %}in {{ meeting.place }}{% endif %} "
        "{{ case.owner|default:'the office' }} {% firstof meeting.time letter.date %}",
        CATALOGUE,
    )
    assert usage.fields == {"pupil.first_name", "meeting.place", "case.owner", "meeting.time", "letter.date"}
    assert usage.required == {"pupil.first_name"}


def test_a_missing_value_raises_rather_than_printing_nothing():
    template = sandbox.compile_template("Dear {{ parent.salutation }}")
    with pytest.raises(sandbox.SandboxError) as caught:
        sandbox.render(template, {"pupil": {}})
    assert caught.value.field == "parent.salutation"


def test_dates_print_as_words_and_the_date_filter_reformats_them():
    import datetime as dt

    template = sandbox.compile_template('{{ letter.date }} / {{ letter.date|date:"l j M" }}')
    out = sandbox.render(template, {"letter": {"date": sandbox.DateText(dt.date(2026, 11, 23))}})
    assert out == "23 November 2026 / Monday 23 Nov"


def test_the_sandbox_is_separate_from_the_site_engine():
    """The project's own templates still have their tags; only letters are sandboxed."""
    assert Template("{% load static %}{% static 'x.css' %}").render(Context()) == "/static/x.css"


def test_save_template_refuses_an_unsafe_template(school):
    with pytest.raises(LetterError) as caught:
        save_template(school=school, user=None, key="bad", title="Bad", subject="S", body="{% load static %}")
    assert "{% load %}" in caught.value.message
    from letters.models import LetterTemplate

    assert not LetterTemplate.objects.filter(school=school, key="bad").exists()


# --- markup from text in quotes (issue 16): refused when saved, sanitised when rendered --------

LINK = "{{ \"<a href='https://pay.example/'>Pay now</a>\" }}"
FIRSTOF_STYLE = '{% firstof "<style>.letterhead{display:none}</style>" %}'


@pytest.mark.parametrize(
    "source",
    [
        LINK,
        FIRSTOF_STYLE,
        "{{ pupil.first_name|default:\"<b style='color:red'>FINAL DEMAND</b>\" }}",
        '{% if pupil.first_name == "<i>" %}x{% endif %}',
        '{{ pupil.first_name|yesno:"<img src=x>,no" }}',
        "{% firstof pupil.first_name '<object data=\"x\"></object>' %}",
    ],
)
def test_text_in_quotes_with_markup_is_refused_when_saved_naming_the_line(school, source):
    with pytest.raises(LetterError) as caught:
        save_template(
            school=school, user=None, key="bad", title="Bad", subject="S", body=f"<p>Dear parent,</p>\n{source}"
        )
    error = caught.value
    assert (error.line, error.part) == (2, "body")
    assert "text in quotes on line 2 contains HTML" in error.message
    from letters.models import LetterTemplate

    assert not LetterTemplate.objects.filter(school=school, key="bad").exists()


def test_text_in_quotes_with_markup_is_refused_in_the_subject_too():
    with pytest.raises(LetterError) as caught:
        compile_text('{{ "<a href=x>Pay</a>" }}', "<p>Hi</p>")
    assert caught.value.part == "subject" and "contains HTML" in caught.value.message


def test_text_in_quotes_without_markup_is_still_allowed():
    compile_text("S", "{{ case.owner|default:'the office' }} {% firstof meeting.place \"school & home\" %}")


def test_only_the_letter_styles_may_be_used_as_classes():
    """`page-footer` would put the text in the footer of every page; `letterhead` would restyle it."""
    error = refused('<p>Dear parent,</p>\n<p class="page-footer">FINAL DEMAND: pay £2000 today</p>')
    assert error.line == 2 and 'The class "page-footer" on <p> is not a letter style' in error.message
    assert "letterhead" in refused('<div class="small letterhead">x</div>').message
    compile_text("S", '<p class="highlight">x</p><table class="marks"><tr><td colspan="2">y</td></tr></table>')


@pytest.mark.parametrize(
    "source, gone",
    [
        (LINK, ["<a", "href", "pay.example"]),
        (FIRSTOF_STYLE, ["<style", "display:none", ".letterhead"]),
        ("{{ \"<div style='position:absolute;top:0'>FINAL DEMAND</div>\" }}", ["style=", "position"]),
        ("{{ \"<p class='page-footer'>FINAL DEMAND</p>\" }}", ["page-footer"]),
        ("{{ \"<object data='data:application/pdf;base64,JVBERi0='>x</object>\" }}", ["<object", "data:"]),
        ("{{ \"<embed src='data:application/pdf;base64,JVBERi0='>\" }}", ["<embed", "data:"]),
        ("{{ \"<iframe src='https://pay.example/'></iframe>\" }}", ["<iframe", "pay.example"]),
        ("{{ \"<img src='data:image/png;base64,iVBORw0K'>\" }}", ["<img", "data:"]),
        ("{{ \"<link rel='attachment' href='data:text/plain;base64,SGk='>\" }}", ["<link", "attachment"]),
        ("{{ \"<a rel='attachment' href='data:text/plain;base64,SGk='>a</a>\" }}", ["<a", "attachment", "data:"]),
        ('{{ "<!-- hidden --></div></article><article>" }}', ["<!--", "</div>", "article"]),
        ('{{ "<svg><script>alert(1)</script></svg>" }}', ["<svg", "<script", "alert"]),
    ],
)
def test_markup_a_template_prints_from_quotes_is_sanitised_when_rendered(source, gone):
    """Defence in depth: a template that never went through the save-time checks (saved before
    them) still cannot put a link, a style, an object or an attachment into a letter."""
    out = sandbox.render(sandbox.compile_template(f"<p>Dear parent,</p>{source}<p>Yours</p>"), {})
    assert out.startswith("<p>Dear parent,</p>") and out.endswith("<p>Yours</p>")
    for text in gone:
        assert text not in out


def test_the_sanitiser_keeps_the_html_the_letters_build_and_staff_may_write():
    from letters.fields.stored import hydrate

    values = hydrate(
        {
            "school": {"name": "Oakfield"},
            "parent": {"_lines": ["Mrs G Okafor", "14 Mill Lane"]},
            "marks": {"rows": [{"date": "Mon 2 Nov", "morning": "/ present", "afternoon": "O unauthorised"}]},
        },
        logo_src="/private-logo/letters/1/logo/x.png",
    )
    source = (
        '<p class="highlight">Dear <strong>parent</strong>,</p>{{ parent.address_block }}{{ marks.table }}'
        '{{ school.logo }}<table class="marks"><tr><td colspan="2">x</td></tr></table><ul><li>a</li></ul><br>'
    )
    out = sandbox.render(sandbox.compile_template(source), values)
    expected = (
        '<p class="highlight">Dear <strong>parent</strong>,</p>'
        f"{values['parent']['address_block']}{values['marks']['table']}{values['school']['logo']}"
        '<table class="marks"><tbody><tr><td colspan="2">x</td></tr></tbody></table><ul><li>a</li></ul><br>'
    )
    assert out == expected


def test_data_cannot_pose_as_the_html_the_letters_build():
    template = sandbox.compile_template("{{ pupil.first_name }}{{ school.logo }}")
    out = sandbox.render(
        template, {"pupil": {"first_name": "\ue0000\ue001Sam"}, "school": {"logo": mark_safe("<img src=/logo>")}}
    )
    assert out == "0Sam<img src=/logo>"


def test_a_letter_text_has_a_sensible_maximum(school):
    from letters.rendering import MAX_BODY_CHARACTERS

    body = "<p>" + "x" * (1024 * 1024) + "</p>"
    with pytest.raises(LetterError) as caught:
        save_template(school=school, user=None, key="long", title="Long", subject="S", body=body)
    assert caught.value.field == "body"
    assert "1,048,583 characters long; a letter may have at most 20,000" in caught.value.message
    just_fits = "<p>" + "x" * (MAX_BODY_CHARACTERS - 7) + "</p>"
    assert len(just_fits) == MAX_BODY_CHARACTERS
    save_template(school=school, user=None, key="long", title="Long", subject="S", body=just_fits)
    with pytest.raises(LetterError):
        compile_text("S", just_fits + "x")  # the preview and the produce page refuse it too
