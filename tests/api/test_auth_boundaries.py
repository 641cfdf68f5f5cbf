"""Role boundaries for every route the app serves, found by walking the routes, so that a new
endpoint is covered the day it is added."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from souk.access.models import Role
from souk.channels.tables import ChannelRow
from souk.db.base import utcnow
from souk.db.engine import Database

PUBLIC = {"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
# The links inside a message: its unguessable token is the credential (an unknown one is 404).
PUBLIC |= {"/v1/unsubscribe/{token}", "/v1/t/o/{token}.gif", "/v1/t/c/{token}/{link}"}
# A store manager's sign-in at the till: the password in the body is the credential, as on
# the console's sign-in page (tests/api/test_pos_staff_session.py).
PUBLIC |= {"/v1/pos/staff-session"}


def _api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        included = getattr(route, "original_router", None)  # a router included in the app
        if included is not None:
            yield from _api_routes(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def _routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for route in _api_routes(app.routes):
        # Pages (/, /admin…) are not in the API's schema; they have their own door, a staff
        # session cookie, tested by tests/api/test_console_access.py.
        if route.path not in PUBLIC and route.include_in_schema:
            for method in sorted(route.methods):
                yield method, route.path, route


def _allowed_roles(dependant: Dependant) -> set[Role] | None:
    for sub in dependant.dependencies:
        roles = getattr(sub.call, "allowed_roles", None)
        if roles is not None:
            return set(roles)
        found = _allowed_roles(sub)
        if found is not None:
            return found
    return None


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_every_api_route_refuses_anonymous_callers(client: TestClient) -> None:
    refused = {}
    for method, path, _ in _routes(client.app):  # type: ignore[arg-type]
        response = client.request(method, _concrete(path), json={})
        refused[f"{method} {path}"] = (response.status_code, response.headers["content-type"])
    assert "POST /v1/api-keys" in refused
    assert {k: v for k, v in refused.items() if v != (401, "application/problem+json")} == {}


@pytest.fixture
def role_keys(admin: TestClient, db: Database) -> dict[Role, str]:
    with db.transaction() as session:
        now = utcnow()
        session.add(
            ChannelRow(
                code="web",
                name="Web",
                type="web",
                default_currency="EUR",
                currencies=["EUR"],
                default_locale="en",
                locales=["en"],
                country="FR",
                prices_include_tax=True,
                created_at=now,
                updated_at=now,
            )
        )
    keys = {}
    for role in (Role.STOREFRONT, Role.INGEST):
        created = admin.post("/v1/api-keys", json={"name": role, "role": role, "channel": "web"})
        assert created.status_code == 201, created.text
        keys[role] = created.json()["key"]
    return keys


def test_role_restricted_routes_refuse_other_roles(
    admin: TestClient, role_keys: dict[Role, str]
) -> None:
    wrong = {}
    checked = 0
    for method, path, route in _routes(admin.app):  # type: ignore[arg-type]
        allowed = _allowed_roles(route.dependant)
        if allowed is None:
            continue
        for role, key in role_keys.items():
            if role in allowed:
                continue
            checked += 1
            response = admin.request(
                method, _concrete(path), json={}, headers={"Authorization": f"Bearer {key}"}
            )
            if response.status_code != 403:
                wrong[f"{role} {method} {path}"] = response.status_code
    assert checked > 0
    assert wrong == {}
