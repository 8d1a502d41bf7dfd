"""``lottocrm user …`` and ``lottocrm apikey …``: staff accounts and machine keys, managed by an admin."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lottocrm.auth import jobs as auth_jobs  # noqa: F401 - registers the worker's auth.purge_sessions
from lottocrm.auth import service as auth
from lottocrm.auth.models import ROLES
from lottocrm.auth.passwords import WeakPasswordError, generate_password
from lottocrm.auth.permissions import API_KEY_SCOPES
from lottocrm.cli.context import fail, load_settings, say
from lottocrm.db.engine import get_engine, transaction

user_app = typer.Typer(help="Create, disable and reset staff accounts.", no_args_is_help=True)
SCOPES_HELP = f"Repeatable; any of {', '.join(sorted(API_KEY_SCOPES))}."
apikey_app = typer.Typer(help="Create and revoke API keys for machine clients.", no_args_is_help=True)


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


@user_app.command("disable")
def disable(username: str = typer.Argument(...)) -> None:
    """Disable a user and sign out all their sessions."""
    try:
        with transaction(get_engine(load_settings())) as session:
            auth.disable_user(session, username=username)
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    say(f"user {username} disabled")


@user_app.command("reset-password")
def reset(
    username: str = typer.Argument(...),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new password from stdin."),
) -> None:
    """Set a new password (generated unless --password-stdin), clear the lock-out, end all sessions."""
    password, generated = _password(password_stdin)
    try:
        with transaction(get_engine(load_settings())) as session:
            auth.reset_password(session, username=username, password=password)
    except (auth.AuthError, WeakPasswordError) as exc:
        raise fail(str(exc)) from None
    say(f"password of {username} reset")
    if generated:
        typer.echo(f"password: {password}")


@user_app.command("purge-sessions")
def purge_sessions() -> None:
    """Delete expired web sessions and old failed sign-ins now (the worker does it on a schedule:
    lottocrm jobs schedule purge-sessions '*/15 * * * *' auth.purge_sessions)."""
    with transaction(get_engine(load_settings())) as session:
        purged = auth.purge_expired(session)
    say(f"purged {purged.sessions} expired sessions and {purged.login_failures} old failed sign-ins")


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'website banners'.")],
    scope: Annotated[list[str], typer.Option("--scope", help=SCOPES_HELP)],
) -> None:
    """Create a key; the secret is printed once and never stored."""
    try:
        with transaction(get_engine(load_settings())) as session:
            key, secret = auth.create_api_key(session, name=name, scopes=scope)
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    say(f"API key {key.prefix} ({', '.join(key.scopes)}) created; send it as the X-API-Key header")
    typer.echo(secret)


@apikey_app.command("revoke")
def apikey_revoke(
    prefix: str = typer.Argument(..., help="The 8-character prefix printed at creation."),
) -> None:
    """Revoke a key at once; requests presenting it are refused from now on."""
    try:
        with transaction(get_engine(load_settings())) as session:
            auth.revoke_api_key(session, prefix=prefix)
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    say(f"API key {prefix} revoked")
