"""``lottocrm loyalty`` commands on points: balances, adjustments, returns and reversals, the periodic runs,
settlement, the ledger check, and the tiers."""

from __future__ import annotations

import typer
from rich.table import Table

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, fail, load_settings, progress, say
from lottocrm.cli.loyalty.common import BY, day, engine, unit_of_work
from lottocrm.lake.store import Lake
from lottocrm.loyalty.ledger import lots
from lottocrm.loyalty.ledger.verify import verify as verify_ledger
from lottocrm.loyalty.programme import (
    adjustments,
    earning,
    maintenance,
    members,
    partners,
    returns,
    settlement,
    tiers,
)
from lottocrm.loyalty.programme.lake_earn import earn_from_lake

app = typer.Typer(
    help="The loyalty programme: points ledger, cards, partners, settlement.", no_args_is_help=True
)


@app.command("balance")
def balance(
    card_number: str = typer.Argument(..., help="Card number, or a phone number with --phone."),
    phone: bool = typer.Option(False, "--phone", help="Look the member up by phone instead."),
) -> None:
    """A member's balance, spendable points, tier and lots."""
    with unit_of_work() as session:
        member = (
            members.find_member(session, phone=card_number)
            if phone
            else members.find_member(session, card_number=card_number)
        )
        held = members.standing(session, account_id=member.account_id, now=clock.now())
        open_lots = lots.open_lots(session, account_id=member.account_id)
    say(f"card {member.card_number} · player {member.player_id} · tier {held.tier or '—'}")
    say(f"balance {held.balance} points, spendable now {held.spendable}")
    table = Table("lot", "earned", "remaining", "expires")
    for lot in open_lots:
        table.add_row(str(lot.id), str(lot.points), str(lot.remaining), lot.expires_at.date().isoformat())
    console.print(table)


@app.command("adjust")
def adjust(
    card_number: str = typer.Argument(..., help="Card number."),
    points: int = typer.Argument(..., help="Points to add; negative removes (write: adjust CARD -- -50)."),
    by: str = typer.Option(..., "--by", help="Who makes the adjustment (recorded)."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded)."),
) -> None:
    """A manual adjustment, audited with who and why."""
    with unit_of_work() as session:
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


@app.command("settlement")
def settlement_report(
    start: str = typer.Option(..., "--from", help="First day, e.g. 2026-11-01 (UTC)."),
    end: str = typer.Option(..., "--to", help="Day after the last, e.g. 2026-12-01."),
    by: str | None = BY,
) -> None:
    """Points issued and redeemed per partner in the period, in rubles at the programme rate (audited)."""
    with unit_of_work() as session:
        lines = settlement.settlement(session, start=day(start), end=day(end), actor=Actor.console(by))
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


@app.command("expire")
def expire(by: str | None = BY) -> None:
    """Expire every lot past its date (points go to breakage). Normally run by the worker job."""
    with progress() as bar:
        task = bar.add_task("expiring members", total=None)
        points = maintenance.run_expiry(
            engine(), now=clock.now(), actor=Actor.console(by), on_step=lambda n: bar.advance(task, n)
        )
    say(f"expired {points} points")


@app.command("void-holds")
def void_holds(by: str | None = BY) -> None:
    """Void redemption holds that were never captured in time. Normally run by the worker job."""
    with progress() as bar:
        task = bar.add_task("voiding stale holds", total=None)
        voided = maintenance.run_stale_hold_voids(
            engine(), now=clock.now(), actor=Actor.console(by), on_step=lambda n: bar.advance(task, n)
        )
    say(f"voided {voided} stale holds")


@app.command("requalify")
def requalify(by: str | None = BY) -> None:
    """Recompute every member's tier over the last 12 months (downgrades happen only here)."""
    with progress() as bar:
        task = bar.add_task("requalifying tiers", total=None)
        checked = maintenance.run_tier_requalification(
            engine(), now=clock.now(), actor=Actor.console(by), on_step=lambda n: bar.advance(task, n)
        )
    say(f"checked {checked} members")


@app.command("earn-tickets")
def earn_tickets(
    since: str | None = typer.Option(None, "--since", help="Only tickets sold on or after this day."),
    by: str | None = BY,
) -> None:
    """Earn points for card holders' lottery tickets in the lake (each ticket once, safe to re-run)."""
    lake = Lake(load_settings().lake_path)
    with progress() as bar:
        task = bar.add_task("tickets", total=None)
        summary = earn_from_lake(
            engine(),
            lake,
            actor=Actor.console(by),
            since=day(since) if since else None,
            on_batch=lambda n: bar.advance(task, n),
        )
    say(f"{summary.tickets} tickets of card holders, {summary.earned} newly earned, {summary.points} points")


@app.command("reverse-ticket")
def reverse_ticket(
    ticket_id: int,
    by: str = typer.Option(..., "--by", help="Who reverses it (recorded)."),
    reason: str = typer.Option("ticket cancelled", "--reason", help="Why (recorded)."),
) -> None:
    """Take back the points a cancelled lottery ticket earned (points already spent are written off)."""
    with unit_of_work() as session:
        result = earning.reverse_ticket_earn(
            session, ticket_id=ticket_id, now=clock.now(), reason=reason, actor=Actor.console(by)
        )
    say(f"reversed {result.points} points (written off {result.shortfall}); balance {result.balance}")


@app.command("return")
def return_purchase(
    earn_operation_id: int = typer.Argument(..., help="The operation id the till got for the purchase."),
    kopecks: int = typer.Argument(..., help="Kopecks refunded for the returned goods."),
    partner: str = typer.Option(..., "--partner", help="Code of the partner the purchase was made at."),
    allow_shortfall: bool = typer.Option(
        False, "--allow-shortfall", help="Write off points the member already spent instead of refusing."
    ),
    by: str | None = BY,
) -> None:
    """Take back the points of returned goods, in proportion (as the till's return call does)."""
    with unit_of_work() as session:
        result = returns.return_purchase(
            session,
            earn_operation_id=earn_operation_id,
            partner_id=partners.partner_id_by_code(session, partner),
            returned_kopecks=kopecks,
            now=clock.now(),
            allow_shortfall=allow_shortfall,
            actor=Actor.console(by),
        )
    say(
        f"took back {result.points} points (written off {result.shortfall}); returned "
        f"{result.returned_kopecks_total} of {result.purchase_kopecks} kopecks; balance {result.balance}"
    )


@app.command("verify")
def verify() -> None:
    """Check every stored balance, lot and hold against the postings; exit 1 on any mismatch."""
    report = verify_ledger(engine())
    for problem in report.problems:
        console.print(f"[red]✗[/] {problem}", highlight=False)
    if not report.clean:
        raise fail(
            f"{len(report.problems)} problems in {report.accounts} accounts / {report.postings} postings"
        )
    say(f"ledger clean: {report.accounts} accounts, {report.postings} postings")


@app.command("tiers")
def tier_list(
    seed_defaults: bool = typer.Option(False, "--seed-defaults", help="Create Bronze…VIP if empty."),
    by: str | None = BY,
) -> None:
    """The tiers, their 12-month spend thresholds and earn multipliers."""
    with unit_of_work() as session:
        if seed_defaults:
            tiers.ensure_default_tiers(session, actor=Actor.console(by))
        rows = tiers.every_tier(session)
    table = Table("tier", "name", "12-month spend from", "earn")
    for tier in rows:
        table.add_row(
            tier.code,
            tier.name,
            f"{tier.min_spend_12m_kopecks / 100:,.0f} ₽",
            f"{tier.earn_multiplier_percent} %",
        )
    console.print(table)
