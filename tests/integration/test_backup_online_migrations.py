"""Online migrations: no revision rewrites or long-locks an existing table (the expand and
contract rule of docs/operations.md), checked by tools/online_migrations.py — and the check
itself catches each operation it is there to catch."""

from __future__ import annotations

import pytest
from tools.online_migrations import check_files, check_source, revision_files


def test_no_revision_rewrites_an_existing_table_under_a_lock() -> None:
    files = revision_files()
    assert len(files) >= 6
    assert check_files(files) == []


def _upgrade(body: str) -> str:
    lines = "\n".join("    " + line for line in body.strip().splitlines())
    return "from alembic import op\nimport sqlalchemy as sa\n\n\ndef upgrade():\n" + lines + "\n"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('op.alter_column("orders", "total", type_=sa.BigInteger())', "rewrites every row"),
        (
            'with op.batch_alter_table("orders") as batch_op:\n'
            '    batch_op.alter_column("note", type_=sa.Text())',
            "table 'orders'",
        ),
        ('op.alter_column("orders", "note", nullable=False)', "scans every row"),
        (
            'op.add_column("orders", sa.Column("flag", sa.Boolean(), nullable=False))',
            "NOT NULL without a server_default",
        ),
        (
            'op.add_column("orders", sa.Column("at", sa.DateTime(), '
            'server_default=sa.text("now()")))',
            "volatile default",
        ),
        ('op.execute("ALTER TABLE orders ALTER COLUMN total TYPE bigint")', "changes a type"),
        ('op.execute("ALTER TABLE orders ALTER COLUMN note SET NOT NULL")', "NOT NULL"),
        ('op.execute("VACUUM FULL orders")', "VACUUM FULL"),
    ],
)
def test_the_check_refuses_what_locks_a_big_table(body: str, reason: str) -> None:
    problems = check_source(_upgrade(body))
    assert len(problems) == 1
    assert reason in problems[0]


@pytest.mark.parametrize(
    "body",
    [
        # Expand: a nullable column, or NOT NULL with a constant server default (PG ≥ 11
        # stores it in the catalogue, no rewrite).
        'op.add_column("orders", sa.Column("note", sa.Text(), nullable=True))',
        'op.add_column("orders", sa.Column("flag", sa.Boolean(), nullable=False, '
        "server_default=sa.false()))",
        # A table created in the same revision is empty.
        'op.create_table("drafts", sa.Column("id", sa.Integer()))\n'
        'op.alter_column("drafts", "id", type_=sa.BigInteger(), nullable=False)',
        # A reviewed exception says why.
        'op.alter_column("tiny", "code", type_=sa.Text())  # online-migration: ok 12 rows',
    ],
)
def test_the_check_accepts_the_expand_steps(body: str) -> None:
    assert check_source(_upgrade(body)) == []


def test_downgrades_are_not_checked() -> None:
    source = _upgrade("pass") + (
        '\n\ndef downgrade():\n    op.alter_column("orders", "total", type_=sa.Integer())\n'
    )
    assert check_source(source) == []
