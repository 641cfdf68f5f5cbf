"""The last pass of an erasure: every text and JSON column of every table is searched for
the person's own values, and each one found is replaced by `ERASED`.

Domains pseudonymise their own records first (`erasers.py`); this pass catches the copies
nobody owns — an outbox payload, a stored idempotent response, a POS receipt, an audit
path, a table added later. Values that name only this person (email, phone, card number)
are replaced wherever they are; names and address lines, which another person may share,
only in rows that also hold one of the person's references (an id of theirs, their email)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String, Table, Text, cast, or_, select, update
from sqlalchemy.orm import Session

from souk.db.tables_index import metadata
from souk.privacy.subject import Subject

ERASED = "[erased]"


def _text_columns(table: Table) -> list[Any]:
    return [c for c in table.columns if isinstance(c.type, String | Text | JSON)]


def _replace(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        lowered = value.lower()
        for needle in needles:
            if needle.lower() in lowered:
                value = _replace_ci(value, needle)
                lowered = value.lower()
        return value
    if isinstance(value, dict):
        return {_replace(k, needles): _replace(v, needles) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, needles) for v in value]
    return value


def _replace_ci(value: str, needle: str) -> str:
    out, lowered, target, start = [], value.lower(), needle.lower(), 0
    while (found := lowered.find(target, start)) >= 0:
        out.append(value[start:found])
        out.append(ERASED)
        start = found + len(target)
    out.append(value[start:])
    return "".join(out)


def _like_any(column: Any, values: list[str]) -> Any:
    text = cast(column, Text) if isinstance(column.type, JSON) else column
    return or_(*(text.ilike(f"%{_escape(v)}%", escape="\\") for v in values))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scrub_everywhere(session: Session, subject: Subject) -> int:
    """Replace the person's values in every table; returns how many rows changed."""
    strong = sorted(
        {v for v in subject.emails | subject.phones | subject.loyalty_cards if len(v) >= 3},
        key=lambda v: -len(v),
    )
    weak = subject.needles()
    references = subject.references()
    changed = 0
    for table in metadata().sorted_tables:
        columns = _text_columns(table)
        key = list(table.primary_key.columns)
        if not columns or not key or not (strong or references):
            continue
        for column in columns:
            triggers = strong + [r for r in references if r not in strong]
            rows = session.execute(select(*key, column).where(_like_any(column, triggers))).all()
            for row in rows:
                *ids, value = row
                new = _replace(value, weak)  # a JSON column's value comes parsed
                if new == value:
                    continue
                condition = [k == v for k, v in zip(key, ids, strict=True)]
                session.execute(update(table).where(*condition).values({column.name: new}))
                changed += 1
    return changed
