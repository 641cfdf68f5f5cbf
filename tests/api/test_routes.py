"""The API's routes are tried in the order of `souk.app.ROUTERS` (the shopper's path first,
for speed): whatever the order, no route may be shadowed by a route of an earlier router
that matches the same method and path."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from souk.app import ROUTERS

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
