"""``lottocrm loyalty partner …``: coalition partners and their till keys."""

from __future__ import annotations

import typer

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli.context import say
from lottocrm.cli.loyalty.common import BY, unit_of_work
from lottocrm.loyalty.programme import partners

app = typer.Typer(help="Coalition partners and their till API keys.", no_args_is_help=True)


@app.command("add")
def partner_add(
    code: str,
    name: str,
    earn: bool = typer.Option(True, "--earn/--no-earn", help="May its tills issue points?"),
    redeem: bool = typer.Option(True, "--redeem/--no-redeem", help="May its tills accept points?"),
    by: str | None = BY,
) -> None:
    """Register a coalition partner."""
    with unit_of_work() as session:
        partners.create_partner(
            session,
            code=code,
            name=name,
            now=clock.now(),
            actor=Actor.console(by),
            can_earn=earn,
            can_redeem=redeem,
        )
    say(f"partner {code} registered")


@app.command("key")
def partner_key(
    code: str,
    label: str = typer.Option("", "--label", help="Which till or system gets it."),
    by: str | None = BY,
) -> None:
    """Issue a till API key for a partner; it is printed once and stored only as a hash."""
    with unit_of_work() as session:
        secret = partners.issue_key(
            session,
            partner_id=partners.partner_id_by_code(session, code),
            now=clock.now(),
            actor=Actor.console(by),
            label=label,
        )
    typer.echo(secret)


@app.command("revoke")
def partner_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix: the third _-separated part."),
    by: str | None = BY,
) -> None:
    """Revoke a till key at once."""
    with unit_of_work() as session:
        partners.revoke_key(session, prefix=prefix, now=clock.now(), actor=Actor.console(by))
    say(f"key {prefix} revoked")
