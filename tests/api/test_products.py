"""Products, variants, translations, categories and listings through the admin API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.catalog_factories import (
    list_product,
    make_channel,
    make_location,
    make_product,
    product_body,
)


def _errors(response: Any) -> set[str]:
    return {e["field"] for e in response.json()["errors"]}


def test_create_and_read_a_product(admin: TestClient) -> None:
    # when a product is created with variants, texts in three locales, a category
    created = make_product(admin, "linen-shirt", ("LS-S", "LS-M"))
    # then it reads back as sent, with empty listings
    assert {k: v for k, v in created.items() if k not in ("created_at", "updated_at")} == {
        "handle": "linen-shirt",
        "title": {"en": "Linen shirt", "fr": "Chemise en lin", "ja": "リネンシャツ"},
        "description": {"en": "Breathable linen.", "fr": "Lin respirant."},
        "category": "shirts",
        "attributes": {"material": "linen"},
        "variants": [
            {
                "sku": "LS-S",
                "options": {"size": "S"},
                "barcode": None,
                "weight_g": 250,
                "allow_backorder": False,
            },
            {
                "sku": "LS-M",
                "options": {"size": "M"},
                "barcode": None,
                "weight_g": 250,
                "allow_backorder": False,
            },
        ],
        "listings": [],
    }
    assert admin.get("/v1/products/linen-shirt").json() == created
    assert [c["code"] for c in admin.get("/v1/categories").json()] == ["shirts"]


def test_duplicate_handle_is_409_and_writes_nothing(admin: TestClient) -> None:
    make_product(admin, "linen-shirt", ("LS-S",))
    again = admin.post("/v1/products", json=product_body("linen-shirt", ("OTHER-1",)))
    assert again.status_code == 409
    assert again.json()["type"] == "https://souk.dev/problems/already-exists"
    assert admin.get("/v1/products").json()["data"][0]["variants"][0]["sku"] == "LS-S"
    assert len(admin.get("/v1/products").json()["data"]) == 1


def test_duplicate_sku_in_another_product_is_409_and_writes_nothing(admin: TestClient) -> None:
    make_product(admin, "linen-shirt", ("LS-S",))
    again = admin.post("/v1/products", json=product_body("linen-dress", ("LD-S", "LS-S")))
    assert again.status_code == 409
    assert "LS-S" in again.json()["detail"]
    assert admin.get("/v1/products/linen-dress").status_code == 404


def test_duplicate_sku_inside_one_body_is_422(admin: TestClient) -> None:
    response = admin.post("/v1/products", json=product_body("x", ("A-1", "A-1")))
    assert response.status_code == 422
    assert _errors(response) == {"body.variants.1.sku"}


def test_bad_product_lists_every_bad_field(admin: TestClient) -> None:
    body = product_body("Bad Handle", ("OK-1",))
    body["title"] = {"xx-YY": "?", "en": ""}
    body["variants"] = [{"sku": "", "weight_g": -1, "allow_backorder": "maybe"}]
    response = admin.post("/v1/products", json=body)
    assert response.status_code == 422
    assert _errors(response) == {
        "body.handle",
        "body.title.en",
        "body.variants.0.sku",
        "body.variants.0.weight_g",
        "body.variants.0.allow_backorder",
    }
    # the unknown locale is reported once the shape is right
    body = product_body("ok", ("OK-1",), title={"xx-YY": "?", "en": "Fine"}, description=None)
    response = admin.post("/v1/products", json=body)
    assert response.status_code == 422
    assert _errors(response) == {"body.title.xx-YY"}
    assert admin.get("/v1/products").json()["data"] == []


def test_a_product_needs_a_title_and_a_variant(admin: TestClient) -> None:
    response = admin.post("/v1/products", json=product_body("x", (), title={}))
    assert response.status_code == 422
    assert _errors(response) == {"body.title", "body.variants"}


def test_patch_merges_texts_and_upserts_variants(admin: TestClient) -> None:
    make_product(admin, "linen-shirt", ("LS-S", "LS-M"))
    response = admin.patch(
        "/v1/products/linen-shirt",
        json={
            "title": {"fr-CA": "Chemise de lin", "ja": None},
            "description": {"fr-CA": "Lin du Québec."},
            "category": "summer",
            "variants": [{"sku": "LS-S", "barcode": "3700000000011"}, {"sku": "LS-L"}],
            "remove_skus": ["LS-M"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == {"en": "Linen shirt", "fr": "Chemise en lin", "fr-CA": "Chemise de lin"}
    assert body["description"]["fr-CA"] == "Lin du Québec."
    assert body["category"] == "summer"
    assert [(v["sku"], v["barcode"], v["weight_g"]) for v in body["variants"]] == [
        ("LS-S", "3700000000011", 250),
        ("LS-L", None, None),
    ]


def test_patch_cannot_remove_the_last_title_or_variant(admin: TestClient) -> None:
    make_product(admin, "tee", ("T-1",), title={"en": "Tee"}, description=None)
    response = admin.patch("/v1/products/tee", json={"title": {"en": None}, "remove_skus": ["T-1"]})
    assert response.status_code == 422
    assert _errors(response) == {"body.title", "body.remove_skus"}
    assert admin.get("/v1/products/tee").json()["title"] == {"en": "Tee"}


def test_patch_adding_a_sku_of_another_product_is_409(admin: TestClient) -> None:
    make_product(admin, "a", ("A-1",))
    make_product(admin, "b", ("B-1",))
    response = admin.patch("/v1/products/b", json={"variants": [{"sku": "A-1"}]})
    assert response.status_code == 409
    assert [v["sku"] for v in admin.get("/v1/products/b").json()["variants"]] == ["B-1"]


def test_delete_removes_the_product_and_frees_its_skus(admin: TestClient) -> None:
    make_product(admin, "tee", ("T-1",))
    assert admin.delete("/v1/products/tee").status_code == 204
    assert admin.get("/v1/products/tee").status_code == 404
    assert admin.delete("/v1/products/tee").status_code == 404
    make_product(admin, "tee-2", ("T-1",))


def test_products_list_pages_by_handle_and_filters_by_category(admin: TestClient) -> None:
    for i, category in enumerate(["shirts", "shoes", "shirts"]):
        make_product(admin, f"p{i}", (f"P{i}",), category=category)
    first = admin.get("/v1/products", params={"limit": 2}).json()
    assert [p["handle"] for p in first["data"]] == ["p0", "p1"]
    rest = admin.get("/v1/products", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert ([p["handle"] for p in rest["data"]], rest["next_cursor"]) == (["p2"], None)
    shirts = admin.get("/v1/products", params={"category": "shirts"}).json()
    assert [p["handle"] for p in shirts["data"]] == ["p0", "p2"]
    bad = admin.get("/v1/products", params={"cursor": "not-a-cursor"})
    assert bad.status_code == 422


def test_listing_with_a_window_is_a_timed_drop(admin: TestClient) -> None:
    make_channel(admin, "app")
    make_product(admin, "sneaker", ("SN-42",))
    listing = list_product(
        admin,
        "sneaker",
        "app",
        available_from="2030-01-01T10:00:00Z",
        available_until="2030-01-02T10:00:00+00:00",
        hold_stock="cart",
        hold_minutes=10,
    )
    assert listing == {
        "channel": "app",
        "published": True,
        "available_from": "2030-01-01T10:00:00Z",
        "available_until": "2030-01-02T10:00:00Z",
        "hold_stock": "cart",
        "hold_minutes": 10,
        "early_access": None,
        "open": False,
    }
    assert admin.get("/v1/products/sneaker").json()["listings"] == [listing]
    # a PUT replaces the whole listing
    again = list_product(admin, "sneaker", "app")
    assert (again["available_from"], again["hold_stock"], again["open"]) == (None, "checkout", True)


def test_bad_listings_are_refused(admin: TestClient) -> None:
    make_channel(admin, "app")
    make_product(admin, "sneaker", ("SN-42",))
    url = "/v1/products/sneaker/listings/app"
    cases: list[dict[str, Any]] = [
        {
            "published": True,
            "available_from": "2030-01-02T00:00:00Z",
            "available_until": "2030-01-01T00:00:00Z",
        },
        {"published": True, "available_from": "2030-01-01T00:00:00"},  # naive
        {"published": True, "hold_stock": "cart"},
        {"published": True, "hold_minutes": 5},
        {"published": "yes"},
        {"published": True, "hold_stock": "forever", "hold_minutes": 5},
    ]
    for body in cases:
        assert admin.put(url, json=body).status_code == 422, body
    assert admin.put("/v1/products/nope/listings/app", json={"published": True}).status_code == 404
    assert (
        admin.put("/v1/products/sneaker/listings/nope", json={"published": True}).status_code == 404
    )
    assert admin.get("/v1/products/sneaker").json()["listings"] == []


def test_delete_listing(admin: TestClient) -> None:
    make_channel(admin, "app")
    make_product(admin, "sneaker", ("SN-42",))
    list_product(admin, "sneaker", "app")
    assert admin.delete("/v1/products/sneaker/listings/app").status_code == 204
    assert admin.delete("/v1/products/sneaker/listings/app").status_code == 404


def test_categories_form_a_tree(admin: TestClient) -> None:
    created = admin.post("/v1/categories", json={"code": "apparel", "names": {"fr": "Mode"}})
    assert created.status_code == 201
    child = admin.post("/v1/categories", json={"code": "shirts", "parent": "apparel"})
    assert child.json() == {"code": "shirts", "names": {}, "parent": "apparel"}
    assert admin.post("/v1/categories", json={"code": "shirts"}).status_code == 409
    orphan = admin.post("/v1/categories", json={"code": "x", "parent": "nope"})
    assert orphan.status_code == 422


def test_products_need_an_admin_key(admin: TestClient) -> None:
    make_channel(admin, "web")
    make_product(admin, "tee", ("T-1",))
    key = admin.post(
        "/v1/api-keys", json={"name": "shop", "role": "storefront", "channel": "web"}
    ).json()["key"]
    admin.headers.pop("Authorization")
    assert admin.get("/v1/products").status_code == 401
    assert admin.post("/v1/products", json=product_body("x", ("X-1",))).status_code == 401
    shop = {"Authorization": f"Bearer {key}"}
    assert admin.get("/v1/products/tee", headers=shop).status_code == 403
    assert admin.patch("/v1/products/tee", json={}, headers=shop).status_code == 403
    assert admin.delete("/v1/products/tee", headers=shop).status_code == 403
    url = "/v1/products/tee/listings/web"
    assert admin.put(url, json={"published": True}, headers=shop).status_code == 403
    assert admin.get("/v1/products", headers={"X-Publishable-Key": key}).status_code == 401


def test_retried_create_with_idempotency_key_creates_once(admin: TestClient) -> None:
    headers = {"Idempotency-Key": "create-linen-shirt"}
    first = admin.post("/v1/products", json=product_body("tee", ("T-1",)), headers=headers)
    again = admin.post("/v1/products", json=product_body("tee", ("T-1",)), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = admin.post("/v1/products", json=product_body("tee-2", ("T-2",)), headers=headers)
    assert other.status_code == 422
    assert [p["handle"] for p in admin.get("/v1/products").json()["data"]] == ["tee"]


def test_a_product_with_stock_history_cannot_be_deleted(admin: TestClient) -> None:
    # given a product whose first variant has been received into a warehouse
    make_location(admin, "wh-1")
    make_product(admin, "tee", ("T-1", "T-2"))
    movement = {"sku": "T-1", "location": "wh-1", "type": "receipt", "quantity": 3}
    assert admin.post("/v1/inventory/movements", json=movement).status_code == 201
    # when it is deleted, or that variant removed, then 409 and the ledger stays
    deleted = admin.delete("/v1/products/tee")
    assert deleted.status_code == 409
    assert "T-1 have stock history" in deleted.json()["detail"]
    removed = admin.patch("/v1/products/tee", json={"remove_skus": ["T-1"]})
    assert removed.status_code == 409
    assert len(admin.get("/v1/inventory/T-1/movements").json()["data"]) == 1
    # the variant without history may go
    assert admin.patch("/v1/products/tee", json={"remove_skus": ["T-2"]}).status_code == 200
