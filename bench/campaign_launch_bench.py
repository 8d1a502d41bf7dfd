"""A campaign from segment to rows in the outbox (issue #14: 700 k players ≤ 30 s on 2 cores), and the
segment preview (count + waterfall), per dialect, against the raw engine in the same run.

Players come from contactable_bench's loader (consents, a phone each, some excluded, a cap ledger) with an
analytical record written by SQL (lifecycle segments, spend). The campaign reaches "active, VIP or at risk"
by SMS, 10 % control, one template rendered at dispatch. Timed: approval (counts and checks), the choice
(members of both arms, the control's history rows), the queueing (the gate's permits, templated messages),
and the preview. Raw engine: an INSERT … SELECT of the same number of rows from the contactability table
into a bare table, and a count of it.

    .venv/bin/python bench/campaign_launch_bench.py --players 925000 \\
        --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time

from contactable_bench import AS_OF, load
from scratch_db import on_each_dialect
from sqlalchemy import Engine, text

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.marketing.campaigns import service as campaigns
from lottocrm.marketing.campaigns.approval import approve_campaign
from lottocrm.marketing.campaigns.launch import launch
from lottocrm.marketing.campaigns.settings import CampaignSettings
from lottocrm.marketing.segments import service as segments
from lottocrm.marketing.segments.audience import frame_at
from lottocrm.marketing.segments.conditions import parse
from lottocrm.marketing.segments.preview import preview
from lottocrm.messaging import demo
from lottocrm.messaging.templates import service as templates

AUTHOR, APPROVER = Actor("user:bench-marketer"), Actor("user:bench-approver")
# Noon in Moscow the day after the load: inside the sending window, the record written the night before.
NOON = AS_OF + dt.timedelta(days=1, hours=9)
SEGMENT = {"field": "record.segment", "op": "in", "value": ["active", "vip", "at_risk"]}
RECORD = """
INSERT INTO player_analytics (as_of, player_id, days_since_registration, frequency, tickets, monetary_kopecks,
    spend_30d_kopecks, spend_90d_kopecks, wins_count, wins_kopecks, last_purchase_on, segment)
SELECT :as_of, id, 400, 5, 12, (id * 7919) % 1000000, 0, 0, 0, 0, :bought,
       CASE id % 8 WHEN 0 THEN 'sleeping' WHEN 1 THEN 'churned' WHEN 2 THEN 'vip' WHEN 3 THEN 'at_risk'
                   ELSE 'active' END
FROM players
"""


def _say(message: str) -> None:
    print(message, flush=True)


def _setup(engine: Engine, players: int) -> int:
    loaded, rebuilt = load(engine, players)
    _say(f"  loaded {players:,} players in {loaded:.1f} s, contactability rows in {rebuilt:.1f} s")
    as_of = AS_OF.date()
    with engine.begin() as connection:
        connection.execute(text(RECORD), {"as_of": as_of, "bought": as_of - dt.timedelta(days=3)})
        connection.execute(
            text(
                "INSERT INTO player_analytics_writes (as_of, event_id, players, written_at) "
                "VALUES (:as_of, 'bench', :players, :at)"
            ),
            {"as_of": as_of, "players": players, "at": AS_OF},
        )
        connection.execute(text("ANALYZE"))
    with clock.frozen(NOON), transaction(engine) as session:
        template = templates.create_template(
            session, actor=AUTHOR, code="bench", name="Бенч", message_class="marketing"
        )
        draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=demo.WELCOME)
        templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
        segment = segments.create_segment(session, actor=AUTHOR, name="Активные", definition=SEGMENT)
        campaign = campaigns.create_campaign(
            session,
            actor=AUTHOR,
            name="Бенч",
            segment_id=segment.segment_id,
            definition={
                "channels": ["sms"],
                "variants": [{"name": "A", "template_id": template.id}],
                "schedule": {"kind": "once", "at": (NOON + dt.timedelta(minutes=5)).isoformat()},
            },
        )
        return campaign.id


def _raw(engine: Engine, rows: int) -> tuple[float, float]:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE raw_copy (player_id BIGINT PRIMARY KEY, arm VARCHAR(10))"))
    started = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO raw_copy SELECT player_id, 'treatment' FROM contactability "
                f"ORDER BY player_id LIMIT {rows}"
            )
        )
    copied = time.perf_counter() - started
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM contactability")).scalar()
    return copied, time.perf_counter() - started


def measure(engine: Engine, label: str, players: int, previews: int) -> None:
    _say(f"{label}: {players:,} players")
    campaign_id = _setup(engine, players)
    node = parse(SEGMENT)
    samples = []
    for _ in range(previews):
        started = time.perf_counter()
        with clock.frozen(NOON), transaction(engine) as session:
            shown = preview(session, node=node, frame=frame_at(session), channel="sms")
        samples.append(time.perf_counter() - started)
    _say(
        f"  preview (size {shown.size:,}, reachable {shown.reachable:,}): "
        f"median {statistics.median(samples):.2f} s, worst {max(samples):.2f} s of {previews}"
    )
    settings = CampaignSettings()
    started = time.perf_counter()
    with clock.frozen(NOON), transaction(engine) as session:
        approval = approve_campaign(
            session, actor=APPROVER, campaign_id=campaign_id, accept_small_control=True, settings=settings
        )
    approved = time.perf_counter() - started
    _say(f"  approval: {approved:.1f} s ({approval.counts['chosen']:,} chosen)")
    marks: list[tuple[float, int]] = []
    started = time.perf_counter()
    with clock.frozen(NOON + dt.timedelta(minutes=5)):
        result = launch(
            engine,
            campaign_id=campaign_id,
            settings=settings,
            progress=lambda done, _total: marks.append((time.perf_counter(), done)),
        )
    total = time.perf_counter() - started
    chosen_at = marks[0][0] - started if marks else total
    counts = result.counts
    _say(
        f"  launch: {total:.1f} s for {counts['chosen']:,} members ({counts['treatment']:,} treated, "
        f"{counts['control']:,} control, {counts['queued']:,} queued); first chunk queued after "
        f"{chosen_at:.1f} s"
    )
    copied, counted = _raw(engine, counts["chosen"])
    _say(
        f"  raw engine: INSERT … SELECT of {counts['chosen']:,} rows {copied:.2f} s, count {counted:.2f} s; "
        f"launch ÷ raw copy = {total / copied:.0f}×, "
        f"preview ÷ raw count = {statistics.median(samples) / counted:.0f}×"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=100_000)
    parser.add_argument("--previews", type=int, default=5)
    parser.add_argument("--postgres", help="admin URL of a PostgreSQL server to create a scratch database on")
    parser.add_argument("--skip-sqlite", action="store_true")
    arguments = parser.parse_args()
    on_each_dialect(
        arguments.postgres,
        lambda engine, label: measure(engine, label, arguments.players, arguments.previews),
        skip_sqlite=arguments.skip_sqlite,
    )


if __name__ == "__main__":
    main()
