"""``lottocrm loyalty rule …``: the earn rules (rates, multipliers, daily caps, welcome bonus)."""

from __future__ import annotations

import typer
from rich.table import Table

from lottocrm.audit.service import Actor
from lottocrm.cli.context import console, fail, say
from lottocrm.cli.loyalty.common import BY, day, unit_of_work
from lottocrm.loyalty.programme import earn_rules, partners

app = typer.Typer(help="Earn rules: rates, multipliers, daily caps, welcome bonus.", no_args_is_help=True)


@app.command("add")
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
    by: str | None = BY,
) -> None:
    """Add an earn rule; it applies from the next purchase."""
    needed = {
        "base_rate": (rate, "--rate"),
        "multiplier": (multiplier, "--multiplier"),
        "daily_cap": (cap, "--cap"),
        "welcome_bonus": (bonus, "--bonus"),
    }
    if kind not in needed:
        raise fail(f"--kind must be one of {', '.join(needed)}")
    value, option = needed[kind]
    if value is None or value < 0:
        raise fail(f"a {kind} rule needs a non-negative {option}")
    with unit_of_work() as session:
        rule_id = earn_rules.add_rule(
            session,
            actor=Actor.console(by),
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
            valid_from=day(valid_from) if valid_from else None,
            valid_to=day(valid_to) if valid_to else None,
        )
    say(f"rule {rule_id} added")


@app.command("list")
def rule_list() -> None:
    """Every earn rule, active or not."""
    with unit_of_work() as session:
        rows = earn_rules.every_rule(session)
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
