"""``lottocrm loyalty …``: balances, adjustments, settlement, expiry, stale holds, verify, cards, partners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, fail, load_settings, progress, say
from lottocrm.db.engine import get_engine, transaction
from lottocrm.lake.store import Lake
from lottocrm.loyalty.errors import LoyaltyError
from lottocrm.loyalty.ledger import lots
from lottocrm.loyalty.ledger.verify import verify as verify_ledger
from lottocrm.loyalty.models import EarnRule, LoyaltyAccount, LoyaltyLot, LoyaltyTier
from lottocrm.loyalty.programme import (
    adjustments,
    cards,
    catalogue,
    earn_rules,
    earning,
    maintenance,
    members,
    partners,
    returns,
    settlement,
    tiers,
)
from lottocrm.loyalty.programme.lake_earn import earn_from_lake

HERE = Path(".")
loyalty_app = typer.Typer(
    help="The loyalty programme: points ledger, cards, partners, settlement.", no_args_is_help=True
)
card_app = typer.Typer(help="Issue, block and export loyalty cards.", no_args_is_help=True)
partner_app = typer.Typer(help="Coalition partners and their till API keys.", no_args_is_help=True)
loyalty_app.add_typer(card_app, name="card")
loyalty_app.add_typer(partner_app, name="partner")


def _engine():  # type: ignore[no-untyped-def]
    return get_engine(load_settings())


@contextmanager
def _unit_of_work() -> Iterator[Session]:
    """One transaction; a refusal from the domain becomes a readable error and exit code 1."""
    try:
        with transaction(_engine()) as session:
            yield session
    except LoyaltyError as exc:
        raise fail(f"{exc.code}: {exc.message}") from None


@loyalty_app.command("balance")
def balance(
    card_number: str = typer.Argument(..., help="Card number, or a phone number with --phone."),
    phone: bool = typer.Option(False, "--phone", help="Look the member up by phone instead."),
) -> None:
    """A member's balance, spendable points, tier and lots."""
    with _unit_of_work() as session:
        member = (
            members.find_member(session, phone=card_number)
            if phone
            else members.find_member(session, card_number=card_number)
        )
        account = session.execute(
            select(LoyaltyAccount).where(LoyaltyAccount.id == member.account_id)
        ).scalar_one()
        spendable = lots.spendable(session, account_id=member.account_id, now=clock.now())
        open_lots = (
            session.execute(
                select(LoyaltyLot)
                .where(LoyaltyLot.account_id == member.account_id, LoyaltyLot.remaining > 0)
                .order_by(LoyaltyLot.expires_at)
            )
            .scalars()
            .all()
        )
    say(f"card {member.card_number} · player {member.player_id} · tier {account.tier or '—'}")
    say(f"balance {account.balance} points, spendable now {spendable}")
    table = Table("lot", "earned", "remaining", "expires")
    for lot in open_lots:
        table.add_row(str(lot.id), str(lot.points), str(lot.remaining), lot.expires_at.date().isoformat())
    console.print(table)


@loyalty_app.command("adjust")
def adjust(
    card_number: str = typer.Argument(..., help="Card number."),
    points: int = typer.Argument(..., help="Points to add; negative removes (write: adjust CARD -- -50)."),
    by: str = typer.Option(..., "--by", help="Who makes the adjustment (recorded)."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded)."),
) -> None:
    """A manual adjustment, audited with who and why."""
    with _unit_of_work() as session:
        member = members.find_member(session, card_number=card_number)
        result = adjustments.adjust(
            session,
            account_id=member.account_id,
            points=points,
            actor=Actor.console(by),
            reason=reason,
            now=clock.now(),
        )
    say(f"adjusted by {points:+d} (operation {result.operation_id}); balance {result.balance}")


def _day(value: str) -> dt.datetime:
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
    except ValueError:
        raise fail(f"{value!r} is not a date like 2026-11-01") from None


@loyalty_app.command("settlement")
def settlement_report(
    start: str = typer.Option(..., "--from", help="First day, e.g. 2026-11-01 (UTC)."),
    end: str = typer.Option(..., "--to", help="Day after the last, e.g. 2026-12-01."),
) -> None:
    """Points issued and redeemed per partner in the period, in rubles at the programme rate."""
    with _unit_of_work() as session:
        lines = settlement.settlement(session, start=_day(start), end=_day(end))
    table = Table("partner", "issued pts", "redeemed pts", "issued ₽", "redeemed ₽", "balance")
    for line in lines:
        owes = line.partner_owes_kopecks
        who = (
            f"partner pays {owes / 100:,.2f} ₽"
            if owes > 0
            else f"programme pays {-owes / 100:,.2f} ₽"
            if owes < 0
            else "even"
        )
        table.add_row(
            line.partner_code,
            str(line.points_issued),
            str(line.points_redeemed),
            f"{line.issued_kopecks / 100:,.2f}",
            f"{line.redeemed_kopecks / 100:,.2f}",
            who,
        )
    console.print(table)


