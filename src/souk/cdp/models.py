"""Pure rules of ingestion and identity: what a valid Segment message is, which identifiers
it carries, how they are normalised, which are blocked, limited or strong enough to merge
two profiles, and the clock-skew correction. No SQLAlchemy, no FastAPI."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import phonenumbers

# Segment's own limits, answered with 400 beyond (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size).
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MESSAGE_TYPES = ("track", "identify", "page", "screen", "alias", "group")


class IdType(StrEnum):
    USER_ID = "user_id"
    EMAIL = "email"
    PHONE = "phone"
    LOYALTY_CARD = "loyalty_card"
    POS_CUSTOMER_ID = "pos_customer_id"
    ANONYMOUS_ID = "anonymous_id"
    DEVICE_ID = "device_id"


# Priority (first wins) and how many of each one profile may hold, as Segment Unify sets
# them: a person has one user id and a few emails, a browser many anonymous ids. When a
# merge would break a limit, the merge does not happen.
PRIORITY = [
    IdType.USER_ID,
    IdType.LOYALTY_CARD,
    IdType.POS_CUSTOMER_ID,
    IdType.EMAIL,
    IdType.PHONE,
    IdType.ANONYMOUS_ID,
    IdType.DEVICE_ID,
]
LIMITS = {
    IdType.USER_ID: 1,
    IdType.LOYALTY_CARD: 3,
    IdType.POS_CUSTOMER_ID: 1,
    IdType.EMAIL: 5,
    IdType.PHONE: 3,
    IdType.ANONYMOUS_ID: 200,
    IdType.DEVICE_ID: 20,
}
# A device is shared (the in-store tablet, a family laptop): it is recorded on the profile
# but never used to find one, so it can never join two people.
SHARED = frozenset({IdType.DEVICE_ID})
BLOCKED = frozenset({"", "null", "none", "nil", "undefined", "anonymous", "unknown", "-1", "0"})


class MessageInvalid(ValueError):
    """A message Segment would not accept; the reason is for the caller."""


@dataclass(frozen=True, slots=True)
class Identity:
    type: IdType
    value: str
    # What finds a profile by this identifier (None for a shared device): worked out once,
    # as resolution asks for it several times per message.
    claim: str | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        claim = None if self.type in SHARED else f"{self.type.value}:{self.value}"
        object.__setattr__(self, "claim", claim)


def is_blocked(value: str) -> bool:
    v = value.strip().lower()
    return v in BLOCKED or set(v) <= {"0", "-", " "}


def normalize(kind: IdType, raw: object, *, region: str | None = None) -> str | None:
    """The canonical value of an identifier, or None when it is blocked or unusable."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    value = str(raw).strip()
    if is_blocked(value) or len(value) > 300:
        return None
    if kind is IdType.EMAIL:
        value = value.lower()
        return value if "@" in value.strip("@") else None
    if kind is IdType.PHONE:
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_valid_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return value


def _traits(message: dict[str, Any], context: object = None) -> dict[str, Any]:
    if context is None:
        context = message.get("context")
    traits: dict[str, Any] = {}
    if isinstance(context, dict) and isinstance(context.get("traits"), dict):
        traits.update(context["traits"])
    if message.get("type") == "identify" and isinstance(message.get("traits"), dict):
        traits.update(message["traits"])
    return traits


# Normalised identifiers by (type, raw string, region): a visitor sends the same few in
# every call of a batch, and normalising (the blocked check, a phone's parse) and building
# the Identity were a tenth of a worker's CPU per event. Pure, so a plain bounded dict.
_KNOWN_IDENTITIES: dict[tuple[IdType, str, str | None], Identity | None] = {}
_KNOWN_LIMIT = 20_000


def _identity(kind: IdType, raw: object, region: str | None) -> Identity | None:
    if type(raw) is not str:  # an int (or a bool: True == 1) is not worth keeping
        value = normalize(kind, raw, region=region)
        return Identity(kind, value) if value is not None else None
    key = (kind, raw, region if kind is IdType.PHONE else None)
    try:
        return _KNOWN_IDENTITIES[key]
    except KeyError:
        pass
    value = normalize(kind, raw, region=region)
    found = Identity(kind, value) if value is not None else None
    if len(_KNOWN_IDENTITIES) >= _KNOWN_LIMIT:
        _KNOWN_IDENTITIES.clear()
    _KNOWN_IDENTITIES[key] = found
    return found


def identities_of(message: dict[str, Any]) -> list[Identity]:
    """Every usable identifier in a message, highest priority first, blocked ones dropped."""
    return _identities(message, _traits(message), message.get("context"))


