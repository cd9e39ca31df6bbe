"""The product's starter templates, one file per key (`<key>.html`): a few header lines
(title, purpose, kind, subject), a line `---`, then the body. Written for this product in plain
British English: supportive first, firm only where the law allows (see
../shared/reference/RULES.md), never threatening more than the law provides."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER_KEYS = ("title", "purpose", "kind", "subject")


@dataclass(frozen=True)
class Starter:
    key: str
    title: str
    purpose: str
    kind: str
    subject: str
    body: str


def parse(key: str, text: str) -> Starter:
    header, separator, body = text.partition("\n---\n")
    if not separator:
        raise ValueError(f"starter {key}: no '---' line between the header and the body")
    values = {}
    for line in header.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in HEADER_KEYS:
            values[name.strip()] = value.strip()
    missing = [k for k in HEADER_KEYS if k not in values]
    if missing:
        raise ValueError(f"starter {key}: missing {', '.join(missing)}")
    return Starter(key=key, body=body.strip() + "\n", **values)


@lru_cache(maxsize=1)
def starters() -> tuple[Starter, ...]:
    return tuple(parse(path.stem, path.read_text(encoding="utf-8")) for path in sorted(HERE.glob("*.html")))


def starter(key: str) -> Starter:
    return next(s for s in starters() if s.key == key)
