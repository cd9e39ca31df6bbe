"""Letters rendered to HTML and PDF, writing nothing: a template's text compiled in the sandbox,
one letter's article from its stored data, the editor's preview and test print, and a letter on
record shown again (its HTML from the template version and data it used; its PDF as stored, or
its very pages cut from the batch's print). The services call these to produce letters."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from . import pdf, sandbox
from .errors import LetterError
from .fields.catalogue import DELIVERY_FIELDS, FIELDS, sandbox_catalogue
from .fields.data import OptionError, Prepared, build_letters
from .fields.formatting import to_plain
from .fields.sample import sample_data
from .fields.stored import hydrate, missing_fields
from .models import Letter, LetterTemplate, LetterTemplateVersion

# --- compiling and rendering one article ------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    subject: object
    body: object
    fields: frozenset[str]  # every field used
    required: frozenset[str]  # printed without an {% if %} or |default around them


# About seven pages of A4: the longest starter letter is under 3,000 characters.
MAX_BODY_CHARACTERS = 20_000


@lru_cache(maxsize=256)
def _compile(subject: str, body: str, on_record: bool) -> Compiled:
    catalogue = sandbox_catalogue()
    subject_usage = sandbox.validate(subject, catalogue, part="subject", literals=not on_record)
    body_usage = sandbox.validate(body, catalogue, part="body", literals=not on_record)
    return Compiled(
        sandbox.compile_template(subject, part="subject"),
        sandbox.compile_template(body, part="body"),
        frozenset(subject_usage.fields | body_usage.fields),
        frozenset(subject_usage.required | body_usage.required),
    )


def compile_text(subject: str, body: str, *, on_record: bool = False) -> Compiled:
    """Compiled subject and body, or LetterError saying what is wrong and where. `on_record`:
    the text of a version letters were produced with, shown again as it was (its output is
    still sanitised), so the checks added since it was saved do not hide the record."""
    if "\n" in subject.strip():
        raise LetterError("The subject is one line.", field="subject", part="subject")
    if len(body) > MAX_BODY_CHARACTERS and not on_record:
        raise LetterError(
            f"The letter text is {len(body):,} characters long; a letter may have at most "
            f"{MAX_BODY_CHARACTERS:,} (about seven pages). Shorten it, or split it into two letters.",
            field="body",
            part="body",
        )
    try:
        return _compile(subject, body, on_record)
    except sandbox.SandboxError as error:
        raise LetterError(error.message, field=error.field, line=error.line, part=error.part)


def template_fields(template: LetterTemplate) -> set[str]:
    """Every merge field the template's current text uses."""
    return set(compile_text(template.subject, template.body).fields)


def _render_text(compiled: Compiled, values: dict, pupil=None) -> tuple[str, str]:
    try:
        subject = sandbox.render(compiled.subject, values)
        body = sandbox.render(compiled.body, values)
    except sandbox.SandboxError as error:
        raise LetterError(error.message, field=error.field, pupil=pupil)
    return sandbox.plain_text(subject), body


def anchor_for(pupil_id, household: str) -> str:
    """The id of a letter's <article> in its document: one per pupil and household."""
    return f"letter-{pupil_id}-{household or 'x'}"


def document_font(data: dict) -> str | None:
    """The letterhead's font the letter was produced with."""
    return data.get("school", {}).get("font")


def _logo_src(data: dict, *, browser: bool) -> str:
    school = data.get("school", {})
    name = school.get("_logo", "")
    if not name:
        return ""
    return pdf.logo_data_uri(name, school.get("_logo_type", "")) if browser else pdf.logo_url(name)


def render_article(compiled: Compiled, kind: str, data: dict, anchor: str, *, browser: bool, pupil=None, fields=()):
    """(subject, article HTML) for stored data; LetterError names a required field with no data."""
    logo_src = _logo_src(data, browser=browser)
    values = hydrate(data, logo_src=logo_src)
    missing = missing_fields(values, set(fields) | set(compiled.required))
    if missing:
        name = missing[0]
        whose = f" for {pupil.name}" if pupil is not None else ""
        raise LetterError(f"No data for “{FIELDS[name].label}” ({name}){whose}.", field=name, pupil=pupil)
    subject, body = _render_text(compiled, values, pupil)
    html = pdf.article_html(kind=kind, anchor=anchor, values=values, subject=subject, body=body, logo_src=logo_src)
    return subject, html


def delivery_fields(kind: str, delivery: str) -> set[str]:
    """The fields a letter cannot go without: an address to print, an e-mail address to send."""
    if kind == LetterTemplate.Kind.CERTIFICATE:
        return DELIVERY_FIELDS["certificate"]
    return DELIVERY_FIELDS.get(delivery, set())


# --- previews and test prints ----------------------------------------------------------


def options_error(error: OptionError, pupil=None) -> LetterError:
    """A produce option that cannot be used, as the LetterError the pages show."""
    return LetterError(error.message, field=error.option, pupil=pupil)


