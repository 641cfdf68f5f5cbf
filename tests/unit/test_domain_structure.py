"""The direction of the dependencies the issue asks for, checked on the source: the
storefront page sits above catalog, pricing and inventory; customers do not know carts."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "souk"


def _imports(package: str) -> set[str]:
    found = set()
    for path in (SRC / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
    return found


def _reaching(imports: set[str], target: str) -> set[str]:
    return {name for name in imports if name == target or name.startswith(target + ".")}


def test_the_catalog_imports_neither_pricing_nor_inventory() -> None:
    imports = _imports("catalog")
    assert _reaching(imports, "souk.pricing") == set()
    assert _reaching(imports, "souk.inventory") == set()


def test_customers_do_not_import_carts() -> None:
    assert _reaching(_imports("customers"), "souk.carts") == set()


def test_no_domain_below_the_storefront_imports_it() -> None:
    for domain in ("catalog", "pricing", "inventory", "carts", "channels"):
        assert _reaching(_imports(domain), "souk.storefront") == set(), domain


def test_the_storefront_reads_other_domains_through_their_queries_not_their_tables() -> None:
    tables = {name for name in _imports("storefront") if name.endswith(".tables")}
    assert tables == set()
