"""Sealed files (souk.db.sealing): what goes in comes out with the key, and nothing comes
out of a file that was tampered with, cut, reordered or opened with another key."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from souk.db import sealing
from souk.errors import ValidationFailed

KEY = sealing.parse_key(sealing.new_key())
OTHER = sealing.parse_key(sealing.new_key())


def _seal(data: bytes, chunk_size: int, key: bytes = KEY) -> bytes:
    out = io.BytesIO()
    sealing.seal(io.BytesIO(data), out, key, chunk_size=chunk_size)
    return out.getvalue()


def _open(raw: bytes, key: bytes = KEY) -> bytes:
    return b"".join(sealing.unseal(io.BytesIO(raw), key))


def _frames(raw: bytes) -> tuple[bytes, list[bytes]]:
    """The file's header and its chunks, each with its length prefix."""
    head, rest = raw[: len(sealing.MAGIC) + 8], raw[len(sealing.MAGIC) + 8 :]
    frames = []
    while rest:
        length = int.from_bytes(rest[:4], "big")
        frames.append(rest[: 4 + length])
        rest = rest[4 + length :]
    return head, frames


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=2000), chunk_size=st.integers(min_value=1, max_value=300))
def test_what_is_sealed_opens_with_its_key_and_only_with_it(data: bytes, chunk_size: int) -> None:
    raw = _seal(data, chunk_size)
    assert _open(raw) == data
    assert raw.startswith(sealing.MAGIC)
    if len(data) >= 16:
        assert data not in raw  # nothing of it in clear
    with pytest.raises(sealing.SealError, match="does not open"):
        _open(raw, OTHER)


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(min_size=10, max_size=600),
    chunk_size=st.integers(min_value=1, max_value=50),
    where=st.floats(min_value=0, max_value=1, exclude_max=True),
    bit=st.integers(min_value=0, max_value=7),
)
def test_a_flipped_bit_anywhere_is_refused(
    data: bytes, chunk_size: int, where: float, bit: int
) -> None:
    raw = bytearray(_seal(data, chunk_size))
    raw[int(where * len(raw))] ^= 1 << bit
    with pytest.raises(sealing.SealError):
        _open(bytes(raw))


@settings(max_examples=40, deadline=None)
@given(data=st.binary(min_size=30, max_size=600), chunk_size=st.integers(min_value=1, max_value=10))
def test_cut_dropped_or_reordered_chunks_are_refused(data: bytes, chunk_size: int) -> None:
    head, frames = _frames(_seal(data, chunk_size))
    assert len(frames) >= 3
    cut_at_a_boundary = head + b"".join(frames[:-1])
    dropped = head + frames[0] + b"".join(frames[2:])
    swapped = head + frames[1] + frames[0] + b"".join(frames[2:])
    cut_inside = head + b"".join(frames)[:-3]
    for damaged in (cut_at_a_boundary, dropped, swapped, cut_inside, head):
        with pytest.raises(sealing.SealError):
            _open(damaged)


def test_chunks_of_two_files_under_one_key_do_not_mix() -> None:
    one_head, one = _frames(_seal(b"a" * 40, 10))
    _, two = _frames(_seal(b"b" * 40, 10))
    with pytest.raises(sealing.SealError):
        _open(one_head + one[0] + two[1] + b"".join(one[2:]))


def test_keys_are_checked_when_they_are_read() -> None:
    assert len(sealing.parse_key(sealing.new_key())) == 32
    for bad in ("short", "!!!!not base64!!!!", sealing.new_key()[:-4]):
        with pytest.raises(ValidationFailed, match="SOUK_BACKUP_KEY"):
            sealing.parse_key(bad)
