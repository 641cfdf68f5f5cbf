"""Registration that does not reveal which emails have accounts, over HTTP with a real SMTP
server (aiosmtpd) on both back ends: the same 202 either way, a link to confirm for a new
email, a notice for a known one, and an account only once the link is opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from souk.customers.mail import AccountMail
from souk.customers.tables import RegistrationRow
from souk.db.base import utcnow
from souk.db.engine import Database
from souk.settings import Settings
from tests.checkout_factories import Shop, make_shop
from tests.engagement_factories import Inbox, engagement_settings, free_port, inbox, text_of
from tests.support.account_mail import token_in

__all__ = ["inbox"]
PROBLEM = "https://souk.dev/problems/"
PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings: Settings, inbox: tuple[Inbox, int]) -> Settings:
    return engagement_settings(settings, inbox[1])


@pytest.fixture
def shop(admin: TestClient, db: Database) -> Shop:
    shop = make_shop(admin, db)
    shop.channel("web", default_locale="en", locales=["en"])
    return shop


@dataclass(frozen=True)
class AccountInbox:
    """The account mails (sent with Auto-Submitted) the SMTP inbox received, in order."""

    inbox: Inbox

    @property
    def messages(self) -> list[Message]:
        return [message for message, _ in self.inbox.account_mails]

    @property
    def recipients(self) -> list[list[str]]:
        return [to for _, to in self.inbox.account_mails]


@pytest.fixture
def mailbox(inbox: tuple[Inbox, int]) -> AccountInbox:
    return AccountInbox(inbox[0])


def _register(shop: Shop, email: str, password: str = PASSWORD, **more: Any) -> Any:
    return shop.call(
        "POST", "/v1/customers/register", "web", json={"email": email, "password": password, **more}
    )


def _login(shop: Shop, email: str, password: str = PASSWORD) -> int:
    body = {"email": email, "password": password}
    return shop.call("POST", "/v1/customers/login", "web", json=body).status_code


def _verify(shop: Shop, token: str, **more: Any) -> Any:
    return shop.call("POST", "/v1/customers/verify", "web", json={"token": token, **more})


def _customers(admin: TestClient) -> list[str]:
    return [c["email"] for c in admin.get("/v1/customers").json()["data"]]


def _pending(db: Database) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(RegistrationRow)) or 0)


def test_a_new_email_is_a_customer_only_once_its_link_is_opened(
    shop: Shop, admin: TestClient, mailbox: AccountInbox, db: Database
) -> None:
    # When a shopper registers
    answer = _register(shop, "Aiko@Example.jp", name="Aiko", locale="en")
    # Then the answer carries no token and says a mail was sent
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert set(body) == {"status", "email", "expires_at"}
    assert (body["status"], body["email"]) == ("verification_sent", "aiko@example.jp")
    # and the mail with the link reached the real SMTP server, to that address only
    assert mailbox.recipients == [["aiko@example.jp"]]
    mail = mailbox.messages[0]
    assert mail["Subject"] == "Confirm your email to finish signing up"
    assert mail["List-Unsubscribe"] is None  # transactional: nothing to unsubscribe from
    text = text_of(mail)
    assert "https://souk.test/shop/account?verify=" in text
    token = token_in(text)
    # and until it is opened nobody can sign in, and there is no customer
    assert _login(shop, "aiko@example.jp") == 401
    assert _customers(admin) == []
    # When the link's token comes back
    verified = _verify(shop, token)
    # Then the account exists, signed in, with what was registered
    assert verified.status_code == 201, verified.text
    session = verified.json()
    assert session["customer"]["email"] == "aiko@example.jp"
    assert (session["customer"]["name"], session["customer"]["locale"]) == ("Aiko", "en")
    me = shop.call("GET", "/v1/customers/me", "web", token=session["token"])
    assert me.status_code == 200 and me.json()["id"] == session["customer"]["id"]
    assert _login(shop, "aiko@example.jp") == 200
    assert _customers(admin) == ["aiko@example.jp"]
    assert _pending(db) == 0


def test_a_known_email_gets_the_same_answer_and_a_notice_instead(
    shop: Shop, admin: TestClient, mailbox: AccountInbox, db: Database
) -> None:
    first = _register(shop, "aiko@example.jp")
    assert _verify(shop, token_in(text_of(mailbox.messages[0]))).status_code == 201
    # When someone registers the same email again, with another password
    again = _register(shop, "AIKO@example.jp", password="someone else's password")
    fresh = _register(shop, "new@example.jp")
    # Then the answer is the one a new email gets: same status, same fields
    assert again.status_code == fresh.status_code == first.status_code == 202
    assert set(again.json()) == set(fresh.json())
    assert again.json()["status"] == fresh.json()["status"] == "verification_sent"
    assert again.json()["email"] == "aiko@example.jp"
    # and the owner of the mailbox is told, without a link that would do anything
    notice = mailbox.messages[1]
    assert mailbox.recipients[1] == ["aiko@example.jp"]
    assert notice["Subject"] == "Someone tried to register with your email"
    assert "verify=" not in text_of(notice)
    assert "verify=" in text_of(mailbox.messages[2])  # the new email's link
    # and nothing changed: the old password works, the new one does not, one account
    assert _login(shop, "aiko@example.jp", "someone else's password") == 401
    assert _login(shop, "aiko@example.jp") == 200
    assert _customers(admin) == ["aiko@example.jp"]
    assert _pending(db) == 1  # new@example.jp's, not a second one for aiko


def test_an_operators_customer_is_not_claimed_by_registering(
    shop: Shop, admin: TestClient, mailbox: AccountInbox, db: Database
) -> None:
    created = admin.post("/v1/customers", json={"email": "walkin@example.jp"})
    assert created.status_code == 201
    assert _register(shop, "walkin@example.jp").status_code == 202
    assert mailbox.messages[0]["Subject"] == "Someone tried to register with your email"
    assert _pending(db) == 0
    assert _login(shop, "walkin@example.jp") == 401


def test_a_link_works_once_and_other_links_of_the_email_lapse_with_it(
    shop: Shop, admin: TestClient, mailbox: AccountInbox
) -> None:
    _register(shop, "aiko@example.jp")
    _register(shop, "aiko@example.jp", password="a second password")
    first, second = (token_in(text_of(m)) for m in mailbox.messages)
    assert first != second
    assert _verify(shop, second).status_code == 201
    for token in (second, first):
        again = _verify(shop, token)
        assert again.status_code == 422
        assert again.json()["errors"] == [{"field": "body.token", "message": "unknown or expired"}]
    assert _customers(admin) == ["aiko@example.jp"]
    assert _login(shop, "aiko@example.jp", "a second password") == 200


def test_an_expired_or_malformed_link_creates_nothing(
    shop: Shop, admin: TestClient, mailbox: AccountInbox, db: Database
) -> None:
    _register(shop, "aiko@example.jp")
    token = token_in(text_of(mailbox.messages[0]))
    with db.sessions() as session:
        session.execute(update(RegistrationRow).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    expired = _verify(shop, token)
    assert expired.status_code == 422
    assert expired.json()["type"] == PROBLEM + "validation-error"
    for bad in ("short", "x" * 101, "not/a/token/at/all/!!"):
        response = _verify(shop, bad)
        assert response.status_code == 422
        assert [e["field"] for e in response.json()["errors"]] == ["body.token"]
    assert _customers(admin) == []
    # An expired registration is cleared by the next one.
    _register(shop, "other@example.jp")
    assert _pending(db) == 1


def test_smtp_down_answers_the_same_and_registering_again_sends_a_new_link(
    shop: Shop, admin: TestClient, mailbox: AccountInbox, db: Database, settings: Settings
) -> None:
    # Given an SMTP server that cannot be reached (a closed port)
    app = admin.app
    working = app.state.account_mail  # type: ignore[attr-defined]
    down = settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{free_port()}"})
    app.state.account_mail = AccountMail.from_settings(down)  # type: ignore[attr-defined]
    # Then registering answers as always (the mail is sent after the answer, off the request)
    answer = _register(shop, "aiko@example.jp")
    assert answer.status_code == 202 and answer.json()["status"] == "verification_sent"
    assert mailbox.messages == []
    # and once SMTP is back, registering again mails a link that works
    app.state.account_mail = working  # type: ignore[attr-defined]
    assert _register(shop, "aiko@example.jp").status_code == 202
    assert _verify(shop, token_in(text_of(mailbox.messages[0]))).status_code == 201
    assert _customers(admin) == ["aiko@example.jp"]
