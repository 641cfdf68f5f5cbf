"""The API's routes are tried in the order of `souk.app.ROUTERS` (the shopper's path first,
for speed): whatever the order, no route may be shadowed by a route of an earlier router
that matches the same method and path."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from souk.app import ROUTERS, create_app
from souk.settings import Settings
from tests.conftest import ADMIN_KEY

PARAMETER = re.compile(r"\{[^}:]+(:[^}]+)?\}")


def _routes() -> list[APIRoute]:
    return [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]


def test_every_route_is_the_first_to_match_a_path_of_its_own() -> None:
    routes = _routes()
    assert len(routes) > 150  # every router is counted
    shadowed = []
    for route in routes:
        path = PARAMETER.sub("x1", route.path)  # a value no literal segment has
        for method in sorted(route.methods):
            first = next(r for r in routes if method in r.methods and r.path_regex.match(path))
            if first is not route:
                shadowed.append(f"{method} {route.path} is answered by {first.path}")
    assert shadowed == []


def test_the_shoppers_routes_are_tried_first() -> None:
    position = {route.path: i for i, route in reversed(list(enumerate(_routes())))}
    for path in ("/v1/carts", "/v1/carts/{cart_id}/lines", "/v1/carts/{cart_id}/checkout"):
        assert position[path] < 20, (path, position[path])


def test_an_app_serves_the_routers_own_routes(settings: Settings) -> None:
    # Each route's dependencies and fields are built once, when its module is imported; a
    # route included another way is built again per app on its first request (FastAPI
    # 0.165: up to half a second for the first requests after every start).
    app = create_app(settings)
    served = {id(route) for route in app.routes}
    assert [route.path for route in _routes() if id(route) not in served] == []
    with TestClient(app) as client:
        answer = client.get("/v1/channels", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    assert answer.status_code == 200, answer.text
