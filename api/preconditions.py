"""HTTP preconditions for writes: the ETags a client sends back in If-Match."""

from __future__ import annotations


def if_match_tags(request) -> list[str] | None:
    """The ETags of the If-Match header (weak or strong), or None when there is none."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    return [t.strip().removeprefix("W/") for t in header.split(",") if t.strip()]
