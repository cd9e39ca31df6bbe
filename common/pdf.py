"""WeasyPrint's view of the world: static files read from disk, nothing fetched over the network.

Every PDF the product makes (letters, the governors' report) resolves URLs through
`StaticFileFetcher` or a subclass of it, so a template, a stylesheet or text someone typed can
never make the server fetch a remote address or read a file outside the static directories."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

BASE_URL = "https://reports.invalid/"


class StaticFileFetcher(URLFetcher):
    """Serves `/static/...` from the static directories; refuses everything else."""

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        if not parts.path.startswith(static_prefix) or parts.netloc not in ("reports.invalid", ""):
            raise ValueError(f"refusing to fetch {url}: only local static files are read")
        relative = unquote(parts.path[len(static_prefix) :])
        if ".." in relative.split("/"):
            raise ValueError(f"refusing to fetch {url}")
        path = finders.find(relative)
        if not path and settings.STATIC_ROOT and (Path(settings.STATIC_ROOT) / relative).is_file():
            path = str(Path(settings.STATIC_ROOT) / relative)
        if not path:
            raise ValueError(f"static file not found: {relative}")
        mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
        with open(path, "rb") as f:
            return URLFetcherResponse(url, body=f.read(), headers={"Content-Type": mime})


def static_paths(*names: str) -> list[str]:
    """Unhashed static paths: the fetcher reads the source files, whatever the storage."""
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    return [prefix + name for name in names]


def html_to_pdf(html: str, *, base_url: str = BASE_URL, fetcher: URLFetcher | None = None) -> bytes:
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher or StaticFileFetcher()).write_pdf()
