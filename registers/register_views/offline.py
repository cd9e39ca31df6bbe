"""Registers that survive the network: the service worker's script, and the register page's
answer in JSON for a submission the browser kept while offline and sends when it is back.

The JSON answers say the same thing the page says (saved, or refused and why), from the same
`take_register` result the page renders: they are another way of showing it, not another rule.
A queued submission is sent by a script, so it needs to know, for each pupil, which marks were
saved with which version, which were refused because someone else changed them meanwhile (and
what is recorded now), and when the teacher has to sign in again before anything can be sent.

Shared by every register page whose form can be kept offline (the statutory register, and a
lesson's register in `lessons.register_views`): each passes the reader of its own roll
(`roll=`, the pupils with this register's `mark_*` attributes), so the answers read the marks
the same way the page shows them."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..register_selectors import roll_with_marks

JSON = "application/json"

# The same-origin user id the page stamped on a queued submission (`data-user` on the form):
# a submission kept on a shared computer is never sent under someone else's name.
QUEUED_BY = "queued-by"


@require_GET
@never_cache
def service_worker(request):
    """The register pages' service worker. Served beside the register pages it looks after
    (/registers/sw.js, and /lessons/sw.js for lesson registers; not /static/) so that its scope
    covers them and nothing else; it holds no school data, so anyone may fetch it (a teacher
    whose session has expired still gets an updated worker)."""
    script = render_to_string("registers/service_worker.js", request=request)
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = request.path.rsplit("/", 1)[0] + "/"
    return response


def wants_json(request) -> bool:
    """Whether the submission came from the page's offline queue (it asks for JSON)."""
    return JSON in request.headers.get("Accept", "")


def queued_by_someone_else(request) -> JsonResponse | None:
    """A queued submission stamped with another user's id is refused before anything is read."""
    stamped = request.POST.get(QUEUED_BY, "")
    if stamped and stamped != str(request.user.pk):
        return JsonResponse(
            {
                "saved": False,
                "sign_in": True,
                "message": "These marks were entered by someone else on this device; "
                "they will be sent when that person signs in again.",
            },
            status=403,
        )
    return None


def _marks(register, pupil_ids=None, *, roll=roll_with_marks) -> dict[str, dict]:
    """This register's marks now, as the page's hidden fields carry them (version and `was`),
    read by `roll` (the page's own roll reader)."""
    marks = {}
    for pupil in roll(register):
        if pupil_ids is not None and pupil.pk not in pupil_ids:
            continue
        minutes = "" if pupil.mark_minutes is None else pupil.mark_minutes
        marks[str(pupil.pk)] = {
            "code": pupil.mark_code or "",
            "minutes": pupil.mark_minutes,
            "version": pupil.mark_version or 0,
            "was": f"{pupil.mark_code or ''}|{minutes}",
            "by": pupil.mark_by or "",
        }
    return marks


def saved(register, result, *, roll=roll_with_marks) -> JsonResponse:
    """Everything sent was saved (or was already there): the marks now, with their versions."""
    return JsonResponse(
        {
            "saved": True,
            "created": result.created,
            "amended": result.amended,
            "unchanged": result.unchanged,
            "became_u": [{"pupil": pupil_id, "minutes": minutes} for pupil_id, minutes in result.became_u],
            "unmarked": len(result.unmarked),
            "taken": result.taken,
            "marks": _marks(result.register, roll=roll),
        }
    )


def refused(register, refusals, *, status: int, roll=roll_with_marks) -> JsonResponse:
    """Nothing was saved: each refusal, and for the pupils whose mark someone else changed,
    what is recorded now (so the page shows it and never overwrites it)."""
    conflicted = {r.pupil_id for r in refusals if r.conflict}
    return JsonResponse(
        {
            "saved": False,
            "refusals": [
                {"pupil": r.pupil_id, "kind": str(r.kind), "message": r.message, "conflict": r.conflict}
                for r in refusals
            ],
            "marks": _marks(register, conflicted, roll=roll) if conflicted and register.pk else {},
        },
        status=status,
    )


def invalid(submitted) -> JsonResponse:
    """The form itself could not be read (a code of the wrong shape, a time that is not one)."""
    return JsonResponse(
        {
            "saved": False,
            "refusals": [
                {"pupil": row.pupil_id, "kind": "invalid", "message": message, "conflict": False}
                for row in submitted.rows.values()
                for message in row.errors
            ],
            "marks": {},
        },
        status=400,
    )
