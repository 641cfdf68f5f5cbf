"""Stateful schemathesis: sequences of calls that follow the OpenAPI links from each create
operation to the reads and changes of what it created (src/souk/api/links.py), with real ids
from real answers. No sequence makes Souk answer with a server error, and every answer
matches the document. A fixed, small budget (SOUK_FUZZ_STATEFUL_EXAMPLES) keeps it a CI test.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from souk.app import create_app
from souk.settings import Settings
from tests.conftest import ADMIN_KEY

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("SOUK_FUZZ_STATEFUL_EXAMPLES", "80"))
STEPS = int(os.environ.get("SOUK_FUZZ_STATEFUL_STEPS", "6"))


@pytest.fixture
def fuzzed_app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    with TestClient(app):  # runs start-up: registers the bootstrap admin key
        yield app


def test_create_operations_link_to_their_reads(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    product_links = paths["/v1/products"]["post"]["responses"]["201"]["links"]
    assert product_links["GetProduct"] == {
        "operationId": paths["/v1/products/{handle}"]["get"]["operationId"],
        "parameters": {"handle": "$response.body#/handle"},
    }
    cart_links = paths["/v1/carts"]["post"]["responses"]["201"]["links"]
    assert {"GetCart", "AddCartLine", "UpdateCart"} <= set(cart_links)
    linked = {
        (path, method)
        for path, item in paths.items()
        for method, operation in item.items()
        if any("links" in response for response in operation.get("responses", {}).values())
    }
    assert len(linked) >= 10
    operation_ids = {op["operationId"] for item in paths.values() for op in item.values()}
    for item in paths.values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                for link in response.get("links", {}).values():
                    assert link["operationId"] in operation_ids


@pytest.mark.slow
@pytest.mark.xfail(
    raises=FlakyStrategyDefinition,
    strict=False,
    reason=(
        "the sequences share one database, and hypothesis reports a sequence that meets "
        "other data when replayed as a flaky strategy; a server error or a schema "
        "violation still fails this test (docs/api-conventions.md)"
    ),
)
def test_linked_sequences_never_fail_the_server_or_the_schema(fuzzed_app: FastAPI) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)
    calls: Counter[tuple[str, str, int]] = Counter()

    class Souk(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            # The admin key wins over any credentials the generator put in the case.
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {ADMIN_KEY}"}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            calls[(case.method, case.path, response.status_code)] += 1

        def validate_response(
            self,
            response: Any,
            case: schemathesis.Case,
            additional_checks: Any = None,
            **kwargs: Any,
        ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    def chained() -> bool:
        created = any(m == "POST" and status == 201 for m, _, status in calls)
        followed = any("{" in path and m != "POST" and status < 300 for m, path, status in calls)
        return created and followed

    # Whether a round of random sequences happens to create something and then follow one
    # of its links depends on what the generator drew and on what earlier sequences left in
    # the shared database: a round that reached no chain is followed by one of longer
    # sequences (up to three rounds). Every call of every round is checked as it is answered.
    for steps in (STEPS, 2 * STEPS, 3 * STEPS):
        Souk.run(
            settings=hypothesis_settings(
                max_examples=EXAMPLES,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                derandomize=True,  # the same sequences on every run: a CI test, not a lottery
                suppress_health_check=list(HealthCheck),
            )
        )
        if chained():
            break
    # The sequences really chained: something was created, then read back through a link.
    created = sum(
        n for (method, _, status), n in calls.items() if method == "POST" and status == 201
    )
    assert created > 0, calls
    followed = [key for key in calls if "{" in key[1] and key[0] != "POST" and key[2] < 300]
    assert followed, f"no link was followed to a read or change that succeeded: {calls}"
    assert not [key for key in calls if key[2] >= 500], calls
