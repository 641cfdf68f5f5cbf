"""`souk staff …`: console accounts (the same service as the console's own screens)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from souk.settings import get_settings
from souk.staff.models import StaffRole

if TYPE_CHECKING:
    from souk.db.engine import Database

app = typer.Typer(help="Staff accounts of the admin console (/admin).", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def _migrated() -> Database:
    # Imported when a command runs, not when `souk` starts.
    from souk.db.migrate import migrated

    return migrated(get_settings())


@app.command("create")
def create(
    email: Annotated[str, typer.Option(help="The sign-in email.")],
    role: Annotated[StaffRole, typer.Option(help="What the account may see and do.")],
    name: Annotated[str, typer.Option(help="Shown in the console.")] = "",
    store: Annotated[
        list[str] | None, typer.Option(help="A store of a store manager (repeat for more).")
    ] = None,
    password_env: Annotated[
        str,
        typer.Option(help="Read the password from this environment variable instead of a prompt."),
    ] = "",
) -> None:
    """Create a staff account. The password is asked for (twice), never taken as an
    argument, so it does not land in the shell history."""
    if password_env:
        password = os.environ.get(password_env, "")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from souk.audit.service import record_command
    from souk.db.uow import UnitOfWork
    from souk.errors import SoukError
    from souk.staff import service

    db = _migrated()
    try:
        member = service.create_staff(
            uow=UnitOfWork(db),
            email=email,
            name=name or email.split("@")[0],
            role=role.value,
            stores=store or [],
            password=password,
        )
    except SoukError as exc:
        record_command(db=db, command="souk staff create", resource_id=None, status=2)
        errors.print(f"[bold red]error:[/] {exc.detail}")
        for item in exc.errors:
            errors.print(f"  - {item.get('field')}: {item.get('message')}")
        raise typer.Exit(code=2) from exc
    else:
        record_command(db=db, command="souk staff create", resource_id=member.id, status=0)
    finally:
        db.dispose()
    console.print(f"created {member.role} {member.email} ({member.id}); sign in at /admin")


@app.command("welcome")
def welcome(
    url: Annotated[str, typer.Option(help="Where the console is served.")] = (
        "http://127.0.0.1:8000/admin"
    ),
) -> None:
    """Say where the console is and how to get in (`make run` calls it). On a database
    without staff accounts it creates admin@example.com with a random password, shown
    here once."""
    from souk.audit.service import record_command
    from souk.db.uow import UnitOfWork
    from souk.staff import service

    db = _migrated()
    try:
        created = service.first_admin(uow=UnitOfWork(db), email="admin@example.com")
        if created is not None:
            record_command(db=db, command="souk staff welcome", resource_id=created[0].id, status=0)
    finally:
        db.dispose()
    console.print(f"[bold]Admin console:[/] {url}")
    if created is None:
        console.print(
            "Sign in with your staff account; add one with "
            "`souk staff create --email you@example.com --role admin`."
        )
        return
    member, password = created
    console.print(f"Sign in as [bold]{member.email}[/] with the password [bold]{password}[/]")
    console.print("(shown once; add your own accounts with `souk staff create`)")


@app.command("list")
def list_accounts() -> None:
    """Every staff account, its role and stores."""
    from rich.table import Table

    from souk.db.uow import UnitOfWork
    from souk.staff import service

    db = _migrated()
    try:
        members = service.list_staff(uow=UnitOfWork(db))
    finally:
        db.dispose()
    table = Table("id", "email", "name", "role", "stores")
    for m in members:
        table.add_row(m.id, m.email, m.name, m.role.value, ", ".join(m.stores))
    console.print(table)