def _identities(message: dict[str, Any], traits: dict[str, Any], context: object) -> list[Identity]:
    candidates: list[tuple[IdType, object]] = [(IdType.USER_ID, message.get("userId"))]
    if traits:  # most calls (page and product views) carry none
        candidates += [
            (IdType.LOYALTY_CARD, traits.get("loyalty_card", traits.get("loyaltyCard"))),
            (IdType.POS_CUSTOMER_ID, traits.get("pos_customer_id", traits.get("posCustomerId"))),
            (IdType.EMAIL, traits.get("email")),
            (IdType.PHONE, traits.get("phone")),
        ]
    candidates.append((IdType.ANONYMOUS_ID, message.get("anonymousId")))
    region = None
    if isinstance(context, dict):
        device = context.get("device")
        if isinstance(device, dict):
            candidates.append((IdType.DEVICE_ID, device.get("id")))
        region = _region(context)
    if message.get("type") == "alias":
        # The previous id is usually the anonymous id the visitor had before signing up;
        # held as one, it joins the two without counting as a second user id.
        candidates.append((IdType.ANONYMOUS_ID, message.get("previousId")))
    found: list[Identity] = []
    for kind, raw in candidates:
        if raw is None:
            continue  # most of them, in most messages
        identity = _identity(kind, raw, region)
        if identity is not None and identity not in found:
            found.append(identity)
    return found


def _region(context: dict[str, Any]) -> str | None:
    locale = context.get("locale")
    if isinstance(locale, str) and len(locale) >= 5 and locale[2] in "-_":
        return locale[3:5].upper()
    return None


def traits_of(message: dict[str, Any]) -> dict[str, Any]:
    return _traits(message)


def proves_identity(message: dict[str, Any]) -> bool:
    """A sign-in (identify or any call with a user id) or an alias joins identifiers;
    an anonymous call only finds or starts a profile."""
    return message.get("type") in ("identify", "alias") or bool(message.get("userId"))


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def corrected_timestamp(
    *, received_at: datetime, sent_at: datetime | None, original: datetime | None
) -> datetime:
    """Segment's clock-skew correction: the device's clock may be wrong, but the interval
    between the event and its sending is right, so `receivedAt − (sentAt − timestamp)`."""
    if original is None:
        return received_at
    if sent_at is None:
        return original
    return received_at - (sent_at - original)


def validate(message: object, *, sized: bool = False) -> list[Identity]:
    """The message's identifiers if Segment would take it; MessageInvalid with the reason
    otherwise. `sized`: the caller knows the message is within 32 KB (it came in a body
    that is), which spares serialising every message of a batch again to measure it."""
    return validated(message, sized=sized)[0]


def validated(message: object, *, sized: bool = False) -> tuple[list[Identity], dict[str, Any]]:
    """`validate`, and the traits the message tells its profile (`traits_of`), worked out
    together: ingestion needs both, and they read the same fields."""
    if not isinstance(message, dict):
        raise MessageInvalid("a message is a JSON object")
    kind = message.get("type")
    if kind not in MESSAGE_TYPES:
        raise MessageInvalid(f"`type` must be one of {', '.join(MESSAGE_TYPES)}")
    if (
        not sized
        and len(json.dumps(message, separators=(",", ":"), default=str)) > MAX_MESSAGE_BYTES
    ):
        raise MessageInvalid("a message is at most 32 KB")
    if kind == "track":
        event = message.get("event")
        if not (isinstance(event, str) and event):
            raise MessageInvalid("a track call needs `event`")
    context = message.get("context")
    for key, value in (
        ("properties", message.get("properties")),
        ("traits", message.get("traits")),
        ("context", context),
    ):
        if value is not None and not isinstance(value, dict):
            raise MessageInvalid(f"`{key}` must be an object")
    message_id = message.get("messageId")
    if message_id is not None:
        if not isinstance(message_id, str):
            raise MessageInvalid("`messageId` must be a string")
        if len(message_id) > 200:
            raise MessageInvalid("`messageId` is at most 200 characters")
    if kind == "alias" and not (message.get("userId") and message.get("previousId")):
        raise MessageInvalid("an alias call needs `userId` and `previousId`")
    traits = _traits(message, context) if context is not None or kind == "identify" else {}
    ids = _identities(message, traits, context)
    if not any(i.type is not IdType.DEVICE_ID for i in ids):
        raise MessageInvalid("`userId` or `anonymousId` is required (blocked values do not count)")
    return ids, traits


def messages_of(body: dict[str, Any], *, kind: str | None) -> list[Any]:
    """The messages of a call's JSON body: one for `/v1/<kind>`, else the `batch`, each
    with the batch's `context` under its own and without `writeKey` (never stored).
    MessageInvalid when a batch's `batch` is not a list."""
    if kind is not None:
        messages: list[Any] = [{**body, "type": kind}]
    else:
        found = body.get("batch")
        if not isinstance(found, list):
            raise MessageInvalid("`batch` is a list of messages")
        messages = found
        shared = body.get("context")
        if isinstance(shared, dict):
            messages = [
                {**m, "context": {**shared, **(m.get("context") or {})}}
                if isinstance(m, dict) and isinstance(m.get("context") or {}, dict)
                else m
                for m in messages
            ]
    # Copied only where there is a key to take out: most messages carry none.
    return [
        {k: v for k, v in m.items() if k != "writeKey"}
        if isinstance(m, dict) and "writeKey" in m
        else m
        for m in messages
    ]
