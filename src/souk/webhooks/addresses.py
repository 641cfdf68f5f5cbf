"""Where a webhook URL leads: parsed, resolved, and refused when it reaches the operator's
own network (server-side request forgery) — at save time and again right before each send,
since DNS may answer differently later (rebinding). The send then connects to the very
address that was checked."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from souk.webhooks.models import address_is_public

MAX_URL = 2000


class AddressRefused(Exception):
    """The URL is malformed, does not resolve, or resolves to a refused address."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the resolved address the request will connect to


def parse(url: str) -> tuple[str, str, int]:
    if len(url) > MAX_URL:
        raise AddressRefused(f"the URL is longer than {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise AddressRefused("the URL must start with https:// (or http://)")
    if not parts.hostname:
        raise AddressRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise AddressRefused("the URL must not carry credentials")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(url: str, *, allow_private: bool) -> Target:
    scheme, host, port = parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(f"{host} does not resolve") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise AddressRefused(f"{host} does not resolve")
    if not allow_private:
        # Every address must be public: a name with one private answer could be made to
        # connect there on another try.
        refused = [a for a in addresses if not address_is_public(a)]
        if refused:
            raise AddressRefused(
                f"{host} resolves to {refused[0]}, a private or loopback address "
                "(SOUK_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
            )
    return Target(scheme=scheme, host=host, port=port, address=addresses[0])
