"""Coupon codes: one shared code, bulk unique single-use codes, personal codes — and how a
code the shopper typed is accepted or refused with its reason."""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from souk.db.base import utcnow
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, NotFound
from souk.promotions.schemas import CodesCreate, CodesRead, PersonalCouponRead
from souk.promotions.service import load
from souk.promotions.tables import PromotionCodeRow, PromotionRow

# No 0/O, 1/I/L: codes are read aloud at tills and typed from printed vouchers.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RANDOM_CHARS = 12  # 31^12 ≈ 2^59: guessing one live code of a million takes ~2^39 tries


def normalize(code: str) -> str:
    return code.strip().upper()


def _random_code(prefix: str | None) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return f"{normalize(prefix)}-{body}" if prefix else body


def add_codes(*, uow: UnitOfWork, promotion_id: str, data: CodesCreate) -> CodesRead:
    now = utcnow()
    with uow:
        load(uow.session, promotion_id)
        if data.code is not None:
            codes = [normalize(data.code)]
            limit = data.usage_limit
        else:
            codes = sorted({_random_code(data.prefix) for _ in range(data.count or 0)})
            limit = data.usage_limit or 1
        uow.session.add_all(
            PromotionCodeRow(
                code=code,
                promotion_id=promotion_id,
                customer_id=None,
                usage_limit=limit,
                times_used=0,
                created_at=now,
            )
            for code in codes
        )
        try:
            uow.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(
                "A code with that name exists already"
                if data.code
                else "Generated codes collided with existing ones; ask again"
            ) from exc
        uow.emit("promotion.codes_added", {"id": promotion_id, "count": len(codes)})
        uow.commit()
    return CodesRead(promotion=promotion_id, codes=codes)


def codes_csv(*, uow: UnitOfWork, promotion_id: str) -> str:
    with uow:
        load(uow.session, promotion_id)
        rows = uow.session.execute(
            select(
                PromotionCodeRow.code,
                PromotionCodeRow.customer_id,
                PromotionCodeRow.usage_limit,
                PromotionCodeRow.times_used,
            )
            .where(PromotionCodeRow.promotion_id == promotion_id)
            .order_by(PromotionCodeRow.code)
        ).all()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "customer", "usage_limit", "times_used"])
    for code, customer, limit, used in rows:
        writer.writerow([code, customer or "", "" if limit is None else limit, used])
    return out.getvalue()


def personal_coupon(
    *, uow: UnitOfWork, promotion_id: str, customer_id: str, customer_exists: bool
) -> PersonalCouponRead:
    """A single-use code only this customer can redeem, online or at a till."""
    if not customer_exists:
        raise NotFound(f"No customer {customer_id}")
    with uow:
        code = add_personal_code(uow, promotion_id=promotion_id, customer_id=customer_id)
        uow.commit()
    return PersonalCouponRead(promotion=promotion_id, customer=customer_id, code=code)


def add_personal_code(uow: UnitOfWork, *, promotion_id: str, customer_id: str | None) -> str:
    """A single-use code in the caller's open transaction (engagement mints one per message
    in the transaction that records it, so a retried send never mints a second). Without a
    customer the code is single-use but anyone's."""
    load(uow.session, promotion_id)
    code = _random_code("P")
    uow.session.add(
        PromotionCodeRow(
            code=code,
            promotion_id=promotion_id,
            customer_id=customer_id,
            usage_limit=1,
            times_used=0,
            created_at=utcnow(),
        )
    )
    uow.emit("coupon.issued", {"promotion": promotion_id, "customer": customer_id, "code": code})
    return code


@dataclass(frozen=True, slots=True)
class CodeProblem:
    code: str
    reason: str


def resolve(
    *, session: Session, codes: list[str], customer_id: str | None
) -> tuple[dict[str, str], list[CodeProblem]]:
    """The codes a shopper entered: those that exist, are theirs to use and not used up
    (code → promotion id), and the others with the reason — never silently dropped. One
    statement for every code together."""
    wanted = list(dict.fromkeys(normalize(c) for c in codes))
    if not wanted:
        return {}, []
    found = {
        row.code: row
        for row in session.execute(
            select(
                PromotionCodeRow.code,
                PromotionCodeRow.promotion_id,
                PromotionCodeRow.customer_id,
                PromotionCodeRow.usage_limit,
                PromotionCodeRow.times_used,
                PromotionRow.deleted,
            )
            .join(PromotionRow, PromotionRow.id == PromotionCodeRow.promotion_id)
            .where(PromotionCodeRow.code.in_(wanted))
        )
    }
    accepted: dict[str, str] = {}
    problems = []
    for code in wanted:
        row = found.get(code)
        if row is None or row.deleted:
            problems.append(CodeProblem(code, "unknown code"))
        elif row.customer_id is not None and row.customer_id != customer_id:
            problems.append(CodeProblem(code, "this code belongs to another customer"))
        elif row.usage_limit is not None and row.times_used >= row.usage_limit:
            problems.append(CodeProblem(code, "this code has been used up"))
        else:
            accepted[code] = row.promotion_id
    return accepted, problems
