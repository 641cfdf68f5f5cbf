"""Serving a page's own files with the headers every page carries.

The pages run only scripts and styles of their own, so their policy is stricter than the
API docs' (no 'unsafe-inline' at all); a page's data travels in `application/json` blocks,
which the browser never runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'; form-action 'self'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    # A page and its scripts change with each release; the till's service worker keeps the
    # offline copy, so the browser is asked to revalidate every time it is online.
    "Cache-Control": "no-cache",
}


class PageFiles(StaticFiles):
    """A folder of a page's files (index.html for the folder itself), with page headers."""

    def __init__(self, directory: Path, **extra_headers: str) -> None:
        super().__init__(directory=directory, html=True)
        self.extra_headers = extra_headers

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers.update({**PAGE_HEADERS, **self.extra_headers})
        return response

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        return response
