"""A campaign's members as columns, and what its messages did per arm, read from the operational store.

Members come out as one Arrow table (both arms, every run asked for), ready to be handed to the lake query;
delivery is counted in SQL per arm, so neither read builds a Python object per message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lottocrm.loyalty.models import LoyaltyAccount
from lottocrm.marketing.campaigns.models import CampaignMember
from lottocrm.messaging.models import Message

UTC_TS = pa.timestamp("us", tz="UTC")
MEMBER_SCHEMA = pa.schema(
    [
        pa.field("member", pa.int64()),
        pa.field("run_id", pa.int64()),
        pa.field("player_id", pa.int64()),
        pa.field("treated", pa.bool_()),
        pa.field("stratum", pa.string()),
        pa.field("assigned_at", UTC_TS),
        pa.field("responded", pa.bool_()),
        pa.field("revenue_kopecks", pa.int64()),
        pa.field("enrolled_at", UTC_TS),
    ]
)
# Rows fetched from the driver at a time: bounded memory for the Python tuples of a 700 k-member campaign.
FETCH_ROWS = 50_000


def read_members(session: Session, *, run_ids: Sequence[int], with_enrolment: bool = False) -> pa.Table:
    """Every member of ``run_ids``, ``member`` numbering the rows 0…n−1 in (run, player) order.

    ``enrolled_at`` is when the player's loyalty account was opened (null without one), read only when the
    response is a loyalty enrolment."""
    enrolled = LoyaltyAccount.created_at if with_enrolment else None
    columns = [
        CampaignMember.run_id,
        CampaignMember.player_id,
        CampaignMember.arm,
        CampaignMember.stratum,
        CampaignMember.assigned_at,
        CampaignMember.responded,
        CampaignMember.revenue_kopecks,
    ]
    statement = select(*columns, *([enrolled] if enrolled is not None else []))
    if with_enrolment:
        statement = statement.outerjoin(LoyaltyAccount, LoyaltyAccount.player_id == CampaignMember.player_id)
    statement = statement.where(CampaignMember.run_id.in_(list(run_ids))).order_by(
        CampaignMember.run_id, CampaignMember.player_id
    )
    names = ("run_id", "player_id", "arm", "stratum", "assigned_at", "responded", "revenue_kopecks")
    gathered: dict[str, list[object]] = {name: [] for name in (*names, "enrolled_at")}
    result = session.execute(statement.execution_options(yield_per=FETCH_ROWS))
    for rows in result.partitions():
        for name, values in zip(names, zip(*rows, strict=True), strict=False):
            gathered[name].extend(values)
        if with_enrolment:
            gathered["enrolled_at"].extend(row[-1] for row in rows)
    size = len(gathered["run_id"])
    if not with_enrolment:
        gathered["enrolled_at"] = [None] * size
    arms = pa.array(gathered.pop("arm"), pa.string())
    return pa.table(
        {
            "member": pa.array(range(size), pa.int64()),
            "run_id": pa.array(gathered["run_id"], pa.int64()),
            "player_id": pa.array(gathered["player_id"], pa.int64()),
            "treated": pc.equal(arms, "treatment"),
            "stratum": pa.array(gathered["stratum"], pa.string()),
            "assigned_at": pa.array(_utc(gathered["assigned_at"]), UTC_TS),
            "responded": pa.array(gathered["responded"], pa.bool_()),
            "revenue_kopecks": pa.array(gathered["revenue_kopecks"], pa.int64()),
            "enrolled_at": pa.array(_utc(gathered["enrolled_at"]), UTC_TS),
        },
        schema=MEMBER_SCHEMA,
    )


def _utc(values: list[object]) -> list[object]:
    # The store hands back aware UTC datetimes (UtcDateTime); Arrow keeps the instant either way.
    return [value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value for value in values]


def delivery_counts(session: Session, *, run_ids: Sequence[int]) -> dict[str, dict[str, int]]:
    """Per arm: members, messages queued for them, sent (the provider took it), delivered and failed."""
    status = Message.status
    rows = session.execute(
        select(
            CampaignMember.arm,
            func.count(),
            func.count(Message.id),
            func.count(Message.sent_at),
            func.coalesce(func.sum(case((status == "delivered", 1), else_=0)), 0),
            func.coalesce(func.sum(case((status == "failed", 1), else_=0)), 0),
        )
        .outerjoin(Message, Message.id == CampaignMember.message_id)
        .where(CampaignMember.run_id.in_(list(run_ids)))
        .group_by(CampaignMember.arm)
    ).all()
    found = {
        arm: {"members": n, "queued": queued, "sent": sent, "delivered": int(done), "failed": int(failed)}
        for arm, n, queued, sent, done, failed in rows
    }
    empty = {"members": 0, "queued": 0, "sent": 0, "delivered": 0, "failed": 0}
    return {arm: found.get(arm, dict(empty)) for arm in ("treatment", "control")}
