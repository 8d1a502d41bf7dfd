"""``lottocrm identity resolve`` and the ``identity.resolve`` job: read the store, link, write the result —
one transaction at the end, so a run that fails leaves nothing half-written.

Full run: train the model on the whole store, score every blocked pair, cluster from scratch; persons
keep their ids by overlap. Incremental run: the players created since the last run are scored, with the
last full run's model, against everyone and among themselves; existing persons enter the clustering as
fixed groups, so a newcomer joins a person (or bridges two, under the guards) without anyone else being
re-scored. Review decisions are labels both modes honour: accepted pairs always link, rejected never.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Engine, func, select

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.identity import extract
from lottocrm.identity.clusters import Guards
from lottocrm.identity.engine import link
from lottocrm.identity.errors import NoModelError, TooFewPlayers
from lottocrm.identity.exact import KEY_LIMIT, exact_links
from lottocrm.identity.model import ModelSpec
from lottocrm.identity.models import ResolutionRun
from lottocrm.identity.records import build_records, first_identity
from lottocrm.identity.thresholds import Thresholds
from lottocrm.identity.writeback import Outcome, write_outcome

# Fewer players than this cannot train a model (EM needs pairs that agree and pairs that do not).
MIN_PLAYERS = 10


@dataclass(frozen=True)
class ResolveOptions:
    thresholds: Thresholds = field(default_factory=Thresholds)
    guards: Guards = field(default_factory=Guards)
    incremental: bool = False
    threads: int = 2
    key_limit: int = KEY_LIMIT
    spec: ModelSpec = field(default_factory=ModelSpec)


@dataclass(frozen=True)
class ResolveSummary:
    run_id: int
    mode: str
    players: int
    scored_players: int
    exact_links: int
    pairs: int
    certain_pairs: int
    persons: int
    persons_created: int
    persons_changed: int
    persons_dissolved: int
    review_added: int
    review_pending: int
    # Steward decisions so far (one person / two people) and how many the model alone agrees with.
    labels: int
    labels_agreeing: int


def player_records(players: pa.Table, identities: pa.Table) -> pa.Table:
    ids = players["id"]
    return build_records(
        unique_id=ids,
        first_name=players["first_name"],
        last_name=players["last_name"],
        middle_name=players["middle_name"],
        birth_date=players["birth_date"],
        region=players["region"],
        phone=first_identity(identities, "phone", ids),
        email=first_identity(identities, "email", ids),
    )


def _cliques(groups: dict[int, list[int]]) -> tuple[list[int], list[int]]:
    a: list[int] = []
    b: list[int] = []
    for members in groups.values():
        for x, y in combinations(sorted(members), 2):
            a.append(x)
            b.append(y)
    return a, b


def _last_model(engine: Engine) -> tuple[dict[str, Any], dt.datetime | None]:
    """The last full run's model, and the newest player creation time any run has seen (an incremental
    run takes the players created after it, so each is scored once)."""
    with transaction(engine) as session:
        model = session.scalar(
            select(ResolutionRun.model)
            .where(ResolutionRun.model.is_not(None))
            .order_by(ResolutionRun.id.desc())
            .limit(1)
        )
        if model is None:
            raise NoModelError("no full resolution has run yet: run one before an incremental run")
        since = session.scalar(select(func.max(ResolutionRun.players_through)))
        return json.loads(model), since


def resolve(
    engine: Engine,
    *,
    actor: Actor,
    options: ResolveOptions,
    on_step: Callable[[str], None] = lambda step: None,
) -> ResolveSummary:
    started = clock.now()
    mode = "incremental" if options.incremental else "full"
    on_step("reading players and their contacts")
    with engine.connect() as connection:
        players = extract.players(connection)
        identities = extract.identities(connection)
        previous = extract.memberships(connection)
        reviewed = extract.decisions(connection)
    if players.num_rows < MIN_PLAYERS:
        raise TooFewPlayers(
            "the store holds %(count)s players: resolution needs at least %(least)s to learn from",
            count=players.num_rows,
            least=MIN_PLAYERS,
        )
    through = extract.latest(players["created_at"])
    model = None
    new_ids = None
    if options.incremental:
        model, since = _last_model(engine)
        fresh = (
            players.filter(pc.greater(players["created_at"], pa.scalar(since, extract.UTC)))
            if since
            else players
        )
        new_ids = fresh["id"]
    on_step("linking exact keys")
    exact_a, exact_b, exact_kinds = exact_links(identities, key_limit=options.key_limit)
    forced = [pair for pair, status in reviewed.items() if status == "accepted"]
    forbidden = {pair for pair, status in reviewed.items() if status == "rejected"}
    groups: dict[int, list[int]] = {}
    if options.incremental:
        for player, person in previous.items():
            groups.setdefault(person, []).append(player)
    held_a, held_b = _cliques(groups)
    fixed_a = np.array([*exact_a.tolist(), *(a for a, _ in forced), *held_a], np.int64)
    fixed_b = np.array([*exact_b.tolist(), *(b for _, b in forced), *held_b], np.int64)
    if new_ids is not None and len(new_ids) == 0:
        scored = None
    else:
        scored = link(
            player_records(players, identities),
            spec=options.spec,
            thresholds=options.thresholds,
            guards=options.guards,
            exact=(fixed_a, fixed_b),
            forbidden=forbidden,
            model=model,
            new_ids=new_ids,
            threads=options.threads,
            on_step=on_step,
        )
    on_step("writing persons, pairs and the review queue")
    outcome = Outcome(
        mode=mode,
        started_at=started,
        players_through=through,
        options_thresholds=options.thresholds,
        options_guards=options.guards,
        model=None if options.incremental or scored is None else scored.model,
        linked=scored,
        exact=(exact_a, exact_b, exact_kinds),
        previous=previous,
        reviewed=reviewed,
        new_ids=None if new_ids is None else set(new_ids.to_pylist()),
    )
    with transaction(engine) as session:
        counts = write_outcome(session, actor=actor, outcome=outcome)
    return ResolveSummary(
        mode=mode,
        players=players.num_rows,
        scored_players=players.num_rows if new_ids is None else len(new_ids),
        **counts,
    )
