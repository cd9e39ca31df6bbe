"""Services that write letters: keyword-only arguments, one transaction each.

A template is saved only if the sandbox accepts it (fields known, tags and HTML allowed); each
change to its text is a new version, kept word for word. Producing a letter records the version,
the data it showed, the rendered HTML and the PDF (stored privately), who produced it, when, how
it went, and what it answers (a case action, alert, case step or leave request). A letter is never
changed afterwards except to record its delivery."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import re
from dataclasses import dataclass
from functools import lru_cache

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from registers.models import Pupil

from . import pdf, sandbox
from .fields.addressees import join_and
from .fields.catalogue import DELIVERY_FIELDS, FIELDS, sandbox_catalogue
from .fields.data import OptionError, Prepared, build_letters
from .fields.formatting import to_plain
from .fields.sample import sample_data
from .fields.stored import hydrate, missing_fields
from .models import Batch, Delivery, Letter, Letterhead, LetterTemplate, LetterTemplateVersion

log = logging.getLogger(__name__)

# A batch marked running more recently than this is being produced by another worker.
RUN_CLAIM = dt.timedelta(minutes=15)
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
LOGO_TYPES = {"image/png": ".png", "image/jpeg": ".jpg", "image/svg+xml": ".svg"}
MAX_LOGO_BYTES = 2 * 1024 * 1024


class LetterError(Exception):
    """A letter that cannot be produced or a template that cannot be saved, with a message fit to
    show staff; `field` names the merge field (or form field), `line` and `part` ("subject" or
    "body") place a template mistake, `pupil` names whose letter failed."""

    def __init__(self, message: str, field: str | None = None, pupil=None, *, line=None, part=None):
        self.message, self.field, self.pupil, self.line, self.part = message, field, pupil, line, part
        super().__init__(message)


# --- compiling and rendering --------------------------------------------------------------


@dataclass(frozen=True)
class Compiled:
    subject: object
    body: object
    fields: frozenset[str]  # every field used
    required: frozenset[str]  # printed without an {% if %} or |default around them


@lru_cache(maxsize=256)
def _compile(subject: str, body: str) -> Compiled:
    catalogue = sandbox_catalogue()
    subject_usage = sandbox.validate(subject, catalogue, part="subject")
    body_usage = sandbox.validate(body, catalogue, part="body")
    return Compiled(
        sandbox.compile_template(subject, part="subject"),
        sandbox.compile_template(body, part="body"),
        frozenset(subject_usage.fields | body_usage.fields),
        frozenset(subject_usage.required | body_usage.required),
    )


def compile_text(subject: str, body: str) -> Compiled:
    """Compiled subject and body, or LetterError saying what is wrong and where."""
    if "\n" in subject.strip():
        raise LetterError("The subject is one line.", field="subject", part="subject")
    try:
        return _compile(subject, body)
    except sandbox.SandboxError as error:
        raise LetterError(error.message, field=error.field, line=error.line, part=error.part)


def template_fields(template: LetterTemplate) -> set[str]:
    return set(compile_text(template.subject, template.body).fields)


def _render(compiled: Compiled, values: dict, pupil=None) -> tuple[str, str]:
    try:
        subject = sandbox.render(compiled.subject, values)
        body = sandbox.render(compiled.body, values)
    except sandbox.SandboxError as error:
        raise LetterError(error.message, field=error.field, pupil=pupil)
    return " ".join(subject.split()), body


def _anchor(pupil_id, household: str) -> str:
    return f"letter-{pupil_id}-{household or 'x'}"


def _font(data: dict) -> str | None:
    return data.get("school", {}).get("font")


def _logo_src(data: dict, *, browser: bool) -> str:
    school = data.get("school", {})
    name = school.get("_logo", "")
    if not name:
        return ""
    return pdf.logo_data_uri(name, school.get("_logo_type", "")) if browser else pdf.logo_url(name)


def _article(compiled: Compiled, kind: str, data: dict, anchor: str, *, browser: bool, pupil=None, fields=()):
    """(subject, article HTML) for stored data; LetterError names a required field with no data."""
    logo_src = _logo_src(data, browser=browser)
    values = hydrate(data, logo_src=logo_src)
    missing = missing_fields(values, set(fields) | set(compiled.required))
    if missing:
        name = missing[0]
        whose = f" for {pupil.name}" if pupil is not None else ""
        raise LetterError(f"No data for “{FIELDS[name].label}” ({name}){whose}.", field=name, pupil=pupil)
    subject, body = _render(compiled, values, pupil)
    html = pdf.article_html(kind=kind, anchor=anchor, values=values, subject=subject, body=body, logo_src=logo_src)
    return subject, html


def _delivery_fields(kind: str, delivery: str) -> set[str]:
    if kind == LetterTemplate.Kind.CERTIFICATE:
        return DELIVERY_FIELDS["certificate"]
    return DELIVERY_FIELDS.get(delivery, set())


# --- templates ----------------------------------------------------------------------------


def save_template(
    *,
    school,
    user,
    key: str,
    title: str,
    purpose: str = "",
    subject: str,
    body: str,
    kind: str = "letter",
    template: LetterTemplate | None = None,
) -> LetterTemplate:
    """Create or change a template. The text is checked by the sandbox first; the version goes
    up (and the new text is kept as a version) only when the subject, body or kind change."""
    key, title, subject = (key or "").strip(), (title or "").strip(), (subject or "").strip()
    if not KEY_RE.match(key):
        raise LetterError("The key is lower-case letters, digits, - and _ (e.g. persistent_absence).", field="key")
    if not title:
        raise LetterError("Give the template a title.", field="title")
    if kind not in LetterTemplate.Kind.values:
        raise LetterError("A template is a letter or a certificate.", field="kind")
    if not subject:
        raise LetterError("Give the letter a subject (its heading).", field="subject", part="subject")
    if not body.strip():
        raise LetterError("The letter has no text.", field="body", part="body")
    compile_text(subject, body)
    with transaction.atomic():
        clash = LetterTemplate.objects.filter(school=school, key=key)
        if template is not None:
            clash = clash.exclude(pk=template.pk)
        if clash.exists():
            raise LetterError(f"This school already has a template with the key “{key}”.", field="key")
        if template is None:
            template = LetterTemplate(school=school, key=key, version=1)
            changed = True
        else:
            template = LetterTemplate.objects.select_for_update().get(pk=template.pk)
            if template.school_id != school.pk:
                raise PermissionDenied("That template belongs to another school.")
            changed = (template.subject, template.body, template.kind) != (subject, body, kind)
            if changed:
                template.version += 1
        template.key, template.title, template.purpose = key, title, (purpose or "").strip()
        template.subject, template.body, template.kind = subject, body, kind
        template.updated_by = user
        template._history_user = user
        try:
            template.save()
        except IntegrityError:
            raise LetterError(f"This school already has a template with the key “{key}”.", field="key")
        if changed:
            LetterTemplateVersion.objects.create(
                template=template,
                version=template.version,
                title=title,
                kind=kind,
                subject=subject,
                body=body,
                created_by=user,
            )
    return template


def install_starter_templates(*, school) -> int:
    """Add the product's starter templates the school does not have yet (by key); returns how
    many were added. Running it again adds nothing and never touches a school's own edits."""
    from .starters import starters

    existing = set(LetterTemplate.objects.filter(school=school).values_list("key", flat=True))
    added = 0
    for starter in starters():
        if starter.key in existing:
            continue
        save_template(
            school=school,
            user=None,
            key=starter.key,
            title=starter.title,
            purpose=starter.purpose,
            subject=starter.subject,
            body=starter.body,
            kind=starter.kind,
        )
        added += 1
    return added


