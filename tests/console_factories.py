"""Staff accounts and signed-in console clients for the console's tests."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.staff import service
from souk.staff.models import StaffMember

PASSWORD = "a long enough passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_staff(
    db: Database, role: str, *, email: str | None = None, stores: tuple[str, ...] = ()
) -> StaffMember:
    return service.create_staff(
        uow=UnitOfWork(db),
        email=email or f"{role}@example.com",
        name=role.replace("_", " ").title(),
        role=role,
        stores=list(stores),
        password=PASSWORD,
    )


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/admin/sign-in")
    return client.post(
        "/admin/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": password},
        follow_redirects=False,
    )


def signed_in(client: TestClient, member: StaffMember) -> str:
    """Signs `client` in as `member`; returns the session's CSRF token."""
    answer = sign_in(client, member.email)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get(answer.headers["location"]).text)
