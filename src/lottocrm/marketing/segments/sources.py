"""Where a segment field's value lives, in SQL: the players table with each needed source joined once.

Scores are read at their latest run (the newest as-of date in the table, resolved once per audience and bound
as a constant, so the planner sees a plain equality on the primary key's first column); a player the run did
not score has no value there. Only the sources a segment names are joined, so a profile-only segment reads
the players table alone.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    and_,
    case,
    delete,
    exists,
    false,
    func,
    null,
    select,
    true,
)
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.churn.models import ChurnScore
from lottocrm.analytics.clusters.models import PlayerCluster
from lottocrm.analytics.clv.models import PlayerClv
from lottocrm.analytics.mart.models import PlayerAnalytics, PlayerAnalyticsWrite
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame
from lottocrm.contact_policy.models import contactability
from lottocrm.contact_policy.selection import marketing_reachable
from lottocrm.lake.store import Lake
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyCard
from lottocrm.marketing.campaigns.models import CampaignMember, CampaignRun
from lottocrm.marketing.segments import behaviour
from lottocrm.marketing.segments.conditions import Condition, Node, conditions
from lottocrm.marketing.segments.models import SegmentBehaviour
from lottocrm.players.models import Player
from lottocrm.settings import get_settings

_PLAYER = Player.__table__
_LOYALTY_ACCOUNTS = LoyaltyAccount.__table__


@dataclass(frozen=True)
class Snapshot:
    """The runs a segment reads: the latest as-of date of each score (None: never computed)."""

    record: dt.date | None = None
    clv: dt.date | None = None
    churn: tuple[dt.date, str] | None = None
    propensity: dt.date | None = None
    next_game: dt.date | None = None
    cluster: dt.date | None = None


def latest_snapshot(session: Session) -> Snapshot:
    churn_as_of = session.scalar(select(func.max(ChurnScore.as_of)))
    churn_model = (
        session.scalar(select(func.max(ChurnScore.model_version)).where(ChurnScore.as_of == churn_as_of))
        if churn_as_of
        else None
    )
    return Snapshot(
        record=session.scalar(select(func.max(PlayerAnalyticsWrite.as_of))),
        clv=session.scalar(select(func.max(PlayerClv.as_of))),
        churn=(churn_as_of, churn_model) if churn_as_of and churn_model else None,
        propensity=session.scalar(select(func.max(PlayerGamePropensity.as_of))),
        next_game=session.scalar(select(func.max(PlayerNextGame.as_of))),
        cluster=session.scalar(select(func.max(PlayerCluster.as_of))),
    )


@dataclass
class Frame:
    """The players table and the sources joined to it so far, for one audience or one player.

    Behaviour and response conditions read rows staged from the lake under ``batch`` (``behaviour.py``):
    :meth:`prepare` stages every spec a segment names in one pass; a spec met later is staged on its own."""

    snapshot: Snapshot
    at: dt.datetime
    session: Session | None = None
    lake: Lake | None = None
    batch: str = field(default_factory=lambda: uuid.uuid4().hex)
    _staged: dict[behaviour.Spec, int] = field(default_factory=dict)
    _joins: dict[tuple[str, tuple[tuple[str, Any], ...]], tuple[FromClause, ColumnElement[bool]]] = field(
        default_factory=dict
    )

    @property
    def player_id(self) -> ColumnElement[int]:
        return _PLAYER.c.id

    def joined(self) -> FromClause:
        joined: FromClause = _PLAYER
        for table, on in self._joins.values():
            joined = joined.outerjoin(table, on)
        return joined

    def value(self, condition: Condition) -> ColumnElement[Any]:
        """The SQL expression of the condition's field for the player of the row (NULL: unknown)."""
        spec = condition.spec
        if spec.source == "player":
            return _PLAYER.c[spec.column]
        if spec.source in ("behaviour", "responses"):
            return self._from_lake(condition)
        return getattr(self, f"_{spec.source}")(spec.column, condition.params)

    @property
    def today(self) -> dt.date:
        return clock.operator_day(self.at)

    def prepare(self, node: Node) -> None:
        """Stage, in one pass over the lake, every behaviour and response spec of the segment not staged."""
        leaves = [leaf for leaf in conditions(node) if leaf.spec.source in ("behaviour", "responses")]
        if not leaves:
            return
        session, lake = self._lake_session()
        wanted = {behaviour.spec_of(session, leaf, self.today) for leaf in leaves} - set(self._staged)
        if not wanted:
            return
        new = {spec: len(self._staged) + index for index, spec in enumerate(sorted(wanted, key=repr))}
        behaviour.stage(session, lake, self.batch, new)
        self._staged.update(new)

    def release(self) -> None:
        """Delete the rows this frame staged (a preview is done with them; the request then commits)."""
        if self._staged and self.session is not None:
            self.session.execute(delete(SegmentBehaviour).where(SegmentBehaviour.batch == self.batch))
            self._staged.clear()
            self._joins = {key: join for key, join in self._joins.items() if key[0] != "behaviour"}

    def lake_of(self) -> Lake:
        """The frame's lake: the one it was given, else the settings' (read when first needed)."""
        if self.lake is None:
            self.lake = Lake(get_settings().lake_path)
        return self.lake

    def _lake_session(self) -> tuple[Session, Lake]:
        if self.session is None:
            raise ValueError("behaviour conditions need a frame with a session (frame_at)")
        return self.session, self.lake_of()

    def _staged_row(self, condition: Condition) -> FromClause:
        session, _lake = self._lake_session()
        spec = behaviour.spec_of(session, condition, self.today)
        if spec not in self._staged:
            self.prepare(condition)
        number = self._staged[spec]

        def make() -> tuple[FromClause, ColumnElement[bool]]:
            table = SegmentBehaviour.__table__.alias(f"seg_behaviour_{number}")
            on = and_(table.c.player_id == _PLAYER.c.id, table.c.batch == self.batch, table.c.spec == number)
            return table, on

        return self._join(("behaviour", (("spec", number),)), make)

    def _from_lake(self, condition: Condition) -> Any:
        """A staged value: no row means no activity (0, or no last purchase) or no response."""
        row = self._staged_row(condition)
        column = condition.spec.column
        if column in ("played", "responded"):
            return case((row.c.player_id.is_not(None), true()), else_=false())
        if column == "last_sold_at":
            return row.c.last_sold_at
        return func.coalesce(row.c[column], 0)

    def _join(self, key: tuple[str, tuple[tuple[str, Any], ...]], make: Any) -> FromClause:
        if key not in self._joins:
            self._joins[key] = make()
        return self._joins[key][0]

    def _scored(self, name: str, model: Any, as_of: dt.date | None, column: str, **match: Any) -> Any:
        if as_of is None:
            return null()
        key = (name, tuple(sorted(match.items())))

        def make() -> tuple[FromClause, ColumnElement[bool]]:
            # An alias per join: the propensity of two games is two joins of one table.
            table = model.__table__.alias(f"seg_{name}_{len(self._joins)}")
            on = and_(
                table.c.player_id == _PLAYER.c.id,
                table.c.as_of == as_of,
                *(table.c[column_name] == value for column_name, value in match.items()),
            )
            return table, on

        return self._join(key, make).c[column]

    def _record(self, column: str, _params: Any) -> Any:
        return self._scored("record", PlayerAnalytics, self.snapshot.record, column)

    def _clv(self, column: str, _params: Any) -> Any:
        return self._scored("clv", PlayerClv, self.snapshot.clv, column)

    def _churn(self, column: str, _params: Any) -> Any:
        churn = self.snapshot.churn
        if churn is None:
            return null()
        return self._scored("churn", ChurnScore, churn[0], column, model_version=churn[1])

    def _propensity(self, column: str, params: Any) -> Any:
        game = dict(params)["game"]
        return self._scored(
            "propensity", PlayerGamePropensity, self.snapshot.propensity, column, game_id=game
        )

    def _next_game(self, column: str, _params: Any) -> Any:
        return self._scored("next_game", PlayerNextGame, self.snapshot.next_game, column, rank=1)

    def _cluster(self, column: str, _params: Any) -> Any:
        return self._scored("cluster", PlayerCluster, self.snapshot.cluster, column)

    def _loyalty(self, column: str, _params: Any) -> Any:
        def make() -> tuple[FromClause, ColumnElement[bool]]:
            table = _LOYALTY_ACCOUNTS.alias("seg_loyalty")
            return table, and_(table.c.player_id == _PLAYER.c.id, table.c.kind == "member")

        account = self._join(("loyalty", ()), make)
        if column == "member":
            return case((account.c.id.is_not(None), true()), else_=false())
        if column == "has_card":
            card = LoyaltyCard.__table__
            active = exists().where(card.c.account_id == account.c.id, card.c.status == "active")
            return case((active, true()), else_=false())
        return account.c[column]

    def _campaigns(self, column: str, params: Any) -> Any:
        """Whether a run of the campaign chose the player in this arm ("treatment": a message was queued)."""
        campaign = dict(params)["campaign"]
        members, runs = CampaignMember.__table__, CampaignRun.__table__
        conditions = [
            members.c.player_id == _PLAYER.c.id,
            members.c.arm == column,
            runs.c.campaign_id == campaign,
        ]
        if column == "treatment":
            conditions.append(members.c.message_id.is_not(None))
        chosen = exists().where(*conditions).where(runs.c.id == members.c.run_id)
        return case((chosen, true()), else_=false())

    def _contact(self, column: str, params: Any) -> Any:
        channel = dict(params)["channel"]
        # The contact policy's own row, not an alias: its reachability condition is written over it.
        self._join(("contact", ()), lambda: (contactability, contactability.c.player_id == _PLAYER.c.id))
        if column == "consent":
            return contactability.c[f"{channel}_consent_granted"]
        return case((marketing_reachable(channel, self.at), true()), else_=false())
