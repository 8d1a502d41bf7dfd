"""``lottocrm contact-policy``: check and rebuild the contactability rows the gate reads."""

from __future__ import annotations

import typer
from sqlalchemy import Connection

from lottocrm.cli.context import fail, load_settings, say
from lottocrm.db.engine import get_engine

contact_policy_app = typer.Typer(
    help="The contact policy's contactability rows: check them against the facts, rebuild them.",
    no_args_is_help=True,
)


def _audit(connection: Connection, how: str, **counts: int) -> None:
    from lottocrm.audit.service import Actor, record

    detail = {"how": how, **counts}
    record(connection, actor=Actor.console(), action="contact_policy.rows_rebuilt", detail=detail)


@contact_policy_app.command("check")
def check(
    batch: int = typer.Option(2_000, min=1, max=10_000, help="Players compared per read."),
    repair: bool = typer.Option(False, "--repair", help="Recompute the rows found different."),
) -> None:
    """Compare every player's contactability row with the row their consents, responsible gaming,
    identities and cap ledger give now; list the players that differ (a writer bypassed the refresh)."""
    from sqlalchemy import select

    from lottocrm.contact_policy import standing
    from lottocrm.contact_policy.service import policy_in_force
    from lottocrm.players.models import Player

    engine = get_engine(load_settings())
    drifted: list[int] = []
    checked = 0
    with engine.begin() as connection:
        policy = policy_in_force(connection)[1]
        after = 0
        while ids := list(
            connection.scalars(select(Player.id).where(Player.id > after).order_by(Player.id).limit(batch))
        ):
            drifted += standing.drifted(connection, ids, policy=policy)
            checked += len(ids)
            after = ids[-1]
        if repair and drifted:
            standing.refresh(connection, drifted, policy=policy)
            _audit(connection, "repair", drifted=len(drifted), checked=checked)
    shown = ", ".join(map(str, drifted[:20])) + (" …" if len(drifted) > 20 else "")
    if not drifted:
        say(f"{checked:,} players checked: every contactability row matches its facts")
    elif repair:
        say(f"{checked:,} players checked: {len(drifted):,} rows differed and were recomputed ({shown})")
    else:
        raise fail(
            f"{checked:,} players checked: {len(drifted):,} rows differ from their facts ({shown}); "
            "run `lottocrm contact-policy check --repair` to recompute them"
        )


@contact_policy_app.command("rebuild")
def rebuild() -> None:
    """Recompute every player's contactability row from the facts (after a change of the operator's time
    zone, or a bulk load that did not refresh them)."""
    import time

    from lottocrm.contact_policy import standing
    from lottocrm.contact_policy.service import policy_in_force

    engine = get_engine(load_settings())
    started = time.perf_counter()
    with engine.begin() as connection:
        written = standing.rebuild(connection, policy=policy_in_force(connection)[1])
        _audit(connection, "rebuild", rows=written)
    say(f"{written:,} contactability rows rebuilt in {time.perf_counter() - started:.1f} s")
