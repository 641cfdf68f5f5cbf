"""Creating, finding and revoking API keys."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from souk.access.models import Principal, Role, generate_key, hash_key
from souk.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from souk.access.tables import ApiKey
from souk.db.base import new_id, utcnow
from souk.db.uow import UnitOfWork
from souk.errors import NotFound, ValidationFailed, field_error

# Domains that own channels and locations register how to check that a code exists, so that
# access does not reach into their tables (and they may depend on access without a cycle).
BindingCheck = Callable[[UnitOfWork, str], bool]
_channel_exists: list[BindingCheck] = []
_location_exists: list[BindingCheck] = []


def register_binding_checks(
    *, channel: BindingCheck | None = None, location: BindingCheck | None = None
) -> None:
    if channel is not None:
        _channel_exists[:] = [channel]
    if location is not None:
        _location_exists[:] = [location]


def _validate_bindings(uow: UnitOfWork, data: ApiKeyCreate) -> None:
    errors = []
    needs_channel = data.role in (Role.STOREFRONT, Role.POS, Role.INGEST)
    if needs_channel and data.channel is None:
        errors.append(field_error("body.channel", f"a {data.role} key is bound to a channel"))
    if data.role is Role.POS and data.location is None:
        errors.append(field_error("body.location", "a pos key is bound to a store location"))
    if data.role is Role.ADMIN and (data.channel or data.location):
        errors.append(field_error("body.role", "an admin key is not bound to a channel"))
    if data.role is not Role.POS and data.location is not None and data.role is not Role.ADMIN:
        errors.append(field_error("body.location", "only pos keys are bound to a location"))
    if data.channel and _channel_exists and not _channel_exists[0](uow, data.channel):
        errors.append(field_error("body.channel", f"unknown channel {data.channel!r}"))
    if data.location and _location_exists and not _location_exists[0](uow, data.location):
        errors.append(field_error("body.location", f"unknown location {data.location!r}"))
    if errors:
        raise ValidationFailed("The key's bindings are not valid", errors=errors)


def _read(row: ApiKey) -> ApiKeyRead:
    return ApiKeyRead(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        hint=row.hint,
        channel=row.channel,
        location=row.location,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def create_key(*, uow: UnitOfWork, data: ApiKeyCreate, secret: str | None = None) -> ApiKeyCreated:
    with uow:
        _validate_bindings(uow, data)
        secret = secret or generate_key(data.role)
        row = ApiKey(
            id=new_id("key"),
            name=data.name,
            role=data.role.value,
            key_hash=hash_key(secret),
            hint=secret[-4:],
            channel=data.channel,
            location=data.location,
            created_at=utcnow(),
        )
        uow.session.add(row)
        uow.session.flush()
        created = ApiKeyCreated(**_read(row).model_dump(), key=secret)
        uow.commit()
        return created


def ensure_bootstrap_admin(*, uow: UnitOfWork, secret: str) -> bool:
    """Register the bootstrap admin key unless it is known; True if it was added.

    Safe when several workers start together: the hash is unique, and a loser of the race
    sees the winner's row.
    """
    with uow:
        digest = hash_key(secret)
        if uow.session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest)):
            return False
    try:
        create_key(
            uow=UnitOfWork(uow.db),
            data=ApiKeyCreate(name="bootstrap admin", role=Role.ADMIN),
            secret=secret,
        )
    except Exception:
        with UnitOfWork(uow.db, write=False) as check:
            if check.session.scalar(select(ApiKey.id).where(ApiKey.key_hash == digest)):
                return False
        raise
    return True


def authenticate(*, uow: UnitOfWork, secret: str) -> Principal | None:
    with uow:
        row = uow.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(secret)))
        if row is None or row.revoked_at is not None:
            return None
        return Principal(
            key_id=row.id, role=Role(row.role), channel=row.channel, location=row.location
        )


def list_keys(*, uow: UnitOfWork) -> list[ApiKeyRead]:
    with uow:
        return [_read(r) for r in uow.session.scalars(select(ApiKey).order_by(ApiKey.id))]


def revoke_key(*, uow: UnitOfWork, key_id: str) -> ApiKeyRead:
    with uow:
        row = uow.session.get(ApiKey, key_id)
        if row is None:
            raise NotFound(f"No API key {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = utcnow()
        result = _read(row)
        uow.commit()
        return result
