"""What the storefront's page needs before its first API call: which channel it sells in,
that channel's publishable key, currencies and languages, and its pickup stores to search
near. The browser does everything else through the public API."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

from souk.access import service as access
from souk.access.models import Role
from souk.access.schemas import ApiKeyCreate
from souk.channels.queries import first_channel_of_type, get_channel
from souk.customers.tokens import resolve_secret
from souk.db.engine import Database
from souk.db.uow import UnitOfWork
from souk.inventory.queries import locations_by_code
from souk.settings import Settings


@dataclass(frozen=True)
class Place:
    """A pickup store: where a shopper may collect, and a point to search near."""

    code: str
    name: str
    city: str
    lat: float
    lon: float


@dataclass(frozen=True)
class ShopConfig:
    channel: str
    name: str
    key: str
    currencies: list[str]
    locales: list[str]
    default_locale: str
    places: list[Place] = field(default_factory=list)


def derived_key(secret: str, channel: str) -> str:
    """A publishable key that every server of one installation derives alike, so that the
    shop works on first start with nothing to configure (a publishable key is public)."""
    digest = hmac.new(secret.encode(), f"shop:{channel}".encode(), hashlib.sha256).hexdigest()
    return f"pk_shop_{digest[:40]}"


class ShopKeys:
    """Registers the shop's key once per process; safe when several start together (the
    key's hash is unique: the loser of a race finds the winner's row)."""

    def __init__(self) -> None:
        self._known: set[str] = set()

    def ensure(self, db: Database, channel: str, secret: str) -> None:
        if secret in self._known:
            return
        if access.authenticate(uow=UnitOfWork(db, write=False), secret=secret) is None:
            try:
                access.create_key(
                    uow=UnitOfWork(db),
                    data=ApiKeyCreate(
                        name="demo storefront", role=Role.STOREFRONT, channel=channel
                    ),
                    secret=secret,
                )
            except Exception:
                if access.authenticate(uow=UnitOfWork(db, write=False), secret=secret) is None:
                    raise
        self._known.add(secret)


def shop_config(*, db: Database, settings: Settings, keys: ShopKeys) -> ShopConfig | None:
    """None while there is no channel to sell in (an empty database)."""
    with UnitOfWork(db, write=False) as uow:
        code = settings.shop_channel or first_channel_of_type(session=uow.session, type_="web")
        if code is None:
            return None
        channel = get_channel(session=uow.session, code=code)
        stores = locations_by_code(session=uow.session, codes=channel.pickup_at)
    places = sorted(
        (
            Place(code=s.code, name=s.name, city=s.address.city or s.name, lat=s.lat, lon=s.lon)
            for s in stores.values()
            if s.lat is not None and s.lon is not None and s.can_pickup
        ),
        key=lambda p: (p.city, p.name),
    )
    key = settings.shop_publishable_key
    if key is None:
        key = derived_key(resolve_secret(settings), channel.code)
        keys.ensure(db, channel.code, key)
    return ShopConfig(
        channel=channel.code,
        name=channel.name,
        key=key,
        currencies=list(channel.currencies),
        locales=list(channel.locales),
        default_locale=channel.default_locale,
        places=places[:200],
    )