@loyalty_app.command("expire")
def expire() -> None:
    """Expire every lot past its date (points go to breakage). Normally run by the worker job."""
    with progress() as bar:
        task = bar.add_task("expiring members", total=None)
        points = maintenance.run_expiry(_engine(), now=clock.now(), on_step=lambda n: bar.advance(task, n))
    say(f"expired {points} points")


@loyalty_app.command("void-holds")
def void_holds() -> None:
    """Void redemption holds that were never captured in time. Normally run by the worker job."""
    with progress() as bar:
        task = bar.add_task("voiding stale holds", total=None)
        voided = maintenance.run_stale_hold_voids(
            _engine(), now=clock.now(), on_step=lambda n: bar.advance(task, n)
        )
    say(f"voided {voided} stale holds")


@loyalty_app.command("requalify")
def requalify() -> None:
    """Recompute every member's tier over the last 12 months (downgrades happen only here)."""
    with progress() as bar:
        task = bar.add_task("requalifying tiers", total=None)
        checked = maintenance.run_tier_requalification(
            _engine(), now=clock.now(), on_step=lambda n: bar.advance(task, n)
        )
    say(f"checked {checked} members")


@loyalty_app.command("earn-tickets")
def earn_tickets(
    since: str | None = typer.Option(None, "--since", help="Only tickets sold on or after this day."),
) -> None:
    """Earn points for card holders' lottery tickets in the lake (each ticket once, safe to re-run)."""
    lake = Lake(load_settings().lake_path)
    with progress() as bar:
        task = bar.add_task("tickets", total=None)
        summary = earn_from_lake(
            _engine(), lake, since=_day(since) if since else None, on_batch=lambda n: bar.advance(task, n)
        )
    say(f"{summary.tickets} tickets of card holders, {summary.earned} newly earned, {summary.points} points")


@loyalty_app.command("reverse-ticket")
def reverse_ticket(
    ticket_id: int,
    by: str = typer.Option(..., "--by", help="Who reverses it (recorded)."),
    reason: str = typer.Option("ticket cancelled", "--reason", help="Why (recorded)."),
) -> None:
    """Take back the points a cancelled lottery ticket earned (points already spent are written off)."""
    with _unit_of_work() as session:
        result = earning.reverse_ticket_earn(
            session, ticket_id=ticket_id, now=clock.now(), reason=reason, actor=by
        )
    say(f"reversed {result.points} points (written off {result.shortfall}); balance {result.balance}")


@loyalty_app.command("return")
def return_purchase(
    earn_operation_id: int = typer.Argument(..., help="The operation id the till got for the purchase."),
    kopecks: int = typer.Argument(..., help="Kopecks refunded for the returned goods."),
    partner: str = typer.Option(..., "--partner", help="Code of the partner the purchase was made at."),
    allow_shortfall: bool = typer.Option(
        False, "--allow-shortfall", help="Write off points the member already spent instead of refusing."
    ),
) -> None:
    """Take back the points of returned goods, in proportion (as the till's return call does)."""
    with _unit_of_work() as session:
        result = returns.return_purchase(
            session,
            earn_operation_id=earn_operation_id,
            partner_id=partners.partner_id_by_code(session, partner),
            returned_kopecks=kopecks,
            now=clock.now(),
            allow_shortfall=allow_shortfall,
        )
    say(
        f"took back {result.points} points (written off {result.shortfall}); returned "
        f"{result.returned_kopecks_total} of {result.purchase_kopecks} kopecks; balance {result.balance}"
    )


@loyalty_app.command("verify")
def verify() -> None:
    """Check every stored balance, lot and hold against the postings; exit 1 on any mismatch."""
    report = verify_ledger(_engine())
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    if not report.clean:
        raise fail(
            f"{len(report.problems)} problems in {report.accounts} accounts / {report.postings} postings"
        )
    say(f"ledger clean: {report.accounts} accounts, {report.postings} postings")


@card_app.command("issue")
def card_issue(player_id: int = typer.Argument(..., help="The player's id.")) -> None:
    """Issue a card to a player (the first opens the member account and grants any welcome bonus)."""
    with _unit_of_work() as session:
        number = members.issue_card(session, player_id=player_id, now=clock.now())
        account_id = members.find_member(session, card_number=number).account_id
        bonus = earning.grant_welcome_bonus(session, account_id=account_id, now=clock.now())
    typer.echo(number)  # the result itself, printed even under --quiet so scripts can capture it
    if bonus is not None:
        say(f"welcome bonus: {bonus.points} points")


