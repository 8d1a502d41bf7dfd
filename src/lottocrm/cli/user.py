"""``lottocrm user …``: staff accounts, managed by an admin at the console."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.auth.models import ROLES
from lottocrm.auth.passwords import WeakPasswordError, generate_password
from lottocrm.cli.context import fail, load_settings, say
from lottocrm.db.engine import get_engine, transaction

user_app = typer.Typer(
    help="Staff accounts: create, disable, enable, unlock, reset a password, change a role.",
    no_args_is_help=True,
)


def _password(from_stdin: bool) -> tuple[str, bool]:
    """(password, generated?) — read from stdin so it never appears in shell history or `ps`."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return generate_password(), True


@user_app.command("create")
def create(
    username: str = typer.Argument(..., help="Login name: latin letters, digits, '.', '_', '-'."),
    role: str = typer.Option(..., "--role", help=f"One of: {', '.join(ROLES)}."),
    name: str = typer.Option(None, "--name", help="Display name, e.g. 'Мария Иванова'."),
    locale: str = typer.Option("ru", "--locale", help="UI language: ru or en."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
) -> None:
    """Create a user; prints a generated password unless --password-stdin is given."""
    password, generated = _password(password_stdin)
    try:
        with transaction(get_engine(load_settings())) as session:
            auth.create_user(
                session,
                actor=Actor.console(),
                username=username,
                role=role,
                password=password,
                display_name=name,
                locale=locale if locale in ("ru", "en") else "ru",
            )
    except (auth.AuthError, WeakPasswordError) as exc:
        raise fail(str(exc)) from None
    say(f"user {username.strip().lower()} created with role {role}")
    if generated:
        typer.echo(f"password: {password}")


def _change(describe: str, change: Callable[[Session], object]) -> None:
    """Run one account change in its own transaction; a refusal is one line and exit code 1."""
    try:
        with transaction(get_engine(load_settings())) as session:
            change(session)
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    say(describe)


@user_app.command("disable")
def disable(username: str = typer.Argument(...)) -> None:
    """Disable a user and sign out all their sessions (never the last enabled admin)."""
    _change(
        f"user {username} disabled",
        lambda session: auth.disable_user(session, actor=Actor.console(), username=username),
    )


@user_app.command("enable")
def enable(username: str = typer.Argument(...)) -> None:
    """Let a disabled user sign in again, with their password (reset it too if it may be known)."""
    _change(
        f"user {username} enabled",
        lambda session: auth.enable_user(session, actor=Actor.console(), username=username),
    )


@user_app.command("role")
def role(
    username: str = typer.Argument(...),
    new_role: str = typer.Argument(..., metavar="ROLE", help=f"One of: {', '.join(ROLES)}."),
) -> None:
    """Give a user another role; their sessions end (never demotes the last enabled admin)."""
    _change(
        f"user {username} now has the role {new_role}",
        lambda session: auth.change_role(session, actor=Actor.console(), username=username, role=new_role),
    )


@user_app.command("unlock")
def unlock(username: str = typer.Argument(...)) -> None:
    """Lift the lock-out after too many wrong passwords."""
    _change(
        f"user {username} unlocked",
        lambda session: auth.unlock_user(session, actor=Actor.console(), username=username),
    )


@user_app.command("reset-password")
def reset(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new password from stdin."),
) -> None:
    """Set a new password (generated unless --password-stdin), clear the lock-out, end all sessions."""
    password, generated = _password(password_stdin)
    try:
        with transaction(get_engine(load_settings())) as session:
            user = auth.reset_password(session, actor=Actor.console(), username=username, password=password)
            disabled = user.disabled
    except (auth.AuthError, WeakPasswordError) as exc:
        raise fail(str(exc)) from None
    say(f"password of {username} reset")
    if generated:
        typer.echo(f"password: {password}")
    if disabled:
        # Said even with --quiet: a password that cannot sign in yet is worth one line.
        typer.echo(f"the account is disabled: `lottocrm user enable {username}` lets it sign in", err=True)


@user_app.command("purge-sessions")
def purge_sessions() -> None:
    """Delete expired web sessions and old failed sign-ins now (the worker does it on a schedule:
    lottocrm jobs schedule purge-sessions '*/15 * * * *' auth.purge_sessions)."""
    with transaction(get_engine(load_settings())) as session:
        purged = auth.purge_expired(session, actor=Actor.console())
    say(f"purged {purged.sessions} expired sessions and {purged.login_failures} old failed sign-ins")
