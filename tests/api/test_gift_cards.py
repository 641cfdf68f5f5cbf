"""Gift cards over HTTP (admin, POS look-up), on SQLite and PostgreSQL: the code is shown
once and kept as a digest, the balance is the sum of the ledger, and nothing takes it below
zero."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from souk.db.base import utcnow
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.giftcards.ledger import GiftCardDeclined, debit
from souk.giftcards.service import expire_cards
from souk.giftcards.tables import GiftCardRow

PROBLEM = "https://souk.dev/problems/"


def _issue(admin: TestClient, amount: int = 5000, **extra: object) -> dict[str, object]:
    response = admin.post("/v1/gift-cards", json={"currency": "EUR", "amount": amount, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_card_is_issued_once_with_its_code_and_read_without_it(
    admin: TestClient, db: Database
) -> None:
    card = _issue(admin)
    code = str(card["code"])
    assert card["balance"] == {"amount": 5000, "currency": "EUR"}
    assert len(code.replace("-", "")) == 20 and card["last4"] == code.replace("-", "")[-4:]

    read = admin.get(f"/v1/gift-cards/{card['id']}").json()
    assert "code" not in read
    assert (read["status"], read["kind"], read["last4"]) == ("active", "gift_card", card["last4"])
    assert [(e["type"], e["amount"]) for e in read["ledger"]] == [("issue", 5000)]
    with UnitOfWork(db, write=False) as uow:
        row = uow.session.get(GiftCardRow, card["id"])
        assert row is not None and code not in row.code_hash

    found = admin.post("/v1/gift-cards/lookup", json={"code": code.lower().replace("-", " ")})
    assert found.status_code == 200 and found.json()["id"] == card["id"]
    assert admin.post("/v1/gift-cards/lookup", json={"code": "AAAA-BBBB-CCCC"}).status_code == 404


def test_adjustments_keep_the_ledger_and_never_go_below_zero(admin: TestClient) -> None:
    card = _issue(admin, 1000)
    url = f"/v1/gift-cards/{card['id']}/adjustments"
    up = admin.post(url, json={"amount": 250, "reason": "goodwill"})
    assert up.status_code == 200, up.text
    assert up.json()["balance"]["amount"] == 1250
    too_much = admin.post(url, json={"amount": -5000, "reason": "mistake"})
    assert too_much.status_code == 409
    assert too_much.json()["type"] == PROBLEM + "gift-card-declined"
    down = admin.post(url, json={"amount": -1250, "reason": "closing"}).json()
    assert down["balance"]["amount"] == 0
    assert sum(e["amount"] for e in down["ledger"]) == 0
    assert [e["type"] for e in down["ledger"]] == ["issue", "adjust", "adjust"]
    assert admin.post(url, json={"amount": 0, "reason": "x"}).status_code == 422


def test_bad_cards_are_refused_and_nothing_is_written(admin: TestClient, db: Database) -> None:
    past = (utcnow() - timedelta(days=1)).isoformat()
    for body in (
        {"currency": "EUR", "amount": 0},
        {"currency": "EUR", "amount": -5},
        {"currency": "XXQ", "amount": 100},
        {"currency": "EUR", "amount": 100, "expires_at": past},
        {"currency": "EUR", "amount": 100, "customer": "cus_nobody"},
        {"currency": "EUR", "amount": 10**12},
    ):
        response = admin.post("/v1/gift-cards", json=body)
        assert response.status_code == 422, (body, response.text)
    with UnitOfWork(db, write=False) as uow:
        assert uow.session.query(GiftCardRow).count() == 0


def test_spending_checks_currency_balance_and_expiry(admin: TestClient, db: Database) -> None:
    soon = (utcnow() + timedelta(seconds=30)).isoformat()
    card = _issue(admin, 1000, expires_at=soon)
    code = str(card["code"])
    with UnitOfWork(db) as uow:
        left = debit(session=uow.session, code=code, amount=400, currency="EUR", order_id="o1")
        uow.commit()
    assert left.balance == 600
    for amount, currency in ((601, "EUR"), (100, "USD")):
        with UnitOfWork(db) as uow:
            try:
                debit(
                    session=uow.session, code=code, amount=amount, currency=currency, order_id="o2"
                )
            except GiftCardDeclined:
                pass
            else:
                raise AssertionError("declined card was charged")
    assert expire_cards(uow=UnitOfWork(db), now=utcnow() + timedelta(minutes=1)) == 1
    read = admin.get(f"/v1/gift-cards/{card['id']}").json()
    assert read["status"] == "expired" and read["balance"]["amount"] == 0
    assert [(e["type"], e["amount"]) for e in read["ledger"]] == [
        ("issue", 1000),
        ("redeem", -400),
        ("expire", -600),
    ]
