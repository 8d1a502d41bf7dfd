"""``lottocrm apikey …``: keys for machine clients (the website, the app, reporting tools)."""

from __future__ import annotations

from typing import Annotated

import typer

from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.auth.permissions import API_KEY_SCOPES
from lottocrm.cli.context import fail, load_settings, say
from lottocrm.db.engine import get_engine, transaction

SCOPES_HELP = f"Repeatable; any of {', '.join(sorted(API_KEY_SCOPES))}."
apikey_app = typer.Typer(help="Create and revoke API keys for machine clients.", no_args_is_help=True)


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'website banners'.")],
    scope: Annotated[list[str], typer.Option("--scope", help=SCOPES_HELP)],
) -> None:
    """Create a key; the secret is printed once and never stored."""
    try:
        with transaction(get_engine(load_settings())) as session:
            key, secret = auth.create_api_key(session, actor=Actor.console(), name=name, scopes=scope)
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
            auth.revoke_api_key(session, actor=Actor.console(), prefix=prefix)
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    say(f"API key {prefix} revoked")
