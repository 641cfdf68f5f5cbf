"""A typed client generated from the served OpenAPI document works.

openapi-python-client (the version pinned in requirements.lock), unmodified, generates a
client from `/openapi.json` without a single warning; every operation of the document is in
it with its request body and its success responses' models; and a guest drives cart → lines
→ address and delivery → checkout → order through the generated code against a real
`souk serve`, reading typed models back, never raw dicts.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from souk.app import create_app
from souk.db.engine import Database
from souk.settings import Settings
from tests.checkout_factories import tokyo_shop
from tests.conftest import ADMIN_KEY
from tests.support.server import live_server

# One process generates the client once for the whole module (about 10 s of the ~35 s).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("generated_client")]

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "souk_client"
METHODS = {"get", "post", "put", "patch", "delete"}


def class_key(name: str) -> str:
    """How a schema name and the generated class name meet: `Page_OrderRead_` is
    `PageOrderRead`, `CartHoldRead` stays itself."""
    return re.sub(r"[^0-9a-z]", "", name.lower())


def refs(schema: Any) -> set[str]:
    """The component names a schema refers to, at any depth."""
    return set(re.findall(r"#/components/schemas/([^'\"]+)", json.dumps(schema)))


@dataclass(frozen=True)
class Generated:
    document: dict[str, Any]
    output: str
    package: ModuleType
    models: ModuleType
    # (method, path template) -> the generated module of that operation
    operations: dict[tuple[str, str], ModuleType]

    def call(self, method: str, path: str) -> Any:
        return self.operations[(method, path)]


def served_document(tmp_path: Path) -> dict[str, Any]:
    # The document does not depend on the database: this app never opens its file.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        secret_key="generated-client-secret-key-0123456789abcdef",
        auto_migrate=False,
        dispatcher_enabled=False,
    )
    response = TestClient(create_app(settings)).get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operation_modules(root: Path) -> dict[tuple[str, str], ModuleType]:
    operations: dict[tuple[str, str], ModuleType] = {}
    for path in sorted((root / PACKAGE / "api").glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"{PACKAGE}.api.{path.parent.name}.{path.stem}")
        source = inspect.getsource(module._get_kwargs)
        method = re.search(r'"method": "(\w+)"', source)
        url = re.search(r'"url": "([^"]+)"', source)
        assert method and url, path
        operations[(method.group(1), url.group(1))] = module
    return operations


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("client")
    document = served_document(root)
    spec = root / "openapi.json"
    spec.write_text(json.dumps(document))
    # The generator formats its output with ruff, which lives beside this interpreter.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [str(GENERATOR), "generate", "--path", str(spec), "--output-path"]
    # Not --fail-on-warning: what a warning drops is checked below, one test per symptom.
    command += [str(root / PACKAGE), "--meta", "none"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        models = importlib.import_module(f"{PACKAGE}.models")
        yield Generated(document, output, package, models, _operation_modules(root))
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_generator_prints_no_warning(generated: Generated) -> None:
    printed = [line for line in generated.output.splitlines() if line.strip()]
    assert len(printed) == 1 and printed[0].startswith("Generating "), generated.output


def test_every_schema_becomes_a_model(generated: Generated) -> None:
    classes = {class_key(name) for name in generated.models.__all__}
    schemas = generated.document["components"]["schemas"]
    assert sorted(name for name in schemas if class_key(name) not in classes) == []
    # One Money for every amount, whichever domain answers it.
    money = generated.models.Money
    assert [f.name for f in money.__attrs_attrs__][:2] == ["amount", "currency"]


def test_every_operation_keeps_its_body_and_its_success_models(generated: Generated) -> None:
    classes = {class_key(name): name for name in generated.models.__all__}
    expected = {
        (method, path)
        for path, item in generated.document["paths"].items()
        for method in item
        if method in METHODS
    }
    assert set(generated.operations) == expected
    lost = []
    for (method, path), module in sorted(generated.operations.items()):
        operation = generated.document["paths"][path][method]
        parameters = inspect.signature(module.sync_detailed).parameters
        body = operation.get("requestBody")
        if body is None:
            if "body" in parameters:
                lost.append(f"{method} {path}: a body the document does not have")
        elif "body" not in parameters:
            lost.append(f"{method} {path}: its request body")
        else:
            annotation = str(parameters["body"].annotation)
            for name in refs(body):
                if classes.get(class_key(name), "no model") not in annotation:
                    lost.append(f"{method} {path}: body model {name}")
        parse = inspect.getsource(module._parse_response)
        branches = dict(re.findall(r"status_code == (\d+):\n(.*?)(?=\n    if |\Z)", parse, re.S))
        for status, response in operation["responses"].items():
            if not status.startswith("2"):
                continue
            if status not in branches:
                lost.append(f"{method} {path}: response {status}")
                continue
            for name in refs(response):
                if f"{classes.get(class_key(name))}.from_dict(" not in branches[status]:
                    lost.append(f"{method} {path}: {status} model {name}")
    assert lost == []


def test_a_guest_checks_out_through_the_generated_client(
    generated: Generated, admin: TestClient, db: Database, database_url: str
) -> None:
    # Given a Tokyo shop (¥12,000 sneakers, 10 % tax included, ¥800 delivery) served by a
    # real server whose /openapi.json is the document the client was generated from
    shop = tokyo_shop(admin, db)
    api, m = generated.package, generated.models
    with live_server(database_url, ADMIN_KEY) as server:
        assert httpx.get(server.url + "/openapi.json").json() == generated.document
        store = api.AuthenticatedClient(
            base_url=server.url,
            token=shop.keys["web"],
            prefix="",
            auth_header_name="X-Publishable-Key",
            raise_on_unexpected_status=True,
        )
        back_office = api.AuthenticatedClient(
            base_url=server.url, token=ADMIN_KEY, raise_on_unexpected_status=True
        )
        # When a guest opens a cart, adds two lines, sets address and delivery, checks out
        created = generated.call("post", "/v1/carts").sync_detailed(
            client=store, body=m.CartCreate(email="aiko@example.jp")
        )
        assert created.status_code == 201
        cart = created.parsed
        assert isinstance(cart, m.CartRead)
        add_line = generated.call("post", "/v1/carts/{cart_id}/lines")
        for sku, quantity in (("SNK-42", 2), ("SNK-43", 1)):
            cart = add_line.sync(cart.id, client=store, body=m.LineAdd(sku=sku, quantity=quantity))
            assert isinstance(cart, m.CartRead)
        cart = generated.call("patch", "/v1/carts/{cart_id}").sync(
            cart.id,
            client=store,
            body=m.CartUpdate(
                shipping_address=m.PostalAddress(
                    name="Aiko", line1="1-1 Chiyoda", city="Tokyo", country="JP"
                ),
                fulfillment=m.FulfillmentChoice(type_="delivery"),
            ),
        )
        assert isinstance(cart, m.CartRead)
        assert (cart.ready_for_checkout, cart.problems) == (True, [])
        assert isinstance(cart.shipping, m.ShippingRead)
        assert (cart.shipping.rate, cart.shipping.amount.amount) == ("jp-standard", 800)
        placed = generated.call("post", "/v1/carts/{cart_id}/checkout").sync_detailed(
            cart.id,
            client=store,
            body=m.CheckoutRequest(payment=m.PaymentInput(provider="test", token="tok_ok")),
        )
        assert placed.status_code == 201
        assert isinstance(placed.parsed, m.OrderRead)
        # Then the order read back by the back office is the one placed, typed throughout
        order = generated.call("get", "/v1/orders/{order_id}").sync(
            placed.parsed.id, client=back_office
        )
        # And a line the shop does not sell comes back as a typed problem, not an exception
        refused = add_line.sync_detailed(
            cart.id, client=store, body=m.LineAdd(sku="NO-SUCH-SKU", quantity=1)
        )
    assert isinstance(order, m.OrderRead)
    assert (order.id, order.number, order.status, order.channel) == (
        placed.parsed.id,
        "1001",
        "placed",
        "web",
    )
    assert (order.email, order.currency) == ("aiko@example.jp", "JPY")
    assert [(line.sku, line.quantity) for line in order.lines] == [("SNK-42", 2), ("SNK-43", 1)]
    assert all(isinstance(line.unit_price, m.Money) for line in order.lines)
    assert [line.unit_price.amount for line in order.lines] == [12000, 12000]
    assert isinstance(order.totals, m.TotalsRead)
    # ¥36,000 of sneakers and ¥800 delivery; the 10 % tax is inside each (no minor unit).
    totals = {
        name: (getattr(order.totals, name).amount, getattr(order.totals, name).currency)
        for name in ("subtotal", "discount", "shipping", "tax", "tax_included", "total")
    }
    assert totals == {
        "subtotal": (36000, "JPY"),
        "discount": (0, "JPY"),
        "shipping": (800, "JPY"),
        "tax": (0, "JPY"),
        "tax_included": (2182 + 1091 + 73, "JPY"),
        "total": (36800, "JPY"),
    }
    [payment] = order.payments
    assert isinstance(payment, m.PaymentRead)
    assert (payment.status, payment.amount.amount) == ("authorized", 36800)
    assert isinstance(refused.parsed, m.Problem)
    assert refused.status_code == refused.parsed.status
    assert refused.parsed.type_.startswith("https://souk.dev/problems/")
