"""OpenAPI links from each create operation to the operations that read or act on what it
created (OpenAPI 3.1 §4.8.20): clients and tools see how one answer feeds the next call, and
stateful fuzzing (tests/api/test_openapi_stateful.py) chains real ids instead of guessing.

Links name their target by operationId, looked up from the served document, so renaming a
route's function does not break them; a link whose source or target is gone is left out.
"""

from __future__ import annotations

from typing import Any

# (source method, source path, status) → [(link name, target method, target path, params)]
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, dict[str, str]]]] = {
    ("post", "/v1/api-keys", "201"): [
        ("RevokeKey", "delete", "/v1/api-keys/{key_id}", {"key_id": "$response.body#/id"}),
    ],
    ("post", "/v1/channels", "201"): [
        ("GetChannel", "get", "/v1/channels/{code}", {"code": "$response.body#/code"}),
        ("UpdateChannel", "patch", "/v1/channels/{code}", {"code": "$response.body#/code"}),
    ],
    ("post", "/v1/products", "201"): [
        ("GetProduct", "get", "/v1/products/{handle}", {"handle": "$response.body#/handle"}),
        ("UpdateProduct", "patch", "/v1/products/{handle}", {"handle": "$response.body#/handle"}),
        ("DeleteProduct", "delete", "/v1/products/{handle}", {"handle": "$response.body#/handle"}),
    ],
    ("post", "/v1/locations", "201"): [
        ("GetLocation", "get", "/v1/locations/{code}", {"code": "$response.body#/code"}),
        ("UpdateLocation", "patch", "/v1/locations/{code}", {"code": "$response.body#/code"}),
    ],
    ("post", "/v1/inventory/transfers", "201"): [
        (
            "GetTransfer",
            "get",
            "/v1/inventory/transfers/{transfer_id}",
            {"transfer_id": "$response.body#/id"},
        ),
    ],
    ("post", "/v1/inventory/reservations", "201"): [
        (
            "GetReservation",
            "get",
            "/v1/inventory/reservations/{reservation_id}",
            {"reservation_id": "$response.body#/id"},
        ),
        (
            "ReleaseReservation",
            "delete",
            "/v1/inventory/reservations/{reservation_id}",
            {"reservation_id": "$response.body#/id"},
        ),
    ],
    ("post", "/v1/customers", "201"): [
        (
            "GetCustomer",
            "get",
            "/v1/customers/{customer_id}",
            {"customer_id": "$response.body#/id"},
        ),
    ],
    ("post", "/v1/carts", "201"): [
        ("GetCart", "get", "/v1/carts/{cart_id}", {"cart_id": "$response.body#/id"}),
        ("AddCartLine", "post", "/v1/carts/{cart_id}/lines", {"cart_id": "$response.body#/id"}),
        ("UpdateCart", "patch", "/v1/carts/{cart_id}", {"cart_id": "$response.body#/id"}),
    ],
    ("post", "/v1/shipping-rates", "201"): [
        ("GetShippingRate", "get", "/v1/shipping-rates/{code}", {"code": "$response.body#/code"}),
    ],
    ("post", "/v1/carts/{cart_id}/checkout", "201"): [
        ("GetOrder", "get", "/v1/orders/{order_id}", {"order_id": "$response.body#/id"}),
    ],
    ("post", "/v1/pos/sales", "201"): [
        ("GetOrder", "get", "/v1/orders/{order_id}", {"order_id": "$response.body#/id"}),
    ],
    ("post", "/v1/orders/{order_id}/returns", "201"): [
        ("GetReturn", "get", "/v1/returns/{return_id}", {"return_id": "$response.body#/id"}),
    ],
}


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = schema.get("paths", {})
    for (method, path, status), links in LINKS.items():
        response = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if response is None:
            continue
        for name, target_method, target_path, parameters in links:
            target = paths.get(target_path, {}).get(target_method)
            if target is None or "operationId" not in target:
                continue
            response.setdefault("links", {})[name] = {
                "operationId": target["operationId"],
                "parameters": parameters,
            }
    return schema
