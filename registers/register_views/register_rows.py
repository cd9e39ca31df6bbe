"""The register page's pupil rows and recent-marks strips, rendered in Python.

Thirty rows of some forty values each were most of the register page's CPU when the template
engine rendered them (every value resolved, localised and escaped through the engine's generic
machinery); the same markup built here with `html.escape` costs a tenth of that. The markup is
the page's: the same elements, ids, names, labels and ARIA attributes the template wrote, and
`templates/registers/register_page.html` puts each row where its loop was. Every value that
comes from the database or the form is escaped here (`esc`), as the template's autoescaping did.
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from django.utils.safestring import SafeString, mark_safe


def esc(value) -> str:
    """A value as the template engine wrote it with autoescaping: safe strings as they are,
    anything else as escaped text."""
    if isinstance(value, SafeString):
        return value
    return escape(str(value))


def strip_html(strip: list[dict]) -> SafeString:
    """A pupil's recent marks as one accessible strip."""
    label = ", ".join(f"{s['title']} {s['code']}" for s in strip) or "none"
    marks = "".join(_strip_mark(s["css"], s["title"], s["code"]) for s in strip)
    return mark_safe(f'<span class="strip" role="img" aria-label="Last sessions: {esc(label)}">{marks}</span>')


@lru_cache(maxsize=2048)
def _strip_mark(css: str, title: str, code: str) -> str:
    """One mark of a strip: thirty rows of ten repeat a few dozen of them on a page."""
    return f'<span class="mark {esc(css)}" title="{esc(title)}: {esc(code)}">{esc(code)}</span>'


def row_html(row, *, present: str, office: bool) -> SafeString:
    """One pupil's `<tr>` of the register table (with the whitespace the template's loop wrote)."""
    p = row.pupil
    pk = esc(p.pk)
    name, legal = p.name, p.legal_name
    name_e = esc(name)
    described = f' aria-describedby="errors-{pk}"' if row.errors else ""
    invalid = f' aria-describedby="errors-{pk}" aria-invalid="true"' if row.errors else ""
    legal_title = f' title="Legal name: {esc(legal)}"' if legal != name else ""
    pronoun = f'<span class="muted small">({esc(p.pronoun)})</span>' if p.pronoun else ""
    legal_span = f'<span class="legal muted small">Legal name: {esc(legal)}</span>' if legal != name else ""
    flags = "".join(f'<span class="flag">{esc(flag)}</span>' for flag in row.flags)
    conflict = f'<span class="flag flag-bad">{esc(row.conflict)}</span>' if row.conflict else ""
    has_error = " has-error" if row.errors or row.conflict else ""
    locked = "" if row.editable else " locked"
    out = [
        f'\n      \n      <tr class="pupil-row mark-{esc(row.css)}{has_error}{locked}"'
        f' data-pupil="{pk}" data-name="{name_e}" id="pupil-{pk}">\n'
        '        <th scope="row" class="pupil-name">\n'
        f'          <span class="preferred"{legal_title}>{name_e}</span>\n'
        f"          {pronoun}\n"
        f"          {legal_span}\n"
        f"          {flags}\n"
        f"          {conflict}\n"
        "        </th>\n"
        '        <td class="strip-cell">\n'
        f"          {esc(row.strip_html)}\n"
        "        </td>\n"
        '        <td class="mark-cell">\n'
        f'          <input type="hidden" name="version-{pk}" value="{esc(row.version)}">\n'
        f'          <input type="hidden" name="was-{pk}" value="{esc(row.was)}">\n'
    ]
    if row.editable:
        present_e = esc(present)
        chosen = row.chosen
        out.append(
            "          \n"
            '          <fieldset class="choices">\n'
            f'            <legend class="visually-hidden">Mark for {name_e}</legend>\n'
            f'            <label class="choice choice-present"><input type="radio" name="mark-{pk}" '
            f'value="{present_e}"{" checked" if chosen == present else ""}><span class="code" aria-hidden="true">'
            f'{present_e}</span><span class="choice-label">Present</span></label>\n'
            f'            <label class="choice choice-late"><input type="radio" name="mark-{pk}" value="L"'
            f'{" checked" if chosen == "L" else ""}><span class="code" aria-hidden="true">L</span>'
            '<span class="choice-label">Late</span></label>\n'
            f'            <label class="choice choice-absent"><input type="radio" name="mark-{pk}" value="N"'
            f'{" checked" if chosen == "N" else ""}><span class="code" aria-hidden="true">N</span>'
            '<span class="choice-label">Absent</span></label>\n'
            "          </fieldset>\n"
            '          <span class="extras">\n'
            '            <label class="small-field other-field"><span class="field-name">Other code</span> '
            f'<input type="text" name="other-{pk}" value="{esc(row.other)}" maxlength="2" size="2" autocomplete="off" '
            'autocapitalize="characters" spellcheck="false" class="other-input" placeholder="Other" '
            f'aria-label="Other code for {name_e}"{described}></label>\n'
            '            <label class="small-field arrived-field"><span class="field-name">Arrived at</span> '
            f'<input type="time" name="arrived-{pk}" value="{esc(row.arrived)}" class="arrived-input" '
            f'aria-label="Time {name_e} arrived (if late)"{invalid}></label>\n'
            "            "
        )
        if office and row.version:
            out.append(
                '<label class="small-field reason-row"><span class="field-name">Reason for a change</span> '
                f'<input type="text" name="reason-{pk}" value="{esc(row.reason)}" maxlength="500" class="reason-input" '
                f'aria-label="Reason for changing {name_e}’s mark"{invalid}></label>'
            )
        out.append("\n          </span>\n          \n")
    else:
        minutes = f' <span class="muted">{esc(row.minutes)} min</span>' if row.minutes is not None else ""
        out.append(
            "          \n"
            f'          <span class="mark {esc(row.css)} locked-mark">{esc(row.code or "—")}</span>{minutes}\n'
            '          <span class="visually-hidden">(cannot be changed now)</span>\n'
            "          \n"
        )
    errors = ""
    if row.errors:
        errors = f'<div class="row-errors" id="errors-{pk}">{"".join(f"<p>{esc(e)}</p>" for e in row.errors)}</div>'
    out.append(f"          {errors}\n        </td>\n      </tr>\n      ")
    return mark_safe("".join(out))
