"""Batches: letters for many pupils produced on the workers, in parts that run in parallel.

`render_batch` claims the batch and splits its pupils (in the order the letters are printed) into
parts of `PART_SIZE`; one `render_batch_part` task per part prepares its letters and lays them out
once as one PDF (`batch_parts`), so N workers share a batch. When the last part is done,
`join_batch` joins the parts' PDFs in order with pypdf (the same pages, in the same order, as one
document laid out by one worker), keeps a record per letter, stores the print PDF (or one PDF per
household for e-mail, sent once per household). Progress is written as each part finishes. A
letter that fails is listed with the pupil and field; the others go on. A part whose task fails
is retried on its own; every step is idempotent."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Func, IntegerField
from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from simple_history.utils import bulk_create_with_history

from interventions.models import Action
from registers.models import Pupil
from registers.selectors import pupils_on_roll

from ..errors import LetterError
from ..models import Batch, BatchPart, Delivery, Letter, LetterTemplate
from ..rendering import compile_text
from ..tasks import join_batch_parts, render_batch, render_batch_part
from .batch_parts import letter_error
from .delivery import email_letter
from .one_letter import complete_letter_action, producer

log = logging.getLogger(__name__)

# A batch marked running more recently than this is being produced by other workers.
RUN_CLAIM = dt.timedelta(minutes=15)
# Letters per part: small enough that two workers share a 500-letter batch evenly (ten parts),
# large enough that each part's one layout and one query per figure stay cheap.
PART_SIZE = 50


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
    # issue 17: only pupils on roll on the letter date (a family that has left gets no letter)
    on_roll = set(
        pupils_on_roll(school=template.school, date_from=on, date_to=on, include_subsidiary=True)
        .filter(pk__in=ids)
        .values_list("pk", flat=True)
    )
    ids = [pk for pk in ids if pk in on_roll]
    if not ids:
        raise LetterError(f"None of those pupils is on roll on {on:%d %B %Y}.", field="pupils")
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
        render_batch.delay_on_commit(batch.pk)
    return batch


class JSONArrayLength(Func):
    """The length of a JSON array column (PostgreSQL; SQLite for `make run`)."""

    function = "jsonb_array_length"
    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="json_array_length", **extra_context)


def _progress(batch: Batch, **values) -> None:
    """Progress is written outside the batch's own work so the page sees it at once."""
    Batch.objects.filter(pk=batch.pk).update(**values)
    for name, value in values.items():
        setattr(batch, name, value)


def _fail(batch: Batch, error: Exception | str) -> Batch:
    message = error.message if isinstance(error, LetterError) else str(error)
    field = getattr(error, "field", "") or ""
    _progress(
        batch,
        status=Batch.Status.FAILED,
        finished_at=timezone.now(),
        errors=[*batch.errors, {"pupil_id": None, "pupil": "", "field": field, "message": message}],
    )
    return batch


def run_batch(*, batch: Batch, queue: str | None = None, redelivered: bool = False) -> Batch:
    """Start producing a batch: claim it, split its pupils into parts (in the order the letters
    are printed: by surname, forename) and queue one task per part on `queue` (the queue this
    task came from). Asking again for a batch that is finished, or that other workers are
    producing, does nothing; a claim older than RUN_CLAIM (the workers died) is taken over and
    its parts planned again (letters already on record are not made twice). `redelivered`: the
    broker gave this task back because the worker running it was lost, so the running claim is that
    dead worker's and is taken over at once."""
    with transaction.atomic():
        batch = (
            Batch.objects.select_for_update(of=("self",))
            .select_related("template", "school", "created_by")
            .get(pk=batch.pk)
        )
        if batch.status == Batch.Status.DONE:
            return batch
        if batch.status == Batch.Status.RUNNING and batch.started_at > timezone.now() - RUN_CLAIM and not redelivered:
            return batch  # other workers have it (a task may be delivered twice)
        try:
            version = batch.template.version_row(batch.template_version)
            compile_text(version.subject, version.body)
        except LetterError as error:
            batch.status, batch.finished_at = Batch.Status.FAILED, timezone.now()
            batch.errors = [{"pupil_id": None, "pupil": "", "field": error.field or "", "message": error.message}]
            batch.save()
            return batch
        ordered = list(
            Pupil.objects.filter(pk__in=batch.pupil_ids, school=batch.school)
            .order_by("legal_surname", "legal_forename", "pk")
            .values_list("pk", flat=True)
        )
        BatchPart.objects.filter(batch=batch).delete()
        parts = BatchPart.objects.bulk_create(
            BatchPart(batch=batch, index=n, pupil_ids=ordered[start : start + PART_SIZE])
            for n, start in enumerate(range(0, len(ordered), PART_SIZE))
        )
        batch.status, batch.phase, batch.started_at = Batch.Status.RUNNING, Batch.Phase.PREPARING, timezone.now()
        batch.errors, batch.done, batch.failed, batch.finished_at = [], 0, 0, None
        batch.save()
        if not parts:
            return _fail(batch, LetterError("None of the batch's pupils is at the school any more.", field="pupils"))
        options = {"queue": queue} if queue else {}
        for part in parts:
            render_batch_part.apply_async_on_commit((part.pk,), **options)  # through the outbox
    return batch


