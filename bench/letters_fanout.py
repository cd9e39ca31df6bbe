"""Issue 15: a 500-letter batch fans out, its parts produced by parallel Celery tasks and joined
in order with pypdf, so two worker processes produce it in at most 0.6 × the time of one
(DESIGN.md: ≥ 1.7×).

`run()` returns rows in the bench table's format (`bench.report.Row`). It builds its own database,
`attendance_bench_letters_fanout` (made again every run, as `bench.letters_figures` builds its
letters school: 500 pupils with a parent at an address and four weeks of marks, the starter
templates, a letterhead). Then, for 1 and then 2 real worker processes (`celery -A attendance_site
worker -c 1` subprocesses on Redis, on a queue of the run's own so no other worker takes its
tasks, with a private-files directory of the run's own that the bench reads too), it queues a
print batch of the "concern" letter for all 500 pupils (`letters.render_batch`: ten parts of 50,
then the join) and times it until the batch is done: the joined PDF stored and the 500 letters on
record. Both runs must give the same print (the same pages, in the same order: compared page by
page). The floor is perfect scaling, half the one-worker time. Standalone:
`python -m bench.letters_fanout`."""

from __future__ import annotations

import io
import os
import sys
import tempfile
import uuid
from pathlib import Path

from bench import workers as workers_module
from bench.report import Row

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "attendance_bench_letters_fanout"
LETTERS = 500


def _batch(template, pupils, user):
    """A print batch as `letters.services.start_batch` makes it, to be sent to the run's queue."""
    from bench.letters_figures import ON
    from letters.models import Batch

    return Batch.objects.create(
        school=template.school,
        template=template,
        template_version=template.version,
        letter_date=ON,
        pupil_ids=[p.pk for p in pupils],
        created_by=user,
        total=len(pupils),
    )


def _pages(batch) -> list[str]:
    from pypdf import PdfReader

    with batch.pdf.open("rb") as f:
        return [page.extract_text() for page in PdfReader(io.BytesIO(f.read())).pages]


def measure(*, workers: tuple[int, ...] = (1, 2), timeout: float = 1800, log=print) -> dict:
    """Seconds for the batch with each number of worker processes, and what each produced."""
    from django.conf import settings

    from attendance_site.celery import app
    from bench.letters_figures import build
    from letters.models import Batch, Letter, LetterTemplate
    from letters.tasks import render_batch

    private = tempfile.mkdtemp(prefix="bench-letters-fanout-")
    settings.PRIVATE_ROOT = Path(private)
    log(f"  building {DATABASE}")
    _school, user, pupils = build(log, database=DATABASE)
    template = LetterTemplate.objects.get(school=_school, key="concern")
    broker = os.environ.get("CELERY_BROKER_URL") or workers_module.DEFAULT_BROKER
    before = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = broker, False
    results = {}
    try:
        for count in workers:
            queue = f"letters-fanout-{uuid.uuid4().hex[:8]}"
            processes, names = workers_module.start_workers(
                count,
                queue,
                broker,
                ROOT / "test-artifacts" / "bench-logs",
                database=DATABASE,
                label="letters-fanout",
                env={"PRIVATE_ROOT": private},
            )
            try:
                workers_module.wait_ready(app, names)
                batch = _batch(template, pupils, user)

                def finished(batch=batch):
                    status = Batch.objects.filter(pk=batch.pk).values_list("status", flat=True).get()
                    if status == Batch.Status.FAILED:
                        raise RuntimeError(f"the batch failed: {Batch.objects.get(pk=batch.pk).errors[:2]}")
                    return status == Batch.Status.DONE

                result = workers_module.timed_run(
                    lambda batch=batch, queue=queue: render_batch.apply_async((batch.pk,), queue=queue),
                    finished,
                    [process.pid for process, _ in processes],
                    DATABASE,
                    timeout,
                )
            finally:
                workers_module.stop(processes)
            batch.refresh_from_db()
            result.update(
                letters=Letter.objects.filter(batch=batch).count(),
                parts=batch.parts.count(),
                retried=batch.parts.filter(attempts__gt=1).count(),
                pages=_pages(batch),
            )
            log(f"    {count} worker{'s' if count > 1 else ''}: {_said(result)}")
            results[count] = result
    finally:
        app.conf.broker_url, app.conf.task_always_eager = before
    return results


def _said(result: dict) -> str:
    cpu = result["worker_cpu"] + result["database_cpu"]
    return (
        f"{result['seconds']:.1f} s, {result['letters']} letters in {len(result['pages'])} pages from "
        f"{result['parts']} parts; CPU {cpu:.0f} s (workers {result['worker_cpu']:.0f}, PostgreSQL "
        f"{result['database_cpu']:.0f}) = {cpu / result['seconds']:.2f} cores; machine "
        f"{100 * result['machine_busy']:.0f} % busy"
    )


def run(*, log=print) -> list[Row]:
    """The fan-out figure as bench table rows: one worker, then two against perfect scaling."""
    figure = f"letters fanned out: a {LETTERS}-letter batch"
    size = f"{LETTERS} pupils, concern letter, parts of 50"
    try:
        results = measure(log=log)
    except Exception as error:  # reported, never faked
        return [Row(figure, size, f"TODO: failed ({type(error).__name__}: {error})"[:160])]
    one, two = results[1], results[2]
    same = one["pages"] == two["pages"] and one["letters"] == two["letters"] == LETTERS
    data = {
        "letters": LETTERS,
        **{f"workers_{k}": {n: v for n, v in r.items() if n != "pages"} for k, r in results.items()},
        "same_pages": same,
    }
    return workers_module.speed_up_rows(figure, size, one, two, same=same, different="print", said=_said, data=data)


if __name__ == "__main__":
    from bench.__main__ import setup_django
    from bench.report import render

    setup_django()
    rows = run(log=lambda m: print(m, file=sys.stderr, flush=True))
    print(render(rows))
