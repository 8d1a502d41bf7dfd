"""A run's members, chosen in the database in one INSERT … SELECT: segment → the gate on the campaign's
channels (the first that may reach the player) → the global holdout → the day's budget (arbitration) → a
stratified control → the A/B variant.

**The control** is drawn within each stratum (lifecycle segment × value decile of all-time spend, deciles
within the segment) by systematic sampling with a random start: the stratum's players are ordered by their
place for the campaign (``hash_unit``, salted with the campaign's id) and the k-th is a control when
``⌊(k·s + o)/10 000⌋`` steps up, where s is the share in basis points and o the stratum's own offset (also a
place, so it is fixed per campaign and stratum). Every stratum gets its share to within one player, none is
left out because it is small, and the same audience always splits the same way on SQLite and PostgreSQL.
Control and treated players pass the same gate, so they are comparable: both could have been sent to.

**The global holdout** (``hash_unit`` salted with the year, the percent from the settings) is kept from every
campaign; a campaign's control is drawn only among the others, with an independent salt.

**Arbitration**: a player a campaign has already chosen today (treated or control) counts against the day's
budget; when several campaigns are due together, the launcher runs them in order of expected incremental
value (then priority), so the more valuable campaign takes the player first. A boost window open on the day
(``boosts.py``) raises the budget for the players of its segment only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    FromClause,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.mart.models import PlayerAnalytics
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.selection import marketing_reachable
from lottocrm.db.hash_unit import hash_unit, hash_unit_sql, threshold
from lottocrm.marketing.boosts.service import Boost
from lottocrm.marketing.campaigns.definition import Variant
from lottocrm.marketing.campaigns.models import CampaignMember
from lottocrm.marketing.segments.audience import audience_select
from lottocrm.marketing.segments.conditions import Node
from lottocrm.marketing.segments.sources import Frame

BASIS = 10_000


def campaign_salt(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def holdout_salt(year: int) -> str:
    return f"holdout:{year}"


def holdout_salt_at(at: dt.datetime) -> str:
    """The global holdout's salt for a run at ``at``: the year of the operator's day, as the holdout report
    reads it (a run at 00:30 in Moscow on 1 January is still 31 December in UTC)."""
    return holdout_salt(clock.operator_day(at).year)


@dataclass(frozen=True)
class Plan:
    """What a run draws from: the campaign, its segment and channels, the control and variants, the moment."""

    run_id: int
    campaign_id: int
    node: Node
    frame: Frame
    channels: Sequence[str]
    control_share: float
    variants: Sequence[Variant]
    holdout_percent: int
    per_player_day: int
    # Boost windows open on the run's day: their interested players may be chosen by more campaigns.
    boosts: Sequence[Boost] = ()

    @property
    def at(self) -> dt.datetime:
        return self.frame.at


def _channel(plan: Plan) -> ColumnElement[str]:
    """The first of the campaign's channels the gate lets a marketing message reach the player on now."""
    return case(
        *((marketing_reachable(channel, plan.at), channel) for channel in plan.channels), else_=null()
    )


def _chosen_today(plan: Plan, player_id: ColumnElement[int]) -> ColumnElement[int]:
    start, _ = clock.day_bounds_at(plan.at)
    members = CampaignMember.__table__
    return (
        select(func.count())
        .where(members.c.player_id == player_id, members.c.assigned_at >= start)
        .correlate_except(members)
        .scalar_subquery()
    )


def _budget(plan: Plan, player_id: ColumnElement[int]) -> ColumnElement[int]:
    """How many campaigns may choose the player today: the budget, plus each open boost whose segment holds
    them (one evaluation of each boost segment for the whole audience, not a query per player)."""
    budget: ColumnElement[int] = literal(plan.per_player_day, Integer)
    for boost in plan.boosts:
        interested = select(audience_select(boost.node, plan.frame).subquery().c.player_id)
        budget = budget + case((player_id.in_(interested), boost.extra_per_day), else_=0)
    return budget


def _candidates(plan: Plan):  # type: ignore[no-untyped-def]
    """Every segment member with the channel they could get, their holdout place and today's campaigns."""
    audience = audience_select(plan.node, plan.frame).subquery("audience")
    record = PlayerAnalytics.__table__.alias("stratum_record")
    as_of = plan.frame.snapshot.record
    player = audience.c.player_id
    return (
        select(
            player.label("player_id"),
            _channel(plan).label("channel"),
            hash_unit_sql(holdout_salt_at(plan.at), player).label("holdout_place"),
            _chosen_today(plan, player).label("chosen_today"),
            _budget(plan, player).label("budget"),
            func.coalesce(record.c.segment, "unknown").label("lifecycle"),
            func.coalesce(record.c.monetary_kopecks, 0).label("value"),
        )
        .select_from(audience)
        .outerjoin(contactability, contactability.c.player_id == player)
        .outerjoin(record, and_(record.c.player_id == player, record.c.as_of == as_of))
        .subquery("candidates")
    )


def waterfall(session: Session, plan: Plan) -> dict[str, int]:
    """How many the segment holds, the gate lets through, the holdout keeps, today's budget takes."""
    return _count_waterfall(session, plan, _candidates(plan))


