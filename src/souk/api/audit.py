"""Writes the audit log: every state-changing request made with an admin or POS key (and
staff, when there are staff accounts), whatever its outcome — who (key id, role, channel,
location), what (method, route, resource id, status), when, and from where (client IP).

The entry is written right after the answer, in a short transaction of its own: the
command's transaction is not made longer, and a refused or failed attempt is logged too. A
crash between the command's commit and this write loses that one entry (docs/security.md).
"""

from __future__ import annotations

import logging

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from souk.access.models import Principal, Role
from souk.api.middleware import request_id_var
from souk.audit.service import Action, record
from souk.db.engine import Database

log = logging.getLogger(__name__)
# Answers that say the database was unreachable, too slow or full (souk.db.faults).
DATABASE_FAULTS = frozenset({503, 504, 507})
AUDITED_ROLES = {Role.ADMIN, Role.POS}
AUDITED_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def note_principal(scope: Scope, principal: Principal | None) -> None:
    """Called by the auth dependencies: who this request turned out to be."""
    if principal is not None:
        scope.setdefault("state", {})["souk.principal"] = principal


class AuditMiddleware:
    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in AUDITED_METHODS:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            principal = scope["state"].get("souk.principal")
            if isinstance(principal, Principal) and principal.role in AUDITED_ROLES:
                await self._write(scope, principal, status)

    async def _write(self, scope: Scope, principal: Principal, status: int) -> None:
        route = scope.get("route")
        params = scope.get("path_params") or {}
        action = Action(
            key_id=principal.key_id,
            role=principal.role.value,
            channel=principal.channel,
            location=principal.location,
            method=scope["method"],
            route=str(getattr(route, "path", scope["path"])),
            path=scope["path"],
            resource_id=str(next(iter(params.values()))) if params else None,
            status=status,
            client_ip=(scope.get("client") or ("-", 0))[0],
            request_id=request_id_var.get(),
        )
        if status in DATABASE_FAULTS:
            # The request itself could not reach the database: the entry cannot either, and
            # trying would hold a request thread for the connect timeout while the database
            # is down (starving /readyz and the requests that could be answered). The log
            # keeps the action.
            log.warning("audit entry not written (database unavailable): %s", action)
            return
        try:
            await anyio.to_thread.run_sync(lambda: record(db=self.db, action=action))
        except Exception:
            # Never turn an answered request into an error; the log line keeps the trace.
            log.exception("audit entry not written: %s", action)
