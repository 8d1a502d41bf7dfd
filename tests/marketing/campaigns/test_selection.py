"""A run's members: the same split on SQLite and PostgreSQL as a plain-Python reading of the rule (strata of
lifecycle × spend decile, systematic sampling from the stratum's own start), every stratum within one player
of its share, the global holdout kept out, the gate's channel order honoured, and a player chosen by one
campaign today not taken by the next."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, select

from lottocrm import clock
from lottocrm.analytics.mart.models import PlayerAnalytics, PlayerAnalyticsWrite
from lottocrm.db.engine import transaction
from lottocrm.db.hash_unit import hash_unit, threshold
from lottocrm.marketing.boosts.service import Boost
from lottocrm.marketing.campaigns.definition import Variant
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.campaigns.selection import BASIS, Plan, choose, holdout_salt_at, waterfall
from lottocrm.marketing.segments.audience import frame_at
from lottocrm.marketing.segments.conditions import parse

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
RECORD_DAY = dt.date(2026, 3, 9)
LIFECYCLES = ("active", "vip", "at_risk")
EVERYONE = parse({"field": "profile.registration_channel", "op": "known"})


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AS_OF):
        yield


@pytest.fixture
def players(engine: Engine, contactable) -> list[int]:  # type: ignore[no-untyped-def]
    ids = contactable(300)
    rows = [
        {
            "as_of": RECORD_DAY,
            "player_id": pid,
            "days_since_registration": 100,
            "frequency": 1,
            "tickets": 1,
            "monetary_kopecks": (pid * 7919) % 100_000,
            "spend_30d_kopecks": 0,
            "spend_90d_kopecks": 0,
            "wins_count": 0,
            "wins_kopecks": 0,
            # 10 players are not in the record: they form the "unknown" stratum.
            "segment": LIFECYCLES[pid % 3],
        }
        for pid in ids[10:]
    ]
    with engine.begin() as connection:
        connection.execute(insert(PlayerAnalytics), rows)
        connection.execute(
            insert(PlayerAnalyticsWrite),
            [{"as_of": RECORD_DAY, "event_id": "e", "players": len(rows), "written_at": AS_OF}],
        )
    return ids


def _run(engine: Engine, campaign_id: int | None = None) -> tuple[int, int]:
    with transaction(engine) as session:
        if campaign_id is None:
            campaign = Campaign(
                name="c", kind="one_off", status="running", definition={}, created_at=AS_OF, created_by="t"
            )
            session.add(campaign)
            session.flush()
            campaign_id = campaign.id
        run = CampaignRun(
            campaign_id=campaign_id, occurrence=f"r{AS_OF}", status="selecting", started_at=AS_OF, counts={}
        )
        session.add(run)
        session.flush()
        return campaign_id, run.id


def _plan(session, campaign_id: int, run_id: int, **more) -> Plan:  # type: ignore[no-untyped-def]
    arguments = {
        "run_id": run_id,
        "campaign_id": campaign_id,
        "node": EVERYONE,
        "frame": frame_at(session),
        "channels": ("push", "sms"),
        "control_share": 0.1,
        "variants": (Variant(name="A", template_id=1), Variant(name="B", template_id=2, weight=3)),
        "holdout_percent": 3,
        "per_player_day": 1,
    }
    arguments.update(more)
    return Plan(**arguments)


def _ntile(count: int, tiles: int) -> list[int]:
    """SQL's NTILE: the first (count mod tiles) groups hold one row more."""
    base, extra = divmod(count, tiles)
    out: list[int] = []
    for tile in range(1, tiles + 1):
        out += [tile] * (base + (1 if tile <= extra else 0))
    return out


def _oracle(
    campaign_id: int, ids: list[int], lifecycle: dict[int, str], value: dict[int, int]
) -> dict[int, str]:
    """The rule of selection.py, read plainly in Python."""
    salt = f"campaign:{campaign_id}"
    holdout_below = threshold(0.03)
    kept = [pid for pid in ids if hash_unit(f"holdout:{AS_OF.year}", pid) >= holdout_below]
    by_lifecycle: dict[str, list[int]] = defaultdict(list)
    for pid in kept:
        by_lifecycle[lifecycle.get(pid, "unknown")].append(pid)
    strata: dict[str, list[int]] = defaultdict(list)
    for name, members in by_lifecycle.items():
        members.sort(key=lambda pid: (value.get(pid, 0), pid))
        for pid, tile in zip(members, _ntile(len(members), 10), strict=True):
            strata[f"{name}:{tile}"].append(pid)
    arms = {}
    share = round(0.1 * BASIS)
    for stratum, members in strata.items():
        offset = int(hashlib.md5(f"{salt}:stratum:{stratum}".encode()).hexdigest()[:8], 16) % BASIS
        members.sort(key=lambda pid: (hash_unit(salt, pid), pid))
        for position, pid in enumerate(members, start=1):
            step = (position * share + offset) // BASIS != ((position - 1) * share + offset) // BASIS
            arms[pid] = "control" if step else "treatment"
    return arms