@card_app.command("block")
def card_block(
    card_number: str,
    by: str = typer.Option(..., "--by", help="Who blocks it (audited)."),
    reason: str = typer.Option(..., "--reason", help="Why (audited)."),
) -> None:
    """Block a card: tills get "blocked_card" and nothing is posted."""
    with _unit_of_work() as session:
        members.set_card_status(
            session, card_number=card_number, blocked=True, actor=Actor.console(by), reason=reason
        )
    say(f"card {card_number} blocked")


@card_app.command("unblock")
def card_unblock(
    card_number: str,
    by: str = typer.Option(..., "--by", help="Who unblocks it (audited)."),
    reason: str = typer.Option(..., "--reason", help="Why (audited)."),
) -> None:
    """Make a blocked card usable again."""
    with _unit_of_work() as session:
        members.set_card_status(
            session, card_number=card_number, blocked=False, actor=Actor.console(by), reason=reason
        )
    say(f"card {card_number} active")


@card_app.command("velocity")
def card_velocity(
    card_number: str, per_minute: int = typer.Argument(..., min=1, help="Till calls per minute.")
) -> None:
    """Set how many earns and authorizations a card may make per rolling minute."""
    with _unit_of_work() as session:
        members.set_velocity_limit(session, card_number=card_number, max_ops_per_minute=per_minute)
    say(f"card {card_number}: at most {per_minute} till calls a minute")


@card_app.command("export")
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


@partner_app.command("add")
def partner_add(
    code: str,
    name: str,
    earn: bool = typer.Option(True, "--earn/--no-earn", help="May its tills issue points?"),
    redeem: bool = typer.Option(True, "--redeem/--no-redeem", help="May its tills accept points?"),
) -> None:
    """Register a coalition partner."""
    with _unit_of_work() as session:
        partners.create_partner(
            session, code=code, name=name, now=clock.now(), can_earn=earn, can_redeem=redeem
        )
    say(f"partner {code} registered")


@partner_app.command("key")
def partner_key(
    code: str, label: str = typer.Option("", "--label", help="Which till or system gets it.")
) -> None:
    """Issue a till API key for a partner; it is printed once and stored only as a hash."""
    with _unit_of_work() as session:
        secret = partners.issue_key(
            session, partner_id=partners.partner_id_by_code(session, code), now=clock.now(), label=label
        )
    typer.echo(secret)


@partner_app.command("revoke")
def partner_revoke(
    prefix: str = typer.Argument(..., help="The key's prefix: the third _-separated part."),
) -> None:
    """Revoke a till key at once."""
    with _unit_of_work() as session:
        partners.revoke_key(session, prefix=prefix, now=clock.now())
    say(f"key {prefix} revoked")


rule_app = typer.Typer(
    help="Earn rules: rates, multipliers, daily caps, welcome bonus.", no_args_is_help=True
)
reward_app = typer.Typer(help="The rewards catalogue and its orders.", no_args_is_help=True)
loyalty_app.add_typer(rule_app, name="rule")
loyalty_app.add_typer(reward_app, name="reward")


@rule_app.command("add")
def rule_add(
    name: str,
    kind: str = typer.Option(..., "--kind", help="base_rate, multiplier, daily_cap or welcome_bonus."),
    source: str | None = typer.Option(None, "--source", help="ticket or partner; empty: both."),
    game: int | None = typer.Option(None, "--game", help="Only this game id."),
    draw: int | None = typer.Option(None, "--draw", help="Only this draw id."),
    channel: str | None = typer.Option(None, "--channel", help="Only this sales channel."),
    partner: str | None = typer.Option(None, "--partner", help="Only this partner's code."),
    tier: str | None = typer.Option(None, "--tier", help="Only members of this tier."),
    rate: int | None = typer.Option(None, "--rate", help="base_rate: points per 100 ₽."),
    multiplier: int | None = typer.Option(None, "--multiplier", help="multiplier: percent, 200 = ×2."),
    cap: int | None = typer.Option(None, "--cap", help="daily_cap: points a member may earn a day."),
    bonus: int | None = typer.Option(None, "--bonus", help="welcome_bonus: points."),
    valid_from: str | None = typer.Option(None, "--from", help="First day in force (UTC)."),
    valid_to: str | None = typer.Option(None, "--to", help="First day no longer in force (UTC)."),
) -> None:
    """Add an earn rule; it applies from the next purchase."""
    needed = {"base_rate": rate, "multiplier": multiplier, "daily_cap": cap, "welcome_bonus": bonus}
    if kind not in needed:
        raise fail(f"--kind must be one of {', '.join(needed)}")
    if needed[kind] is None or needed[kind] < 0:
        option = {
            "base_rate": "--rate",
            "multiplier": "--multiplier",
            "daily_cap": "--cap",
            "welcome_bonus": "--bonus",
        }
        raise fail(f"a {kind} rule needs a non-negative {option[kind]}")
    with _unit_of_work() as session:
        rule_id = earn_rules.add_rule(
            session,
            name=name,
            kind=kind,
            source=source,
            game_id=game,
            draw_id=draw,
            channel=channel,
            partner_id=partners.partner_id_by_code(session, partner) if partner else None,
            tier=tier,
            points_per_100_rub=rate,
            multiplier_percent=multiplier,
            cap_points=cap,
            bonus_points=bonus,
            valid_from=_day(valid_from) if valid_from else None,
            valid_to=_day(valid_to) if valid_to else None,
        )
    say(f"rule {rule_id} added")


