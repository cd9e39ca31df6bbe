"""Letters as HTML documents and PDFs (WeasyPrint, A4).

A letter is an <article> rendered from its stored data by the layout templates in
templates/letters/document/; a document is one or many articles with CSS page breaks. A batch is
ONE document laid out ONCE by WeasyPrint: the print PDF is written from that layout, and each
household's PDF (for e-mail) is painted from the same laid-out pages, not laid out again.

Nothing is fetched over the network: `LetterFetcher` serves the static files (the print CSS)
and the school's logo from PRIVATE_ROOT (only files under letters/<school>/logo/), and refuses
every other URL. Fonts are the ones installed on the machine, chosen by name."""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcherResponse

from common.pdf import StaticFileFetcher

BASE_URL = "https://letters.invalid/"
LOGO_PREFIX = "/private-logo/"
CSS_PATH = "letters/letter.css"
CERTIFICATE_CSS_PATH = "letters/certificate.css"
SCREEN_CSS_PATH = "letters/letter-screen.css"
FONT_CLASSES = {
    "DejaVu Sans": "font-dejavu-sans",
    "DejaVu Serif": "font-dejavu-serif",
    "Liberation Sans": "font-liberation-sans",
    "Liberation Serif": "font-liberation-serif",
}


def _logo_path(name: str) -> Path | None:
    """The logo file for a stored name, only inside letters/<school id>/logo/ under PRIVATE_ROOT."""
    parts = name.split("/")
    if len(parts) < 4 or parts[0] != "letters" or not parts[1].isdigit() or parts[2] != "logo" or ".." in parts:
        return None
    root = Path(settings.PRIVATE_ROOT).resolve()
    path = (root / name).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


class LetterFetcher(StaticFileFetcher):
    """Static files as every PDF does, plus the school's private logo; nothing else."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.netloc not in ("letters.invalid", "") or parts.scheme not in ("https", ""):
            raise ValueError(f"refusing to fetch {url}: letters read local files only")
        if parts.path.startswith(LOGO_PREFIX):
            path = _logo_path(unquote(parts.path[len(LOGO_PREFIX) :]))
            if path is None:
                raise ValueError(f"refusing to fetch {url}: not a school logo")
            mime = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
        # the static fetcher serves /static/… (and refuses the rest) for a path on its own
        return super().fetch(parts.path, headers)


def logo_url(name: str) -> str:
    return f"{LOGO_PREFIX}{quote(name)}" if name else ""


def logo_data_uri(name: str, content_type: str) -> str:
    """The logo inline, for the browser (which cannot read PRIVATE_ROOT)."""
    path = _logo_path(name) if name else None
    if path is None:
        return ""
    mime = content_type or mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


@lru_cache(maxsize=4)
def _css_source(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def _stylesheets(*, certificate: bool, screen: bool) -> list[str]:
    return [CSS_PATH] + ([CERTIFICATE_CSS_PATH] if certificate else []) + ([SCREEN_CSS_PATH] if screen else [])


def letter_css(*, certificate: bool = False, screen: bool = False) -> str:
    """The stylesheets' text: letters, certificates if any, and for the browser the screen
    additions. (Only what a document uses: every rule costs WeasyPrint time on every element.)"""
    sources = []
    for name in _stylesheets(certificate=certificate, screen=screen):
        path = finders.find(name)
        if not path:
            raise FileNotFoundError(name)
        sources.append(_css_source(path) if not settings.DEBUG else Path(path).read_text(encoding="utf-8"))
    return "\n".join(sources)


def article_html(*, kind: str, anchor: str, values: dict, subject: str, body: str, logo_src: str) -> str:
    """One letter (or certificate) as an <article>, from hydrated values and the rendered
    subject and body. Deterministic: the same inputs give the same bytes."""
    school = values.get("school", {})
    template = "letters/document/certificate.html" if kind == "certificate" else "letters/document/letter.html"
    return render_to_string(
        template,
        {
            "d": values,
            "anchor": anchor,
            "subject": subject,
            "body": mark_safe(body),  # the sandbox's output: merge data escaped, staff HTML checked
            "logo_src": logo_src,
            "font_class": FONT_CLASSES.get(school.get("font"), "font-dejavu-sans"),
            "accent": school.get("accent") or "#1d4f91",
        },
    ).strip()


def document_html(articles: list[str], *, title: str, browser: bool = False, font: str | None = None) -> str:
    """A complete HTML document of one or more articles. For the browser the CSS is inline (the
    caller's frame allows inline styles); for WeasyPrint it is fetched from the static files.
    `font` (the school's) also sets the page's margin boxes, which sit outside the articles."""
    certificate = any(a.startswith('<article class="certificate') for a in articles)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    return render_to_string(
        "letters/document/document.html",
        {
            "articles": [mark_safe(a) for a in articles],
            "title": title,
            "font_class": FONT_CLASSES.get(font, "font-dejavu-sans"),
            "browser": browser,
            "inline_css": mark_safe(letter_css(certificate=certificate, screen=True)) if browser else "",
            "css_urls": [prefix + name for name in _stylesheets(certificate=certificate, screen=False)],
        },
    )


@dataclass
class Laid:
    """A laid-out document and where each article's pages are."""

    document: object
    pages: dict[str, list[int]]  # anchor → page indexes

    def write(self, anchors: list[str] | None = None) -> bytes:
        """The PDF of the whole document, or of the pages of some articles (painted from the
        same layout)."""
        if anchors is None:
            return self.document.write_pdf()
        indexes = sorted({i for a in anchors for i in self.pages[a]})
        return self.document.copy([self.document.pages[i] for i in indexes]).write_pdf()


def lay_out(html: str, anchors: list[str]) -> Laid:
    """Lay out `html` once; find the pages of each article from its anchor (an article runs
    from the page its anchor is on to the page before the next article's)."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=LetterFetcher()).render()
    first_page = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor in anchors and anchor not in first_page:
                first_page[anchor] = index
    pages = {}
    starts = sorted((first_page[a], a) for a in anchors if a in first_page)
    for n, (start, anchor) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(document.pages)
        pages[anchor] = list(range(start, max(end, start + 1)))
    missing = [a for a in anchors if a not in pages]
    if missing:
        raise ValueError(f"letters missing from the laid-out document: {', '.join(missing)}")
    return Laid(document, pages)


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=BASE_URL, url_fetcher=LetterFetcher()).write_pdf()