def preview_html(*, school, subject: str, body: str, pupil=None, on=None, kind: str = "letter") -> str:
    """The letter as it would look, as a complete HTML document for the browser: with the
    pupil's real data, or the catalogue's sample data when no pupil is chosen."""
    on = on or timezone.localdate()
    compiled = compile_text(subject, body)
    if pupil is None:
        data = to_plain(sample_data(school, on))
        anchor = "letter-preview"
    else:
        try:
            prepared = build_letters(
                school=school, pupils=[pupil], on=on, fields=set(compiled.fields), all_households=False
            )[0]
        except OptionError as error:
            raise options_error(error, pupil)
        if prepared.error:
            raise LetterError(prepared.error, field=prepared.error_field, pupil=pupil)
        data, anchor = to_plain(prepared.data), anchor_for(pupil.pk, prepared.household)
    _subject, article = render_article(compiled, kind, data, anchor, browser=True, pupil=pupil)
    return pdf.document_html([article], title=_subject, browser=True, font=document_font(data))


@dataclass
class PreparedLetter:
    """One letter ready to lay out: its template version, data, anchor, subject and article."""

    version: LetterTemplateVersion
    prepared: Prepared
    data: dict
    anchor: str
    subject: str
    article: str


def prepare_one(*, template, pupil, on, delivery, contact=None, leave_request=None, options=None) -> PreparedLetter:
    """One pupil's letter from the template's current version, rendered but not laid out."""
    version = template.version_row(template.version)
    compiled = compile_text(version.subject, version.body)
    try:
        prepared = build_letters(
            school=pupil.school,
            pupils=[pupil],
            on=on,
            fields=set(compiled.fields),
            options=options,
            delivery=delivery if version.kind == LetterTemplate.Kind.LETTER else "certificate",
            contacts={pupil.pk: contact} if contact is not None else None,
            leave_requests={pupil.pk: leave_request} if leave_request is not None else None,
            all_households=False,
        )[0]
    except OptionError as error:
        raise options_error(error, pupil)
    if prepared.error:
        raise LetterError(prepared.error, field=prepared.error_field, pupil=pupil)
    data = to_plain(prepared.data)
    anchor = anchor_for(pupil.pk, prepared.household)
    subject, article = render_article(
        compiled,
        version.kind,
        data,
        anchor,
        browser=False,
        pupil=pupil,
        fields=delivery_fields(version.kind, delivery),
    )
    return PreparedLetter(version, prepared, data, anchor, subject, article)


def draft_pdf(*, template, pupil, on, contact=None, leave_request=None, options=None) -> bytes:
    """The letter as it would be printed, as PDF bytes, without producing it (nothing is
    recorded): for checking templates, e.g. `manage.py render_starter_letters`."""
    one = prepare_one(
        template=template,
        pupil=pupil,
        on=on,
        delivery="print",
        contact=contact,
        leave_request=leave_request,
        options=options,
    )
    html = pdf.document_html([one.article], title=one.subject, font=document_font(one.data))
    return pdf.lay_out(html, [one.anchor]).write()


# --- the record, shown again -----------------------------------------------------------


def letter_pdf_bytes(letter: Letter) -> bytes:
    """The letter's PDF. A letter produced on its own, or e-mailed in a batch, has its PDF stored
    as produced, returned unchanged. A letter printed in a batch is stored in the batch's PDF
    (pages `batch_first_page` onwards, `pages` long): those very pages are cut out of the stored
    print, so what is shown is what was printed. Only if that file were missing is the letter laid
    out again from its stored article."""
    if letter.pdf:
        with letter.pdf.open("rb") as f:
            return f.read()
    batch = letter.batch
    if batch is not None and batch.pdf and letter.batch_first_page and letter.pages:
        with batch.pdf.open("rb") as f:
            reader = PdfReader(io.BytesIO(f.read()))
        writer = PdfWriter()
        first = letter.batch_first_page - 1
        for page in reader.pages[first : first + letter.pages]:
            writer.add_page(page)
        writer.add_metadata({"/Title": letter.subject})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    anchor = anchor_for(letter.pupil_id, letter.household)
    return pdf.lay_out(
        pdf.document_html([letter.html], title=letter.subject, font=document_font(letter.data)), [anchor]
    ).write()


def render_letter_again(letter: Letter, *, document: bool = True) -> str:
    """The letter rendered again from the version of the template it used and the data it
    showed. With `document=False`, the article as stored (byte for byte: a test holds it);
    otherwise a complete HTML document for the browser, with the logo inline."""
    version = letter.template.version_row(letter.template_version)
    compiled = compile_text(version.subject, version.body, on_record=True)
    anchor = anchor_for(letter.pupil_id, letter.household)
    _subject, article = render_article(compiled, version.kind, letter.data, anchor, browser=document)
    if not document:
        return article
    return pdf.document_html([article], title=letter.subject, browser=True, font=document_font(letter.data))
