"""Endpoint secrets and signatures, per the Standard Webhooks spec, signed by its reference
library so that what receivers verify is exactly what the spec's own code produces."""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

from souk.webhooks.models import SECRET_PREFIX

SECRET_BYTES = 24
# Signers kept per secret: a few per endpoint (two during a rotation's overlap).
SIGNERS = 1024


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode()


@functools.lru_cache(maxsize=SIGNERS)
def _signer(secret: str) -> Webhook:
    # The key is decoded from base64 once per secret, not once per delivery.
    return Webhook(secret)


def signature_header(*, secrets: Sequence[str], msg_id: str, timestamp: datetime, body: str) -> str:
    """`v1,<sig>` per secret, space-separated: during a rotation's overlap both are sent and
    a receiver holding either secret verifies."""
    return " ".join(
        _signer(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body) for secret in secrets
    )
