"""Schemathesis over the whole OpenAPI document: no input, valid or not, makes Souk answer
with a server error, and every response matches what the document declares for it (status,
content type, body schema — problem documents included).

Each generated request is sent to both back ends in turn: generating the requests is most
of the cost, and the same input then proves both. (Where PostgreSQL is unreachable outside
CI, the requests go to SQLite alone.)"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from souk.app import create_app
from tests.conftest import ADMIN_KEY, app_settings, database_url_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = int(os.environ.get("SOUK_FUZZ_EXAMPLES", "12"))


@pytest.fixture
def fuzzed_apps(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, FastAPI]]:
    """One started app per back end, by name."""
    apps: dict[str, FastAPI] = {}
    with ExitStack() as started:
        for backend in ("sqlite", "postgresql"):
            try:
                url = database_url_for(backend, request, tmp_path)
            except pytest.skip.Exception:
                continue  # PostgreSQL unreachable outside CI (under CI=true it fails instead)
            apps[backend] = create_app(app_settings(url))
            started.enter_context(TestClient(apps[backend]))  # start-up: the admin key
        yield apps


def _fuzz_operation(
    operation: schemathesis.APIOperation, mode: GenerationMode, apps: dict[str, FastAPI]
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        for backend, app in apps.items():
            try:
                case.call_and_validate(
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}, checks=CHECKS, app=app
                )
            except Exception as exc:
                exc.add_note(f"(on {backend})")
                raise

    run()


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_responses_match_schema(
    fuzzed_apps: dict[str, FastAPI], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_apps["sqlite"])
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            _fuzz_operation(operation, mode, fuzzed_apps)
        except Unsatisfiable:
            continue  # nothing invalid can be sent to it (no parameters, no body)
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {_describe(exc)}")
    assert failures == []


def _describe(exc: BaseException) -> str:
    """The failure with what caused it: hypothesis wraps a failure that did not repeat in an
    exception group, whose own message names neither the request nor the check."""
    if isinstance(exc, BaseExceptionGroup):
        return f"{exc} — " + " | ".join(_describe(sub) for sub in exc.exceptions)
    notes = " ".join(getattr(exc, "__notes__", []))
    return f"{type(exc).__name__}: {exc} {notes}".strip()


def test_openapi_document_is_served(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status"}
    keys = document["paths"]["/v1/api-keys"]["post"]["responses"]
    assert "application/problem+json" in keys["422"]["content"]
