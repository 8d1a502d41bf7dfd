"""A resolve run against a simulated operator with planted duplicates (its truth: ``person_id`` in the ground
truth), on SQLite and PostgreSQL: accuracy, the review queue's size, stable ids, incremental runs, audit."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, func, select, update

from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.db.engine import make_engine, transaction
from lottocrm.identity.errors import NoModelError, TooFewPlayers
from lottocrm.identity.evaluation import pairs_within, score
from lottocrm.identity.model import ModelSpec
from lottocrm.identity.models import PersonMember, ResolutionRun, ReviewItem
from lottocrm.identity.pipeline import ResolveOptions, resolve
from lottocrm.lake.store import Lake
from lottocrm.players.models import Player, PlayerIdentity
from lottocrm.simulator.params import PopulationParams, SimulationConfig
from lottocrm.simulator.run import simulate

ACTOR = Actor.console("steward")
# Trained on a tenth of the product's sample of random pairs for the u-probabilities: 3 000 players have only
# 4.5·10^6 pairs, and 2·10^5 of them estimate chance agreement closely (the thresholds below hold), in a sixth
# of the time. The FEBRL test (test_febrl.py) trains with the product's defaults.
QUICK = ResolveOptions(spec=ModelSpec(u_pairs=2e5))


def _simulate(engine: Engine, root: Path, players: int, share: float) -> set[tuple[int, int]]:
    config = SimulationConfig(
        players=players,
        seed=7,
        end=dt.date(2025, 3, 1),
        chunk_players=players,
        population=replace(PopulationParams(), duplicate_share=share),
    )
    simulate(config, engine=engine, lake=Lake(root / "lake"), truth_dir=root / "truth", workers=1)
    truth = pq.read_table(root / "truth" / "players")
    return pairs_within(truth["player_id"].to_numpy(), truth["person_id"].to_numpy())


def _linked(engine: Engine) -> set[tuple[int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(select(PersonMember.player_id, PersonMember.person_id)).all()
    return pairs_within(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]))


def _members(engine: Engine) -> dict[int, int]:
    with engine.connect() as connection:
        return dict(connection.execute(select(PersonMember.player_id, PersonMember.person_id)).all())


# The module's tests share a worker, which builds the simulated operator once per dialect.
pytestmark = pytest.mark.xdist_group("identity-resolve")


def _build_operator(url: str) -> set[tuple[int, int]]:
    engine = make_engine(url)
    with tempfile.TemporaryDirectory() as root:
        truth = _simulate(engine, Path(root), players=3_000, share=0.05)
    engine.dispose()
    return truth


@pytest.fixture(params=["sqlite", "postgresql"])
def operator(
    request: pytest.FixtureRequest, snapshots: Callable[..., Any], copy_database: Callable[[str], str]
) -> Iterator[tuple[Engine, set[tuple[int, int]]]]:
    """The simulated operator, built once per worker and dialect; each test gets its own copy."""
    url, truth = snapshots("identity-resolve", request.param, _build_operator)
    engine = make_engine(copy_database(url))
    yield engine, truth
    engine.dispose()


@pytest.mark.slow
def test_planted_duplicates_are_found_precisely_and_the_queue_stays_small(operator) -> None:  # type: ignore[no-untyped-def]
    engine, truth = operator
    assert len(truth) > 100
    summary = resolve(engine, actor=ACTOR, options=QUICK)
    accuracy = score(_linked(engine), truth)
    assert accuracy.precision >= 0.995, accuracy
    assert accuracy.recall >= 0.93, accuracy
    assert summary.review_pending <= 0.005 * summary.players
    with transaction(engine) as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "identity.resolve")).one()
        assert audit.actor == "cli:steward"
        assert audit.detail["persons"] == summary.persons > 0
        evidence = session.scalar(select(ReviewItem.evidence).limit(1))
        assert evidence is None or "last_name" in evidence

    # A rerun finds the same persons under the same ids.
    before = _members(engine)
    again = resolve(engine, actor=ACTOR, options=QUICK)
    assert again.persons_created == again.persons_dissolved == 0
    assert _members(engine) == before


def _register_twin(engine: Engine, source_id: int, phone: str) -> int:
    """A new registration of ``source_id``'s person (ё typed for е, no patronymic), created after everyone."""
    with transaction(engine) as session:
        newest = session.scalar(select(func.max(Player.id)))
        source = session.get(Player, source_id)
        later = session.scalar(select(func.max(Player.created_at))) + dt.timedelta(days=1)
        twin = Player(
            id=newest + 1,
            last_name=source.last_name,
            first_name=source.first_name.replace("е", "ё", 1),
            middle_name=None,
            search_name=source.search_name,
            birth_date=source.birth_date,
            gender=source.gender,
            region=source.region,
            registered_at=later,
            registration_channel="app",
            status="active",
            created_at=later,
        )
        session.add(twin)
        session.add(
            PlayerIdentity(player_id=twin.id, kind="phone", value=phone, verified=True, created_at=later)
        )
        return twin.id


