"""Registration that does not tell which emails have accounts (OWASP API #2, enumeration).

`register` answers the same whether or not the email is known, after the same Argon2 hash:
a new email gets a pending registration and a mail with a link to confirm it; a known one
gets a mail saying that someone tried. Only the owner of the mailbox learns which. `verify`
turns a pending registration into a customer, signed in, when the link's token comes back.
Until then the email is not a customer: sign-in does not know it, and an attacker who
registers someone else's email creates nothing that person would later find bound to it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from souk.customers.mail import AccountMail
from souk.customers.passwords import hash_password
from souk.customers.schemas import (
    CustomerRegister,
    CustomerSession,
    EmailVerification,
    RegistrationPending,
)
from souk.customers.service import session_for, signed_in
from souk.customers.tables import CustomerRow, RegistrationRow
from souk.customers.tokens import TokenSigner
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.engagement.providers import Outgoing
from souk.errors import AlreadyExists, ValidationFailed, field_error


@dataclass(frozen=True, slots=True)
class Registered:
    answer: RegistrationPending
    # Sent by the caller once the answer is on its way (after the commit, off the request).
    mail: Outgoing


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def register(
    *, uow: UnitOfWork, mail: AccountMail, data: CustomerRegister, channel: str, ttl_s: int
) -> Registered:
    # Hashed whether or not the email is known, and before the transaction (Argon2 is slow
    # on purpose and must not hold a write lock): both answers cost the same.
    password_hash = hash_password(data.password)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires_at = now + timedelta(seconds=ttl_s)
    with uow:
        session = uow.session
        session.execute(delete(RegistrationRow).where(RegistrationRow.expires_at < now))
        known = session.scalar(select(CustomerRow.id).where(CustomerRow.email == data.email))
        if known is not None:
            outgoing = mail.already_registered(to=data.email)
        else:
            session.add(
                RegistrationRow(
                    id=new_id("reg"),
                    token_hash=_token_hash(token),
                    email=data.email,
                    password_hash=password_hash,
                    name=data.name,
                    locale=data.locale,
                    channel=channel,
                    cart_id=data.cart_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            outgoing = mail.verification(
                to=data.email, token=token, expires=expires_at.strftime("%Y-%m-%d %H:%M UTC")
            )
        uow.commit()
    return Registered(RegistrationPending(email=data.email, expires_at=expires_at), outgoing)


def verify(*, uow: UnitOfWork, signer: TokenSigner, data: EmailVerification) -> CustomerSession:
    """The account of the pending registration whose link this is, created and signed in.
    A link works once; every other pending registration of that email lapses with it."""
    now = utcnow()
    with uow:
        session = uow.session
        pending = session.scalar(
            select(RegistrationRow)
            .where(RegistrationRow.token_hash == _token_hash(data.token))
            .with_for_update()
        )
        if pending is None or pending.expires_at <= now:
            raise ValidationFailed(
                "This link is unknown, already used or expired: register again for a new one",
                errors=[field_error("body.token", "unknown or expired")],
            )
        row = CustomerRow(
            id=new_id("cus"),
            email=pending.email,
            password_hash=pending.password_hash,
            name=pending.name,
            locale=pending.locale,
            signup_channel=pending.channel,
            created_at=now,
            updated_at=now,
        )
        row.addresses = []
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            # Two links of one mailbox, both opened: whoever holds them owns the email, so
            # saying it has an account tells them nothing new.
            raise AlreadyExists(
                "This email already has an account: sign in",
                errors=[field_error("body.token", "already registered")],
            ) from exc
        session.execute(delete(RegistrationRow).where(RegistrationRow.email == pending.email))
        cart_id = signed_in(session, row.id, data.cart_id or pending.cart_id)
        result = session_for(signer, row, cart_id)
        uow.commit()
        return result
