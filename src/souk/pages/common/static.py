"""The pages' static files, served by Souk itself: the vendored libraries (htmx,
Chart.js) and each page's own script and style sheet. Only files that exist under the
static folders at start are served, by exact name."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

STATIC_ROOTS = [
    Path(__file__).parent / "static",
    Path(__file__).parent.parent / "console" / "static",
]
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def _catalogue() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for root in STATIC_ROOTS:
        for path in root.rglob("*"):
            if path.is_file() and path.suffix in MEDIA_TYPES:
                files[path.relative_to(root).as_posix()] = path
    return files


FILES = _catalogue()
router = APIRouter(include_in_schema=False)


@router.get("/static/pages/{name:path}")
def static_file(name: str) -> Response:
    path = FILES.get(name)
    if path is None:
        return Response(status_code=404, content="not found", media_type="text/plain")
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[path.suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )
