"""The CDP's errors, in the one `souk.errors` hierarchy (mapped by `api/problems.py`).

Ingestion errors also carry Segment's `code` and `message`: the RudderStack client reads
both from any non-200 answer and its sender thread dies on a body without `code`."""

from __future__ import annotations

from typing import Any

from souk.errors import SoukError, Unauthorized


class IngestRejected(SoukError):
    status = 400
    problem = "event-rejected"
    title = "Event rejected"

    def extra(self) -> dict[str, Any]:
        return {"success": False, "code": "bad_request", "message": self.detail}


class IngestUnauthorized(Unauthorized):
    def extra(self) -> dict[str, Any]:
        return {"success": False, "code": "unauthorized", "message": self.detail}


class IngestForbidden(SoukError):
    status = 403
    problem = "forbidden"
    title = "Forbidden"

    def extra(self) -> dict[str, Any]:
        return {"success": False, "code": "forbidden", "message": self.detail}
