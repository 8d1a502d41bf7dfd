"""``lottocrm loyalty reward …``: the rewards catalogue and its orders."""

from __future__ import annotations

import typer
from rich.table import Table

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, say
from lottocrm.cli.loyalty.common import BY, unit_of_work
from lottocrm.loyalty.programme import catalogue, members

app = typer.Typer(help="The rewards catalogue and its orders.", no_args_is_help=True)


@app.command("add")
def reward_add(
    code: str,
    name: str,
    price: int = typer.Option(..., "--price", min=1, help="Price in points."),
    stock: int = typer.Option(..., "--stock", min=0, help="Units available."),
    min_tier: str | None = typer.Option(None, "--min-tier", help="Only for this tier and above."),
    by: str | None = BY,
) -> None:
    """Add a reward to the catalogue."""
    with unit_of_work() as session:
        catalogue.add_reward(
            session,
            code=code,
            name=name,
            points_price=price,
            stock=stock,
            min_tier=min_tier,
            actor=Actor.console(by),
        )
    say(f"reward {code} added")


@app.command("list")
def reward_list(
    card_number: str,
    all_: bool = typer.Option(False, "--all", help="Include rewards out of stock."),
) -> None:
    """Rewards a member may order: allowed for their tier and in stock."""
    with unit_of_work() as session:
        member = members.find_member(session, card_number=card_number)
        offers = catalogue.visible_rewards(
            session, account_id=member.account_id, now=clock.now(), include_out_of_stock=all_
        )
    table = Table("code", "name", "price", "stock", "min tier", "affordable")
    for offer in offers.rewards:
        table.add_row(
            offer.code,
            offer.name,
            str(offer.points_price),
            str(offer.stock),
            offer.min_tier or "",
            "yes" if offer.affordable else "no",
        )
    console.print(f"tier {offers.tier or '—'}, spendable {offers.spendable}", highlight=False)
    console.print(table)


@app.command("order")
def reward_order(card_number: str, code: str, by: str | None = BY) -> None:
    """Order a reward for a member: reserves one unit and holds its points (14 days)."""
    with unit_of_work() as session:
        member = members.find_member(session, card_number=card_number)
        order_id = catalogue.order_reward(
            session, member=member, reward_code=code, now=clock.now(), actor=Actor.console(by)
        )
    typer.echo(order_id)


@app.command("fulfil")
def reward_fulfil(order_id: int, by: str | None = BY) -> None:
    """The reward was handed over: the held points are spent."""
    with unit_of_work() as session:
        catalogue.fulfil_order(session, order_id=order_id, now=clock.now(), actor=Actor.console(by))
    say(f"order {order_id} fulfilled")


@app.command("cancel")
def reward_cancel(order_id: int, by: str | None = BY) -> None:
    """Cancel an order: the points return to the member and the unit to stock."""
    with unit_of_work() as session:
        catalogue.cancel_order(session, order_id=order_id, now=clock.now(), actor=Actor.console(by))
    say(f"order {order_id} cancelled")
