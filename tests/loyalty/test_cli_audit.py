"""Every ``lottocrm loyalty …`` command that changes state leaves an audit row naming who ran it.

The commands run for real, in the order an operator would use them, each checked right after it ran: exactly
one new audit row, with the command's action and ``cli:<--by>`` as the actor. The last check fails when a
command is added without being run here or declared read-only, so a new command cannot skip its audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pyarrow as pa
import typer
from sqlalchemy import Engine, func, select, update
from typer.testing import CliRunner

from lottocrm.audit.models import AuditEvent
from lottocrm.cli.loyalty import loyalty_app
from lottocrm.cli.main import app
from lottocrm.db.engine import transaction
from lottocrm.lake.schemas import TICKETS
from lottocrm.lake.store import Lake
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyHold, LoyaltyLot
from lottocrm.loyalty.programme import earning, members, partners
from lottocrm.settings import Settings
from loyalty.factories import add_player, utcnow

# Commands that only read: they may write no audit row.
READ_ONLY = {("balance",), ("verify",), ("card", "export"), ("rule", "list"), ("reward", "list")}


def command_paths(group: typer.Typer, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for command in group.registered_commands:
        assert command.name is not None
        yield (*prefix, command.name)
    for subgroup in group.registered_groups:
        assert subgroup.name is not None and subgroup.typer_instance is not None
        yield from command_paths(subgroup.typer_instance, (*prefix, subgroup.name))


class Operator:
    """Runs loyalty commands as ``--by ops`` and checks the audit row each one leaves."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ran: set[tuple[str, ...]] = set()

    def _last_audit_id(self) -> int:
        with transaction(self.engine) as session:
            return session.execute(select(func.coalesce(func.max(AuditEvent.id), 0))).scalar_one()

    def run(self, *args: str, action: str, path: int = 1) -> str:
        """``path``: how many leading arguments name the command (2 for ``card issue``)."""
        before = self._last_audit_id()
        result = CliRunner().invoke(app, ["--quiet", "loyalty", *args, "--by", "ops"])
        assert result.exit_code == 0, result.output
        with transaction(self.engine) as session:
            written = session.execute(
                select(AuditEvent.action, AuditEvent.actor).where(AuditEvent.id > before)
            ).all()
        assert [tuple(row) for row in written] == [(action, "cli:ops")], (args, written)
        self.ran.add(tuple(args[:path]))
        return result.output.strip()


def _ticket_in_the_lake(settings: Settings, *, ticket_id: int, player_id: int) -> None:
    Lake(settings.lake_path).append(
        "tickets",
        pa.table(
            {
                "ticket_id": [ticket_id],
                "player_id": [player_id],
                "game_id": [1],
                "draw_id": [None],
                "channel": ["website"],
                "pos_id": [None],
                "region": ["RU-MOW"],
                "price_kopecks": [100_000],
                "sold_at": [utcnow() - dt.timedelta(days=1)],
            },
            schema=TICKETS.schema,
        ),
        batch_id="cli-audit",
    )


def test_every_command_that_changes_state_leaves_an_audit_row(settings: Settings, engine: Engine) -> None:
    with transaction(engine) as session:
        add_player(session, player_id=42, phone="+79160000042")
    _ticket_in_the_lake(settings, ticket_id=9, player_id=42)
    ops = Operator(engine)

    ops.run("partner", "add", "shop", "Магазин", action="loyalty.partner_added", path=2)
    key = ops.run("partner", "key", "shop", action="loyalty.partner_key_issued", path=2)
    card = ops.run("card", "issue", "42", action="loyalty.card_issued", path=2)
    ops.run("card", "velocity", card, "20", action="loyalty.card_velocity_set", path=2)
    ops.run("adjust", card, "1000", "--reason", "goodwill", action="loyalty.adjust")
    ops.run("tiers", "--seed-defaults", action="loyalty.tiers_seeded")
    rule = ("rule", "add", "Shop 10 %", "--kind", "base_rate", "--partner", "shop", "--rate", "10")
    ops.run(*rule, action="loyalty.earn_rule_added", path=2)
    reward = ("reward", "add", "mug", "Кружка", "--price", "100", "--stock", "2")
    ops.run(*reward, action="loyalty.reward_added", path=2)
    order = ops.run("reward", "order", card, "mug", action="loyalty.reward_ordered", path=2)
    ops.run("reward", "cancel", order, action="loyalty.reward_order_cancelled", path=2)
    order = ops.run("reward", "order", card, "mug", action="loyalty.reward_ordered", path=2)
    ops.run("reward", "fulfil", order, action="loyalty.reward_order_fulfilled", path=2)

    with transaction(engine) as session:  # a till's purchase, for the return below
        shopper = members.find_member(session, card_number=card)
        shop = partners.partner_id_by_code(session, "shop")
        purchase = earning.earn_at_partner(
            session, member=shopper, partner_id=shop, spend_kopecks=100_000, now=utcnow()
        ).operation_id
    ops.run("return", str(purchase), "50000", "--partner", "shop", action="loyalty.purchase_returned")
    ops.run("earn-tickets", action="loyalty.tickets_earned")
    ops.run("reverse-ticket", "9", action="loyalty.earn_reversed")

    ops.run("reward", "order", card, "mug", action="loyalty.reward_ordered", path=2)
    with transaction(engine) as session:  # what the periodic runs find to do
        session.execute(update(LoyaltyLot).values(expires_at=utcnow() - dt.timedelta(days=1)))
        session.execute(update(LoyaltyHold).values(expires_at=utcnow() - dt.timedelta(minutes=1)))
        session.execute(update(LoyaltyAccount).values(tier="vip"))
    ops.run("void-holds", action="loyalty.stale_holds_voided")
    ops.run("expire", action="loyalty.lots_expired")
    ops.run("requalify", action="loyalty.tiers_requalified")

    today = dt.date.today()
    period = ("--from", today.isoformat(), "--to", (today + dt.timedelta(days=1)).isoformat())
    ops.run("settlement", *period, action="loyalty.settlement_drawn")
    ops.run("card", "block", card, "--reason", "lost", action="loyalty.card_blocked", path=2)
    ops.run("card", "unblock", card, "--reason", "found", action="loyalty.card_unblocked", path=2)
    ops.run("partner", "revoke", key.split("_")[2], action="loyalty.partner_key_revoked", path=2)

    assert ops.ran == set(command_paths(loyalty_app)) - READ_ONLY
