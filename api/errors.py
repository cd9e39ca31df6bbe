"""Errors as JSON, everywhere: `{"message": ..., "errors": [{"field": ..., "reason": ...}]}` — the
exception handler, the error the views raise (`ApiError`), refusals of marks item by item, and
the schema hook that documents the error responses of every operation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorItemSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The field at fault, e.g. `marks[2].code`, or null")
    reason = serializers.CharField()
    index = serializers.IntegerField(required=False, help_text="For a batch: the position of the bad entry")
    pupil = serializers.IntegerField(required=False, allow_null=True)
    conflict = serializers.BooleanField(required=False, help_text="Someone else changed this mark meanwhile")


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = ErrorItemSerializer(many=True, required=False)


class ApiError(exceptions.APIException):
    """An error with a message and, optionally, one item per field or per bad entry."""

    def __init__(self, message: str, *, status_code: int = 400, errors: list[dict] | None = None):
        self.status_code = status_code
        self.message = message
        self.errors = errors or []
        super().__init__(message)


def _flatten(detail, prefix: str = "") -> list[dict]:
    items: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                items += _flatten(value, prefix)
            elif isinstance(key, int):  # a many=True serializer reports errors by position
                items += _flatten(value, f"{prefix}[{key}]")
            else:
                items += _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(detail, list):
        for i, value in enumerate(detail):
            if isinstance(value, (dict, list)):
                items += _flatten(value, f"{prefix}[{i}]")
            else:
                items.append({"field": prefix or None, "reason": str(value)})
    else:
        items.append({"field": prefix or None, "reason": str(detail)})
    return items


def api_exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.messages)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        response.data = {"message": exc.message, "errors": exc.errors}
    elif isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        first = errors[0] if errors else None
        where = f"{first['field']}: " if first and first["field"] else ""
        message = f"The request is not valid: {where}{first['reason']}" if first else "The request is not valid."
        response.data = {"message": message, "errors": errors}
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {"message": str(detail), "errors": []}
    return response


# --- marks refused ----------------------------------------------------------------------------


def problem_field(message: str) -> str:
    """The input field a refusal of the register service is about, from its message."""
    text = message.lower()
    if "needs a reason" in text:
        return "reason"
    if "minutes late" in text:
        return "minutes_late"
    if "not a school session" in text:
        return "date"
    if "session must be" in text:
        return "session"
    if "not a pupil of" in text or "not on roll" in text or "more than once" in text or "not on the" in text:
        return "pupil"
    if "after you loaded" in text or "has gone" in text:
        return "expected_version"
    return "code"


def problem_items(problems, prefix: str = "marks") -> list[dict]:
    """One error item per refused mark; `problems` are `registers.taking.Refusal`s."""
    items = []
    for problem in problems:
        index = problem.line
        field = problem_field(problem.message)
        items.append(
            {
                "field": f"{prefix}[{index}].{field}" if index is not None else field,
                "reason": problem.message,
                "index": index,
                "pupil": problem.pupil_id,
                "conflict": problem.conflict,
            }
        )
    return sorted(items, key=lambda i: (i["index"] is None, i["index"] or 0))


def refused(problems, *, prefix="marks") -> ApiError:
    """Nothing was saved: 409 when someone else changed a mark meanwhile, 400 otherwise."""
    conflicts = [p for p in problems if p.conflict]
    if conflicts:
        return ApiError(
            "Nothing was saved: someone else changed these marks meanwhile; reload and try again.",
            status_code=status.HTTP_409_CONFLICT,
            errors=problem_items(problems, prefix),
        )
    n = len(problems)
    return ApiError(
        f"Nothing was saved: {n} mark{'s were' if n != 1 else ' was'} refused.",
        errors=problem_items(problems, prefix),
    )


# --- the schema -------------------------------------------------------------------------------


ERRORS = {
    400: "The request is not valid; `errors` lists each field (or each bad mark) and the reason.",
    401: "No valid credentials: send `Authorization: Bearer <token>` (or sign in).",
    403: "Your role (or your token's scope) does not allow this.",
    404: "Not found, or not visible to you.",
    405: "Method not allowed.",
    406: "Only application/json responses are available.",
    415: "Send application/json.",
    429: "Too many requests for this token; retry later.",
}


def add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation documents the JSON error responses."""
    error_ref = {"$ref": "#/components/schemas/Error"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "put", "patch", "post", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = [400, 401, 403, 404, 405, 406, 429] + ([415] if method in ("put", "patch", "post") else [])
            for code in codes:
                responses.setdefault(
                    str(code),
                    {"content": {"application/json": {"schema": error_ref}}, "description": ERRORS[code]},
                )
    return result
