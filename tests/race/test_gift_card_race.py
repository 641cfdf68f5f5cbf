"""Gift cards spent at once from many tills and checkouts, on a real SQLite file and a real
PostgreSQL: 500 partial redemptions and refunds racing on one card never take it below
zero, and the balance always equals the sum of its ledger."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.giftcards.ledger import GiftCardDeclined, credit, debit
from souk.giftcards.models import EntryType
from souk.giftcards.service import open_card
from souk.giftcards.tables import GiftCardEntryRow, GiftCardRow

pytestmark = pytest.mark.slow


def test_racing_redemptions_and_refunds_never_overdraw(db: Database) -> None:
    with UnitOfWork(db) as uow:
        row, code = open_card(session=uow.session, currency="EUR", amount=10_000)
        card_id = row.id
        uow.commit()
    rng = random.Random(7)
    plan = [
        ("redeem", rng.randint(1, 400)) if i % 5 else ("refund", rng.randint(1, 200))
        for i in range(500)
    ]
    start = threading.Barrier(16)
    lock = threading.Lock()
    accepted: list[int] = []

    def attempt(step: tuple[str, int]) -> None:
        kind, amount = step
        with UnitOfWork(db) as uow:
            try:
                if kind == "redeem":
                    debit(
                        session=uow.session, code=code, amount=amount, currency="EUR", order_id=None
                    )
                    signed = -amount
                else:
                    credit(
                        session=uow.session,
                        gift_card_id=card_id,
                        amount=amount,
                        entry=EntryType.REFUND,
                    )
                    signed = amount
                uow.commit()
            except GiftCardDeclined:
                return
        with lock:
            accepted.append(signed)

    def run(chunk: list[tuple[str, int]]) -> None:
        start.wait()
        for step in chunk:
            attempt(step)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(run, [plan[i::16] for i in range(16)]))

    with UnitOfWork(db, write=False) as uow:
        balance = uow.session.scalar(select(GiftCardRow.balance).where(GiftCardRow.id == card_id))
        ledger = uow.session.scalar(
            select(func.sum(GiftCardEntryRow.amount)).where(
                GiftCardEntryRow.gift_card_id == card_id
            )
        )
        entries = uow.session.scalar(
            select(func.count()).where(GiftCardEntryRow.gift_card_id == card_id)
        )
    assert balance is not None and balance >= 0
    assert balance == ledger == 10_000 + sum(accepted)
    assert entries == 1 + len(accepted)
    # The plan spends about 4× what the card and its refunds hold: some were refused.
    assert len(accepted) < len(plan)