def part_finished(*, part: BatchPart, queue: str | None = None) -> None:
    """A part is done (or has failed for good): the batch's progress from all its parts, and when
    none is waiting any more, the join queued (once)."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update(of=("self",)).get(pk=part.batch_id)
        if batch.finished or batch.phase != Batch.Phase.PREPARING:
            return
        # each part's letters counted in the database: their articles stay there until the join
        parts = list(
            BatchPart.objects.filter(batch=batch)
            .order_by("index")
            .annotate(letter_count=JSONArrayLength(F("letters")))
            .only("status", "errors")
        )
        errors = _errors(parts)
        batch.done = sum(p.letter_count for p in parts)
        batch.failed = len(errors)
        batch.errors = errors
        joining = all(p.status != BatchPart.Status.QUEUED for p in parts)
        if joining:
            batch.phase = Batch.Phase.SAVING
        batch.save(update_fields=["done", "failed", "errors", "phase"])
        if joining:
            options = {"queue": queue} if queue else {}
            join_batch_parts.apply_async_on_commit((batch.pk,), **options)  # through the outbox


def join_batch(*, batch: Batch) -> Batch:
    """The parts joined in order: one print PDF (or one PDF per household for e-mail), a record
    per letter with its pages in the print, the actions the letters answer completed, and the
    e-mails sent. Running it again adds nothing."""
    batch = Batch.objects.select_related("template", "school", "created_by").get(pk=batch.pk)
    if batch.finished or batch.phase not in (Batch.Phase.SAVING, Batch.Phase.SENDING):
        return batch
    try:
        if batch.phase == Batch.Phase.SENDING:
            # the letters are on record: a worker killed while e-mailing them (the task given back
            # to another) sends only the e-mails not sent yet
            return _send_and_finish(batch, list(batch.errors))
        return _join(batch)
    except Exception as error:  # the batch says what went wrong; the task may be retried
        log.exception("letter batch %s could not be joined", batch.pk)
        return _fail(batch, error if isinstance(error, LetterError) else f"The batch stopped: {error}")


def _join(batch: Batch) -> Batch:
    parts = list(BatchPart.objects.filter(batch=batch).order_by("index"))
    errors = _errors(parts)
    if any(p.status == BatchPart.Status.FAILED for p in parts):
        # a problem with the batch itself (its options, its template) or a part that kept failing
        _progress(batch, status=Batch.Status.FAILED, finished_at=timezone.now(), errors=errors)
        return batch
    entries = [(part, entry) for part in parts for entry in part.letters]
    if not entries:
        _progress(batch, status=Batch.Status.FAILED, finished_at=timezone.now(), errors=errors)
        return batch

    # 1. the parts' PDFs joined in order; each letter's pages in the whole
    writer, offset, first_pages = PdfWriter(), 0, {}
    for part in parts:
        if not part.letters:
            continue
        with part.pdf.open("rb") as f:
            writer.append(PdfReader(io.BytesIO(f.read())))
        for entry in part.letters:
            first_pages[(entry["pupil_id"], entry["household"])] = offset + entry["first_page"]
        offset += part.pages
    writer.add_metadata({"/Title": batch.template.version_row(batch.template_version).title})
    whole = io.BytesIO()
    writer.write(whole)
    whole = whole.getvalue()

    # 2. the print PDF, or one PDF per household for e-mail
    files = {}
    if batch.delivery == Delivery.PRINT:
        batch.pdf.save("batch.pdf", ContentFile(whole), save=False)
    else:
        reader = PdfReader(io.BytesIO(whole))
        households: dict[str, list[int]] = {}
        for _part, entry in entries:
            first = first_pages[(entry["pupil_id"], entry["household"])]
            households.setdefault(entry["household"], []).extend(range(first, first + entry["pages"]))
        for household, pages in households.items():
            content = _pages_pdf(reader, pages)
            stored = Letter.pdf.field.storage.save(
                Letter.pdf.field.generate_filename(Letter(school=batch.school), "letter.pdf"), ContentFile(content)
            )
            files[household] = (stored, hashlib.sha256(content).hexdigest())

    # 3. a record per letter
    links = {int(k): v for k, v in (batch.options.get("links") or {}).items()}
    name, position = producer(batch.created_by)
    now = timezone.now()
    existing = set(Letter.objects.filter(batch=batch).values_list("pupil_id", "household"))
    letters = []
    for _part, entry in entries:
        key = (entry["pupil_id"], entry["household"])
        if key in existing:
            continue
        link = links.get(entry["pupil_id"], {})
        letter = Letter(
            school=batch.school,
            pupil_id=entry["pupil_id"],
            template=batch.template,
            template_version=batch.template_version,
            subject=entry["subject"],
            data=entry["data"],
            html=entry["html"],
            pages=entry["pages"],
            addressee_id=entry["addressee_id"],
            addressee_name=entry["addressee_name"],
            household=entry["household"],
            produced_by=batch.created_by,
            produced_by_name=name,
            produced_by_position=position,
            produced_at=now,
            letter_date=batch.letter_date,
            delivery=batch.delivery,
            batch=batch,
            batch_first_page=first_pages[key] + 1,
            action_id=link.get("action"),
            alert_id=link.get("alert"),
        )
        if entry["household"] in files:
            letter.pdf.name, letter.pdf_sha256 = files[entry["household"]]
        letters.append(letter)

    emailing = batch.delivery == Delivery.EMAIL
    with transaction.atomic():
        created = bulk_create_with_history(letters, Letter, batch_size=500, default_user=batch.created_by)
        batch.done, batch.failed, batch.errors = len(entries), len(errors), list(errors)
        if emailing:
            batch.phase = Batch.Phase.SENDING
        else:
            batch.status, batch.finished_at, batch.phase = Batch.Status.DONE, timezone.now(), Batch.Phase.WAITING
        batch.save()
        _complete_linked_actions(batch, created)
    _clear_parts(parts)

    if emailing:
        return _send_and_finish(batch, errors)
    return batch


def _send_and_finish(batch: Batch, errors: list[dict]) -> Batch:
    errors = errors + _send_batch(batch)
    _progress(
        batch,
        status=Batch.Status.DONE,
        finished_at=timezone.now(),
        phase=Batch.Phase.WAITING,
        errors=errors,
        failed=len({(e["pupil_id"], e["field"]) for e in errors}),
    )
    return batch


def _clear_parts(parts: list[BatchPart]) -> None:
    """Once the letters are on record, the parts' PDFs and articles are copies: removed (the
    rows stay, with their pupils, attempts and errors)."""
    for part in parts:
        if part.pdf:
            part.pdf.delete(save=False)
    BatchPart.objects.filter(pk__in=[p.pk for p in parts]).update(pdf="", letters=[])


def _errors(parts: list[BatchPart]) -> list[dict]:
    """The letters that could not be made, in the batch's order; a problem with the batch itself
    (the same for every part) once."""
    out, seen = [], set()
    for part in parts:
        for error in part.errors:
            if error["pupil_id"] is None:
                if error["message"] in seen:
                    continue
                seen.add(error["message"])
            out.append(error)
    return out


def _pages_pdf(reader: PdfReader, pages: list[int]) -> bytes:
    writer = PdfWriter()
    for index in pages:
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _complete_linked_actions(batch, letters) -> None:
    ids = [letter.action_id for letter in letters if letter.action_id]
    for action in Action.objects.filter(pk__in=ids, done_on__isnull=True).exclude(letter_template=""):
        letter = next(letter for letter in letters if letter.action_id == action.pk)
        complete_letter_action(action, batch.letter_date, letter)


def _send_batch(batch) -> list[dict]:
    """E-mail each household's PDF once (siblings' letters travel together); the failures."""
    sent, errors = set(), []
    for letter in Letter.objects.filter(batch=batch).select_related("pupil", "template", "school").order_by("pk"):
        if letter.pdf.name in sent or letter.sent_at:
            continue
        try:
            email_letter(letter=letter, user=batch.created_by)
        except LetterError as error:
            errors.append(letter_error(letter.pupil, error.field or "parent.email", error.message))
        sent.add(letter.pdf.name)
    return errors
