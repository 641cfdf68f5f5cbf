"""The console's doors: sign-in, the session cookie, CSRF, expiry, roles and stores."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from souk.app import create_app
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from souk.staff.tables import StaffSessionRow
from tests.console_factories import PASSWORD, csrf_of, make_staff, sign_in, signed_in


def test_root_sends_a_newcomer_to_the_sign_in(client: TestClient) -> None:
    first = client.get("/", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (303, "/admin")
    landing = client.get("/")
    assert landing.url.path == "/admin/sign-in"
    assert '<input id="email" name="email"' in landing.text
    assert "souk staff create" in landing.text


def test_the_console_with_a_trailing_slash_is_the_console(client: TestClient) -> None:
    first = client.get("/admin/", follow_redirects=False)
    assert (first.status_code, first.headers["location"]) == (308, "/admin")
    assert client.get("/admin/").url.path == "/admin/sign-in"


def test_a_right_password_opens_a_session_with_a_safe_cookie(
    client: TestClient, db: Database
) -> None:
    member = make_staff(db, "admin")
    answer = sign_in(client, "ADMIN@example.com")
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin/dashboard")
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("souk_staff="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    page = client.get("/admin/dashboard")
    assert page.status_code == 200 and member.name in page.text


def test_the_cookie_is_secure_over_https(settings: Settings, db: Database) -> None:
    make_staff(db, "admin")
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        answer = sign_in(client, "admin@example.com")
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith("souk_staff="))
    assert "Secure" in cookie


@pytest.mark.parametrize(
    ("email", "password", "status", "message"),
    [
        ("admin@example.com", "wrong password!", 401, "Wrong email or password."),
        ("nobody@example.com", PASSWORD, 401, "Wrong email or password."),
        ("", PASSWORD, 422, "Enter your email address."),
        ("admin@example.com", "", 422, "Enter your password."),
    ],
)
def test_a_failed_sign_in_says_why_in_the_page_and_opens_nothing(
    client: TestClient, db: Database, email: str, password: str, status: int, message: str
) -> None:
    make_staff(db, "admin")
    answer = sign_in(client, email, password)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert message in answer.text
    assert "souk_staff" not in client.cookies
    assert client.get("/admin/orders", follow_redirects=False).status_code == 303


def test_a_sign_in_without_the_form_token_is_refused(client: TestClient, db: Database) -> None:
    make_staff(db, "admin")
    answer = client.post(
        "/admin/sign-in",
        data={"email": "admin@example.com", "password": PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert "sign-in form had expired" in answer.text
    assert "souk_staff" not in client.cookies


def test_a_post_without_the_session_token_changes_nothing(client: TestClient, db: Database) -> None:
    member = make_staff(db, "admin")
    csrf = signed_in(client, member)
    refused = client.post("/admin/sign-out", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert "security token (CSRF)" in refused.text
    forged = client.post("/admin/sign-out", data={"csrf_token": csrf[:-2] + "xx"})
    assert forged.status_code == 403
    assert client.get("/admin/orders").status_code == 200  # still signed in
    out = client.post("/admin/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/admin/sign-in?reason=bye")
    assert client.get("/admin/orders", follow_redirects=False).status_code == 303


def test_an_expired_session_sends_back_to_the_sign_in(client: TestClient, db: Database) -> None:
    member = make_staff(db, "operations")
    signed_in(client, member)
    with db.sessions.begin() as session:
        session.execute(update(StaffSessionRow).values(expires_at=utcnow() - timedelta(seconds=1)))
    answer = client.get("/admin/orders?status=placed", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/admin/sign-in?next=/admin/orders%3Fstatus%3Dplaced&reason=expired"
    )
    page = client.get(answer.headers["location"])
    assert "Your session has ended: sign in again." in page.text
    # Signing in again lands where the expired page was.
    again = _sign_in_to(client, page.text, member.email, "/admin/orders?status=placed")
    assert again.headers["location"] == "/admin/orders?status=placed"


def _sign_in_to(client: TestClient, form_page: str, email: str, next_url: str) -> httpx.Response:
    return client.post(
        "/admin/sign-in",
        data={"csrf_token": csrf_of(form_page), "email": email, "password": PASSWORD,
              "next": next_url},
        follow_redirects=False,
    )  # fmt: skip


def test_sign_in_goes_nowhere_but_the_console(client: TestClient, db: Database) -> None:
    member = make_staff(db, "admin")
    assert 'name="next" value=""' in client.get("/admin/sign-in?next=//evil.example/").text
    for target in ("https://evil.example/", "//evil.example/admin", "/\\evil.example"):
        page = client.get("/admin/sign-in")  # each sign-in spends the form's token
        answer = _sign_in_to(client, page.text, member.email, target)
        assert answer.headers["location"] == "/admin/dashboard"


@pytest.mark.parametrize(
    ("role", "open_", "closed"),
    [
        ("operations", "/admin/orders", "/admin/customers"),
        ("marketer", "/admin/customers", "/admin/orders"),
        ("marketer", "/admin/marketing", "/admin/fulfilment"),
    ],
)
def test_each_role_opens_its_screens_only(
    client: TestClient, db: Database, role: str, open_: str, closed: str
) -> None:
    signed_in(client, make_staff(db, role))
    assert client.get(open_).status_code == 200
    refused = client.get(closed)
    assert refused.status_code == 403
    assert f"not open to the {role} role" in refused.text
    nav = client.get(open_).text
    assert f'href="{closed}"' not in nav


def test_every_page_carries_a_strict_policy(client: TestClient, db: Database) -> None:
    signed_in(client, make_staff(db, "admin"))
    for path in ["/admin/sign-in", "/admin/dashboard", "/admin/orders", "/admin/nonsense-404"]:
        answer = client.get(path)
        assert answer.headers["content-type"].startswith("text/html")
        csp = answer.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["cache-control"] == "no-store"
    assert "There is no such page" in client.get("/admin/nonsense-404").text


def test_guessing_a_password_is_slowed_down(settings: Settings, db: Database) -> None:
    make_staff(db, "admin")
    guarded = settings.model_copy(update={"rate_limit_enabled": True, "signin_free_failures": 3})
    with TestClient(create_app(guarded)) as client:
        statuses = [
            sign_in(client, "admin@example.com", "wrong guess!!").status_code for _ in range(4)
        ]
        locked = sign_in(client, "admin@example.com")  # the right password, while locked
    assert statuses == [401, 401, 401, 429]
    assert locked.status_code == 429
    assert "Too many wrong passwords" in locked.text
    assert int(locked.headers["retry-after"]) >= 1
