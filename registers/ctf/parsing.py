"""Parsing an uploaded Common Transfer File safely: its size is checked before anything is read,
and defusedxml refuses document type declarations, entities and external references, so an
"XML bomb" or a request for a server file is refused without being expanded. Namespaces are
removed from every tag, so the reader (and the CTF attendance import) can use plain paths."""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from .records import CTFRejected

MAX_CTF_BYTES = 20 * 1024 * 1024  # a CTF for a whole secondary school is a few MB


def parse_xml(data, *, max_bytes: int = MAX_CTF_BYTES) -> Element:
    """The root element of an uploaded CTF, parsed safely, with namespaces removed from every
    tag. `data` is bytes, str or an uploaded file. Raises CTFRejected."""
    raw = _read_limited(data, max_bytes)
    try:
        root = fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise CTFRejected.file(
            "The file declares a document type or entities (<!DOCTYPE …> / <!ENTITY …>). A Common "
            "Transfer File never does, and such a file can be used to attack the server (an 'XML bomb' "
            "or a request for a private file), so it was refused without being read. Ask the sending "
            "school for a fresh CTF exported from their MIS."
        ) from None
    except ParseError as exc:
        raise CTFRejected.file(
            f"The file is not well-formed XML ({exc}). Was it edited by hand or cut short while "
            "uploading? Export it again from the MIS."
        ) from None
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.startswith("{"):
            element.tag = element.tag.split("}", 1)[1]
    return root


def _read_limited(data, max_bytes: int) -> bytes | str:
    too_big = (
        f"a Common Transfer File may be at most {_size(max_bytes, exact=False)}. A CTF for a whole school "
        "is usually a few MB: check this is the right file, or export year groups separately."
    )
    if isinstance(data, str | bytes | bytearray):
        size = len(data.encode()) if isinstance(data, str) else len(data)
        if size > max_bytes:
            raise CTFRejected.file(f"The file is {_size(size)}; {too_big}")
        return bytes(data) if isinstance(data, bytearray) else data
    size = getattr(data, "size", None)  # Django's UploadedFile knows its size before reading
    if size is not None and size > max_bytes:
        raise CTFRejected.file(f"The file is {_size(size)}; {too_big}")
    if hasattr(data, "seek"):
        data.seek(0)
    raw = data.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise CTFRejected.file(f"The file is over {_size(max_bytes, exact=False)}; {too_big}")
    return raw


def _size(n: int, *, exact: bool = True) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB" if exact else f"{n / 1024:g} KB"
    return f"{n / 1024 / 1024:.1f} MB" if exact else f"{n / 1024 / 1024:g} MB"
