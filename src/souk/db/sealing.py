"""Files that hold personal data outside the database (backups) are sealed at rest with
AES-256-GCM under a key from settings (`SOUK_BACKUP_KEY`).

A backup may be larger than memory should hold, and AES-GCM is one-shot, so a sealed file
is a stream of chunks (the STREAM construction of Hoang, Reyhanitabar, Rogaway and Vizár):
each chunk of at most 1 MiB is sealed on its own with a nonce made of the file's random
8-byte prefix and the chunk's counter, and the last chunk is marked in its associated data.
Reordering, dropping, repeating or truncating chunks, or splicing two files, fails to open,
as does a wrong key: nothing half-decrypted is ever handed on.

    b"SOUKSEAL1\\n" | prefix (8) | { length (4, big-endian) | ciphertext+tag } ...
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from collections.abc import Iterator
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from souk.errors import ValidationFailed

MAGIC = b"SOUKSEAL1\n"
CHUNK = 1 << 20
_TAG = 16
_LENGTH = struct.Struct(">I")


class SealError(ValidationFailed):
    """A sealed file that this key cannot open (wrong key, or a damaged file)."""

    problem = "sealed-file"
    title = "Sealed file cannot be opened"


def new_key() -> str:
    """A fresh key, as SOUK_BACKUP_KEY takes it (URL-safe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def parse_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed("SOUK_BACKUP_KEY is not URL-safe base64") from exc
    if len(key) != 32:
        raise ValidationFailed(
            f"SOUK_BACKUP_KEY must be 32 bytes (44 base64 characters), not {len(key)} bytes: "
            "make one with `souk backup-key`"
        )
    return key


def is_sealed(head: bytes) -> bool:
    return head.startswith(MAGIC)


def _nonce(prefix: bytes, counter: int) -> bytes:
    return prefix + struct.pack(">I", counter)


def _chunks(source: IO[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """Each chunk with whether it is the last (read one ahead to know)."""
    current = source.read(size)
    while True:
        following = source.read(size)
        yield current, not following
        if not following:
            return
        current = following


def seal(source: IO[bytes], target: IO[bytes], key: bytes, *, chunk_size: int = CHUNK) -> None:
    if not 0 < chunk_size <= CHUNK:
        raise ValueError(f"chunks are 1 to {CHUNK} bytes")
    aead = AESGCM(key)
    prefix = os.urandom(8)
    target.write(MAGIC + prefix)
    for counter, (chunk, last) in enumerate(_chunks(source, chunk_size)):
        sealed = aead.encrypt(_nonce(prefix, counter), chunk, b"\x01" if last else b"\x00")
        target.write(_LENGTH.pack(len(sealed)) + sealed)


CUT_SHORT = "The sealed file is cut short: it was damaged or not completely written"


def _read_exactly(source: IO[bytes], size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise SealError(CUT_SHORT)
    return data


def unseal(source: IO[bytes], key: bytes) -> Iterator[bytes]:
    """The plaintext, chunk by chunk, each one checked before it is given out. A consumer
    that acts on chunks before the last must be able to undo that work if a later one fails
    (pg_restore runs in one transaction; SQLite restores from memory)."""
    if source.read(len(MAGIC)) != MAGIC:
        raise SealError("Not a sealed Souk file")
    aead = AESGCM(key)
    prefix = _read_exactly(source, 8)
    head = source.read(_LENGTH.size)
    counter = 0
    while True:
        if len(head) != _LENGTH.size:
            raise SealError(
                "The sealed file is cut short: it was damaged or not completely written"
            )
        (length,) = _LENGTH.unpack(head)
        if not _TAG <= length <= CHUNK + _TAG:
            raise SealError("The sealed file is damaged (a chunk of impossible length)")
        sealed = _read_exactly(source, length)
        head = source.read(_LENGTH.size)
        # Only the last chunk was sealed as last: a file cut at a chunk boundary fails here.
        last = not head
        try:
            plain = aead.decrypt(_nonce(prefix, counter), sealed, b"\x01" if last else b"\x00")
        except InvalidTag:
            raise SealError(
                "The backup key does not open this file (another SOUK_BACKUP_KEY, or the file "
                "was damaged or cut short)"
            ) from None
        yield plain
        if last:
            return
        counter += 1
