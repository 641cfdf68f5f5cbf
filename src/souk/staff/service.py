"""Staff use cases: create an account, sign in, read and end a session.

Each opens its unit of work and commits once. Passwords are Argon2id (the customers'
hasher); a wrong email and a wrong password take as long and answer the same.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from souk.customers.lockout import SignInGuard
from souk.customers.passwords import hash_password, needs_rehash, verify_password
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import AlreadyExists, Unauthorized, ValidationFailed, field_error
from souk.inventory.queries import location_exists
from souk.staff.models import StaffMember, StaffRole, hash_session_token, new_session_token
from souk.staff.rows import member_of
from souk.staff.tables import StaffRow, StaffSessionRow
from souk.staff.tills import till_binding

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{1,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte "password" is an attack


def _check_new(
    uow: UnitOfWork, *, email: str, name: str, role: str, stores: list[str], password: str
) -> list[dict[str, str]]:
    problems = []
    if not EMAIL.match(email):
        problems.append(field_error("email", "is not an email address"))
    if not name.strip() or len(name) > 200:
        problems.append(field_error("name", "must be 1 to 200 characters"))
    if role not in set(StaffRole):
        allowed = ", ".join(r.value for r in StaffRole)
        problems.append(field_error("role", f"must be one of {allowed}"))
    if role == StaffRole.STORE_MANAGER and not stores:
        problems.append(field_error("stores", "a store manager needs at least one store"))
    if role != StaffRole.STORE_MANAGER and stores:
        problems.append(field_error("stores", "only a store manager is bound to stores"))
    for store in stores:
        if not location_exists(uow, store):
            problems.append(field_error("stores", f"no location {store!r}"))
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        problems.append(
            field_error("password", f"must be {MIN_PASSWORD} to {MAX_PASSWORD} characters")
        )
    return problems


def create_staff(
    *, uow: UnitOfWork, email: str, name: str, role: str, stores: list[str], password: str
) -> StaffMember:
    email = email.strip().lower()
    with uow:
        problems = _check_new(
            uow, email=email, name=name, role=role, stores=stores, password=password
        )
        if problems:
            raise ValidationFailed("The staff account is not valid", errors=problems)
        if uow.session.scalar(select(StaffRow.id).where(StaffRow.email == email)):
            raise AlreadyExists(f"A staff account with email {email!r} exists")
        row = StaffRow(
            id=new_id("stf"),
            email=email,
            name=name.strip(),
            role=role,
            stores=sorted(set(stores)),
            password_hash=hash_password(password),
            active=True,
            created_at=utcnow(),
        )
        uow.session.add(row)
        member = member_of(row)
        uow.commit()
        return member


def first_admin(*, uow: UnitOfWork, email: str) -> tuple[StaffMember, str] | None:
    """On a database without any staff account, an admin with a random password (returned
    once, to be shown to whoever started the server); None when accounts exist."""
    with uow:
        if uow.session.scalar(select(StaffRow.id).limit(1)) is not None:
            return None
    password = secrets.token_urlsafe(12)
    member = create_staff(
        uow=UnitOfWork(uow.db), email=email, name="Admin", role=StaffRole.ADMIN,
        stores=[], password=password,
    )  # fmt: skip
    return member, password


def list_staff(*, uow: UnitOfWork) -> list[StaffMember]:
    with uow:
        return [
            member_of(r) for r in uow.session.scalars(select(StaffRow).order_by(StaffRow.email))
        ]


def sign_in(
    *,
    uow: UnitOfWork,
    email: str,
    password: str,
    ttl_s: int,
    guard: SignInGuard | None = None,
    client_ip: str = "-",
    till_store: str | None = None,
) -> tuple[StaffMember, str, str]:
    """The member, a new session token (for the cookie) and its CSRF token. Guessing is
    slowed by the customers' sign-in guard, on keys of its own (`staff:` + email), so a
    customer and a staff member of the same email never lock each other out.

    With `till_store` (`""`: their first store) the session is a till session of a store
    manager, bound to that store and its POS channel (`souk.staff.tills`)."""
    email = email.strip().lower()
    guard_key = "staff:" + email
    if guard is not None:
        guard.check(email=guard_key, ip=client_ip)
    with uow:
        row = uow.session.scalar(
            select(StaffRow).where(StaffRow.email == email, StaffRow.active.is_(True))
        )
        ok = len(password) <= MAX_PASSWORD and verify_password(
            row.password_hash if row else None, password[:MAX_PASSWORD]
        )
        if not ok or row is None:
            if guard is not None:
                guard.failed(email=guard_key, ip=client_ip)
            raise Unauthorized("Wrong email or password")
        if guard is not None:
            guard.succeeded(email=guard_key)
        member = member_of(row)
        store, channel = (
            (None, None) if till_store is None else till_binding(uow.session, member, till_store)
        )
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        token, csrf = new_session_token(), secrets.token_urlsafe(32)
        now = utcnow()
        # Expired sessions go on each sign-in: no sweeper needed for a table this small.
        uow.session.execute(delete(StaffSessionRow).where(StaffSessionRow.expires_at <= now))
        uow.session.add(
            StaffSessionRow(
                token_hash=hash_session_token(token),
                staff_id=row.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_s),
                store=store,
                channel=channel,
            )
        )
        uow.commit()
        return member, token, csrf


def session_member(
    *, uow: UnitOfWork, token: str, now: datetime | None = None
) -> tuple[StaffMember, str] | None:
    """The member signed in with this token and the session's CSRF token; None when the
    token is unknown, expired or its account was deactivated."""
    now = now or utcnow()
    with uow:
        found = uow.session.execute(
            select(StaffRow, StaffSessionRow.csrf_token)
            .join(StaffSessionRow, StaffSessionRow.staff_id == StaffRow.id)
            .where(
                StaffSessionRow.token_hash == hash_session_token(token),
                StaffSessionRow.expires_at > now,
                # A till session is the till's (souk.staff.tills), never the console's.
                StaffSessionRow.store.is_(None),
                StaffRow.active.is_(True),
            )
        ).first()
        if found is None:
            return None
        return member_of(found[0]), found[1]


def sign_out(*, uow: UnitOfWork, token: str) -> None:
    with uow:
        uow.session.execute(
            delete(StaffSessionRow).where(StaffSessionRow.token_hash == hash_session_token(token))
        )
        uow.commit()
