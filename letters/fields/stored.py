"""A letter's stored data turned back into what its template renders (dates as words; the address
block, the marks table and the logo as escaped HTML built here, never by staff code) and into the
labelled rows its record page lists, so a letter renders again exactly as it did."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join

from .catalogue import CATALOGUE, FIELDS
from .formatting import from_plain


def hydrate(data: dict, *, logo_src: str | None) -> dict:
    """Stored letter data → the values templates see: dates as words, and the HTML fields
    (address block, marks table, logo) built here with everything escaped."""
    values = from_plain(data)
    school = values.setdefault("school", {})
    school["logo"] = (
        format_html('<img class="school-logo" src="{}" alt="{}">', logo_src, school.get("name", "")) if logo_src else ""
    )
    parent = values.get("parent")
    if parent is not None:
        lines = parent.get("_lines") or []
        # one line per line of the address (white-space: pre-line): no <br> elements to lay out
        parent["address_block"] = format_html('<p class="address-block">{}</p>', "\n".join(lines)) if lines else ""
    marks = values.get("marks")
    if marks is not None:
        marks["table"] = marks_table(marks.get("rows") or [])
    return values


def marks_table(rows: list[dict]) -> str:
    if not rows:
        return ""
    body = format_html_join(
        "",
        '<tr><th scope="row">{}</th><td>{}</td><td>{}</td></tr>',
        ((row["date"], row["morning"], row["afternoon"]) for row in rows),
    )
    return format_html(
        '<table class="marks"><thead><tr><th scope="col">Day</th><th scope="col">Morning</th>'
        '<th scope="col">Afternoon</th></tr></thead><tbody>{}</tbody></table>',
        body,
    )


def value_at(values: dict, name: str):
    node = values
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def missing_fields(values: dict, fields: set[str]) -> list[str]:
    """Required fields among `fields` with no value in `values` (hydrated)."""
    missing = []
    for name in sorted(fields):
        f = FIELDS.get(name)
        if f is None or not f.required:
            continue
        value = value_at(values, name)
        if value is None or value == "" or (f.kind == "list" and value is None):
            missing.append(name)
    return missing


def describe(data: dict) -> list[dict]:
    """The stored data of a letter as (label, value) rows for its record page."""
    values = from_plain(data)
    rows = []
    for f in CATALOGUE:
        if f.kind in ("html", "list"):
            continue
        value = value_at(values, f.name)
        if value in (None, ""):
            continue
        rows.append({"name": f.name, "label": f.label, "group": f.group, "value": str(value)})
    return rows