def test_the_split_is_the_rule_on_both_databases(engine: Engine, players: list[int]) -> None:
    campaign_id, run_id = _run(engine)
    with transaction(engine) as session:
        plan = _plan(session, campaign_id, run_id)
        # The approval's one-pass count and the launch's (from the materialised candidates) agree.
        approved = waterfall(session, plan)
        counts = choose(session, plan)
        members = session.execute(
            select(
                CampaignMember.player_id,
                CampaignMember.arm,
                CampaignMember.stratum,
                CampaignMember.variant,
                CampaignMember.channel,
            ).where(CampaignMember.run_id == run_id)
        ).all()
        lifecycle = dict(session.execute(select(PlayerAnalytics.player_id, PlayerAnalytics.segment)).all())
        value = dict(
            session.execute(select(PlayerAnalytics.player_id, PlayerAnalytics.monetary_kopecks)).all()
        )
    expected = _oracle(campaign_id, players, lifecycle, value)
    assert {pid: arm for pid, arm, *_ in members} == expected
    assert approved == counts
    assert len(members) == len(expected) == counts["chosen"]
    assert counts["segment"] == 300 and counts["global_holdout"] == 300 - len(expected)
    # Every stratum holds its share to within one player.
    per_stratum: dict[str, Counter[str]] = defaultdict(Counter)
    for _pid, arm, stratum, _variant, _channel in members:
        per_stratum[stratum][arm] += 1
    # Three lifecycles and the players missing from the record, ten deciles each.
    assert len(per_stratum) == 40
    for arms in per_stratum.values():
        assert abs(arms["control"] - 0.1 * sum(arms.values())) < 1
    # Controls carry no variant; the treated split 1:3 between A and B; SMS is the channel (no push device).
    assert {variant for _p, arm, _s, variant, _c in members if arm == "control"} == {None}
    variants = Counter(variant for _p, arm, _s, variant, _c in members if arm == "treatment")
    assert 0.15 < variants["A"] / (variants["A"] + variants["B"]) < 0.35
    assert {channel for *_, channel in members} == {"sms"}


def test_a_player_chosen_today_is_not_taken_by_the_next_campaign(engine: Engine, players: list[int]) -> None:
    first, first_run = _run(engine)
    with transaction(engine) as session:
        choose(
            session,
            _plan(
                session, first, first_run, node=parse({"field": "record.segment", "op": "eq", "value": "vip"})
            ),
        )
    second, second_run = _run(engine)
    with transaction(engine) as session:
        plan = _plan(session, second, second_run)
        counts = choose(session, plan)
        taken = set(
            session.scalars(select(CampaignMember.player_id).where(CampaignMember.run_id == first_run))
        )
        chosen = set(
            session.scalars(select(CampaignMember.player_id).where(CampaignMember.run_id == second_run))
        )
    assert taken and not taken & chosen
    assert counts["taken_by_other_campaigns"] == len(taken)


def test_a_boost_window_lets_only_its_interested_players_be_chosen_again(
    engine: Engine, players: list[int]
) -> None:
    vip = parse({"field": "record.segment", "op": "eq", "value": "vip"})
    first, first_run = _run(engine)
    with transaction(engine) as session:
        choose(session, _plan(session, first, first_run))
    second, second_run = _run(engine)
    with transaction(engine) as session:
        boosts = [Boost(window_id=1, node=vip, extra_per_day=1)]
        counts = choose(session, _plan(session, second, second_run, boosts=boosts))
        chosen = set(
            session.scalars(select(CampaignMember.player_id).where(CampaignMember.run_id == second_run))
        )
        lifecycle = dict(session.execute(select(PlayerAnalytics.player_id, PlayerAnalytics.segment)).all())
    # Everyone was taken by the first campaign; the boost gives the VIPs (and only them) a second one.
    assert chosen and {lifecycle[pid] for pid in chosen} == {"vip"}
    assert counts["chosen"] == len(chosen)
    assert counts["taken_by_other_campaigns"] == counts["segment"] - counts["not_reachable"] - counts[
        "global_holdout"
    ] - len(chosen)


def test_the_holdout_year_is_the_operators_year_not_utcs() -> None:
    # 00:30 on 1 January in Moscow is 21:30 on 31 December in UTC: the run belongs to the new year's holdout,
    # which is the one the January holdout report compares.
    new_year_night = dt.datetime(2026, 12, 31, 21, 30, tzinfo=dt.UTC)
    with clock.frozen(new_year_night, "Europe/Moscow"):
        assert holdout_salt_at(new_year_night) == "holdout:2027"
        assert holdout_salt_at(new_year_night - dt.timedelta(hours=1)) == "holdout:2026"
