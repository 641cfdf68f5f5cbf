"""Refuse migrations that would rewrite or long-lock an existing table (docs/operations.md,
"Online migrations: expand, then contract").

    .venv/bin/python tools/online_migrations.py [FILE ...]   (default: every revision)

On PostgreSQL these hold an ACCESS EXCLUSIVE lock on the table for as long as they take,
which on a big table is an outage: changing a column's type (a rewrite of every row), making
a column NOT NULL (a scan of every row under the lock), adding a NOT NULL column without a
server default (fails on a table with rows, or needs a rewrite), adding a column whose
default is volatile (a rewrite), and the same in raw SQL (`ALTER ... TYPE`, `SET NOT NULL`,
`VACUUM FULL`, `CLUSTER`). Tables created in the same revision are exempt: they are empty.
A reviewed exception carries `# online-migration: ok <why>` on the line of the operation.

It reads the revision's source (ast), so it is a lint, not a proof; the rule it enforces is
the expand/contract rule of the operations guide.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[1] / "src/souk/db/migrations/versions"
ALLOW = "online-migration: ok"
_RAW_SQL = [
    (re.compile(r"\bALTER\s+COLUMN\s+\w+\s+(SET\s+DATA\s+)?TYPE\b", re.I), "changes a type"),
    (re.compile(r"\bSET\s+NOT\s+NULL\b", re.I), "sets NOT NULL on a column"),
    (re.compile(r"\bVACUUM\s+FULL\b", re.I), "rewrites a table (VACUUM FULL)"),
    (re.compile(r"^\s*CLUSTER\b", re.I | re.M), "rewrites a table (CLUSTER)"),
]
_VOLATILE = re.compile(r"\b(now|random|gen_random_uuid|uuid_generate_v4|clock_timestamp)\s*\(")


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _keyword(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _source_of(node: ast.expr | None, source: str) -> str:
    return (ast.get_source_segment(source, node) or "") if node is not None else ""


class _Checker(ast.NodeVisitor):
    def __init__(self, source: str, filename: str) -> None:
        self.source = source
        self.lines = source.splitlines()
        self.filename = filename
        self.created: set[str] = set()
        self.batch_tables: dict[str, str] = {}  # `with op.batch_alter_table("t") as b` → b: t
        self.problems: list[str] = []

    def _report(self, node: ast.AST, table: str | None, what: str) -> None:
        line = getattr(node, "lineno", 0)
        if ALLOW in (self.lines[line - 1] if 0 < line <= len(self.lines) else ""):
            return
        if table is not None and table in self.created:
            return
        where = f"table {table!r}" if table else "a table"
        self.problems.append(f"{self.filename}:{line}: {what} on {where} under a lock")

    def _table(self, node: ast.Call) -> str | None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.batch_tables
        ):
            return self.batch_tables[func.value.id]
        return _string(node.args[0]) if node.args else _string(_keyword(node, "table_name"))

    def visit_With(self, node: ast.With) -> None:
        for item in node.items:
            expr = item.context_expr
            if (
                isinstance(expr, ast.Call)
                and _call_name(expr) == "batch_alter_table"
                and isinstance(item.optional_vars, ast.Name)
            ):
                table = _string(expr.args[0]) if expr.args else None
                if table:
                    self.batch_tables[item.optional_vars.id] = table
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        # Only the way up is deployed while old code runs; downgrade is a repair tool.
        if node.name != "downgrade":
            self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        if name == "create_table" and node.args:
            table = _string(node.args[0])
            if table:
                self.created.add(table)
        elif name == "alter_column":
            table = self._table(node)
            if _keyword(node, "type_") is not None:
                self._report(node, table, "alter_column(type_=...) rewrites every row")
            if _is_false(_keyword(node, "nullable")):
                self._report(node, table, "alter_column(nullable=False) scans every row")
        elif name == "add_column":
            column = next((a for a in node.args if isinstance(a, ast.Call)), None)
            if column is not None:
                self._check_new_column(node, column)
        elif name == "execute" and node.args:
            sql = _string(node.args[0]) or _source_of(node.args[0], self.source)
            for pattern, what in _RAW_SQL:
                if pattern.search(sql):
                    self._report(node, None, f"raw SQL that {what}")
        self.generic_visit(node)

    def _check_new_column(self, node: ast.Call, column: ast.Call) -> None:
        table = self._table(node)
        default = _keyword(column, "server_default")
        if _is_false(_keyword(column, "nullable")) and default is None:
            self._report(node, table, "add_column NOT NULL without a server_default")
        if default is not None and _VOLATILE.search(_source_of(default, self.source)):
            self._report(node, table, "add_column with a volatile default rewrites every row")


def check_source(source: str, filename: str = "<revision>") -> list[str]:
    checker = _Checker(source, filename)
    checker.visit(ast.parse(source, filename))
    return checker.problems


def check_files(paths: list[Path]) -> list[str]:
    problems: list[str] = []
    for path in paths:
        problems += check_source(path.read_text(), str(path))
    return problems


def revision_files() -> list[Path]:
    return sorted(p for p in VERSIONS.glob("*.py") if p.name != "__init__.py")


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or revision_files()
    problems = check_files(paths)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