@pytest.mark.slow
def test_incremental_runs_join_each_new_registration_to_its_person_once(operator) -> None:  # type: ignore[no-untyped-def]
    engine, _truth = operator
    with pytest.raises(NoModelError, match="no full resolution"):
        resolve(engine, actor=ACTOR, options=ResolveOptions(incremental=True))
    resolve(engine, actor=ACTOR, options=QUICK)
    before = _members(engine)
    with transaction(engine) as session:
        loners = session.scalars(select(Player.id).where(Player.id.not_in(list(before))).limit(2)).all()
    first = _register_twin(engine, loners[0], "+79990000001")
    summary = resolve(engine, actor=ACTOR, options=ResolveOptions(incremental=True))
    assert summary.mode == "incremental"
    assert summary.scored_players == 1
    after = _members(engine)
    assert after[first] == after[loners[0]]
    # Nobody else moved.
    assert {p: q for p, q in after.items() if p not in (first, loners[0])} == before

    # The next incremental run scores only the registration made since the last run, whichever it was.
    second = _register_twin(engine, loners[1], "+79990000002")
    again = resolve(engine, actor=ACTOR, options=ResolveOptions(incremental=True))
    assert again.scored_players == 1
    latest = _members(engine)
    assert latest[second] == latest[loners[1]] != latest[first]
    assert resolve(engine, actor=ACTOR, options=ResolveOptions(incremental=True)).scored_players == 0


def test_a_run_on_an_empty_store_is_refused_and_writes_nothing(engine: Engine) -> None:
    with pytest.raises(TooFewPlayers, match="the store holds 0 players"):
        resolve(engine, actor=ACTOR, options=QUICK)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ResolutionRun)) == 0
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 0


@pytest.mark.slow
def test_review_decisions_are_labels_later_runs_honour(operator) -> None:  # type: ignore[no-untyped-def]
    engine, _truth = operator
    resolve(engine, actor=ACTOR, options=QUICK)
    members = _members(engine)
    person_of = {}
    for player, person in members.items():
        person_of.setdefault(person, []).append(player)
    a, b = sorted(next(group for group in person_of.values() if len(group) == 2))
    with transaction(engine) as session:
        session.add(
            ReviewItem(
                run_id=1, player_a=a, player_b=b, reason="probable", probability=0.99, evidence={},
                status="rejected", created_at=dt.datetime.now(dt.UTC),
            )
        )  # fmt: skip
    resolve(engine, actor=ACTOR, options=QUICK)
    after = _members(engine)
    assert after.get(a) is None or after.get(a) != after.get(b)
    with transaction(engine) as session:
        session.execute(update(ReviewItem).where(ReviewItem.player_a == a).values(status="accepted"))
    summary = resolve(engine, actor=ACTOR, options=QUICK)
    after = _members(engine)
    assert after[a] == after[b]
    assert summary.labels == 1
