"""``lottocrm loyalty card …``: issue, block, limit and export cards."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli.context import fail, say
from lottocrm.cli.loyalty.common import BY, unit_of_work
from lottocrm.loyalty.programme import cards, earning, members

HERE = Path(".")
app = typer.Typer(help="Issue, block and export loyalty cards.", no_args_is_help=True)


@app.command("issue")
def card_issue(player_id: int = typer.Argument(..., help="The player's id."), by: str | None = BY) -> None:
    """Issue a card to a player (the first opens the member account and grants any welcome bonus)."""
    with unit_of_work() as session:
        number = members.issue_card(session, player_id=player_id, now=clock.now(), actor=Actor.console(by))
        account_id = members.find_member(session, card_number=number).account_id
        bonus = earning.grant_welcome_bonus(session, account_id=account_id, now=clock.now())
    typer.echo(number)  # the result itself, printed even under --quiet so scripts can capture it
    if bonus is not None:
        say(f"welcome bonus: {bonus.points} points")


@app.command("block")
def card_block(
    card_number: str,
    by: str = typer.Option(..., "--by", help="Who blocks it (audited)."),
    reason: str = typer.Option(..., "--reason", help="Why (audited)."),
) -> None:
    """Block a card: tills get "blocked_card" and nothing is posted."""
    with unit_of_work() as session:
        members.set_card_status(
            session, card_number=card_number, blocked=True, actor=Actor.console(by), reason=reason
        )
    say(f"card {card_number} blocked")


@app.command("unblock")
def card_unblock(
    card_number: str,
    by: str = typer.Option(..., "--by", help="Who unblocks it (audited)."),
    reason: str = typer.Option(..., "--reason", help="Why (audited)."),
) -> None:
    """Make a blocked card usable again."""
    with unit_of_work() as session:
        members.set_card_status(
            session, card_number=card_number, blocked=False, actor=Actor.console(by), reason=reason
        )
    say(f"card {card_number} active")


@app.command("velocity")
def card_velocity(
    card_number: str,
    per_minute: int = typer.Argument(..., min=1, help="Till calls per minute."),
    by: str | None = BY,
) -> None:
    """Set how many earns and authorizations a card may make per rolling minute."""
    with unit_of_work() as session:
        members.set_velocity_limit(
            session, card_number=card_number, max_ops_per_minute=per_minute, actor=Actor.console(by)
        )
    say(f"card {card_number}: at most {per_minute} till calls a minute")


@app.command("export")
def card_export(
    card_number: str, out: Annotated[Path, typer.Option("--out", help="Folder for the images.")] = HERE
) -> None:
    """Write the card's barcode (PNG, SVG) and QR code (PNG) for a phone wallet."""
    if not cards.is_valid_card_number(card_number):
        raise fail(f"{card_number!r} is not a valid card number")
    out.mkdir(parents=True, exist_ok=True)
    written = {
        f"{card_number}-barcode.png": cards.barcode_png(card_number),
        f"{card_number}-barcode.svg": cards.barcode_svg(card_number),
        f"{card_number}-qr.png": cards.qr_png(card_number),
    }
    for name, content in written.items():
        (out / name).write_bytes(content)
        say(f"wrote {out / name}")