@rule_app.command("list")
def rule_list() -> None:
    """Every earn rule, active or not."""
    with _unit_of_work() as session:
        rows = session.execute(select(EarnRule).order_by(EarnRule.id)).scalars().all()
    table = Table("id", "name", "kind", "matches", "value", "in force")
    for rule in rows:
        matches = (
            ", ".join(
                f"{column}={getattr(rule, column)}"
                for column in ("source", "game_id", "draw_id", "channel", "partner_id", "tier")
                if getattr(rule, column) is not None
            )
            or "any"
        )
        value = rule.points_per_100_rub or rule.multiplier_percent or rule.cap_points or rule.bonus_points
        since = rule.valid_from.date().isoformat() if rule.valid_from else "…"
        until = rule.valid_to.date().isoformat() if rule.valid_to else "…"
        window = f"{since} – {until}"
        table.add_row(
            str(rule.id), rule.name, rule.kind, matches, str(value), window if rule.active else "off"
        )
    console.print(table)


@loyalty_app.command("tiers")
def tier_list(
    seed_defaults: bool = typer.Option(False, "--seed-defaults", help="Create Bronze…VIP if empty."),
) -> None:
    """The tiers, their 12-month spend thresholds and earn multipliers."""
    with _unit_of_work() as session:
        if seed_defaults:
            tiers.ensure_default_tiers(session)
        rows = session.execute(select(LoyaltyTier).order_by(LoyaltyTier.rank)).scalars().all()
    table = Table("tier", "name", "12-month spend from", "earn")
    for tier in rows:
        table.add_row(
            tier.code,
            tier.name,
            f"{tier.min_spend_12m_kopecks / 100:,.0f} ₽",
            f"{tier.earn_multiplier_percent} %",
        )
    console.print(table)


@reward_app.command("add")
def reward_add(
    code: str,
    name: str,
    price: int = typer.Option(..., "--price", min=1, help="Price in points."),
    stock: int = typer.Option(..., "--stock", min=0, help="Units available."),
    min_tier: str | None = typer.Option(None, "--min-tier", help="Only for this tier and above."),
) -> None:
    """Add a reward to the catalogue."""
    with _unit_of_work() as session:
        catalogue.add_reward(
            session, code=code, name=name, points_price=price, stock=stock, min_tier=min_tier
        )
    say(f"reward {code} added")


@reward_app.command("list")
def reward_list(
    card_number: str,
    all_: bool = typer.Option(False, "--all", help="Include rewards out of stock."),
) -> None:
    """Rewards a member may order: allowed for their tier and in stock."""
    with _unit_of_work() as session:
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


@reward_app.command("order")
def reward_order(card_number: str, code: str) -> None:
    """Order a reward for a member: reserves one unit and holds its points (14 days)."""
    with _unit_of_work() as session:
        member = members.find_member(session, card_number=card_number)
        order_id = catalogue.order_reward(session, member=member, reward_code=code, now=clock.now())
    typer.echo(order_id)


@reward_app.command("fulfil")
def reward_fulfil(order_id: int) -> None:
    """The reward was handed over: the held points are spent."""
    with _unit_of_work() as session:
        catalogue.fulfil_order(session, order_id=order_id, now=clock.now())
    say(f"order {order_id} fulfilled")


@reward_app.command("cancel")
def reward_cancel(order_id: int) -> None:
    """Cancel an order: the points return to the member and the unit to stock."""
    with _unit_of_work() as session:
        catalogue.cancel_order(session, order_id=order_id, now=clock.now())
    say(f"order {order_id} cancelled")
