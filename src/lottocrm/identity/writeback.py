"""A run's result into the store, in the caller's transaction: the run row, persons (created, resized,
dissolved), memberships (only the rows that changed), candidate pairs, new review items, the audit row
and the ``identity.persons_resolved`` event. Never commits.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit import service as audit
from lottocrm.audit.service import Actor
from lottocrm.db.bulk import insert_rows
from lottocrm.events.outbox import emit
from lottocrm.identity.clusters import Guards, stable_ids
from lottocrm.identity.engine import Linked
from lottocrm.identity.evaluation import label_agreement
from lottocrm.identity.events import PersonsResolved
from lottocrm.identity.models import CandidatePair, Person, PersonMember, ResolutionRun, ReviewItem
from lottocrm.identity.thresholds import Thresholds

EVENT_PERSON_IDS = 10_000
CHUNK = 50_000


@dataclass(frozen=True)
class Outcome:
    mode: str
    started_at: dt.datetime
    players_through: dt.datetime | None
    options_thresholds: Thresholds
    options_guards: Guards
    model: dict[str, Any] | None
    linked: Linked | None
    exact: tuple[np.ndarray, np.ndarray, list[str]]
    previous: dict[int, int]
    reviewed: dict[tuple[int, int], str]
    new_ids: set[int] | None


def _lock(session: Session) -> None:
    # One run writes persons at a time: ids are allocated from the largest so far. SQLite's write
    # transaction is already exclusive.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE identity_persons IN EXCLUSIVE MODE"))


def _insert(session: Session, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    # A rerun that changed nothing has nothing to write (and SQLite's executemany of no rows is an error).
    if rows:
        insert_rows(session, table, columns, rows)


def _chunks(rows: list[Any]) -> list[list[Any]]:
    return [rows[start : start + CHUNK] for start in range(0, len(rows), CHUNK)]


def write_outcome(session: Session, *, actor: Actor, outcome: Outcome) -> dict[str, int]:
    _lock(session)
    now = clock.now()
    thresholds, guards = outcome.options_thresholds, outcome.options_guards
    run = ResolutionRun(
        mode=outcome.mode,
        started_at=outcome.started_at,
        finished_at=now,
        actor=actor.name,
        certain=thresholds.certain,
        probable=thresholds.probable,
        max_size=guards.max_size,
        min_density=guards.min_density,
        players_through=outcome.players_through,
        counts={},
        model=json.dumps(outcome.model) if outcome.model is not None else None,
    )
    session.add(run)
    session.flush()
    linked = outcome.linked
    if linked is None:
        counts = _counts(
            session, exact=0, pairs=0, certain=0, created=0, changed=0, dissolved=0, review=0, labels=(0, 0)
        )
    else:
        created, changed, dissolved, touched = _persons(session, run.id, linked, outcome.previous, now)
        pairs, certain = _pairs(session, run.id, linked, outcome, thresholds)
        review = _review(session, run.id, linked, outcome, thresholds, now)
        counts = _counts(
            session,
            exact=len(outcome.exact[2]),
            pairs=pairs,
            certain=certain,
            created=created,
            changed=changed,
            dissolved=dissolved,
            review=review,
            labels=label_agreement(
                zip(
                    linked.pairs["player_a"].to_pylist(),
                    linked.pairs["player_b"].to_pylist(),
                    linked.pairs["probability"].to_pylist(),
                    strict=True,
                ),
                outcome.reviewed,
                thresholds.certain,
            ),
        )
        emit(
            session,
            PersonsResolved(
                run_id=run.id,
                mode=outcome.mode,
                persons_created=created,
                persons_changed=changed,
                persons_dissolved=dissolved,
                review_pending=counts["review_pending"],
                person_ids=sorted(touched)[:EVENT_PERSON_IDS],
            ),
        )
    run.counts = counts
    audit.record(
        session,
        actor=actor,
        action="identity.resolve",
        detail={"run": run.id, "mode": outcome.mode, **counts},
    )
    return {"run_id": run.id, **counts}


def _counts(session: Session, *, labels: tuple[int, int], **found: int) -> dict[str, int]:
    persons = session.scalar(select(func.count()).select_from(Person).where(Person.status == "active")) or 0
    pending = (
        session.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "pending"))
        or 0
    )
    return {
        "exact_links": found["exact"],
        "pairs": found["pairs"],
        "certain_pairs": found["certain"],
        "persons": int(persons),
        "persons_created": found["created"],
        "persons_changed": found["changed"],
        "persons_dissolved": found["dissolved"],
        "review_added": found["review"],
        "review_pending": int(pending),
        "labels": labels[0],
        "labels_agreeing": labels[1],
    }


def _persons(
    session: Session, run_id: int, linked: Linked, previous: dict[int, int], now: dt.datetime
) -> tuple[int, int, int, set[int]]:
    clustering = linked.clustering
    kept, dissolved = stable_ids(clustering.player_id, clustering.label, previous)
    next_id = (session.scalar(select(func.max(Person.id))) or 0) + 1
    person_of_label: dict[int, int] = {}
    new_rows = []
    sizes = np.bincount(clustering.label) if clustering.label.size else np.zeros(0, np.int64)
    for label in range(sizes.size):
        if label in kept:
            person_of_label[label] = kept[label]
        else:
            person_of_label[label] = next_id
            new_rows.append(
                {"id": next_id, "status": "active", "size": int(sizes[label]), "created_at": now,
                 "updated_at": now, "created_run_id": run_id}
            )  # fmt: skip
            next_id += 1
    current = {
        int(player): person_of_label[int(label)]
        for player, label in zip(clustering.player_id.tolist(), clustering.label.tolist(), strict=True)
    }
    for rows in _chunks(new_rows):
        session.execute(insert(Person), rows)
    # Memberships: only the rows that changed.
    gone = [player for player, person in previous.items() if current.get(player) != person]
    for players in _chunks(gone):
        session.execute(delete(PersonMember).where(PersonMember.player_id.in_(players)))
    moved = [(player, person, run_id) for player, person in current.items() if previous.get(player) != person]
    _insert(session, "identity_person_members", ("player_id", "person_id", "run_id"), moved)
    changed_persons = {previous[p] for p in gone} | {person for _, person, _ in moved}
    created_ids = {row["id"] for row in new_rows}
    resized = changed_persons - created_ids - dissolved
    size_of = {person_of_label[label]: int(sizes[label]) for label in range(sizes.size)}
    for person in resized:
        session.execute(
            update(Person)
            .where(Person.id == person)
            .values(size=size_of[person], updated_at=now, status="active")
        )
    for persons in _chunks(sorted(dissolved)):
        session.execute(
            update(Person).where(Person.id.in_(persons)).values(status="dissolved", size=0, updated_at=now)
        )
    return len(created_ids), len(resized), len(dissolved), changed_persons


def _pairs(
    session: Session, run_id: int, linked: Linked, outcome: Outcome, thresholds: Thresholds
) -> tuple[int, int]:
    """Full run: the table is replaced. Incremental: the pairs of new players are added."""
    exact_a, exact_b, kinds = outcome.exact
    new_ids = outcome.new_ids
    if new_ids is None:
        session.execute(delete(CandidatePair))
    else:
        # Normally none: a new player has no pairs yet. A rerun over the same newcomers replaces theirs.
        for players in _chunks(sorted(new_ids)):
            session.execute(
                delete(CandidatePair).where(
                    CandidatePair.player_a.in_(players) | CandidatePair.player_b.in_(players)
                )
            )
    rows: dict[tuple[int, int], tuple[Any, ...]] = {}
    for a, b, kind in zip(exact_a.tolist(), exact_b.tolist(), kinds, strict=True):
        if new_ids is None or a in new_ids or b in new_ids:
            rows[(a, b)] = (run_id, a, b, "exact", 1.0, None, json.dumps({"key": kind}))
    pairs = linked.pairs
    certain = 0
    for a, b, probability, weight, evidence in zip(
        pairs["player_a"].to_pylist(),
        pairs["player_b"].to_pylist(),
        pairs["probability"].to_pylist(),
        pairs["match_weight"].to_pylist(),
        pairs["evidence"].to_pylist(),
        strict=True,
    ):
        band = thresholds.band(probability) or "probable"
        certain += band == "certain"
        rows.setdefault((a, b), (run_id, a, b, band, probability, weight, evidence))
    _insert(
        session,
        "identity_candidate_pairs",
        ("run_id", "player_a", "player_b", "band", "probability", "match_weight", "evidence"),
        list(rows.values()),
    )
    return len(rows), certain


def _review(
    session: Session, run_id: int, linked: Linked, outcome: Outcome, thresholds: Thresholds, now: dt.datetime
) -> int:
    """Probable pairs and guard-refused certain pairs whose players did not end in one person, unless the
    queue already holds the pair (pending or decided)."""
    clustering = linked.clustering
    person = dict(zip(clustering.player_id.tolist(), clustering.label.tolist(), strict=True))
    scored = {
        (a, b): (p, e)
        for a, b, p, e in zip(
            linked.pairs["player_a"].to_pylist(),
            linked.pairs["player_b"].to_pylist(),
            linked.pairs["probability"].to_pylist(),
            linked.pairs["evidence"].to_pylist(),
            strict=True,
        )
    }
    wanted: dict[tuple[int, int], tuple[str, float, str]] = {}
    for pair in linked.refused:
        probability, evidence = scored.get(pair, (1.0, json.dumps({"key": "exact"})))
        wanted[pair] = ("guard", probability, evidence)
    for pair, (probability, evidence) in scored.items():
        if probability < thresholds.certain:
            wanted.setdefault(pair, ("probable", probability, evidence))
    rows = []
    for (a, b), (reason, probability, evidence) in sorted(wanted.items()):
        if (a, b) in outcome.reviewed:
            continue
        if a in person and person.get(a) == person.get(b):
            continue
        rows.append(
            {"run_id": run_id, "player_a": a, "player_b": b, "reason": reason, "probability": probability,
             "evidence": json.loads(evidence), "status": "pending", "created_at": now}
        )  # fmt: skip
    for chunk in _chunks(rows):
        session.execute(insert(ReviewItem), chunk)
    return len(rows)
