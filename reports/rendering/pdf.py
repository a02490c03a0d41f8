"""The report as an A4 PDF with WeasyPrint, from the same body template as the page.

No network: the only files WeasyPrint may read are the report's stylesheets in static/css
(the url_fetcher refuses anything else); fonts come from the system (fonts-noto-cjk).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation

from .html import body_context

STYLESHEETS = ("css/report.css", "css/report-pdf.css")


def _static_dir() -> Path:
    found = finders.find(STYLESHEETS[0])
    if not found:
        raise FileNotFoundError(STYLESHEETS[0])
    return Path(found).resolve().parent.parent


def _fetcher(allowed: dict[str, Path]):
    """A fetcher that serves the report's stylesheets from disk and refuses every other URL."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            path = allowed.get(url)
            if path is None:
                raise ValueError(f"the report PDF does not fetch {url!r}")
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": "text/css; charset=utf-8"}
            )

    return StaticOnly(allowed_protocols=("file",))


def render_pdf(snapshot: dict, *, language: str) -> tuple[bytes, int]:
    """(PDF bytes, number of pages) of the snapshot in `language`."""
    from weasyprint import HTML

    static = _static_dir()
    base = static.as_uri() + "/"
    allowed = {base + name: static / name for name in STYLESHEETS}
    with translation.override(language):
        html = render_to_string(
            "reports/pdf.html", {**body_context(snapshot), "LANGUAGE_CODE": language}
        )
        document = HTML(string=html, base_url=base, url_fetcher=_fetcher(allowed)).render()
        return document.write_pdf(), len(document.pages)