def choose(session: Session, plan: Plan) -> dict[str, int]:
    """Write the run's members, both arms; the waterfall that led to them.

    The candidates (segment, gate, holdout place, today's campaigns) are worked out once into a temporary
    table that the waterfall and the members both read: the gate and the hashes are most of a launch's work.
    """
    table, strata = _candidate_table(plan.run_id), _strata_table(plan.run_id)
    connection = session.connection()
    table.create(connection)
    strata.create(connection)
    try:
        found = _candidates(plan)
        session.execute(insert(table).from_select([column.name for column in table.columns], select(found)))
        counts = _count_waterfall(session, plan, table)
        _fill_strata(session, plan, table, strata)
        session.execute(
            insert(CampaignMember.__table__).from_select(
                ["run_id", "player_id", "arm", "variant", "stratum", "channel", "assigned_at"],
                _member_rows(plan, table, strata),
            )
        )
    finally:
        strata.drop(connection)
        table.drop(connection)
    return counts


def _candidate_table(run_id: int) -> Table:
    return Table(
        f"launch_candidates_{run_id}",
        MetaData(),
        Column("player_id", BigInteger),
        Column("channel", String(10)),
        Column("holdout_place", BigInteger),
        Column("chosen_today", Integer),
        Column("budget", Integer),
        Column("lifecycle", String(30)),
        Column("value", BigInteger),
        prefixes=["TEMPORARY"],
    )


def _strata_table(run_id: int) -> Table:
    return Table(
        f"launch_strata_{run_id}",
        MetaData(),
        Column("stratum", String(50), primary_key=True),
        Column("start", BigInteger),
        prefixes=["TEMPORARY"],
    )


def _fill_strata(session: Session, plan: Plan, found: FromClause, strata: Table) -> None:
    """Each stratum's own start for the systematic sampling: a place of the stratum's name, worked out here
    once per stratum rather than by the database once per player (the hash is a Python function in SQLite)."""
    salt = f"{campaign_salt(plan.campaign_id)}:stratum"
    lifecycles = session.scalars(select(found.c.lifecycle).distinct()).all()
    rows = [
        {"stratum": name, "start": hash_unit(salt, name) % BASIS}
        for name in (f"{lifecycle}:{decile}" for lifecycle in lifecycles for decile in range(1, 11))
    ]
    if rows:
        session.execute(insert(strata), rows)


def _count_waterfall(session: Session, plan: Plan, found: FromClause) -> dict[str, int]:
    reachable = found.c.channel.is_not(None)
    in_holdout = and_(reachable, found.c.holdout_place < _holdout_below(plan))
    taken = and_(
        reachable, found.c.holdout_place >= _holdout_below(plan), found.c.chosen_today >= found.c.budget
    )
    row = session.execute(
        select(
            func.count(),
            func.sum(case((reachable, 1), else_=0)),
            func.sum(case((in_holdout, 1), else_=0)),
            func.sum(case((taken, 1), else_=0)),
        )
    ).one()
    segment, gated, holdout, taken_today = (int(value or 0) for value in row)
    return {
        "segment": segment,
        "not_reachable": segment - gated,
        "global_holdout": holdout,
        "taken_by_other_campaigns": taken_today,
        "chosen": gated - holdout - taken_today,
    }


def _holdout_below(plan: Plan) -> int:
    return threshold(plan.holdout_percent / 100)


def _member_rows(plan: Plan, found: FromClause, strata: Table):  # type: ignore[no-untyped-def]
    """Both arms' rows, in player order (the members' indexes are filled in order, not at random)."""
    eligible = (
        select(found.c.player_id, found.c.channel, found.c.lifecycle, found.c.value)
        .where(
            found.c.channel.is_not(None),
            found.c.holdout_place >= _holdout_below(plan),
            found.c.chosen_today < found.c.budget,
        )
        .subquery("eligible")
    )
    decile = func.ntile(10).over(
        partition_by=eligible.c.lifecycle, order_by=(eligible.c.value, eligible.c.player_id)
    )
    stratified = select(
        eligible.c.player_id,
        eligible.c.channel,
        (eligible.c.lifecycle + literal(":") + cast(decile, String)).label("stratum"),
    ).subquery("stratified")
    salt = campaign_salt(plan.campaign_id)
    place = hash_unit_sql(salt, stratified.c.player_id)
    ranked = select(
        stratified.c.player_id,
        stratified.c.channel,
        stratified.c.stratum,
        func.row_number()
        .over(partition_by=stratified.c.stratum, order_by=(place, stratified.c.player_id))
        .label("position"),
    ).subquery("ranked")
    share = literal(round(plan.control_share * BASIS), Integer)
    start = strata.c.start
    # Whole-number division on both databases (``//``): the step is exact, never a rounded fraction.
    position = ranked.c.position
    step_up = (position * share + start) // BASIS != ((position - 1) * share + start) // BASIS
    arm = case((step_up, "control"), else_="treatment")
    return select(
        literal(plan.run_id).label("run_id"),
        ranked.c.player_id,
        arm.label("arm"),
        case((step_up, null()), else_=_variant(plan, ranked.c.player_id)).label("variant"),
        ranked.c.stratum,
        ranked.c.channel,
        literal(plan.at, CampaignMember.__table__.c.assigned_at.type).label("assigned_at"),
    ).select_from(ranked.join(strata, strata.c.stratum == ranked.c.stratum)).order_by(ranked.c.player_id)


def _variant(plan: Plan, player_id: ColumnElement[int]) -> ColumnElement[str]:
    """The A/B variant by the player's place for the campaign's variants, in proportion to the weights."""
    variants = list(plan.variants)
    if len(variants) == 1:
        return literal(variants[0].name)
    place = hash_unit_sql(f"{campaign_salt(plan.campaign_id)}:variant", player_id)
    total, running, whens = sum(v.weight for v in variants), 0, []
    for variant in variants[:-1]:
        running += variant.weight
        whens.append((place < threshold(running / total), variant.name))
    return case(*whens, else_=variants[-1].name)
