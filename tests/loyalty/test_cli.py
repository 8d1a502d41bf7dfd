"""``lottocrm loyalty …`` end to end on the configured database, plus the worker's loyalty jobs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.cli.main import app
from lottocrm.db.engine import transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.jobs.registry import JobContext
from lottocrm.jobs.service import ClaimedJob
from lottocrm.loyalty.ledger import lots
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyLot
from lottocrm.loyalty.programme import earning
from lottocrm.settings import Settings
from loyalty.factories import add_player, utcnow


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["loyalty", *args])
    return result.exit_code, result.output


def test_operator_session(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    with transaction(engine) as session:
        add_player(session, player_id=42, phone="+79160000042")
    assert run("partner", "add", "shop", "Магазин")[0] == 0
    code, key = run("partner", "key", "shop")
    assert code == 0 and key.startswith("lc_till_")
    code, output = run("card", "issue", "42")
    card = output.splitlines()[0]
    assert code == 0 and len(card) == 16
    assert run("adjust", card, "250", "--by", "ops", "--reason", "goodwill")[0] == 0
    code, output = run("adjust", "--by", "ops", "--reason", "too much", card, "--", "-999")
    assert code == 1 and "insufficient_points" in output
    code, output = run("balance", "89160000042", "--phone")
    assert code == 0 and "balance 250" in output
    code, output = run("card", "export", card, "--out", str(tmp_path / "wallet"))
    assert code == 0 and (tmp_path / "wallet" / f"{card}-qr.png").read_bytes().startswith(b"\x89PNG")
    assert run("card", "block", card, "--by", "ops", "--reason", "lost")[0] == 0
    code, output = run("balance", card)
    assert code == 1 and "blocked_card" in output
    today = dt.date.today()
    code, output = run(
        "settlement", "--from", today.isoformat(), "--to", (today + dt.timedelta(days=1)).isoformat()
    )
    assert code == 0 and "shop" in output
    assert run("partner", "revoke", key.split("_")[2])[0] == 0
    code, output = run("verify")
    assert code == 0 and "ledger clean" in output
    with transaction(engine) as session:
        audited = session.execute(
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.player_id).order_by(AuditEvent.id)
        ).all()
    console = Actor.console().name  # commands run without --by act as the operating-system account
    assert [tuple(row) for row in audited] == [
        ("loyalty.partner_added", console, None),
        ("loyalty.partner_key_issued", console, None),
        ("loyalty.card_issued", console, 42),
        ("loyalty.adjust", "cli:ops", 42),
        ("loyalty.card_blocked", "cli:ops", 42),
        ("loyalty.settlement_drawn", console, None),
        ("loyalty.partner_key_revoked", console, None),
    ]


def test_verify_fails_on_a_tampered_balance(settings: Settings, engine: Engine) -> None:
    with transaction(engine) as session:
        add_player(session, player_id=43)
    card = run("card", "issue", "43")[1].splitlines()[0]
    run("adjust", card, "10", "--by", "ops", "--reason", "test")
    with transaction(engine) as session:
        session.execute(update(LoyaltyAccount).where(LoyaltyAccount.kind == "member").values(balance=11))
    code, output = run("verify")
    assert code == 1 and "stored balance 11" in output


def test_worker_jobs_expire_lots(settings: Settings, engine: Engine) -> None:
    with transaction(engine) as session:
        add_player(session, player_id=44)
    card = run("card", "issue", "44")[1].splitlines()[0]
    run("adjust", card, "70", "--by", "ops", "--reason", "test")
    with transaction(engine) as session:
        session.execute(update(LoyaltyLot).values(expires_at=utcnow() - dt.timedelta(days=1)))
    registry = worker_registry()  # what `lottocrm worker` serves, whichever modules were imported before
    assert {"loyalty.expire_lots", "loyalty.void_stale_holds", "loyalty.requalify_tiers"} <= set(
        registry.kinds
    )
    job = ClaimedJob(
        id=1,
        kind="loyalty.expire_lots",
        queue="default",
        payload={},
        attempt=1,
        max_attempts=5,
        run_at=utcnow(),
    )
    for _ in range(2):  # a job may run twice (at-least-once delivery); the second run finds nothing to do
        registry.handler_for("loyalty.expire_lots")(JobContext(job=job, engine=engine))
    with transaction(engine) as session:
        assert lots.spendable(session, account_id=1, now=utcnow()) == 0
        assert session.get(LoyaltyAccount, 1).balance == 0
    assert run("verify")[0] == 0


def test_rules_tiers_and_rewards_from_the_cli(settings: Settings, engine: Engine) -> None:
    with transaction(engine) as session:
        add_player(session, player_id=45)
    card = run("card", "issue", "45")[1].splitlines()[0]
    assert run("partner", "add", "shop", "Магазин")[0] == 0
    assert run("rule", "add", "Shop 10 %", "--kind", "base_rate", "--partner", "shop", "--rate", "10")[0] == 0
    code, output = run("rule", "add", "broken", "--kind", "multiplier")
    assert code == 1 and "--multiplier" in output
    code, output = run("rule", "list")
    assert code == 0 and "Shop 10 %" in output and "partner_id=" in output
    code, output = run("tiers", "--seed-defaults")
    assert code == 0 and "vip" in output
    run("adjust", card, "500", "--by", "ops", "--reason", "test")
    assert run("reward", "add", "mug", "Кружка", "--price", "300", "--stock", "1")[0] == 0
    code, order = run("reward", "order", card, "mug")
    assert code == 0
    code, output = run("reward", "order", card, "mug")
    assert code == 1 and "out_of_stock" in output
    assert run("reward", "cancel", order.strip())[0] == 0
    code, order = run("reward", "order", card, "mug")
    assert run("reward", "fulfil", order.strip())[0] == 0
    code, output = run("balance", card)
    assert "balance 200" in output
    assert run("verify")[0] == 0


def test_reverse_a_cancelled_ticket(settings: Settings, engine: Engine) -> None:
    with transaction(engine) as session:
        add_player(session, player_id=46)
    card = run("card", "issue", "46")[1].splitlines()[0]
    with transaction(engine) as session:
        ticket = earning.Ticket(
            ticket_id=9, game_id=1, draw_id=None, channel="website", price_kopecks=100_000, sold_at=utcnow()
        )
        earning.earn_for_ticket(session, account_id=1, ticket=ticket, now=utcnow())
    code, output = run("reverse-ticket", "9", "--by", "ops")
    assert code == 0 and "reversed 10 points" in output
    code, output = run("reverse-ticket", "9", "--by", "ops")
    assert code == 1 and "already_done" in output
    assert "balance 0" in run("balance", card)[1]