def save_letterhead(*, school, user, logo=None, remove_logo: bool = False, **values) -> Letterhead:
    """Change the school's letterhead. A new logo is checked by its content (PNG, JPEG or SVG)
    and stored privately under a new name, so letters already produced keep showing theirs."""
    allowed = {
        "font",
        "address",
        "telephone",
        "email",
        "website",
        "footer",
        "signatory_name",
        "signatory_position",
        "accent_colour",
        "school_day_minutes",
    }
    unknown = set(values) - allowed
    if unknown:
        raise LetterError(f"Unknown letterhead field: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    content = content_type = None
    if logo is not None:
        content = logo.read()
        if len(content) > MAX_LOGO_BYTES:
            raise LetterError("The logo must be smaller than 2 MB.", field="logo")
        content_type = sniff_logo(content)
        if content_type is None:
            raise LetterError("The logo must be a PNG, JPEG or SVG image.", field="logo")
    with transaction.atomic():
        letterhead = Letterhead.for_school(school)
        letterhead = Letterhead.objects.select_for_update().get(pk=letterhead.pk)
        for name, value in values.items():
            setattr(letterhead, name, value.strip() if isinstance(value, str) else value)
        if remove_logo:
            letterhead.logo, letterhead.logo_content_type = "", ""
        if content is not None:
            letterhead.logo_content_type = content_type
            letterhead.logo.save("logo" + LOGO_TYPES[content_type], ContentFile(content), save=False)
        try:
            letterhead.full_clean(exclude=["school"])
        except Exception as error:
            messages = getattr(error, "message_dict", {})
            name = next(iter(messages), None)
            text = "; ".join(m for ms in messages.values() for m in ms) if messages else str(error)
            raise LetterError(text, field=name)
        letterhead._history_user = user
        letterhead.save()
    return letterhead


def sniff_logo(content: bytes) -> str | None:
    """PNG, JPEG or SVG by content; an SVG with scripts or external references is refused."""
    import filetype

    kind = filetype.guess(content)
    if kind is not None and kind.mime in ("image/png", "image/jpeg"):
        return kind.mime
    head = content[:2048].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        text = content.lower()
        if b"<script" in text or b"javascript:" in text or b'xlink:href="http' in text or b'href="http' in text:
            return None
        if b"<!entity" in text:
            return None
        return "image/svg+xml"
    return None


# --- one letter ---------------------------------------------------------------------------


def _options_error(error: OptionError, pupil=None) -> LetterError:
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
            raise _options_error(error, pupil)
        if prepared.error:
            raise LetterError(prepared.error, field=prepared.error_field, pupil=pupil)
        data, anchor = to_plain(prepared.data), _anchor(pupil.pk, prepared.household)
    _subject, article = _article(compiled, kind, data, anchor, browser=True, pupil=pupil)
    return pdf.document_html([article], title=_subject, browser=True, font=_font(data))


def _link_checks(pupil, action, alert, case_step, leave_request):
    if action is not None and action.case.pupil_id != pupil.pk:
        raise LetterError("That action is on another pupil's case.", field="action", pupil=pupil)
    if alert is not None and alert.pupil_id != pupil.pk:
        raise LetterError("That alert is about another pupil.", field="alert", pupil=pupil)
    if case_step is not None and case_step.case.pupil_id != pupil.pk:
        raise LetterError("That case step is on another pupil's case.", field="case_step", pupil=pupil)
    if leave_request is not None and leave_request.pupil_id != pupil.pk:
        raise LetterError("That leave request is for another pupil.", field="leave_request", pupil=pupil)


def _alert_step(alert):
    from interventions.models import CaseStep

    if alert is None:
        return None
    return CaseStep.objects.filter(alert=alert, kind=CaseStep.Kind.ALERT).first()


def _producer(user) -> tuple[str, str]:
    if user is None:
        return "Attendance system", "Automatic"
    from registers.services import Actor

    actor = Actor.for_user(user)
    return actor.name, actor.position


@dataclass
class _One:
    version: LetterTemplateVersion
    prepared: Prepared
    data: dict
    anchor: str
    subject: str
    article: str


def _prepare_one(*, template, pupil, on, delivery, contact=None, leave_request=None, options=None) -> _One:
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
        raise _options_error(error, pupil)
    if prepared.error:
        raise LetterError(prepared.error, field=prepared.error_field, pupil=pupil)
    data = to_plain(prepared.data)
    anchor = _anchor(pupil.pk, prepared.household)
    subject, article = _article(
        compiled,
        version.kind,
        data,
        anchor,
        browser=False,
        pupil=pupil,
        fields=_delivery_fields(version.kind, delivery),
    )
    return _One(version, prepared, data, anchor, subject, article)


def draft_pdf(*, template, pupil, on, contact=None, leave_request=None, options=None) -> bytes:
    """The letter as it would be printed, as PDF bytes, without producing it (nothing is
    recorded): for checking templates, e.g. `manage.py render_starter_letters`."""
    one = _prepare_one(
        template=template,
        pupil=pupil,
        on=on,
        delivery="print",
        contact=contact,
        leave_request=leave_request,
        options=options,
    )
    html = pdf.document_html([one.article], title=one.subject, font=_font(one.data))
    return pdf.lay_out(html, [one.anchor]).write()


def produce_letter(
    *,
    template: LetterTemplate,
    pupil: Pupil,
    user,
    on: dt.date,
    delivery: str = "print",
    contact=None,
    action=None,
    alert=None,
    case_step=None,
    leave_request=None,
    options: dict | None = None,
) -> Letter:
    """Produce one letter about `pupil` and keep it on record (HTML, data, PDF). The addressee is
    `contact`, or every contact the pupil lives with at the main address. Linked to a case
    action (which it completes), alert, case step or leave request when given."""
    if delivery not in Delivery.values:
        raise LetterError("Deliver a letter by print or e-mail.", field="delivery")
    if template.school_id != pupil.school_id:
        raise LetterError("That template belongs to another school.", field="template", pupil=pupil)
    if contact is not None and contact.pupil_id != pupil.pk:
        raise LetterError("That contact is not one of the pupil's.", field="contact", pupil=pupil)
    if action is not None and alert is None:
        alert = action.alert
    _link_checks(pupil, action, alert, case_step, leave_request)
    case_step = case_step or _alert_step(alert)
    one = _prepare_one(
        template=template,
        pupil=pupil,
        on=on,
        delivery=delivery,
        contact=contact,
        leave_request=leave_request,
        options=options,
    )
    content = pdf.lay_out(pdf.document_html([one.article], title=one.subject, font=_font(one.data)), [one.anchor])
    pdf_bytes = content.write()
    name, position = _producer(user)
    uses_leave = "leave" in one.data
    with transaction.atomic():
        letter = Letter(
            school=pupil.school,
            pupil=pupil,
            template=template,
            template_version=one.version.version,
            subject=one.subject,
            data=one.data,
            html=one.article,
            pdf_sha256=hashlib.sha256(pdf_bytes).hexdigest(),
            pages=len(content.document.pages),
            addressee=one.prepared.addressee,
            addressee_name=one.prepared.data.get("parent", {}).get("names", ""),
            household=one.prepared.household,
            produced_by=user,
            produced_by_name=name,
            produced_by_position=position,
            produced_at=timezone.now(),
            letter_date=on,
            delivery=delivery,
            action=action,
            alert=alert,
            case_step=case_step,
            leave_request=leave_request or (one.prepared.leave_request if uses_leave else None),
        )
        letter.pdf.save("letter.pdf", ContentFile(pdf_bytes), save=False)
        letter._history_user = user
        letter.save()
        if action is not None and action.letter_template and action.done_on is None:
            _complete_action(action, on, letter)
    return letter


def _complete_action(action, on, letter) -> None:
    """The case action that asked for this letter is done (the interventions service keeps
    the figures on it)."""
    from interventions.services import complete_action

    how = "e-mailed" if letter.delivery == Delivery.EMAIL else "printed"
    complete_action(action=action, done_on=on, outcome=f"Letter produced ({how}): {letter.subject}")


def produce_leave_decision_letter(*, leave_request, user=None) -> Letter | None:
    """The decision letter for a decided leave request (granted or refused), once: a second call
    returns the letter already produced. None if the school has no template for it."""
    from absences.models import LeaveRequest

    with transaction.atomic():
        request = LeaveRequest.objects.select_for_update().select_related("pupil__school").get(pk=leave_request.pk)
        existing = Letter.objects.filter(leave_request=request).order_by("pk").first()
        if existing is not None:
            return existing
        key = {"granted": "leave_granted", "refused": "leave_refused"}.get(request.status)
        if key is None:
            return None
        template = LetterTemplate.objects.filter(school=request.school, key=key, active=True).first()
        if template is None:
            return None
        return produce_letter(
            template=template,
            pupil=request.pupil,
            user=user or request.decided_by,
            on=timezone.localdate(),
            contact=request.contact if request.contact_id and request.contact.pupil_id == request.pupil_id else None,
            leave_request=request,
        )


# --- batches ------------------------------------------------------------------------------


def _check_options(options: dict) -> dict:
    options = dict(options or {})
    for name in ("since", "period_from", "period_to", "meeting_date"):
        value = options.get(name)
        if isinstance(value, dt.date):
            options[name] = value.isoformat()
        elif value not in (None, ""):
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise LetterError(f"“{value}” is not a date.", field=name)
    if isinstance(options.get("meeting_time"), dt.time):
        options["meeting_time"] = options["meeting_time"].strftime("%H:%M")
    return options


def start_batch(*, template: LetterTemplate, pupils, user, on: dt.date, delivery: str = "print", options=None) -> Batch:
    """Queue a batch of letters (one per pupil and household) for `letters.tasks.render_batch`.

    `options` may carry `links`: {pupil id: {"action": id, "alert": id}} to tie each letter to
    the case action or alert it answers."""
    if delivery not in Delivery.values:
        raise LetterError("Deliver letters by print or e-mail.", field="delivery")
    ids = list(dict.fromkeys(getattr(p, "pk", p) for p in pupils))
    if not ids:
        raise LetterError("Choose at least one pupil.", field="pupils")
    valid = set(Pupil.objects.filter(school=template.school, pk__in=ids).values_list("pk", flat=True))
    if len(valid) != len(ids):
        raise LetterError("Some of those pupils are not at this school.", field="pupils")
    compile_text(template.subject, template.body)
    options = _check_options(options)
    with transaction.atomic():
        batch = Batch.objects.create(
            school=template.school,
            template=template,
            template_version=template.version,
            letter_date=on,
            pupil_ids=ids,
            created_by=user,
            total=len(ids),
            delivery=delivery,
            options=options,
        )
        from .tasks import render_batch

        render_batch.delay_on_commit(batch.pk)
    return batch


def _error(pupil, field, message) -> dict:
    return {"pupil_id": pupil.pk, "pupil": pupil.name, "field": field or "", "message": message}


def _progress(batch: Batch, **values) -> None:
    """Progress is written outside the batch's own work so the page sees it at once."""
    Batch.objects.filter(pk=batch.pk).update(**values)
    for name, value in values.items():
        setattr(batch, name, value)


def run_batch(*, batch: Batch) -> Batch:
    """Produce a batch's letters: data for all pupils at once, one HTML document, laid out once
    by WeasyPrint; the print PDF (or one PDF per household for e-mail); a record per letter.
    A letter that fails (no address, a field with no data) is listed with the pupil and field
    and the others go on. Running it again for a finished batch does nothing."""
    with transaction.atomic():
        batch = (
            Batch.objects.select_for_update(of=("self",))
            .select_related("template", "school", "created_by")
            .get(pk=batch.pk)
        )
        if batch.status == Batch.Status.DONE:
            return batch
        if batch.status == Batch.Status.RUNNING and batch.started_at > timezone.now() - RUN_CLAIM:
            return batch  # another worker has it (a task may be delivered twice)
        batch.status, batch.phase, batch.started_at = Batch.Status.RUNNING, Batch.Phase.PREPARING, timezone.now()
        batch.errors, batch.done, batch.failed = [], 0, 0
        batch.save()
    try:
        return _run_batch(batch)
    except Exception as error:  # the batch says what went wrong; the task may be retried
        log.exception("letter batch %s failed", batch.pk)
        message = error.message if isinstance(error, LetterError) else f"The batch stopped: {error}"
        _progress(
            batch,
            status=Batch.Status.FAILED,
            finished_at=timezone.now(),
            errors=[
                *batch.errors,
                {"pupil_id": None, "pupil": "", "field": getattr(error, "field", "") or "", "message": message},
            ],
        )
        return batch


def _run_batch(batch: Batch) -> Batch:
    template = batch.template
    version = template.version_row(batch.template_version)
    compiled = compile_text(version.subject, version.body)
    links = {int(k): v for k, v in (batch.options.get("links") or {}).items()}
    kind_delivery = batch.delivery if version.kind == LetterTemplate.Kind.LETTER else "certificate"
    try:
        prepared = build_letters(
            school=batch.school,
            pupils=batch.pupil_ids,
            on=batch.letter_date,
            fields=set(compiled.fields),
            options=batch.options,
            delivery=kind_delivery,
            all_households=batch.options.get("households", "all") != "main",
        )
    except OptionError as error:
        raise LetterError(error.message, field=error.option)
    _progress(batch, total=len(prepared))

    # 1. each letter's HTML (failures listed, the rest go on)
    errors, ready = [], []
    step = max(1, len(prepared) // 20)
    for n, item in enumerate(prepared, start=1):
        if item.error:
            errors.append(_error(item.pupil, item.error_field, item.error))
        else:
            data = to_plain(item.data)
            anchor = _anchor(item.pupil.pk, item.household)
            try:
                subject, article = _article(
                    compiled,
                    version.kind,
                    data,
                    anchor,
                    browser=False,
                    pupil=item.pupil,
                    fields=_delivery_fields(version.kind, batch.delivery),
                )
            except LetterError as error:
                errors.append(_error(item.pupil, error.field, error.message))
            else:
                ready.append((item, data, anchor, subject, article))
        if n % step == 0 or n == len(prepared):
            _progress(batch, done=len(ready), failed=len(errors), errors=errors)

    if not ready:
        _progress(batch, status=Batch.Status.FAILED, finished_at=timezone.now(), errors=errors)
        return batch

    # 2. one document, laid out once
    _progress(batch, phase=Batch.Phase.LAYING_OUT)
    anchors = [r[2] for r in ready]
    html = pdf.document_html([r[4] for r in ready], title=version.title, font=_font(ready[0][1]))
    laid = pdf.lay_out(html, anchors)

    # 3. the PDFs: the print PDF of the whole batch, or one per household for e-mail
    _progress(batch, phase=Batch.Phase.SAVING)
    name, position = _producer(batch.created_by)
    now = timezone.now()
    letters, files = [], {}
    if batch.delivery == Delivery.PRINT:
        batch_pdf = laid.write()
        batch.pdf.save("batch.pdf", ContentFile(batch_pdf), save=False)
    else:
        households: dict[str, list] = {}
        for r in ready:
            households.setdefault(r[0].household, []).append(r[2])
        for household, household_anchors in households.items():
            content = laid.write(household_anchors)
            stored = Letter.pdf.field.storage.save(
                Letter.pdf.field.generate_filename(Letter(school=batch.school), "letter.pdf"), ContentFile(content)
            )
            files[household] = (stored, hashlib.sha256(content).hexdigest())
    existing = set(Letter.objects.filter(batch=batch).values_list("pupil_id", "household"))
    for item, data, anchor, subject, article in ready:
        if (item.pupil.pk, item.household) in existing:
            continue
        link = links.get(item.pupil.pk, {})
        letter = Letter(
            school=batch.school,
            pupil=item.pupil,
            template=template,
            template_version=version.version,
            subject=subject,
            data=data,
            html=article,
            pages=len(laid.pages[anchor]),
            addressee=item.addressee,
            addressee_name=item.data.get("parent", {}).get("names", ""),
            household=item.household,
            produced_by=batch.created_by,
            produced_by_name=name,
            produced_by_position=position,
            produced_at=now,
            letter_date=batch.letter_date,
            delivery=batch.delivery,
            batch=batch,
            batch_first_page=laid.pages[anchor][0] + 1,
            action_id=link.get("action"),
            alert_id=link.get("alert"),
        )
        if item.household in files:
            letter.pdf.name, letter.pdf_sha256 = files[item.household]
        letters.append(letter)

    emailing = batch.delivery == Delivery.EMAIL
    with transaction.atomic():
        created = bulk_create_with_history(letters, Letter, batch_size=500, default_user=batch.created_by)
        batch.done, batch.failed, batch.errors = len(ready), len(errors), list(errors)
        if emailing:
            batch.phase = Batch.Phase.SENDING
        else:
            batch.status, batch.finished_at, batch.phase = Batch.Status.DONE, timezone.now(), Batch.Phase.WAITING
        batch.save()
        _complete_linked_actions(batch, created)

    if emailing:
        errors += _send_batch(batch)
        _progress(
            batch,
            status=Batch.Status.DONE,
            finished_at=timezone.now(),
            phase=Batch.Phase.WAITING,
            errors=errors,
            failed=len({(e["pupil_id"], e["field"]) for e in errors}),
        )
    return batch


def _complete_linked_actions(batch, letters) -> None:
    from interventions.models import Action

    ids = [letter.action_id for letter in letters if letter.action_id]
    for action in Action.objects.filter(pk__in=ids, done_on__isnull=True).exclude(letter_template=""):
        letter = next(letter for letter in letters if letter.action_id == action.pk)
        _complete_action(action, batch.letter_date, letter)


def _send_batch(batch) -> list[dict]:
    """E-mail each household's PDF once (siblings' letters travel together); the failures."""
    sent, errors = set(), []
    for letter in Letter.objects.filter(batch=batch).select_related("pupil", "template", "school").order_by("pk"):
        if letter.pdf.name in sent or letter.sent_at:
            continue
        try:
            email_letter(letter=letter, user=batch.created_by)
        except LetterError as error:
            errors.append(_error(letter.pupil, error.field or "parent.email", error.message))
        sent.add(letter.pdf.name)
    return errors


# --- delivery and the record --------------------------------------------------------------


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
        from pypdf import PdfReader, PdfWriter

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
    anchor = _anchor(letter.pupil_id, letter.household)
    return pdf.lay_out(
        pdf.document_html([letter.html], title=letter.subject, font=_font(letter.data)), [anchor]
    ).write()


def email_letter(*, letter: Letter, user) -> Letter:
    """E-mail the letter's PDF to the addressees' e-mail addresses and record it. Letters to the
    same household that share the PDF (siblings) are recorded as sent with it."""
    recipients = [a.strip() for a in (letter.data.get("parent", {}).get("email") or "").split(",") if a.strip()]
    if not recipients and letter.addressee and letter.addressee.email:
        recipients = [letter.addressee.email]
    if not recipients:
        raise LetterError(
            f"There is no e-mail address for {letter.addressee_name or 'the parent or carer'}.",
            field="parent.email",
            pupil=letter.pupil,
        )
    content = letter_pdf_bytes(letter)
    school = letter.school
    together = list(Letter.objects.filter(pdf=letter.pdf.name).exclude(pdf="").select_related("pupil")) or [letter]
    names = join_and(sorted({other.pupil.forename for other in together}))
    message = EmailMessage(
        subject=letter.subject,
        body=(
            f"Dear {letter.data.get('parent', {}).get('salutation') or 'Parent or Carer'},\n\n"
            f"Please find attached a letter from {school.name} about {names}.\n\n"
            f"If you have any questions, please contact the school office"
            f"{' on ' + school.telephone if school.telephone else ''}.\n\n{school.name}\n"
        ),
        to=recipients,
        reply_to=[school.email] if school.email else None,
    )
    message.attach(f"{_filename(letter)}.pdf", content, "application/pdf")
    try:
        message.send(fail_silently=False)
    except Exception as error:
        raise LetterError(
            f"The e-mail could not be sent ({error}); try again later.", field="email", pupil=letter.pupil
        )
    now = timezone.now()
    with transaction.atomic():
        for other in together:
            other.delivery, other.emailed_to, other.sent_at = Delivery.EMAIL, ", ".join(recipients), now
            other._history_user = user
            other.save(update_fields=["delivery", "emailed_to", "sent_at"])
    letter.refresh_from_db()
    return letter


def _filename(letter: Letter) -> str:
    words = re.sub(r"[^A-Za-z0-9]+", "-", f"{letter.template.title} {letter.pupil.forename}").strip("-")
    return f"{words}-{letter.letter_date:%Y-%m-%d}"


def render_letter_again(letter: Letter, *, document: bool = True) -> str:
    """The letter rendered again from the version of the template it used and the data it
    showed. With `document=False`, the article as stored (byte for byte: a test holds it);
    otherwise a complete HTML document for the browser, with the logo inline."""
    version = letter.template.version_row(letter.template_version)
    compiled = compile_text(version.subject, version.body)
    anchor = _anchor(letter.pupil_id, letter.household)
    _subject, article = _article(compiled, version.kind, letter.data, anchor, browser=document)
    if not document:
        return article
    return pdf.document_html([article], title=letter.subject, browser=True, font=_font(letter.data))
