"""What every decision the school records carries: who decided and when (on the record and its
history row), and a reason short enough for the register's history."""

from django.utils import timezone

# django-simple-history keeps a change reason in 100 characters (the register service copies the
# mark's reason there), so reasons written to marks are kept within that.
REASON_MAX = 100


def short_reason(text: str) -> str:
    """The text on one line, cut to REASON_MAX characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def stamp_decision(obj, user, why: str):
    """Who decided and when, on the record and on the history row its next save writes."""
    obj.decided_by = user
    obj.decided_at = timezone.now()
    obj._history_user = user
    obj._change_reason = why
