"""Every schema of /openapi.json has one stable public name.

FastAPI publishes two Pydantic models that share a class name under module-qualified names
(`souk__orders__schemas__MoneyRead`); openapi-python-client then drops both and every
schema and operation that refers to them. Shared shapes live once in `souk.api.shapes`;
shapes that only look alike get names of their own.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from souk.app import create_app
from souk.settings import Settings


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # Building the document needs no database: the file is never opened.
    path = Path(tmp_path_factory.mktemp("names")) / "unused.sqlite3"
    settings = Settings(
        database_url=f"sqlite:///{path}",
        secret_key="schema-names-secret-key-0123456789abcdef",
        auto_migrate=False,
        dispatcher_enabled=False,
    )
    schemas: dict[str, Any] = create_app(settings).openapi()["components"]["schemas"]
    return schemas


def test_no_schema_gets_a_module_qualified_name(components: dict[str, Any]) -> None:
    qualified = sorted(name for name in components if "__" in name)
    assert qualified == [], (
        "two Pydantic models share these class names; give each shape one public name "
        "(shared shapes belong in souk.api.shapes)"
    )


def test_no_two_schemas_become_the_same_generated_class(components: dict[str, Any]) -> None:
    # Generators turn `Page_OrderRead_` into the class `PageOrderRead`: names that differ only
    # in case or punctuation would collide in a generated client too.
    by_class: dict[str, list[str]] = defaultdict(list)
    for name in components:
        by_class[re.sub(r"[^0-9a-z]", "", name.lower())].append(name)
    assert {k: v for k, v in by_class.items() if len(v) > 1} == {}


def test_money_is_one_shared_schema(components: dict[str, Any]) -> None:
    assert components["Money"]["required"] == ["amount", "currency"]
    assert set(components["Money"]["properties"]) == {"amount", "currency"}
    assert not [name for name in components if name != "Money" and "Money" in name]
    # The carts', orders', returns' and storefront's amounts all refer to it.
    referring = {
        name for name, schema in components.items() if "#/components/schemas/Money" in repr(schema)
    }
    assert {"TotalsRead", "OrderLineRead", "CartLineRead", "ReturnRead", "CatalogVariant"} <= (
        referring
    )
